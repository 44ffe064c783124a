"""A page of shows as the site's pages list them (cards), and the paging of those pages.

The rows come from the API's list sources and loaders (``lists.sources``, ``lists.keyset``,
``lists.loaders``): a page of ids in the list's order, then one query for the shows and one for
their tags, whatever the page's size. Dated lists page by ``?until=`` (the API's keyset bound,
so a page deep in a list is as cheap as the first); ranked lists by ``?page=``.
"""

from __future__ import annotations

from dataclasses import dataclass

from mixcast.api.paging import MAX_OFFSET, cursor_stamp, parse_cursor
from mixcast.api.render import show_key, tag_key, user_key
from mixcast.db.database import Connection, Row
from mixcast.errors import InvalidParameter
from mixcast.lists.loaders import load_shows
from mixcast.lists.window import Slice, Window
from mixcast.pictures.urls import picture_map

PAGE_SIZE = 20
MAX_PAGE = MAX_OFFSET // PAGE_SIZE


class BadPage(Exception):
    """A ``?page=`` or ``?until=`` no link of ours makes."""


@dataclass(frozen=True)
class Counts:
    """What a show's counters say; absent (None) when its stats are hidden from the viewer."""

    plays: int
    favorites: int
    reposts: int
    listeners: int


@dataclass(frozen=True)
class ShowCard:
    key: str  # /user/slug/, percent-encoded: the show page's path (and the API's key)
    name: str
    owner_key: str
    owner_name: str
    picture: str  # 100x100
    tags: list[tuple[str, str]]  # (path, name)
    created: int  # microseconds
    counts: Counts | None


def stats_hidden(show: Row, viewer_id: int | None) -> bool:
    """Hidden stats (``hide_stats``) are hidden from everyone but the show's owner."""
    return bool(show["hide_stats"]) and viewer_id != show["owner_id"]


def counts_of(show: Row, viewer_id: int | None) -> Counts | None:
    if stats_hidden(show, viewer_id):
        return None
    return Counts(
        show["play_count"], show["favorite_count"], show["repost_count"], show["listener_count"]
    )


def card(site: str, show: Row, tags: list[tuple[str, str]], viewer_id: int | None) -> ShowCard:
    return ShowCard(
        key=show_key(show["username"], show["slug"]),
        name=show["name"],
        owner_key=user_key(show["username"]),
        owner_name=show["display_name"],
        picture=picture_map(site, "extaudio", show["picture_id"])["medium"],
        tags=[(tag_key(slug, None), name) for slug, name in tags],
        created=show["published_at"] or show["created_at"],
        counts=counts_of(show, viewer_id),
    )


async def load_cards(
    conn: Connection, site: str, page: Slice, viewer_id: int | None
) -> list[ShowCard]:
    """The page's shows, in its order; shows gone since the page was read are left out."""
    shows, tags = await load_shows(conn, page.ids)
    return [
        card(site, shows[item.id], tags.get(item.id, []), viewer_id)
        for item in page.items
        if item.id in shows
    ]


# ---- paging


def dated_window(until: str | None) -> Window:
    """The window of a dated list's page: the first, or the one after ``until``."""
    if not until:
        return Window(PAGE_SIZE)
    try:
        return Window(PAGE_SIZE, until=parse_cursor("until", until))
    except InvalidParameter:
        raise BadPage from None


def until_after(page: Slice) -> str | None:
    """The ``until`` of the page after ``page`` (the API's bound: time, then tie), if any."""
    if not page.has_more or not page.items:
        return None
    last = page.items[-1]
    return cursor_stamp(last.time, last.tie)


def ranked_window(page: str | None) -> tuple[int, Window]:
    """The page number (from 1) and its window, for a ranked list's ``?page=``."""
    if not page:
        return 1, Window(PAGE_SIZE, 0)
    if len(page) > 9 or not page.isascii() or not page.isdigit():
        raise BadPage
    if not 1 <= int(page) <= MAX_PAGE:
        raise BadPage
    number = int(page)
    return number, Window(PAGE_SIZE, (number - 1) * PAGE_SIZE)
