"""Paging parameters and links (wire-format.md §4.2-§4.3), before any list uses them."""

from __future__ import annotations

import pytest
from starlette.datastructures import QueryParams

from mixcast.api.paging import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    links,
    parse_cursor,
    parse_page,
    parse_time,
)
from mixcast.errors import InvalidParameter
from mixcast.lists.window import Cursor, Item, Slice, Window

T = 1_500_000_000_000_000  # 2017-07-14T02:40:00Z


def page(query: str) -> Window:
    return parse_page(QueryParams(query))


def test_defaults_are_date_mode_with_twenty_items() -> None:
    assert page("") == Window(DEFAULT_LIMIT, None, None, None)
    assert not page("").offset_mode


@pytest.mark.parametrize(("raw", "limit"), [("1", 1), ("100", 100), ("500", MAX_LIMIT), ("0", 1)])
def test_limit_is_clamped(raw: str, limit: int) -> None:
    assert page(f"limit={raw}").limit == limit


def test_offset_chooses_offset_mode() -> None:
    assert page("offset=0").offset_mode
    assert page("offset=40").offset == 40


@pytest.mark.parametrize(
    "query",
    ["limit=ten", "limit=-1", "offset=-5", "offset=1.5", "since=yesterday",
     "until=2017-13-01+00:00:00", "since=2017-07-14+02:40:00&until=2017-07-14+02:40:00"],
)  # fmt: skip
def test_junk_is_an_invalid_parameter(query: str) -> None:
    with pytest.raises(InvalidParameter):
        page(query)


@pytest.mark.parametrize(
    "query",
    ["since=1500000000", "since=2017-07-14+02:40:00", "since=2017-07-14%2002:40:00",
     "since=2017-07-14+02%3A40%3A00", "since=2017-07-14T02:40:00Z"],
)  # fmt: skip
def test_since_accepts_every_documented_spelling(query: str) -> None:
    assert page(query).since == Cursor(T)


def test_fractional_unix_times_keep_microseconds() -> None:
    assert parse_time("until", "1500000000.000042") == T + 42


def test_our_own_cursors_carry_a_tie_breaker() -> None:
    assert parse_cursor("until", "1500000000.000042_17") == Cursor(T + 42, 17)
    assert parse_cursor("until", "1500000000") == Cursor(T)
    with pytest.raises(InvalidParameter):
        parse_cursor("until", "1500000000.000042_x")


def items(*times: int) -> list[Item]:
    return [Item(id=n, time=t, tie=n) for n, t in enumerate(times)]


def test_date_mode_links_carry_exact_bounds_and_other_parameters() -> None:
    query = [("metadata", "1"), ("limit", "2"), ("callback", "cb")]
    out = links(
        "http://h/api/u/cloudcasts/", query, page("limit=2"), Slice(items(T + 9, T + 5), True)
    )
    assert out == {
        "previous": "http://h/api/u/cloudcasts/?metadata=1&limit=2&since=1500000000.000009_0",
        "next": "http://h/api/u/cloudcasts/?metadata=1&limit=2&until=1500000000.000005_1",
    }


def test_no_next_on_the_last_page_and_paging_stays_an_object() -> None:
    assert "next" not in links("http://h/x/", [], page(""), Slice(items(T), False))
    assert links("http://h/x/", [], page(""), Slice([], False)) == {}


def test_offset_mode_links() -> None:
    first = links(
        "http://h/x/", [("offset", "0")], page("offset=0&limit=10"), Slice(items(T), True)
    )
    assert first == {"next": "http://h/x/?limit=10&offset=10"}
    later = links("http://h/x/", [], page("offset=25&limit=10"), Slice(items(T), False))
    assert later == {"previous": "http://h/x/?limit=10&offset=15"}


def test_past_the_end_of_a_date_list_offers_the_way_back() -> None:
    out = links("http://h/x/", [], page("until=1500000000"), Slice([], False))
    assert out == {"previous": "http://h/x/?limit=20&since=1499999999.999999"}
