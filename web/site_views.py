"""The start page: what Maatchaa does, with sign-up and sign-in; a signed-in member goes to the products."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard:products")
    return render(request, "landing.html")
