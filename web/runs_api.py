"""Discovery's API: the guide's trigger (POST /products/trigger-discovery) and the state of runs.

Everything is reached through the caller's companies: another company's id or run answers exactly
like a missing one (404), and nothing is enqueued for it. Errors have the one shape of
maatchaa/api.py, {"message", "details"}.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.tenancy import companies_for, company_for_member
from maatchaa.api import ERROR_RESPONSE, ApplicationError
from pipeline import selectors as run_selectors
from pipeline.models import DiscoveryRun
from pipeline.triggers import trigger_discovery
from shopify_app import selectors as shop_selectors


# --- reads ------------------------------------------------------------------------------------------
def discovery_runs_for(*, user: User | AnonymousUser) -> QuerySet[DiscoveryRun]:
    return DiscoveryRun.objects.filter(company__in=companies_for(user)).select_related("company")


def trigger_response(
    serializer: type[serializers.Serializer], *, run: DiscoveryRun, created: bool, **extra: Any
) -> Response:
    """The answer to every discovery trigger: 202 with a new run, 200 with the company's run in progress."""
    data = serializer(
        {
            "message": "Discovery triggered successfully" if created else "Discovery already in progress",
            "company_id": run.company_id,
            **extra,
            "status": "processing",
            "run_id": run.pk,
            "run_status": run.status,
            "created": created,
        }
    ).data
    return Response(data, status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)


# --- serializers ------------------------------------------------------------------------------------
class RunCompanySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class DiscoveryRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    company = RunCompanySerializer()
    trigger = serializers.CharField(help_text="schedule, immediate (after a product sync) or manual")
    status = serializers.CharField(
        help_text=(
            "queued, running, succeeded, partial (YouTube failed some products; they keep their turn), "
            "failed (YouTube failed every product) or abandoned (its worker stopped)"
        )
    )
    is_active = serializers.BooleanField(help_text="queued or running")
    products_planned = serializers.IntegerField()
    products_done = serializers.IntegerField()
    search_calls = serializers.IntegerField()
    cached_searches = serializers.IntegerField(help_text="Searches answered from storage, at no cost")
    units = serializers.IntegerField()
    videos_found = serializers.IntegerField()
    matches_made = serializers.IntegerField()
    # DRF's metaclass moves declared fields off the class, so Serializer.errors is not shadowed at run time.
    errors = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]
    message = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    heartbeat_at = serializers.DateTimeField(allow_null=True)


class RunPagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


# --- views ------------------------------------------------------------------------------------------
class DiscoveryTriggerApi(APIView):
    """Start discovery for one of the caller's companies now (the guide's manual trigger)."""

    @extend_schema_serializer(component_name="DiscoveryTriggerInput")
    class InputSerializer(serializers.Serializer):
        company_id = serializers.CharField(help_text="One of your companies (UUID)")
        shop_domain = serializers.CharField(
            required=False, allow_blank=True, help_text="Optional: one of that company's shops"
        )

    @extend_schema_serializer(component_name="DiscoveryTriggerOutput")
    class OutputSerializer(serializers.Serializer):
        message = serializers.CharField()
        company_id = serializers.UUIDField()
        status = serializers.CharField(help_text='"processing" while the run is queued or running')
        run_id = serializers.IntegerField()
        run_status = serializers.CharField(help_text="The run's own status: queued or running")
        created = serializers.BooleanField(help_text="False when a run was already in progress")

    @extend_schema(
        operation_id="products_trigger_discovery",
        request=InputSerializer,
        responses={
            202: OutputSerializer,
            200: OutputSerializer,
            400: ERROR_RESPONSE,
            404: ERROR_RESPONSE,
            409: ERROR_RESPONSE,
        },
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise ApplicationError('Send a JSON object: {"company_id": "...", "shop_domain": "..."}.')
        body = self.InputSerializer(data=request.data)
        if not body.is_valid():
            raise ApplicationError("company_id is required.", details=body.errors)
        company = company_for_member(user=request.user, company_id=body.validated_data["company_id"])
        shop_domain = body.validated_data.get("shop_domain", "").strip().lower()
        if shop_domain and not company.shops.filter(domain=shop_domain).exists():
            raise ApplicationError(
                f"{shop_domain} is not a shop of this company.", details={"shop_domain": "not this company's"}
            )
        if (
            run_selectors.active_discovery_run(company=company) is None
            and not shop_selectors.discoverable_products(company=company).exists()
        ):
            # A run over nothing would "succeed" having searched nothing: say what is missing instead.
            raise ApplicationError(
                "Nothing to search: this company has no active products in a connected Shopify store. "
                "Connect (or reconnect) the store in the dashboard's settings, then try again.",
                status=409,
                details={"reason": "no_products"},
            )
        run, created = trigger_discovery(company=company, trigger=DiscoveryRun.Trigger.MANUAL, user=request.user)
        return trigger_response(self.OutputSerializer, run=run, created=created)


class DiscoveryRunListApi(APIView):
    """The caller's companies' discovery runs, newest first (the dashboard polls this)."""

    @extend_schema(
        operation_id="discovery_runs_list",
        parameters=[
            OpenApiParameter("company_id", str, description="Only this company's runs"),
            OpenApiParameter("active", bool, description="true: only queued or running runs"),
        ],
        responses={200: DiscoveryRunSerializer(many=True), 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def get(self, request: Request) -> Response:
        runs = discovery_runs_for(user=request.user)
        company_id = request.query_params.get("company_id")
        if company_id:
            runs = runs.filter(company=company_for_member(user=request.user, company_id=company_id))
        if request.query_params.get("active", "").lower() in ("1", "true", "yes"):
            runs = runs.filter(status__in=DiscoveryRun.ACTIVE_STATUSES)
        paginator = RunPagination()
        page = paginator.paginate_queryset(runs.order_by("-created_at", "-pk"), request, view=self)
        return paginator.get_paginated_response(DiscoveryRunSerializer(page, many=True).data)


class DiscoveryRunDetailApi(APIView):
    """One discovery run of the caller's companies; others' runs answer 404."""

    @extend_schema(operation_id="discovery_runs_detail", responses={200: DiscoveryRunSerializer, 404: ERROR_RESPONSE})
    def get(self, request: Request, run_id: int) -> Response:
        run = discovery_runs_for(user=request.user).filter(pk=run_id).first()
        if run is None:
            raise ApplicationError("Discovery run not found.", status=404)
        return Response(DiscoveryRunSerializer(run).data)
