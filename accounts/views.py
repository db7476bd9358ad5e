"""Sign up (a company and its first member, the owner), sign in and sign out, password reset: /accounts/."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts.forms import EmailAuthenticationForm, SignUpForm
from accounts.models import Company
from accounts.services import sign_up_member
from accounts.signin import LOCKED_ATTRIBUTE, clear_sign_in_failures, locked_message, sign_in_locked_for, sign_in_name
from accounts.tenancy import SESSION_KEY


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
        # A new company has nothing yet: the products page shows the first steps, connecting the store first
        # (unless that is already under way: an install from Shopify waits at `next`).
        return HttpResponseRedirect(next_url) if next_url else redirect("dashboard:products")
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
        # is LockoutBackend's (accounts/signin.py), for every way in; this only answers without a form error.
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
