"""RFC 3339 timestamps: what the YouTube client sends and both emulators read and write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from maatchaa.lib.rfc3339 import format_rfc3339, parse_rfc3339


def test_a_moment_is_written_in_utc_to_the_second_with_a_z() -> None:
    paris = timezone(timedelta(hours=1))
    assert format_rfc3339(datetime(2026, 11, 28, 10, 30, 15, 999, tzinfo=paris)) == "2026-11-28T09:30:15Z"


def test_a_naive_moment_is_taken_as_utc() -> None:
    assert format_rfc3339(datetime(2026, 11, 28, 9, 30)) == "2026-11-28T09:30:00Z"


@pytest.mark.parametrize(
    "text", ["2026-11-28T09:30:00Z", "2026-11-28T09:30:00z", "2026-11-28T10:30:00+01:00", "2026-11-28T09:30:00"]
)
def test_it_reads_zulu_offsets_and_naive_timestamps_as_one_utc_moment(text: str) -> None:
    parsed = parse_rfc3339(text)
    assert parsed == datetime(2026, 11, 28, 9, 30, tzinfo=UTC) and parsed.utcoffset() == timedelta(0)


def test_what_it_writes_it_reads_back() -> None:
    moment = datetime(2026, 3, 8, 2, 15, 7, tzinfo=UTC)
    assert parse_rfc3339(format_rfc3339(moment)) == moment


def test_a_malformed_timestamp_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_rfc3339("yesterday")
