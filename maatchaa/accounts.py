"""Sign up (a company and its first member, the owner), sign in and sign out, under /accounts/.

Members sign in with their email address (it is also their username). API clients use tokens instead
of sessions: `python manage.py create_api_token EMAIL` or the button on /dashboard/settings.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from maatchaa.api import ApplicationError
from maatchaa.signin import (
    LOCKED_ATTRIBUTE,
    EmailSignInForm,
    clear_sign_in_failures,
    locked_message,
    sign_in_locked_for,
    sign_in_name,
)
from maatchaa.tenancy import SESSION_KEY
from matches.models import CreatorMatch
from shopify_app.models import ApiToken, Company, Membership

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Recognisable in a leaked file or a commit (secret scanners match on it); the rest is 40 hex digits.
API_TOKEN_PREFIX = "mtc_"
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def sign_up_member(*, company_name: str, email: str, password: str) -> User:
    """Creates a user, their company and the owner membership, all or nothing."""
    email = email.strip().lower()
    with transaction.atomic():
        user = get_user_model().objects.create_user(username=email, email=email, password=password)
        company = Company.objects.create(name=company_name.strip())
        Membership.objects.create(user=user, company=company, role=Membership.Role.OWNER)
    return user


CHANNEL_ID = re.compile(r"UC[A-Za-z0-9_-]{22}")
MAX_OWN_CHANNELS = 20


def issue_api_token(*, user: User) -> str:
    """A new API token for the user, replacing any previous one; returns the key, which is not stored
    (only its digest is) and so can be shown this once only."""
    key = API_TOKEN_PREFIX + secrets.token_hex(20)
    with transaction.atomic():
        ApiToken.objects.filter(user=user).delete()
        ApiToken.objects.create(user=user, digest=api_token_digest(key), last_four=key[-4:])
    return key


def api_token_digest(key: str) -> str:
    # The key is 160 random bits: a plain SHA-256 is enough (a slow hash guards guessable passwords).
    return hashlib.sha256(key.encode()).hexdigest()


def user_for_api_token(key: str) -> User | None:
    """The active user whose token this is, or None. Marks the token used (at most once a minute, so a
    busy script does not write on every request)."""
    token = ApiToken.objects.select_related("user").filter(digest=api_token_digest(key)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def parse_channel_ids(text: str) -> list[str]:
    """Channel ids from what a person pastes: ids or youtube.com/channel/... links, any separators.

    Raises ApplicationError naming what is not a channel id (a @handle needs a search call to resolve)."""
    ids: list[str] = []
    for token in re.split(r"[\s,;]+", text.strip()):
        if not token:
            continue
        found = CHANNEL_ID.search(token)
        if found is None or len(token) > 200:
            raise ApplicationError(
                f"{token[:60]!r} is not a YouTube channel id (UC followed by 22 characters) or channel link."
            )
        if found.group(0) not in ids:
            ids.append(found.group(0))
    if len(ids) > MAX_OWN_CHANNELS:
        raise ApplicationError(f"At most {MAX_OWN_CHANNELS} channels.")
    return ids


def set_own_channels(*, company: Company, channel_ids: list[str]) -> Company:
    """The brand's own YouTube channels: never ranked as creators for its products, from now on."""
    with transaction.atomic():
        company.own_channel_ids = channel_ids
        company.save(update_fields=["own_channel_ids", "updated_at"])
        # Rows ranked before the brand named its channels go now; the next ranking leaves them out too.
        CreatorMatch.objects.filter(product__company=company, channel_id__in=channel_ids).delete()
    return company


class SignUpForm(forms.Form):
    company_name = forms.CharField(label="Company name", max_length=200)
    email = forms.EmailField(label="Email", max_length=150)
    password1 = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="Password again", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean_company_name(self) -> str:
        name = self.cleaned_data["company_name"].strip()
        if not name:
            raise forms.ValidationError("Give your company a name.")
        return name

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(username__iexact=email).exists():
            raise forms.ValidationError("An account with this email already exists: sign in instead.")
        return email

    def clean(self) -> dict:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            probe = get_user_model()(username=data.get("email", ""), email=data.get("email", ""))
            try:
                validate_password(first, user=probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class EmailAuthenticationForm(EmailSignInForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Please enter a correct email and password. Both are case-sensitive except the email.",
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["username"].label = "Email"

    def clean_username(self) -> str:
        # Sign-up stores emails lower-cased; accept "Ana@Brand.com" as typed.
        return self.cleaned_data["username"].strip().lower()


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if request.user.is_authenticated:
        # A URL, never a view name: redirect("NaN") would look the name up and fail (a 500).
        return HttpResponseRedirect(next_url) if next_url else redirect("dashboard:products")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = sign_up_member(
            company_name=form.cleaned_data["company_name"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        company_id = Company.objects.filter(memberships__user=user).values_list("pk", flat=True).first()
        request.session[SESSION_KEY] = str(company_id)
        # A new company has nothing yet: connecting a store is the next step (unless it is already under
        # way: an install from Shopify waits at `next`).
        return HttpResponseRedirect(next_url) if next_url else redirect("dashboard:settings")
    return render(request, "accounts/signup.html", {"form": form, "next": next_url}, status=400 if form.errors else 200)


def _safe_next(request: HttpRequest) -> str:
    """Where to go after signing up, if the request names a page of this site (never another host)."""
    return same_site_url(request, request.POST.get("next") or request.GET.get("next") or "")


def same_site_url(request: HttpRequest, candidate: str) -> str:
    """`candidate` if it is a page of this site (never another host), else ""."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "password_reset_enabled": settings.PASSWORD_RESET_ENABLED}

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        # Checked before the form is: a locked email learns nothing, right password or not. The lockout itself
        # is LockoutBackend's (maatchaa/signin.py), for every way in; this only answers without a form error.
        locked = sign_in_locked_for(username=sign_in_name(request.POST.get("username")))
        if locked is not None:
            return self._locked_out(locked)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        locked = getattr(self.request, LOCKED_ATTRIBUTE, None)
        if locked is not None:  # locked by concurrent attempts while this one was on its way
            return self._locked_out(locked)
        # A refused sign-in is bad input: 400, with the form's message on the page.
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def _locked_out(self, locked: timedelta) -> HttpResponse:
        # An unbound form: a bound one would check the password as soon as the page shows its errors.
        name = sign_in_name(self.request.POST.get("username"))
        form = self.get_form_class()(self.request, initial={"username": name})
        context = self.get_context_data(form=form, locked_out=locked_message(locked))
        response = self.render_to_response(context, status=429)
        response["Retry-After"] = str(int(locked.total_seconds()) + 1)
        return response


class PasswordResetEnabledMixin:
    """The reset pages exist only where mail can be sent (settings.PASSWORD_RESET_ENABLED)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.PASSWORD_RESET_ENABLED:
            raise Http404("Password reset is not set up here: an operator can run manage.py changepassword.")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class PasswordResetView(PasswordResetEnabledMixin, auth_views.PasswordResetView):
    # Django's form mails every active member with that email and says the same for an unknown one.
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetDoneView(PasswordResetEnabledMixin, auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(PasswordResetEnabledMixin, auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        # A new password ends a lockout: whoever guessed before now guesses against another password.
        clear_sign_in_failures(username=form.user.get_username().lower())
        return super().form_valid(form)


class PasswordResetCompleteView(PasswordResetEnabledMixin, auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


urlpatterns = [
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", signup, name="signup"),
    path("password-reset/", PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
