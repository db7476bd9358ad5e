"""Which company a request acts for. Every object is reached through the caller's companies."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.http import HttpRequest

from shopify_app.models import Company

SESSION_KEY = "company_id"


def companies_for(user: User | AnonymousUser) -> QuerySet[Company]:
    if not user.is_authenticated:
        return Company.objects.none()
    return Company.objects.filter(memberships__user=user)


def current_company(request: HttpRequest) -> Company | None:
    """The company chosen in this session, else the user's first (oldest membership)."""
    companies = companies_for(request.user)
    chosen = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if chosen:
        company = companies.filter(pk=chosen).first()
        if company is not None:
            return company
    return companies.order_by("memberships__created_at").first()
