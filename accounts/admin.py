from __future__ import annotations

import uuid
from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.models import ApiToken, Company, Membership, SignInFailure
from accounts.signin import AdminSignInForm

# /admin/login/ under the same lockout as /accounts/login/, and saying so when an email is locked.
admin.site.login_form = AdminSignInForm


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name", "shops__domain"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "company", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "company__name"]
    autocomplete_fields = ["user", "company"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        # The add page prefilled from its query (?company=...): the autocomplete widget looks the company up
        # while rendering, and a value that is no UUID raised there (a 500) instead of leaving it empty.
        try:
            uuid.UUID(str(initial.get("company", uuid.UUID(int=0))))
        except ValueError:
            del initial["company"]
        return initial


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Revoking is deleting; a token is made by its member (settings page) or create_api_token, which
    show the key once. The admin holds only the digest, so it shows and edits nothing else."""

    list_display = ["user", "last_four", "created_at", "last_used_at"]
    search_fields = ["user__username", "user__email", "last_four"]
    readonly_fields = ["user", "last_four", "created_at", "last_used_at"]
    exclude = ["digest"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SignInFailure)
class SignInFailureAdmin(admin.ModelAdmin):
    """Refused sign-ins in the last 15 minutes; deleting an email's rows unlocks it at once."""

    list_display = ["username", "created_at"]
    search_fields = ["username"]
    readonly_fields = ["username", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
