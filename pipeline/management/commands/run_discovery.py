"""python manage.py run_discovery: discover creators now, in this process, for one or every company."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Company
from discovery import selectors
from pipeline.deepen import plan_extra_searches, products_to_deepen
from pipeline.discover import plan_discovery
from pipeline.models import DiscoveryRun
from pipeline.runs import abandon_stale_runs, create_discovery_run, execute_discovery_run
from shopify_app.models import Product


def resolve_company(value: str) -> Company:
    """A company by id (UUID) or exact name (case-insensitive)."""
    try:
        return Company.objects.get(pk=uuid.UUID(value))
    except (ValueError, Company.DoesNotExist):
        pass
    matches = list(Company.objects.filter(name__iexact=value.strip())[:2])
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise CommandError(f"More than one company is named {value!r}: pass its id instead.")
    raise CommandError(f"No company with id or name {value!r}.")


class Command(BaseCommand):
    help = (
        "Search YouTube for products' creators now: one MANUAL discovery run per company, executed in "
        "this process, products taken by rotation (never discovered first). --dry-run prints the "
        "planned searches and their cost without spending anything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--company", help="Company id or name (default: every company with products).")
        parser.add_argument(
            "--product",
            action="append",
            type=int,
            default=[],
            metavar="ID",
            help="Only this product (its numeric id); repeat for several.",
        )
        parser.add_argument(
            "--limit",
            type=int,
            help="At most this many products per company (default: WORKER_PRODUCTS_PER_CYCLE).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print the planned searches, which storage would answer, and their cost; spend nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        limit: int | None = options["limit"]
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1.")
        product_ids: list[int] = options["product"]
        companies = self._companies(options["company"], product_ids)
        if not companies:
            # Not a mistake, just an empty installation: say so as the worker guide does.
            self.stdout.write("⚠️  No products found in database")
            self.stdout.write("💡 Waiting for companies to connect Shopify stores...")
            return
        if options["dry_run"]:
            self._dry_run(companies, limit=limit, product_ids=product_ids or None)
            return
        abandoned = abandon_stale_runs()
        if abandoned:
            self.stdout.write(f"Marked {abandoned} stale run(s) as abandoned (their results are kept).")
        totals = {"products": 0, "searches": 0, "cached": 0, "units": 0, "videos": 0, "matches": 0}
        failed = 0
        for company in companies:
            self.stdout.write(self.style.MIGRATE_HEADING(f"\n=== {company.name} ==="))
            run, created = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.MANUAL)
            if not created and run.status == DiscoveryRun.Status.RUNNING:
                self.stdout.write(
                    self.style.WARNING(
                        f"A discovery run (#{run.pk}, {run.get_trigger_display()}) is already running for "
                        f"{company.name}; not starting another."
                    )
                )
                continue
            if not created:
                # A queued run (e.g. the one a product sync enqueued) that no worker has claimed yet: run it
                # here and now. The claim is a conditional UPDATE, so a worker that receives it later
                # finds it taken and does nothing.
                self.stdout.write(
                    f"Running the queued {run.get_trigger_display().lower()} run #{run.pk} now, in this process."
                )
            run = execute_discovery_run(
                run_id=run.pk, product_limit=limit, log=self.stdout.write, product_ids=product_ids or None
            )
            style = {
                DiscoveryRun.Status.SUCCEEDED: self.style.SUCCESS,
                DiscoveryRun.Status.PARTIAL: self.style.WARNING,
            }.get(DiscoveryRun.Status(run.status), self.style.ERROR)
            self.stdout.write(style(f"Run #{run.pk} {run.status}: {run.message}"))
            failed += run.status == DiscoveryRun.Status.FAILED
            totals["products"] += run.products_done
            totals["searches"] += run.search_calls
            totals["cached"] += run.cached_searches
            totals["units"] += run.units
            totals["videos"] += run.videos_found
            totals["matches"] += run.matches_made
        self.stdout.write(
            self.style.SUCCESS(
                f"\nSummary: {totals['products']} products, {totals['searches']} searches "
                f"({totals['cached']} cached searches answered from storage), {totals['units']} units, "
                f"{totals['videos']} videos, {totals['matches']} matches."
            )
        )
        if failed:
            raise CommandError(f"{failed} discovery run(s) failed; see the messages above.")

    def _companies(self, company_option: str | None, product_ids: list[int]) -> list[Company]:
        if product_ids:
            found = Product.objects.filter(pk__in=product_ids)
            missing = sorted(set(product_ids) - set(found.values_list("pk", flat=True)))
            if missing:
                raise CommandError(f"No product with id {', '.join(map(str, missing))}.")
            not_active = [p.title for p in found if not p.is_discoverable]
            if not_active:
                raise CommandError(f"Only ACTIVE products are discovered; not: {', '.join(not_active)}.")
            companies = {p.company_id for p in found}
            if company_option:
                company = resolve_company(company_option)
                if companies - {company.pk}:
                    raise CommandError(f"Some of those products do not belong to {company.name}.")
            return list(Company.objects.filter(pk__in=companies))
        if company_option:
            return [resolve_company(company_option)]
        return list(Company.objects.filter(products__status=Product.Status.ACTIVE).distinct().order_by("name"))

    def _dry_run_extra(self, company: Company, *, first_calls: int) -> None:
        calls, planned = plan_extra_searches(company=company, run_calls_left=None)
        calls = max(0, calls - first_calls)
        if not planned:
            self.stdout.write(
                "Extra searches: none yet (every product first needs its first searches)"
                if not products_to_deepen(company=company)
                else f"Extra searches: none ({calls} search calls left within the share after its reserve)"
            )
            return
        self.stdout.write(
            f"Extra searches: up to {calls} search calls left within the company's share of the day (less "
            f"{settings.DISCOVERY_EXTRA_SEARCH_RESERVE} kept for new products) go to the products whose creators "
            "look weakest, one at a time (scheduled runs; the order is re-ranked after each). First:"
        )
        for extra in planned[:calls]:
            where = f" in {extra.search.category_name}" if extra.search.category_id else ""
            self.stdout.write(
                f"   ➕ {extra.product} (top ten mean score {extra.mean_top_score:.2f}): '{extra.search.query}'{where}"
            )

    def _dry_run(self, companies: list[Company], *, limit: int | None, product_ids: list[int] | None) -> None:
        total_calls = total_cached = total_units = 0
        for company in companies:
            products = selectors.products_in_rotation(
                company=company,
                limit=limit if limit is not None else settings.WORKER_PRODUCTS_PER_CYCLE,
                product_ids=product_ids,
            )
            plan = plan_discovery(products=products)
            self.stdout.write(self.style.MIGRATE_HEADING(f"\n=== {company.name} (dry run) ==="))
            for title, queries in plan.products:
                self.stdout.write(f"🎯 {title}")
                self.stdout.write(f"   🔑 Keywords: {', '.join(queries)}")
            self.stdout.write("Planned searches:")
            for search in plan.searches:
                how = "answered from storage (no call)" if search.cached else "1 search call"
                shared = f" (shared by {len(search.products)} products)" if len(search.products) > 1 else ""
                where = f" in {search.category_name}" if search.category_name else ""
                self.stdout.write(f"   🔎 '{search.query}'{where}: {how}{shared}")
            total_calls += plan.search_calls
            total_cached += plan.cached_searches
            self._dry_run_extra(company, first_calls=plan.search_calls)
            total_units += plan.units_estimate
        self.stdout.write(
            self.style.SUCCESS(
                f"\nDry run: {total_calls} search calls, {total_cached} searches answered from storage, "
                f"about {total_units} units (videos.list and channels.list, 50 ids a call). Nothing was spent. "
                "A product's third and later keywords may be learned from its earlier searches' results at run time."
            )
        )
