"""Requests no view can serve, refused with a 400 before they reach one.

- A URL holding U+0000 (%00 in the path or the query): PostgreSQL stores no NUL in text, so any lookup with it
  (an admin object id, a channel id in a path, a search) fails in the database, a 500. Nothing we serve has a
  NUL in its address.
- A form POST in another charset than UTF-8: Django refuses to read it (BadRequest), but the CSRF check of its
  400 and 500 pages reads it again and raises again, so the server answered 500.
- A Content-Type header Django refuses to parse (over 10,000 characters): Django raises while building the
  request, before any middleware, so the WSGI server answers 500. The WSGI application is wrapped instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.http import MAX_HEADER_LENGTH


class RefuseUnservableRequestsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info or "%00" in request.META.get("QUERY_STRING", ""):
            return HttpResponseBadRequest("The address holds a NUL character (%00).", content_type="text/plain")
        if (
            request.method == "POST"
            and request.content_type == "application/x-www-form-urlencoded"
            and request.encoding is not None
            and request.encoding.lower() != "utf-8"
        ):
            return HttpResponseBadRequest("A form must be sent in UTF-8.", content_type="text/plain")
        return self.get_response(request)


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def refuse_unparsable_requests(application: WSGIApp) -> WSGIApp:
    """The WSGI application, answering 400 to a request whose Content-Type Django would raise on."""

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if len(str(environ.get("CONTENT_TYPE", ""))) > MAX_HEADER_LENGTH:
            body = b"The Content-Type header is too long."
            start_response(
                "400 Bad Request", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return application(environ, start_response)

    return guarded
