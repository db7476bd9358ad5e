"""POST /products/resync: sync the caller's Shopify store now (the guide's path and purpose)."""

from __future__ import annotations

import dataclasses
from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.tenancy import company_for_request
from maatchaa.api import ERROR_RESPONSE, ApplicationError
from shopify_app.selectors import shop_to_sync
from shopify_app.services import sync_shop_products


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {key: _jsonable(item) for key, item in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class ResyncInputSerializer(serializers.Serializer):
    company_id = serializers.UUIDField(required=False, help_text="One of your companies; default: the current one")


class ProductResyncApi(APIView):
    """Runs SHOPIFY's product sync for the caller's connected store and says what changed."""

    @extend_schema(
        operation_id="products_resync",
        request=ResyncInputSerializer,
        responses={
            200: inline_serializer(
                name="ResyncResult",
                fields={
                    "message": serializers.CharField(),
                    "shop_domain": serializers.CharField(),
                    "result": serializers.DictField(),
                },
            ),
            400: ERROR_RESPONSE,
            404: ERROR_RESPONSE,
            502: ERROR_RESPONSE,
        },
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise ApplicationError('Send a JSON object, e.g. {} or {"company_id": "..."}.')
        body = ResyncInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        company = company_for_request(request, body.validated_data.get("company_id"))
        shop = shop_to_sync(company=company)
        # Shopify failures come back as ApplicationError (502 permanent, 503 transient) with a message.
        result = sync_shop_products(shop=shop)
        return Response(
            {"message": "Products synced from Shopify.", "shop_domain": shop.domain, "result": _jsonable(result)}
        )
