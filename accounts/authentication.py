"""API authentication. A module of its own: DRF imports it while rest_framework.views is still loading,
so it must not import anything that imports views (maatchaa/api.py does)."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


class HashedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, as DRF's, checked against the key's digest (shopify_app.ApiToken)
    rather than a key stored in clear."""

    def authenticate_credentials(self, key: str) -> tuple[Any, None]:
        from accounts.services import user_for_api_token

        user = user_for_api_token(key)
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        return user, None
