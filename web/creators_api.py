"""The API of creators as relationships: a creator's page, notes and recent uploads (creators/).

Everything a company keeps about a creator is reached through the caller's companies: another
company's notes (and lists, entries and templates further down) answer exactly like missing ones
(404). A channel is YouTube's public record, stored once; what the company sees beside it is its own.
Errors have the one shape of maatchaa/api.py, {"message", "details"}.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Company
from accounts.tenancy import company_for_request
from creators import selectors as creator_selectors
from creators.services import add_creator_note, delete_creator_note, fetch_recent_uploads
from maatchaa.api import ERROR_RESPONSE, ApplicationError
from matches.display import json_datetime
from web.api import ChannelSerializer, CreatorStatisticsSerializer, FastJSONRenderer, MatchedVideoSerializer

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
