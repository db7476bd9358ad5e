"""The dashboard's server-rendered pages (/dashboard/...): thin views over matches.selectors.

Reads and writes go through the same selectors and services as the API, so a page and an API call can
never disagree about what a member may see. A product of another company is a plain 404 here too.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.models import ApiToken, Company, Membership
from accounts.services import issue_api_token
from accounts.tenancy import SESSION_KEY, companies_for, company_for_member, current_company
from accounts.views import same_site_url
from creators import selectors as creator_selectors
from creators.whats_new import preference_of, record_products_visit, whats_new
from discovery.channel_input import resolve_channel_input
from maatchaa.api import ApplicationError
from matches import derived, selectors
from matches.decisions import decide_creator, restore_creator
from matches.display import duration_text
from matches.models import CreatorDecision, CreatorMatch
from matches.own_channels import confirm_own_channel_guess, list_own_channel_guesses, reject_own_channel_guess
from matches.services import set_own_channels
from pipeline import selectors as run_selectors
from shopify_app import selectors as shop_selectors
from shopify_app.models import Product
from shopify_app.services import sync_shop_products
from web.api import CreatorFilterSerializer
from web.cards import creator_cards, render_card

if TYPE_CHECKING:
    from django.contrib.auth.models import User

PAGE_SIZE = 25
# The filter form offers round values; the API takes any fraction and any number of days.
ENGAGEMENT_CHOICES = [("0.01", "1% or more"), ("0.02", "2% or more"), ("0.05", "5% or more"), ("0.1", "10% or more")]
ORDERING_CHOICES = [
    ("rank", "Best fit"),
    ("subscribers", "Most subscribers"),
    ("engagement", "Highest engagement"),
    ("recent_upload", "Recent upload"),
]
RUN_TRIGGERS = {
    "schedule": "Scheduled",
    "immediate": "Your store's products arrived",
    "manual": "You asked (Find Creators)",
}
UPLOAD_CHOICES = [("7", "7 days"), ("30", "30 days"), ("90", "90 days"), ("365", "a year")]

View = Callable[..., HttpResponse]
# The filter form's labels, for its error messages (the API names the parameters).
FILTER_LABELS = {
    "min_subscribers": "Min subscribers",
    "max_subscribers": "Max subscribers",
    "min_engagement": "Min engagement",
    "country": "Country",
    "language": "Language",
    "uploaded_within_days": "Uploaded within",
    "ordering": "Order by",
    "include_dismissed": "Show dismissed",
}


def member_view(view: View) -> View:
    """Signed in and a member of a company; ApplicationError 404s become the plain 404 page."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        company = current_company(request)
        if company is None:
            return render(request, "dashboard/no_company.html", status=403)
        try:
            return view(request, company, *args, **kwargs)
        except ApplicationError as error:
            if error.status == 404:
                raise Http404(error.message) from None
            messages.error(request, error.message)
            # A URL, never a view name: redirect("NaN") would look the name up and fail (a 500).
            back = same_site_url(request, request.META.get("HTTP_REFERER", ""))
            return HttpResponseRedirect(back or reverse("dashboard:products"))

    return wrapper


def _page(request: HttpRequest, items: Any) -> Any:
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    return urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v != ""])


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("dashboard:products")


@member_view
@require_GET
def products_page(request: HttpRequest, company: Company) -> HttpResponse:
    # NUL is the one character PostgreSQL refuses in text; nobody searches for it.
    search = request.GET.get("search", "").replace("\x00", "").strip()[:200]
    page = _page(request, selectors.list_products(company=company, search=search).only("pk"))
    page.object_list = selectors.with_counts(page.object_list)
    turns = run_selectors.product_turns(company=company)
    for product in page.object_list:
        product.turn = turns.get(product.pk)
    shops = shop_selectors.connected_shops(company=company)
    # What's new since the member's last visit (creators/whats_new.py).
    now = timezone.now()
    membership = Membership.objects.get(user=cast("User", request.user), company=company)
    news_since = record_products_visit(membership=membership, now=now)
    return render(
        request,
        "dashboard/products.html",
        {
            "company": company,
            "page": page,
            "search": search,
            "query": _query_without_page(request),
            "shops": shops,
            "connected": any(shop.is_connected for shop in shops),
            "can_discover": shop_selectors.discoverable_products(company=company).exists(),
            "has_creators": CreatorMatch.objects.filter(product__company=company).exists(),
            "waiting": sum(1 for turn in turns.values() if turn.state in ("next", "later")),
            # As the products' own lines say it (an overdue schedule runs as soon as the worker looks).
            "next_run_at": min((turn.at for turn in turns.values() if turn.at is not None), default=None),
            "interval": settings.WORKER_CYCLE_INTERVAL_MINUTES,
            "per_run": settings.WORKER_PRODUCTS_PER_CYCLE,
            "latest_run": run_selectors.latest_discovery_run(company=company),
            "active_run": run_selectors.active_discovery_run(company=company),
            # On the plain first page only: a search's results are the products asked for.
            "whats_new": [] if search or page.number > 1 else whats_new(company=company, since=news_since, now=now),
            "whats_new_since": news_since,
        },
    )


@member_view
@require_GET
def product_page(request: HttpRequest, company: Company, product_id: int) -> HttpResponse:
    product = selectors.get_product_for_user(user=request.user, product_id=product_id)
    now = timezone.now()
    params = CreatorFilterSerializer(data={k: v for k, v in request.GET.items() if v != ""})
    if params.is_valid():
        filters = params.to_filters()
        errors: dict[str, Any] = {}
    else:
        filters, errors = selectors.CreatorFilters(), params.errors
    page = _page(request, selectors.list_product_creators(product=product, filters=filters, now=now))
    cards = creator_cards(product=product, rows=list(page.object_list), now=now)
    # Weak fits are not presented as part of a top ten: they wait below a fold (a shortlisted one stays up).
    shown: list[dict[str, Any]] = []
    weaker: list[dict[str, Any]] = []
    for card in cards:
        folded = card["fit_band"] == "weak" and card["decision"] != "shortlisted"
        (weaker if folded else shown).append(card)
    query = _query_without_page(request)
    return render(
        request,
        "dashboard/product.html",
        {
            "company": company,
            "product": product,
            "page": page,
            "creators": shown,
            "weaker": weaker,
            "turn": run_selectors.product_turns(company=product.company).get(product.pk),
            "filters": filters,
            "filter_values": request.GET,
            "errors": {FILTER_LABELS.get(field, field): messages_ for field, messages_ in errors.items()},
            "query": query,
            "csv_url": reverse("api-product-creators-csv", args=[product.pk]) + (f"?{query}" if query else ""),
            "active_run": run_selectors.active_discovery_run(company=product.company),
            "engagement_choices": ENGAGEMENT_CHOICES,
            # Derived metrics (engagement) only with the operator's opt-in (matches/derived.py).
            "derived_metrics": derived.allowed(),
            "upload_choices": UPLOAD_CHOICES,
            # Ordering by engagement, a derived metric, only with the operator's opt-in.
            "orderings": [o for o in ORDERING_CHOICES if o[0] != "engagement" or derived.allowed()],
            # "Add to list" on each creator (creators/): the company's lists.
            "lists": creator_selectors.list_choices(company=product.company),
        },
        status=400 if errors else 200,
    )


@member_view
@require_POST
def decision(request: HttpRequest, company: Company, product_id: int, channel_id: str) -> HttpResponse:
    """Shortlist, dismiss or restore one creator. The page's script asks for JSON and redraws the card in
    place; without it, the page reloads at the same card (its #anchor)."""
    product = selectors.get_product_for_user(user=request.user, product_id=product_id)
    action = request.POST.get("action", "")
    creator = selectors.get_product_creator(product=product, channel_id=channel_id)
    name = creator.channel.title or channel_id
    previous = (
        CreatorDecision.objects.filter(product=product, channel_id=channel_id).values_list("status", flat=True).first()
    )
    if action == "restore":
        restore_creator(product=product, channel_id=channel_id)
        text = f"Removed {name} from the shortlist." if previous == "shortlisted" else f"{name} is back in the list."
    elif action in ("shortlisted", "dismissed"):
        decide_creator(product=product, channel_id=channel_id, status=action, user=request.user)
        text = f"Shortlisted {name}." if action == "shortlisted" else f"Dismissed {name}: hidden from this list."
    else:
        return HttpResponseBadRequest("Unknown action: use shortlisted, dismissed or restore.")
    back = same_site_url(request, request.POST.get("next", ""))
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        show_dismissed = "include_dismissed=true" in back
        html = render_card(request, product=product, channel_id=channel_id, show_dismissed=show_dismissed)
        return JsonResponse({"message": text, "decision": action, "html": html})
    messages.success(request, text)
    target = back or reverse("dashboard:product", args=[product.pk])
    return HttpResponseRedirect(f"{target.split('#')[0]}#creator-{channel_id}")


@member_view
@require_GET
def runs_page(request: HttpRequest, company: Company) -> HttpResponse:
    runs = run_selectors.list_discovery_runs(company=company).prefetch_related(
        Prefetch("products", queryset=Product.objects.only("pk", "title").order_by("title"))
    )
    page = _page(request, runs)
    for run in page.object_list:
        run.duration = duration_text(run.started_at, run.finished_at)
        run.why = RUN_TRIGGERS.get(run.trigger, run.get_trigger_display())
    turns = run_selectors.product_turns(company=company)
    waiting = [turn for turn in turns.values() if turn.state in ("next", "later")]
    return render(
        request,
        "dashboard/runs.html",
        {
            "company": company,
            "page": page,
            "waiting": len(waiting),
            "next_at": min((t.at for t in waiting if t.at is not None), default=None),
            "per_run": settings.WORKER_PRODUCTS_PER_CYCLE,
            "interval": settings.WORKER_CYCLE_INTERVAL_MINUTES,
        },
    )


@member_view
@require_GET
def settings_page(request: HttpRequest, company: Company) -> HttpResponse:
    return _settings(request, company)


def _settings(
    request: HttpRequest, company: Company, *, channels_text: str | None = None, channels_error: str = ""
) -> HttpResponse:
    token = ApiToken.objects.filter(user=cast("User", request.user)).first()  # member_view: signed in
    if channels_text is None:
        channels_text = "".join(f"{channel_id}\n" for channel_id in company.own_channel_ids or ())
    return render(
        request,
        "dashboard/settings.html",
        {
            "company": company,
            "companies": companies_for(request.user),
            "shops": shop_selectors.connected_shops(company=company),
            "token": token,
            "product_count": Product.objects.filter(company=company).count(),
            "channels_text": channels_text,
            "channels_error": channels_error,
            # The outreach email template (creators/outreach.py).
            "outreach": creator_selectors.outreach_template(company=company),
            "digest": preference_of(Membership.objects.get(user=cast("User", request.user), company=company)),
            "digest_available": bool(settings.EMAIL_URL),
            "own_guesses": list_own_channel_guesses(company=company),
        },
        status=400 if channels_error else 200,
    )


@member_view
@require_POST
def create_token(request: HttpRequest, company: Company) -> HttpResponse:
    # One token per user: a new one revokes the old one. Shown once: only its digest is stored, and the
    # page afterwards shows its last characters.
    key = issue_api_token(user=cast("User", request.user))  # member_view: signed in
    messages.success(request, f"Your new API token (copy it now; any previous token no longer works): {key}")
    return redirect("dashboard:settings")


@member_view
@require_POST
def own_channels(request: HttpRequest, company: Company) -> HttpResponse:
    text = request.POST.get("channels", "")[:5000]
    try:
        ids = resolve_channel_input(text=text, company=company)
    except ApplicationError as error:
        # The settings page again, with what was typed and what is wrong with it.
        return _settings(request, company, channels_text=text, channels_error=error.message)
    set_own_channels(company=company, channel_ids=ids)
    messages.success(request, f"{len(ids)} channel{'s' if len(ids) != 1 else ''} of yours kept out of the rankings.")
    return redirect("dashboard:settings")


@member_view
@require_POST
def own_channel_guess(request: HttpRequest, company: Company, channel_id: str) -> HttpResponse:
    """One click on a detected channel: "not our channel" (ranked again) or "it is ours" (kept out again)."""
    ours = request.POST.get("ours", "")
    if ours == "false":
        reject_own_channel_guess(company=company, channel_id=channel_id, user=request.user)
        messages.success(request, "Understood: that channel is not yours, and it is ranked like any creator again.")
    elif ours == "true":
        confirm_own_channel_guess(company=company, channel_id=channel_id)
        messages.success(request, "That channel is kept out of your rankings again.")
    else:
        return HttpResponseBadRequest("Say ours=true or ours=false.")
    return redirect("dashboard:settings")


@member_view
@require_POST
def switch_company(request: HttpRequest, company: Company) -> HttpResponse:
    chosen = request.POST.get("company_id", "")
    target = company_for_member(user=request.user, company_id=chosen)
    request.session[SESSION_KEY] = str(target.pk)
    messages.success(request, f"Now working on {target.name}.")
    return redirect("dashboard:products")


@member_view
@require_POST
def resync(request: HttpRequest, company: Company) -> HttpResponse:
    shop = shop_selectors.shop_to_sync(company=company)
    result = sync_shop_products(shop=shop)
    messages.success(
        request,
        f"Products synced from {shop.domain}: "
        f"{result.created} new, {result.updated} updated, {result.deleted} removed.",
    )
    return redirect("dashboard:products")
