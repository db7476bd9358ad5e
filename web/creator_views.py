"""The dashboard's pages about creators as relationships (/dashboard/creators/..., creators/ underneath).

Thin views over creators.selectors and creators.services, the same reads and writes as
web/creators_api.py, so a page and an API call never disagree. Another company's rows are a plain 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Company, Membership
from accounts.views import same_site_url
from creators import selectors as creator_selectors
from creators.lookalikes import lookalikes
from creators.models import ListEntry
from creators.services import (
    add_creator_note,
    add_to_list,
    create_list,
    delete_creator_note,
    delete_list,
    fetch_recent_uploads,
    mark_contacted,
    remove_entry,
    save_outreach_template,
    update_entry,
    update_list,
)
from creators.whats_new import set_digest_enabled
from maatchaa.api import ApplicationError
from matches import derived
from web.views import member_view

if TYPE_CHECKING:
    from django.contrib.auth.models import User


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
        {
            "company": company,
            "profile": profile,
            "derived_metrics": derived.allowed(),
            "lists": creator_selectors.list_choices(company=company),
            "status_choices": STATUS_CHOICES,
        },
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


# --- lists -----------------------------------------------------------------------------------------

STATUS_CHOICES = ListEntry.Status.choices
LOOKALIKES_SHOWN = 20
ENTRY_ORDERING_CHOICES = [
    ("status", "Pipeline order"),
    ("recent", "Latest change"),
    ("name", "Name"),
    ("added", "Newest added"),
]


@member_view
def lists_page(request: HttpRequest, company: Company) -> HttpResponse:
    if request.method == "POST":
        created = create_list(
            company=company,
            name=request.POST.get("name", ""),
            description=request.POST.get("description", ""),
            user=request.user,
        )
        messages.success(request, f"List “{created.name}” created.")
        return redirect("dashboard:list", created.pk)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(
        request,
        "dashboard/lists.html",
        {
            "company": company,
            "lists": [creator_selectors.list_record(row) for row in creator_selectors.company_lists(company=company)],
        },
    )


@member_view
@require_GET
def list_page(request: HttpRequest, company: Company, list_id: int) -> HttpResponse:
    creator_list = creator_selectors.get_list_for_user(user=request.user, list_id=list_id)
    status = request.GET.get("status", "")
    ordering = request.GET.get("ordering", "status")
    if status not in ListEntry.Status.values:
        status = ""
    if ordering not in creator_selectors.ENTRY_ORDERINGS:
        ordering = "status"
    now = timezone.now()
    entries = creator_selectors.list_entries(creator_list=creator_list, status=status, ordering=ordering)
    query = urlencode([(k, v) for k, v in (("status", status), ("ordering", ordering)) if v])
    record = creator_selectors.list_record(creator_list)
    return render(
        request,
        "dashboard/list.html",
        {
            "company": creator_list.company,
            "list": record,
            "status_tabs": [(value, label, record["status_counts"][value]) for value, label in STATUS_CHOICES],
            "entries": [creator_selectors.entry_record(entry, now=now) for entry in entries],
            "status": status,
            "ordering": ordering,
            "status_choices": STATUS_CHOICES,
            "orderings": ENTRY_ORDERING_CHOICES,
            "csv_url": reverse("api-list-entries-csv", args=[creator_list.pk]) + (f"?{query}" if query else ""),
            "here": request.get_full_path(),
        },
    )


@member_view
@require_POST
def list_edit(request: HttpRequest, company: Company, list_id: int) -> HttpResponse:
    creator_list = creator_selectors.get_list_for_user(user=request.user, list_id=list_id)
    update_list(
        creator_list=creator_list, name=request.POST.get("name", ""), description=request.POST.get("description", "")
    )
    messages.success(request, "List saved.")
    return redirect("dashboard:list", creator_list.pk)


@member_view
@require_POST
def list_delete(request: HttpRequest, company: Company, list_id: int) -> HttpResponse:
    creator_list = creator_selectors.get_list_for_user(user=request.user, list_id=list_id)
    delete_list(creator_list=creator_list)
    messages.success(request, f"List “{creator_list.name}” deleted.")
    return redirect("dashboard:lists")


@member_view
@require_POST
def add_entry(request: HttpRequest, company: Company) -> HttpResponse:
    """Adds a creator to a list, from a product's list or the creator's page: an existing list
    (`list_id`) or a new one named in `new_list`."""
    channel_id = request.POST.get("channel_id", "")
    creator_selectors.get_channel(channel_id=channel_id)  # before a new list is made for it
    chosen = request.POST.get("list_id", "")
    if chosen and chosen != "new":
        try:
            creator_list = creator_selectors.get_list_for_user(user=request.user, list_id=int(chosen))
        except ValueError:
            raise ApplicationError("Choose a list.", status=400) from None
    else:
        creator_list = create_list(company=company, name=request.POST.get("new_list", ""), user=request.user)
    entry, created = add_to_list(
        creator_list=creator_list,
        channel_id=channel_id,
        product_id=request.POST.get("product_id") or None,
        user=request.user,
        now=timezone.now(),
    )
    title = entry.channel.title or entry.channel_id
    if created:
        messages.success(request, f"{title} added to “{creator_list.name}”.")
    else:
        messages.info(request, f"{title} is already on “{creator_list.name}”.")
    back = same_site_url(request, request.POST.get("next", ""))
    return redirect(back or reverse("dashboard:list", args=[creator_list.pk]))


@member_view
@require_POST
def entry_update(request: HttpRequest, company: Company, list_id: int, entry_id: int) -> HttpResponse:
    creator_list = creator_selectors.get_list_for_user(user=request.user, list_id=list_id)
    entry = creator_selectors.get_entry(creator_list=creator_list, entry_id=entry_id)
    update_entry(
        entry=entry,
        status=request.POST.get("status") or None,
        notes=request.POST["notes"] if "notes" in request.POST else None,
        user=request.user,
        now=timezone.now(),
    )
    messages.success(request, f"{entry.channel.title or entry.channel_id}: {entry.get_status_display().lower()}.")
    back = same_site_url(request, request.POST.get("next", ""))
    return redirect(back or reverse("dashboard:list", args=[creator_list.pk]))


@member_view
@require_POST
def entry_remove(request: HttpRequest, company: Company, list_id: int, entry_id: int) -> HttpResponse:
    creator_list = creator_selectors.get_list_for_user(user=request.user, list_id=list_id)
    entry = creator_selectors.get_entry(creator_list=creator_list, entry_id=entry_id)
    remove_entry(entry=entry)
    messages.success(request, f"{entry.channel.title or entry.channel_id} removed from “{creator_list.name}”.")
    back = same_site_url(request, request.POST.get("next", ""))
    return redirect(back or reverse("dashboard:list", args=[creator_list.pk]))


# --- outreach ------------------------------------------------------------------------------------


@member_view
@require_GET
def draft_page(request: HttpRequest, company: Company, channel_id: str) -> HttpResponse:
    raw = request.GET.get("product", "")
    try:
        product_id = int(raw) if raw else None
    except ValueError:
        raise Http404("Product not found.") from None
    draft = creator_selectors.outreach_draft(
        company=company, channel_id=channel_id, product_id=product_id, user=request.user
    )
    channel = creator_selectors.get_channel(channel_id=channel_id)
    entries = creator_selectors.creator_entries(company=company, channel=channel)
    return render(
        request,
        "dashboard/draft.html",
        {
            "company": company,
            "draft": draft,
            # The lists the creator is on come first in the "mark as contacted" menu.
            "entries": entries,
            "entry_list_ids": {entry["list_id"] for entry in entries},
            "lists": creator_selectors.list_choices(company=company),
        },
    )


@member_view
@require_POST
def contacted(request: HttpRequest, company: Company, channel_id: str) -> HttpResponse:
    """The member sent the draft: the creator's entry on the chosen list (or a new one) moves to contacted."""
    chosen = request.POST.get("list_id", "")
    creator_selectors.get_channel(channel_id=channel_id)  # before a new list is made for it
    if not chosen or chosen == "new":
        chosen = str(create_list(company=company, name=request.POST.get("new_list", ""), user=request.user).pk)
    entry = mark_contacted(
        company=company,
        channel_id=channel_id,
        list_id=chosen,
        product_id=request.POST.get("product_id") or None,
        user=request.user,
        now=timezone.now(),
    )
    messages.success(
        request, f"{entry.channel.title or channel_id} marked as contacted on “{entry.creator_list.name}”."
    )
    return redirect("dashboard:list", entry.creator_list_id)


@member_view
@require_POST
def outreach_template(request: HttpRequest, company: Company) -> HttpResponse:
    save_outreach_template(
        company=company, subject=request.POST.get("subject", ""), body=request.POST.get("body", ""), user=request.user
    )
    messages.success(request, "Outreach email template saved.")
    return redirect(reverse("dashboard:settings") + "#outreach")


# --- lookalikes ----------------------------------------------------------------------------------


@member_view
@require_GET
def lookalikes_page(request: HttpRequest, company: Company, channel_id: str) -> HttpResponse:
    found = lookalikes(company=company, channel_id=channel_id, now=timezone.now(), limit=LOOKALIKES_SHOWN)
    return render(
        request,
        "dashboard/lookalikes.html",
        {"company": company, "found": found, "lists": creator_selectors.list_choices(company=company)},
    )


# --- what's new ----------------------------------------------------------------------------------


@member_view
@require_POST
def digest(request: HttpRequest, company: Company) -> HttpResponse:
    membership = Membership.objects.get(user=cast("User", request.user), company=company)  # member_view: a member
    enabled = request.POST.get("enabled") == "true"
    set_digest_enabled(membership=membership, enabled=enabled)
    messages.success(request, "Weekly email on." if enabled else "Weekly email off: you will receive no digest.")
    return redirect(reverse("dashboard:settings") + "#digest")
