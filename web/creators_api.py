"""The API of creators as relationships: a creator's page, notes and recent uploads (creators/).

Everything a company keeps about a creator is reached through the caller's companies: another
company's notes (and lists, entries and templates further down) answer exactly like missing ones
(404). A channel is YouTube's public record, stored once; what the company sees beside it is its own.
Errors have the one shape of maatchaa/api.py, {"message", "details"}.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils import timezone
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Company
from accounts.tenancy import company_for_request
from creators import selectors as creator_selectors
from creators.lookalikes import lookalikes
from creators.models import CreatorList, ListEntry
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
from creators.whats_new import FIRST_LOOK_BACK, whats_new
from maatchaa.api import ERROR_RESPONSE, ApplicationError
from matches import fit_bands
from matches.display import json_datetime
from web.api import (
    CSV_ROW_LIMIT,
    ChannelSerializer,
    CreatorStatisticsSerializer,
    FastJSONRenderer,
    MatchedVideoSerializer,
    Pagination,
)

COMPANY_PARAMETER = OpenApiParameter(
    "company_id", str, description="One of your companies (a UUID); default: the current one", required=False
)


def request_company(request: Request) -> Company:
    """The company a call acts for: `company_id` in the query (one of the caller's) or the current one."""
    return company_for_request(request, request.query_params.get("company_id") or None)


def json_object(request: Request, example: str) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise ApplicationError(f"Send a JSON object such as {example}.")
    return request.data


# --- serializers (the schema's description of the records the selectors build) ----------------------


class ProductRefSerializer(serializers.Serializer):
    class Meta:
        ref_name = "CreatorProductRef"

    id = serializers.IntegerField()
    title = serializers.CharField()
    handle = serializers.CharField()
    image_url = serializers.CharField()
    url = serializers.CharField(help_text="The product in the online store, if published")


class ProductFitSerializer(serializers.Serializer):
    product = ProductRefSerializer()
    rank = serializers.IntegerField(help_text="The creator's rank among the product's creators (1 = best fit)")
    score = serializers.FloatField(help_text="Content similarity of the creator's videos to the product")
    video_count = serializers.IntegerField()
    decision = serializers.CharField(allow_null=True, help_text="shortlisted, dismissed or null")
    matched_terms = serializers.ListField(child=serializers.CharField())
    attributes = serializers.ListField(child=serializers.JSONField())
    why = serializers.ListField(child=serializers.CharField())
    matched_videos = MatchedVideoSerializer(many=True)
    evidence = serializers.DictField()


class ProductNameSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class CreatorVideoSerializer(MatchedVideoSerializer):
    products = ProductNameSerializer(many=True, help_text="The company's products this video fits")


class RecentUploadSerializer(serializers.Serializer):
    video_id = serializers.CharField()
    title = serializers.CharField()
    url = serializers.URLField()
    thumbnail_url = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)


class RecentUploadsSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField(allow_null=True, help_text="When YouTube listed them; null if never fetched")
    display = serializers.CharField()
    can_fetch = serializers.BooleanField(help_text="Whether POST .../recent-uploads can fetch them")
    items = RecentUploadSerializer(many=True)


class DecisionSerializer(serializers.Serializer):
    class Meta:
        ref_name = "CreatorProductDecision"

    product_id = serializers.IntegerField()
    product_title = serializers.CharField()
    status = serializers.CharField()
    decided_by = serializers.CharField()
    decided_at = serializers.DateTimeField()


class NoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    author = serializers.CharField()
    created_at = serializers.DateTimeField()


class CreatorEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    list_id = serializers.IntegerField()
    list_name = serializers.CharField()
    product = ProductNameSerializer(allow_null=True)
    status = serializers.CharField(help_text="to_contact, contacted, replied, agreed or declined")
    status_display = serializers.CharField()
    notes = serializers.CharField()
    changed_by = serializers.CharField()
    changed_at = serializers.DateTimeField(allow_null=True)


class CreatorProfileSerializer(serializers.Serializer):
    channel = ChannelSerializer()
    description = serializers.CharField()
    fetched_at = serializers.DateTimeField(allow_null=True, help_text="When YouTube reported the channel's details")
    last_upload_at = serializers.DateTimeField(allow_null=True)
    statistics = CreatorStatisticsSerializer()
    products = ProductFitSerializer(many=True, help_text="The company's products this creator fits, best first")
    matched_videos = CreatorVideoSerializer(many=True)
    recent_uploads = RecentUploadsSerializer()
    contact_emails = serializers.ListField(child=serializers.EmailField())
    decisions = DecisionSerializer(many=True)
    notes = NoteSerializer(many=True, help_text="The company's notes, newest first")
    lists = CreatorEntrySerializer(many=True, help_text="The creator's entries on the company's lists")


class NoteInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


# --- views -----------------------------------------------------------------------------------------


class CreatorDetailApi(APIView):
    """GET /creators/{channel_id}: one creator as the caller's company sees it."""

    renderer_classes = [FastJSONRenderer]

    @extend_schema(
        operation_id="creators_retrieve",
        parameters=[COMPANY_PARAMETER],
        description=(
            "The channel with its statistics (each dated), every product of the company it fits with the "
            "evidence, its matched videos, its recent uploads as last fetched, the contact emails found, and "
            "the company's own decisions and notes. Another company's view of the same channel shows only "
            "that company's products, decisions and notes."
        ),
        responses={200: CreatorProfileSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def get(self, request: Request, channel_id: str) -> Response:
        company = request_company(request)
        profile = creator_selectors.creator_profile(
            company=company, channel_id=channel_id, now=timezone.now(), moment=json_datetime
        )
        return Response(profile)


class CreatorRecentUploadsApi(APIView):
    """POST /creators/{channel_id}/recent-uploads: fetch the newest uploads from YouTube now."""

    renderer_classes = [FastJSONRenderer]

    @extend_schema(
        operation_id="creators_recent_uploads_fetch",
        request=None,
        parameters=[COMPANY_PARAMETER],
        description=(
            "One playlistItems.list call (1 unit of the day's 10,000, never a search call), charged to the "
            "company. Asked again within an hour, the uploads fetched then are returned and nothing is spent. "
            "Kept at most YOUTUBE_DATA_MAX_AGE_DAYS, as all YouTube data."
        ),
        responses={
            200: RecentUploadsSerializer,
            404: ERROR_RESPONSE,
            409: ERROR_RESPONSE,
            429: ERROR_RESPONSE,
            502: ERROR_RESPONSE,
            503: ERROR_RESPONSE,
        },
    )
    def post(self, request: Request, channel_id: str) -> Response:
        company = request_company(request)
        now = timezone.now()
        fetch_recent_uploads(company=company, channel_id=channel_id, now=now)
        channel = creator_selectors.get_channel(channel_id=channel_id)
        return Response(creator_selectors.recent_uploads_record(channel=channel, now=now, moment=json_datetime))


class CreatorNotesApi(APIView):
    """POST /creators/{channel_id}/notes: add a note about a creator, seen only by the caller's company."""

    renderer_classes = [FastJSONRenderer]

    @extend_schema(
        operation_id="creators_notes_create",
        request=NoteInputSerializer,
        parameters=[COMPANY_PARAMETER],
        responses={201: NoteSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def post(self, request: Request, channel_id: str) -> Response:
        company = request_company(request)
        body = json_object(request, '{"text": "Met at the tea fair"}')
        note = add_creator_note(company=company, channel_id=channel_id, text=body.get("text"), user=request.user)
        record = {
            "id": note.pk,
            "text": note.text,
            "author": note.author.get_username() if note.author else "",
            "created_at": json_datetime(note.created_at),
        }
        return Response(record, status=status.HTTP_201_CREATED)


class CreatorNoteApi(APIView):
    """DELETE /creators/{channel_id}/notes/{note_id}: delete one of the company's notes."""

    @extend_schema(
        operation_id="creators_notes_destroy",
        parameters=[COMPANY_PARAMETER],
        responses={204: None, 404: ERROR_RESPONSE},
    )
    def delete(self, request: Request, channel_id: str, note_id: int) -> Response:
        company = request_company(request)
        delete_creator_note(company=company, channel_id=channel_id, note_id=note_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- lists -----------------------------------------------------------------------------------------


# Statuses are described in words rather than as an enum: a second enum named "status" would rename the
# schema's existing StatusEnum (the decisions'), which clients may have generated code from.
STATUS_HELP = "The pipeline's stage: " + ", ".join(ListEntry.Status.values)


class StatusCountsSerializer(serializers.Serializer):
    to_contact = serializers.IntegerField()
    contacted = serializers.IntegerField()
    replied = serializers.IntegerField()
    agreed = serializers.IntegerField()
    declined = serializers.IntegerField()


class CreatorListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="Unique within the company, whatever the case")
    description = serializers.CharField()
    entry_count = serializers.IntegerField()
    status_counts = StatusCountsSerializer()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class CreatorListInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)


class CreatorListPatchSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)


class EntryChannelSerializer(serializers.Serializer):
    channel_id = serializers.CharField()
    title = serializers.CharField()
    url = serializers.URLField()
    custom_url = serializers.CharField()
    thumbnail_url = serializers.CharField()


class StatisticRefSerializer(serializers.Serializer):
    class Meta:
        ref_name = "EntryStatistic"

    value = serializers.FloatField(allow_null=True)
    as_of = serializers.DateTimeField(allow_null=True, help_text="When YouTube reported this figure")
    display = serializers.CharField(help_text='For people: "1.2M subscribers, as of 3 Nov"')
    hidden = serializers.BooleanField()
    emulated = serializers.BooleanField()


class ListEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    list_id = serializers.IntegerField()
    channel = EntryChannelSerializer()
    subscribers = StatisticRefSerializer()
    contact_emails = serializers.ListField(child=serializers.EmailField())
    product = ProductNameSerializer(allow_null=True, help_text="The product the creator was added for")
    status = serializers.CharField(help_text=STATUS_HELP)
    status_display = serializers.CharField()
    notes = serializers.CharField()
    added_by = serializers.CharField()
    added_at = serializers.DateTimeField()
    changed_by = serializers.CharField(help_text="Who last changed the status or the notes")
    changed_at = serializers.DateTimeField(allow_null=True)
    status_changed_at = serializers.DateTimeField(allow_null=True)


class ListEntryInputSerializer(serializers.Serializer):
    channel_id = serializers.CharField(help_text="A creator Maatchaa stores (UC…)")
    product_id = serializers.IntegerField(required=False, allow_null=True, help_text="One of the company's products")
    status = serializers.CharField(required=False, default="to_contact", help_text=STATUS_HELP)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class ListEntryPatchSerializer(serializers.Serializer):
    status = serializers.CharField(required=False, help_text=STATUS_HELP)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    product_id = serializers.IntegerField(required=False, allow_null=True)


class EntriesCSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=creator_selectors.ENTRY_CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in data if isinstance(data, list) else []:
            writer.writerow(row)
        return out.getvalue().encode("utf-8")


def _list_response(creator_list: CreatorList, *, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(creator_selectors.list_record(creator_list, moment=json_datetime), status=status_code)


class ListsApi(GenericAPIView):
    """GET /lists: the company's lists with their counts per status; POST creates one."""

    pagination_class = Pagination
    serializer_class = CreatorListSerializer
    renderer_classes = [FastJSONRenderer]

    @extend_schema(
        operation_id="lists_list",
        parameters=[COMPANY_PARAMETER],
        responses={200: CreatorListSerializer(many=True), 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def get(self, request: Request) -> Response:
        company = request_company(request)
        page = self.paginate_queryset(creator_selectors.company_lists(company=company)) or []
        return self.get_paginated_response([creator_selectors.list_record(row, moment=json_datetime) for row in page])

    @extend_schema(
        operation_id="lists_create",
        parameters=[COMPANY_PARAMETER],
        request=CreatorListInputSerializer,
        description="A list name already taken in the company (whatever its case) answers 400 saying so.",
        responses={201: CreatorListSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def post(self, request: Request) -> Response:
        company = request_company(request)
        body = json_object(request, '{"name": "Spring launch"}')
        creator_list = create_list(
            company=company, name=body.get("name"), description=body.get("description", ""), user=request.user
        )
        return _list_response(creator_list, status_code=status.HTTP_201_CREATED)


class ListDetailApi(APIView):
    """GET, PATCH (rename, describe) or DELETE one of the company's lists."""

    renderer_classes = [FastJSONRenderer]

    @extend_schema(operation_id="lists_retrieve", responses={200: CreatorListSerializer, 404: ERROR_RESPONSE})
    def get(self, request: Request, list_id: int) -> Response:
        return _list_response(creator_selectors.get_list_for_user(user=request.user, list_id=list_id))

    @extend_schema(
        operation_id="lists_partial_update",
        request=CreatorListPatchSerializer,
        responses={200: CreatorListSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def patch(self, request: Request, list_id: int) -> Response:
        creator_list = creator_selectors.get_list_for_user(user=request.user, list_id=list_id)
        body = json_object(request, '{"name": "Autumn launch"}')
        update_list(creator_list=creator_list, name=body.get("name"), description=body.get("description"))
        return _list_response(creator_list)

    @extend_schema(operation_id="lists_destroy", responses={204: None, 404: ERROR_RESPONSE})
    def delete(self, request: Request, list_id: int) -> Response:
        delete_list(creator_list=creator_selectors.get_list_for_user(user=request.user, list_id=list_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class EntryFilterSerializer(serializers.Serializer):
    # A CharField checked below: a second enum named "status" would rename the schema's existing StatusEnum.
    status = serializers.CharField(required=False, allow_blank=True, help_text=STATUS_HELP)

    ordering = serializers.ChoiceField(
        choices=creator_selectors.ENTRY_ORDERINGS,
        required=False,
        default="status",
        help_text="status (the pipeline's order), recent (latest change first), name, added (newest first)",
    )

    def validate_status(self, value: str) -> str:
        if value and value not in ListEntry.Status.values:
            raise serializers.ValidationError(f"Must be one of {', '.join(ListEntry.Status.values)}.")
        return value


class ListEntriesApi(GenericAPIView):
    """GET /lists/{id}/entries: the list's creators, filtered by status; POST adds one; .csv exports them."""

    pagination_class = Pagination
    serializer_class = ListEntrySerializer
    renderer_classes = [FastJSONRenderer, EntriesCSVRenderer]

    @extend_schema(
        operation_id="lists_entries_list",
        parameters=[EntryFilterSerializer],
        description="Add ?format=csv (or use entries.csv) for the whole filtered list as CSV.",
        responses={
            (200, "application/json"): ListEntrySerializer(many=True),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The filtered list as CSV"),
            400: ERROR_RESPONSE,
            404: ERROR_RESPONSE,
        },
    )
    def get(self, request: Request, list_id: int, **kwargs: Any) -> Response:
        creator_list = creator_selectors.get_list_for_user(user=request.user, list_id=list_id)
        params = EntryFilterSerializer(
            data={k: v for k, v in request.query_params.items() if k in ("status", "ordering")}
        )
        params.is_valid(raise_exception=True)
        entries = creator_selectors.list_entries(
            creator_list=creator_list,
            status=params.validated_data.get("status", ""),
            ordering=params.validated_data.get("ordering") or "status",
        )
        now = timezone.now()
        if request.accepted_renderer.format == "csv":
            filename = f"maatchaa-list-{slugify(creator_list.name) or creator_list.pk}-{now:%Y%m%d}.csv"
            return Response(
                [creator_selectors.entry_csv_row(entry, now=now) for entry in entries[:CSV_ROW_LIMIT]],
                headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            )
        page = self.paginate_queryset(entries) or []
        return self.get_paginated_response(
            [creator_selectors.entry_record(entry, now=now, moment=json_datetime) for entry in page]
        )

    @extend_schema(
        operation_id="lists_entries_create",
        request=ListEntryInputSerializer,
        description="Idempotent: a creator already on the list answers 200 with its entry, unchanged.",
        responses={201: ListEntrySerializer, 200: ListEntrySerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def post(self, request: Request, list_id: int, **kwargs: Any) -> Response:
        creator_list = creator_selectors.get_list_for_user(user=request.user, list_id=list_id)
        body = json_object(request, '{"channel_id": "UC…", "product_id": 1}')
        now = timezone.now()
        entry, created = add_to_list(
            creator_list=creator_list,
            channel_id=body.get("channel_id"),
            product_id=body.get("product_id"),
            status=body.get("status"),
            notes=body.get("notes"),
            user=request.user,
            now=now,
        )
        entry = creator_selectors.get_entry(creator_list=creator_list, entry_id=entry.pk)
        return Response(
            creator_selectors.entry_record(entry, now=now, moment=json_datetime),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def handle_exception(self, exc: Exception) -> Response:
        # Errors are JSON even when CSV was asked for, as for the creators' export.
        response = super().handle_exception(exc)
        renderer = getattr(self.request, "accepted_renderer", None)
        if renderer is not None and renderer.format == "csv":
            self.request.accepted_renderer = JSONRenderer()
            self.request.accepted_media_type = JSONRenderer.media_type
        return response


@extend_schema_view(get=extend_schema(operation_id="lists_entries_csv"))
class ListEntriesCsvApi(ListEntriesApi):
    """GET /lists/{id}/entries.csv: the same list as CSV (the URL passes format=csv)."""

    http_method_names = ["get", "head", "options"]


class ListEntryApi(APIView):
    """PATCH moves an entry in the pipeline or replaces its notes; DELETE takes the creator off the list."""

    renderer_classes = [FastJSONRenderer]

    @extend_schema(
        operation_id="lists_entries_partial_update",
        request=ListEntryPatchSerializer,
        description="Records who changed it and when.",
        responses={200: ListEntrySerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def patch(self, request: Request, list_id: int, entry_id: int) -> Response:
        creator_list = creator_selectors.get_list_for_user(user=request.user, list_id=list_id)
        entry = creator_selectors.get_entry(creator_list=creator_list, entry_id=entry_id)
        body = json_object(request, '{"status": "contacted"}')
        now = timezone.now()
        update_entry(
            entry=entry,
            status=body.get("status"),
            notes=body.get("notes"),
            product_id=body["product_id"] if "product_id" in body else ...,
            user=request.user,
            now=now,
        )
        entry = creator_selectors.get_entry(creator_list=creator_list, entry_id=entry.pk)
        return Response(creator_selectors.entry_record(entry, now=now, moment=json_datetime))

    @extend_schema(operation_id="lists_entries_destroy", responses={204: None, 404: ERROR_RESPONSE})
    def delete(self, request: Request, list_id: int, entry_id: int) -> Response:
        creator_list = creator_selectors.get_list_for_user(user=request.user, list_id=list_id)
        remove_entry(entry=creator_selectors.get_entry(creator_list=creator_list, entry_id=entry_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- outreach ------------------------------------------------------------------------------------


class PlaceholderSerializer(serializers.Serializer):
    name = serializers.CharField()
    meaning = serializers.CharField()


class OutreachTemplateSerializer(serializers.Serializer):
    subject = serializers.CharField()
    body = serializers.CharField()
    is_default = serializers.BooleanField(help_text="True until the company saves its own")
    updated_at = serializers.DateTimeField(allow_null=True)
    updated_by = serializers.CharField()
    placeholders = PlaceholderSerializer(many=True, help_text="What {name} may appear in the subject and body")


class OutreachTemplateInputSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=300)
    body = serializers.CharField(max_length=10_000)


class DraftProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField()


class DraftChannelSerializer(serializers.Serializer):
    channel_id = serializers.CharField()
    title = serializers.CharField()


class OutreachDraftSerializer(serializers.Serializer):
    channel = DraftChannelSerializer()
    product = DraftProductSerializer()
    to = serializers.ListField(child=serializers.EmailField(), help_text="The contact emails found; may be empty")
    subject = serializers.CharField()
    body = serializers.CharField()
    mailto_url = serializers.CharField(
        allow_null=True, help_text="Opens the draft in a mail client; null without an address"
    )
    copy_text = serializers.CharField(help_text="Subject and body, for the clipboard")


class ContactedInputSerializer(serializers.Serializer):
    list_id = serializers.IntegerField(help_text="The list whose entry moves to contacted (added if missing)")
    product_id = serializers.IntegerField(required=False, allow_null=True)


class OutreachTemplateApi(APIView):
    """GET the company's outreach email template (the default until one is saved); PUT replaces it."""

    renderer_classes = [FastJSONRenderer]

    @extend_schema(
        operation_id="outreach_template_retrieve",
        parameters=[COMPANY_PARAMETER],
        responses={200: OutreachTemplateSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def get(self, request: Request) -> Response:
        company = request_company(request)
        return Response(creator_selectors.outreach_template(company=company, moment=json_datetime))

    @extend_schema(
        operation_id="outreach_template_update",
        parameters=[COMPANY_PARAMETER],
        request=OutreachTemplateInputSerializer,
        description="An unknown placeholder, a format spec or a stray brace answers 400 naming it.",
        responses={200: OutreachTemplateSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def put(self, request: Request) -> Response:
        company = request_company(request)
        body = json_object(request, '{"subject": "...", "body": "Hi {creator_name}, ..."}')
        save_outreach_template(company=company, subject=body.get("subject"), body=body.get("body"), user=request.user)
        return Response(creator_selectors.outreach_template(company=company, moment=json_datetime))


class DraftParamsSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(
        required=False, min_value=1, help_text="One of the company's products; default: the creator's best fit"
    )


class CreatorDraftApi(APIView):
    """GET /creators/{channel_id}/draft: the company's template filled for this creator and a product."""

    renderer_classes = [FastJSONRenderer]

    @extend_schema(
        operation_id="creators_draft_retrieve",
        parameters=[DraftParamsSerializer, COMPANY_PARAMETER],
        description=(
            "Nothing is sent: open `mailto_url` in a mail client, or copy `copy_text` where no address was "
            "found. Once sent, POST .../contacted moves the creator's list entry to contacted."
        ),
        responses={200: OutreachDraftSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def get(self, request: Request, channel_id: str) -> Response:
        company = request_company(request)
        params = DraftParamsSerializer(data={k: v for k, v in request.query_params.items() if k == "product_id"})
        params.is_valid(raise_exception=True)
        draft = creator_selectors.outreach_draft(
            company=company,
            channel_id=channel_id,
            product_id=params.validated_data.get("product_id"),
            user=request.user,
        )
        return Response(draft)


class CreatorContactedApi(APIView):
    """POST /creators/{channel_id}/contacted: the email was sent; the list entry moves to contacted."""

    renderer_classes = [FastJSONRenderer]

    @extend_schema(
        operation_id="creators_contacted_create",
        parameters=[COMPANY_PARAMETER],
        request=ContactedInputSerializer,
        responses={200: ListEntrySerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def post(self, request: Request, channel_id: str) -> Response:
        company = request_company(request)
        body = json_object(request, '{"list_id": 1}')
        now = timezone.now()
        entry = mark_contacted(
            company=company,
            channel_id=channel_id,
            list_id=body.get("list_id"),
            product_id=body.get("product_id"),
            user=request.user,
            now=now,
        )
        entry = creator_selectors.get_entry(creator_list=entry.creator_list, entry_id=entry.pk)
        return Response(creator_selectors.entry_record(entry, now=now, moment=json_datetime))


# --- lookalikes ----------------------------------------------------------------------------------


class LookalikeProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    rank = serializers.IntegerField()


class ClosestVideoSerializer(serializers.Serializer):
    video_id = serializers.CharField()
    title = serializers.CharField()
    url = serializers.URLField()
    similarity = serializers.FloatField(help_text="Cosine similarity of this video to the creator's content")


class LookalikeEvidenceSerializer(serializers.Serializer):
    closest_video = ClosestVideoSerializer(allow_null=True, help_text="Their video nearest to the creator's content")
    shared_terms = serializers.ListField(child=serializers.CharField(), help_text="Words both channels' videos use")
    videos_compared = serializers.IntegerField(help_text="How many of their stored videos make their vector")


class LookalikeSerializer(serializers.Serializer):
    channel = ChannelSerializer()
    subscribers = StatisticRefSerializer()
    similarity = serializers.FloatField(help_text="Cosine similarity of the two channels' content, -1..1")
    evidence = LookalikeEvidenceSerializer()
    products = LookalikeProductSerializer(many=True, help_text="The company's products it is already ranked for")


class LookalikesSerializer(serializers.Serializer):
    channel = ChannelSerializer(help_text="The creator they look like")
    videos_compared = serializers.IntegerField()
    search_calls = serializers.IntegerField(help_text="Always 0: no YouTube search is spent on lookalikes")
    units = serializers.IntegerField(help_text="Always 0: nothing is fetched from YouTube")
    note = serializers.CharField()
    excluded = serializers.IntegerField(help_text="The company's own and dismissed channels left out")
    results = LookalikeSerializer(many=True, help_text="Nearest first")


class LookalikeParamsSerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=10)


class CreatorLookalikesApi(APIView):
    """GET /creators/{channel_id}/lookalikes: stored channels whose content is nearest to this creator's."""

    renderer_classes = [FastJSONRenderer]

    @extend_schema(
        operation_id="creators_lookalikes_list",
        parameters=[LookalikeParamsSerializer, COMPANY_PARAMETER],
        description=(
            "Ranks the channels Maatchaa already stores (found by any company's searches, within the 30-day "
            "rule) by the cosine similarity of their videos' mean embedding to this creator's, leaving out "
            "the company's own channels and the creators it dismissed. No YouTube search call is spent."
        ),
        responses={200: LookalikesSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE, 409: ERROR_RESPONSE},
    )
    def get(self, request: Request, channel_id: str) -> Response:
        company = request_company(request)
        params = LookalikeParamsSerializer(data={k: v for k, v in request.query_params.items() if k == "limit"})
        params.is_valid(raise_exception=True)
        found = lookalikes(
            company=company,
            channel_id=channel_id,
            now=timezone.now(),
            limit=params.validated_data["limit"],
            moment=json_datetime,
        )
        return Response(found)


# --- what's new ----------------------------------------------------------------------------------


class NewFitChannelSerializer(serializers.Serializer):
    channel_id = serializers.CharField()
    title = serializers.CharField()
    thumbnail_url = serializers.CharField()


class NewFitSerializer(serializers.Serializer):
    product = ProductNameSerializer()
    channel = NewFitChannelSerializer()
    score = serializers.FloatField()
    entered_at = serializers.DateTimeField(help_text="When the ranking put the creator in the strong band")


class WhatsNewSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    strong_score = serializers.FloatField(
        help_text="The score from which a creator is a strong fit (the strong fit band, calibrated on labelled products)"
    )
    results = NewFitSerializer(many=True)


class WhatsNewParamsSerializer(serializers.Serializer):
    since = serializers.DateTimeField(required=False, help_text="ISO 8601; default: 7 days ago")


class WhatsNewApi(APIView):
    """GET /whats-new: creators that entered one of the company's products' strong band since a moment."""

    renderer_classes = [FastJSONRenderer]

    @extend_schema(
        operation_id="whats_new_list",
        parameters=[WhatsNewParamsSerializer, COMPANY_PARAMETER],
        responses={200: WhatsNewSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def get(self, request: Request) -> Response:
        company = request_company(request)
        params = WhatsNewParamsSerializer(data={k: v for k, v in request.query_params.items() if k == "since"})
        params.is_valid(raise_exception=True)
        now = timezone.now()
        since = params.validated_data.get("since") or now - FIRST_LOOK_BACK
        news = whats_new(company=company, since=since, now=now)
        for item in news:
            item["entered_at"] = json_datetime(item["entered_at"])
        return Response({"since": json_datetime(since), "strong_score": fit_bands.thresholds().strong, "results": news})
