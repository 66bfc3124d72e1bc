"""Harn's four timestamp formats (spec §2.2) parsed to Unix ms; unknown values sort last."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from harn_tui.core.format.timestamps import (
    UNPARSED_SORT_KEY,
    format_clock,
    format_duration,
    format_iso,
    format_offset,
    format_relative,
    parse_ms,
    sort_key,
)

# 2026-04-22T00:00:00Z
BASE_MS = int(datetime(2026, 4, 22, tzinfo=UTC).timestamp() * 1000)


def uuid7_for(ms: int, rest: str = "7c3d-8e9f-0123456789ab") -> str:
    """A UUIDv7 string whose first 48 bits are `ms` (Harn's "UUIDv7 as a timestamp")."""
    hex12 = f"{ms:012x}"
    return f"{hex12[:8]}-{hex12[8:]}-{rest}"


# -- RFC3339 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-04-22T00:00:00Z", BASE_MS),
        ("2026-04-22T00:00:00z", BASE_MS),
        ("2026-04-22t00:00:00Z", BASE_MS),
        ("2026-04-22 00:00:00Z", BASE_MS),
        ("2026-04-22T00:00:00", BASE_MS),  # no zone: UTC
        ("2026-04-22T00:00:00+00:00", BASE_MS),
        ("2026-04-22T02:00:00+02:00", BASE_MS),
        ("2026-04-21T19:00:00-05:00", BASE_MS),
        ("2026-04-22T05:30:00+0530", BASE_MS),
        ("2026-04-22T00:00:01Z", BASE_MS + 1000),
        ("2026-04-22T00:00:00.5Z", BASE_MS + 500),
        ("2026-04-22T00:00:00.123Z", BASE_MS + 123),
        ("2026-04-22T00:00:00.123456789Z", BASE_MS + 123),
        ("2026-04-22T00:00:00.999+01:00", BASE_MS - 3_600_000 + 999),
        ("  2026-04-22T00:00:00Z  ", BASE_MS),
        ("2026-04-22T23:59:60Z", BASE_MS + 86_399_000),  # leap second clamps to :59
    ],
)
def test_rfc3339(text: str, expected: int) -> None:
    assert parse_ms(text) == expected


@pytest.mark.parametrize(
    "text",
    ["2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-04-22T25:00:00Z", "2026-04-22"],
)
def test_rfc3339_impossible_dates_are_unparsed(text: str) -> None:
    assert parse_ms(text) is None


def test_offsets_order_correctly_across_zones() -> None:
    earlier = "2026-04-22T10:00:00+02:00"  # 08:00Z
    later = "2026-04-22T09:00:00Z"
    assert parse_ms(earlier) < parse_ms(later)
    assert sorted([later, earlier], key=sort_key) == [earlier, later]


# -- UUIDv7 ----------------------------------------------------------------------------


def test_uuid7_decodes_its_millisecond_prefix() -> None:
    ms = BASE_MS + 123_456
    assert parse_ms(uuid7_for(ms)) == ms


def test_uuid7_from_spec_example() -> None:
    assert parse_ms("01964c1e-7a2b-7c3d-8e9f-0123456789ab") == 0x01964C1E7A2B


def test_uuid7_upper_case() -> None:
    ms = BASE_MS + 7
    assert parse_ms(uuid7_for(ms).upper()) == ms


def test_uuid_v4_is_not_a_time() -> None:
    # version nibble 4: not a UUIDv7, so not a timestamp
    assert parse_ms("01964c1e-7a2b-4c3d-8e9f-0123456789ab") is None


def test_prefixed_id_is_not_a_time() -> None:
    assert parse_ms("run_01964c1e-7a2b-7c3d-8e9f-0123456789ab") is None


# -- unix seconds and secs.millis --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1714460000", 1_714_460_000_000),
        ("1710000000.100", 1_710_000_000_100),
        ("1710000000.1", 1_710_000_000_100),
        ("1710000000.999", 1_710_000_000_999),
        ("0", 0),
        (" 1714460000\n", 1_714_460_000_000),
    ],
)
def test_seconds_text(text: str, expected: int) -> None:
    assert parse_ms(text) == expected


def test_millisecond_text_is_kept_as_milliseconds() -> None:
    # A 13-digit number is too large to be seconds: it already is milliseconds.
    assert parse_ms("1714460000123") == 1_714_460_000_123


@pytest.mark.parametrize("text", ["-1714460000", "1e9", "1714460000.", ".5", "0x10", "12:00"])
def test_other_numeric_looking_text_is_unparsed(text: str) -> None:
    assert parse_ms(text) is None


# -- numbers (type drift) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1714460000, 1_714_460_000_000),
        (1710000000.1, 1_710_000_000_100),
        (1714460000123, 1_714_460_000_123),
        (0, 0),
    ],
)
def test_numbers(value: float, expected: int) -> None:
    assert parse_ms(value) == expected


@pytest.mark.parametrize("value", [-5, float("nan"), float("inf"), float("-inf"), 10**30])
def test_unusable_numbers(value: float) -> None:
    assert parse_ms(value) is None


# -- unknown values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [None, True, False, "", "   ", "yesterday", "2026/04/22", [], {}, ["2026-04-22T00:00:00Z"]],
)
def test_garbage_is_unparsed(value: object) -> None:
    assert parse_ms(value) is None
    assert sort_key(value) == UNPARSED_SORT_KEY


def test_sort_key_orders_all_formats_chronologically_and_unknown_last() -> None:
    values = [
        "not a time",
        uuid7_for(BASE_MS + 3000),
        "2026-04-22T00:00:01Z",  # +1000
        str((BASE_MS + 2000) // 1000),  # +2000 as unix seconds text
        f"{(BASE_MS + 4500) / 1000:.3f}",  # +4500 as secs.millis
        None,
        "2026-04-22T00:00:00Z",  # +0
    ]
    ordered = sorted(values, key=sort_key)
    assert ordered[:5] == [
        "2026-04-22T00:00:00Z",
        "2026-04-22T00:00:01Z",
        str((BASE_MS + 2000) // 1000),
        uuid7_for(BASE_MS + 3000),
        f"{(BASE_MS + 4500) / 1000:.3f}",
    ]
    assert set(map(str, ordered[5:])) == {"not a time", "None"}


def test_plain_string_order_would_be_wrong() -> None:
    # The portal compares raw strings; a UUIDv7 from 2026 sorts before an RFC3339 string
    # from 2020 that way. Parsed order puts 2020 first.
    old = "2020-01-01T00:00:00Z"
    new = uuid7_for(BASE_MS)
    assert sorted([old, new]) == [new, old]
    assert sorted([new, old], key=sort_key) == [old, new]


def test_raw_value_is_not_modified() -> None:
    raw = "tuesday-ish"
    assert sort_key(raw) == UNPARSED_SORT_KEY
    assert raw == "tuesday-ish"


# -- formatting helpers ----------------------------------------------------------------------


def test_format_iso() -> None:
    assert format_iso(BASE_MS) == "2026-04-22 00:00:00"
    assert format_iso(None) == ""


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (None, ""),
        (850, "850ms"),
        (4200, "4.2s"),
        (185_000, "3m05s"),
        (2 * 3_600_000 + 14 * 60_000, "2h14m"),
        (3 * 86_400_000 + 4 * 3_600_000, "3d04h"),
    ],
)
def test_format_duration(ms: int | None, text: str) -> None:
    assert format_duration(ms) == text


def test_format_relative() -> None:
    now = BASE_MS
    assert format_relative(now - 5000, now) == "5s ago"
    assert format_relative(now - 3 * 60_000, now) == "3m ago"
    assert format_relative(now + 3 * 60_000, now) == "in 3m"
    assert format_relative(None, now) == ""


def test_uuid_v1_and_v6_carry_their_time() -> None:
    # RFC 9562's examples (A.1, A.5): both are 2022-02-22T19:22:22Z, like records/time.rs reads them.
    expected = parse_ms("2022-02-22T19:22:22Z")
    assert parse_ms("C232AB00-9414-11EC-B3C8-9F6BDECED846") == expected
    assert parse_ms("1ec9414c-232a-6b00-b3c8-9f6bdeced846") == expected
    assert parse_ms("c232ab00-9414-41ec-b3c8-9f6bdeced846") is None  # v4: random, no time


def test_integer_seconds() -> None:
    assert parse_ms("1710000000") == 1_710_000_000_000
    assert parse_ms(1710000000) == 1_710_000_000_000


def test_clock_and_offset_read_one_way_everywhere() -> None:
    assert format_clock(BASE_MS + 3_723_045) == "01:02:03.045"
    assert format_clock(None) == "--:--:--.---"
    assert format_clock(10**20) == "??:??:??.???"
    assert format_offset(1234) == "+1.234s"
    assert format_offset(125_000) == "+2m05s"  # past a minute, the duration rule
    assert format_offset(None) == "+?"


def test_tokens_keep_their_sign() -> None:
    from harn_tui.core.format.numbers import fmt_tokens

    assert fmt_tokens(-12_345) == "-12k"
    assert fmt_tokens(-1_500) == "-1.5k"
    assert fmt_tokens(2_500_000) == "2.5M"
