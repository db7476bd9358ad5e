"""The creators' rows follow YouTube's rules: a deletion request takes them, the 30-day rule ages them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command

from accounts.models import Company
from creators.models import CreatorList, CreatorNote, ListEntry, RecentUpload
from creators.services import add_creator_note, add_to_list, create_list, fetch_recent_uploads
from discovery.models import Channel, QuotaDay
from discovery.retention import plan_retention, run_retention

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 24, 20, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


@pytest.fixture
def company() -> Company:
    return Company.objects.create(name="Juniper & Pine Co.")


def stored_corpus_channel(emulator, *, fetched_at: dt.datetime) -> Channel:
    channel_id = next(iter(emulator.corpus.channels))
    return Channel.objects.create(
        channel_id=channel_id, title="Corpus channel", uploads_playlist_id="UU" + channel_id[2:], fetched_at=fetched_at
    )


def test_a_deletion_request_deletes_notes_and_recent_uploads_and_says_so(youtube_emulator, company) -> None:
    channel = stored_corpus_channel(youtube_emulator, fetched_at=NOW)
    with time_machine.travel(NOW, tick=False):
        add_creator_note(company=company, channel_id=channel.pk, text="Loves bamboo", user=None)
        uploads, fetched = fetch_recent_uploads(company=company, channel_id=channel.pk, now=NOW)
    assert fetched and uploads
    out = io.StringIO()
    call_command("forget_channel", channel.pk, stdout=out)
    assert not CreatorNote.objects.exists() and not RecentUpload.objects.exists()
    assert f"1 creator notes and {len(uploads)} recent uploads" in out.getvalue()


def test_a_channel_with_a_note_is_refreshed_rather_than_expired(company) -> None:
    old = Channel.objects.create(channel_id="UCnotedChannel0000000000", title="Noted", fetched_at=NOW - 27 * DAY)
    Channel.objects.create(channel_id="UCunusedChannel000000000", title="Unused", fetched_at=NOW - 27 * DAY)
    add_creator_note(company=company, channel_id=old.pk, text="Keep an eye on", user=None)
    assert plan_retention(now=NOW).channel_ids == [old.pk]


def test_recent_uploads_are_deleted_by_the_retention_pass_at_the_limit(youtube_emulator, company) -> None:
    channel = stored_corpus_channel(youtube_emulator, fetched_at=NOW)
    with time_machine.travel(NOW - 29 * DAY, tick=False):
        fetch_recent_uploads(company=company, channel_id=channel.pk, now=NOW - 29 * DAY)
    assert RecentUpload.objects.exists()
    units_before = QuotaDay.objects.get().units
    with time_machine.travel(NOW, tick=False):
        run_retention(now=NOW)
    # Fetched 29 days ago: past the limit less the two days the job deletes ahead, so gone; the channel
    # itself (fetched now) stays, and the pass spent nothing on it.
    assert not RecentUpload.objects.exists()
    assert Channel.objects.filter(pk=channel.pk).exists()
    assert sum(day.units for day in QuotaDay.objects.all()) == units_before


def test_the_fetch_is_charged_to_the_company_in_the_ledger(youtube_emulator, company) -> None:
    channel = stored_corpus_channel(youtube_emulator, fetched_at=NOW)
    with time_machine.travel(NOW, tick=False):
        fetch_recent_uploads(company=company, channel_id=channel.pk, now=NOW)
    assert company.quota_days.get().units == 1


def test_a_listed_channel_is_refreshed_and_a_deletion_request_takes_its_entries(company) -> None:
    listed = Channel.objects.create(channel_id="UClistedChannel000000000", title="Listed", fetched_at=NOW - 27 * DAY)
    spring = create_list(company=company, name="Spring", user=None)
    entry, created = add_to_list(creator_list=spring, channel_id=listed.pk, user=None, now=NOW)
    assert created and entry.status == ListEntry.Status.TO_CONTACT
    assert plan_retention(now=NOW).channel_ids == [listed.pk]
    out = io.StringIO()
    call_command("forget_channel", listed.pk, stdout=out)
    assert not ListEntry.objects.exists() and CreatorList.objects.filter(pk=spring.pk).exists()
    assert "1 list entries" in out.getvalue()
