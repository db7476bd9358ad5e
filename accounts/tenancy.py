"""Which company a request acts for: the one resolver every page and endpoint uses.

Every object is reached through the caller's companies. A company id that is not a UUID is bad input
(400); a well-formed id of a company the caller is not a member of answers exactly like a missing one
(404), so that ids cannot be probed.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import Company
from maatchaa.api import ApplicationError

SESSION_KEY = "company_id"
NO_COMPANY = "Your account is not a member of any company."


def companies_for(user: User | AnonymousUser) -> QuerySet[Company]:
    if not user.is_authenticated:
        return Company.objects.none()
    return Company.objects.filter(memberships__user=user)


def parse_company_id(value: Any, *, field: str = "company_id") -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ApplicationError(
            f"{field} must be a UUID, got {str(value)[:100]!r}.", details={field: "invalid"}
        ) from None


def company_for_member(*, user: User | AnonymousUser, company_id: Any) -> Company:
    """A company named in a request (body, query, form): one of the caller's, else the same 404 as a missing one."""
    company = companies_for(user).filter(pk=parse_company_id(company_id)).first()
    if company is None:
        raise ApplicationError("Company not found.", status=404)
    return company


def current_company(request: HttpRequest) -> Company | None:
    """The company chosen in this session, else the user's first (oldest membership)."""
    companies = companies_for(request.user)
    chosen = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if chosen:
        company = companies.filter(pk=chosen).first()
        if company is not None:
            return company
    return companies.order_by("memberships__created_at").first()


def company_for_request(request: HttpRequest, company_id: Any = None) -> Company:
    """The company a request acts for: the one named (if it is the caller's), else the session's choice."""
    if company_id:
        return company_for_member(user=request.user, company_id=company_id)
    company = current_company(request)
    if company is None:
        raise ApplicationError(NO_COMPANY, status=403)
    return company


# `current_company`'s choice as an id, in one light query: the one picked in the session if the user is a
# member of it, else the user's oldest membership's.
_CURRENT_COMPANY = """
SELECT m.company_id FROM shopify_app_membership m
WHERE m.user_id = %s
ORDER BY m.company_id = %s DESC NULLS LAST, m.created_at
LIMIT 1
"""


def current_company_id(*, user: User | AnonymousUser, chosen: Any) -> uuid.UUID | None:
    """`current_company(request)`'s id (`chosen`: the session's choice, if any) without loading the company:
    GET /products needs only its id."""
    if not user.is_authenticated:
        return None
    try:
        chosen_id = uuid.UUID(str(chosen)) if chosen else None
    except ValueError:
        chosen_id = None
    with connection.cursor() as cursor:
        cursor.execute(_CURRENT_COMPANY, [user.pk, chosen_id])
        row = cursor.fetchone()
    return None if row is None else row[0]
