"""GET /own-channels and POST /own-channels/{channel_id}: the brand's own YouTube channels, named or detected.

A channel whose title or handle is the brand's name is taken for its own and kept out of the rankings
(matches/own_channels.py); these endpoints show what was taken and undo it (`{"ours": false}`) or
keep it out again (`{"ours": true}`), as the settings page's one click does.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.tenancy import company_for_request
from maatchaa.api import ERROR_RESPONSE, ApplicationError
from matches.own_channels import (
    GuessRecord,
    confirm_own_channel_guess,
    list_own_channel_guesses,
    reject_own_channel_guess,
)


class OwnChannelGuessSerializer(serializers.Serializer):
    channel_id = serializers.CharField()
    title = serializers.CharField()
    url = serializers.URLField()
    matched_name = serializers.CharField(help_text="The brand name the channel's title or handle spells")
    matched_by = serializers.ChoiceField(
        choices=["company", "vendor", "shop"], help_text="Whose name it is: the company's, a vendor's or the shop's"
    )
    kept_out = serializers.BooleanField(
        help_text="True: taken for yours and kept out of the rankings; false: you said it is not yours"
    )


class OwnChannelsSerializer(serializers.Serializer):
    named = serializers.ListField(child=serializers.CharField(), help_text="Channel ids you named as yours")
    detected = OwnChannelGuessSerializer(many=True, help_text="Channels taken for yours by their name")


class OwnChannelDecisionSerializer(serializers.Serializer):
    ours = serializers.BooleanField(help_text="false: not your channel, rank it; true: keep it out again")


def _record(guess: GuessRecord) -> dict[str, Any]:
    record = dataclasses.asdict(guess)
    del record["source_label"]
    record["matched_by"] = record.pop("source")
    return record


class OwnChannelsApi(APIView):
    """GET /own-channels: the channels kept out of the company's rankings as its own."""

    @extend_schema(operation_id="own_channels_list", responses={200: OwnChannelsSerializer, 403: ERROR_RESPONSE})
    def get(self, request: Request) -> Response:
        company = company_for_request(request)
        return Response(
            {
                "named": list(company.own_channel_ids or ()),
                "detected": [_record(g) for g in list_own_channel_guesses(company=company)],
            }
        )


class OwnChannelDecisionApi(APIView):
    """POST /own-channels/{channel_id}: undo a detection ({"ours": false}) or keep it ({"ours": true})."""

    @extend_schema(
        operation_id="own_channels_decide",
        request=OwnChannelDecisionSerializer,
        responses={200: OwnChannelGuessSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def post(self, request: Request, channel_id: str) -> Response:
        if not isinstance(request.data, dict):
            raise ApplicationError('Send a JSON object such as {"ours": false}.')
        body = OwnChannelDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        company = company_for_request(request)
        if body.validated_data["ours"]:
            confirm_own_channel_guess(company=company, channel_id=channel_id)
        else:
            reject_own_channel_guess(company=company, channel_id=channel_id, user=request.user)
        record = next(g for g in list_own_channel_guesses(company=company) if g.channel_id == channel_id)
        return Response(_record(record))
