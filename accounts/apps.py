from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Companies (the tenants), members, API tokens, sign-up and sign-in, and tenancy."""

    name = "accounts"
    verbose_name = "Accounts"
