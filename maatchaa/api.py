"""One error shape for the whole API: {"message": ..., "details": ...}."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

# The schema of every 4xx/5xx body, for the OpenAPI document.
ERROR_RESPONSE = inline_serializer(
    name="Error",
    fields={"message": serializers.CharField(), "details": serializers.DictField()},
)


class ApplicationError(Exception):
    """The one domain exception services raise; the API turns it into a 4xx with this message."""

    def __init__(self, message: str, *, status: int = 400, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.details = details or {}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response({"message": exc.message, "details": exc.details}, status=exc.status)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and set(data) == {"detail"}:
        message, details = str(data["detail"]), {}
    else:
        message, details = "Invalid input.", data
    response.data = {"message": message, "details": details}
    return response
