"""The sign-up and sign-in forms."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password

from accounts.signin import EmailSignInForm


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
