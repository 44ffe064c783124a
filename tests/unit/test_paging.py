"""Paging parameters and links (wire-format.md §4.2-§4.3), before any list uses them."""

from __future__ import annotations

import pytest
from starlette.datastructures import QueryParams

from mixcast.api.paging import DEFAULT_LIMIT, MAX_LIMIT, Page, links, parse_page, parse_time
from mixcast.errors import InvalidParameter

T = 1_500_000_000_000_000  # 2017-07-14T02:40:00Z


def page(query: str) -> Page:
    return parse_page(QueryParams(query))


def test_defaults_are_date_mode_with_twenty_items() -> None:
    assert page("") == Page(DEFAULT_LIMIT, None, None, None)
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
    assert page(query).since == T


def test_fractional_unix_times_keep_microseconds() -> None:
    assert parse_time("until", "1500000000.000042") == T + 42


def test_date_mode_links_carry_exact_bounds_and_other_parameters() -> None:
    query = [("metadata", "1"), ("limit", "2"), ("callback", "cb")]
    out = links("http://h/api/u/cloudcasts/", query, page("limit=2"), [T + 9, T + 5], True)
    assert out == {
        "previous": "http://h/api/u/cloudcasts/?metadata=1&limit=2&since=1500000000.000009",
        "next": "http://h/api/u/cloudcasts/?metadata=1&limit=2&until=1500000000.000005",
    }


def test_no_next_on_the_last_page_and_paging_stays_an_object() -> None:
    assert "next" not in links("http://h/x/", [], page(""), [T], False)
    assert links("http://h/x/", [], page(""), [], False) == {}


def test_offset_mode_links() -> None:
    first = links("http://h/x/", [("offset", "0")], page("offset=0&limit=10"), [T], True)
    assert first == {"next": "http://h/x/?limit=10&offset=10"}
    later = links("http://h/x/", [], page("offset=25&limit=10"), [T], False)
    assert later == {"previous": "http://h/x/?limit=10&offset=15"}
