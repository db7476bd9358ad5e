"""The dashboard's pages about creators as relationships (/dashboard/creators/..., creators/ underneath).

Thin views over creators.selectors and creators.services, the same reads and writes as
web/creators_api.py, so a page and an API call never disagree. Another company's rows are a plain 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Company
from accounts.views import same_site_url
from creators import selectors as creator_selectors
from creators.services import add_creator_note, delete_creator_note, fetch_recent_uploads
from matches import derived
from web.views import member_view


def _back(request: HttpRequest, channel_id: str) -> HttpResponse:
    back = same_site_url(request, request.POST.get("next", ""))
    return redirect(back or reverse("dashboard:creator", args=[channel_id]))


@member_view
@require_GET
def creator_page(request: HttpRequest, company: Company, channel_id: str) -> HttpResponse:
    profile = creator_selectors.creator_profile(company=company, channel_id=channel_id, now=timezone.now())
    return render(
        request,
        "dashboard/creator.html",
        {"company": company, "profile": profile, "derived_metrics": derived.allowed()},
    )


@member_view
@require_POST
def add_note(request: HttpRequest, company: Company, channel_id: str) -> HttpResponse:
    add_creator_note(company=company, channel_id=channel_id, text=request.POST.get("text", ""), user=request.user)
    messages.success(request, "Note added.")
    return _back(request, channel_id)


@member_view
@require_POST
def delete_note(request: HttpRequest, company: Company, channel_id: str, note_id: int) -> HttpResponse:
    delete_creator_note(company=company, channel_id=channel_id, note_id=note_id)
    messages.success(request, "Note deleted.")
    return _back(request, channel_id)


@member_view
@require_POST
def recent_uploads(request: HttpRequest, company: Company, channel_id: str) -> HttpResponse:
    uploads, fetched = fetch_recent_uploads(company=company, channel_id=channel_id, now=timezone.now())
    if fetched:
        messages.success(request, f"{len(uploads)} recent uploads fetched from YouTube (1 unit, no search call).")
    else:
        messages.info(request, "These uploads were fetched less than an hour ago: nothing was spent.")
    return _back(request, channel_id)
