"""Which part of a list a request wants: a limit, and either keyset bounds or an offset."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple


@dataclass(frozen=True, slots=True, order=True)
class Cursor:
    """A position in a dated list: a list time (microseconds) and, from our own links, the
    tie-breaking number of the item there, so items sharing a microsecond are never skipped.
    Without ``tie`` the bound is the time alone."""

    time: int
    tie: int | None = None


@dataclass(frozen=True, slots=True)
class Window:
    limit: int
    offset: int | None = None  # offset mode when not None
    since: Cursor | None = None  # exclusive bounds
    until: Cursor | None = None

    @property
    def offset_mode(self) -> bool:
        return self.offset is not None


class Item(NamedTuple):
    """One entry of a page: what it points at, and where it sits in its list. A tuple: a
    page's rows become items without a Python-level constructor call each."""

    id: int  # a show, user, comment or playlist id
    time: int  # the list time: when favourited, followed, listened, published ...
    tie: int  # breaks ties between equal times; unique within the list
    extra: Any = None  # what a list needs besides (the feed's item kind)


@dataclass(frozen=True, slots=True)
class Slice:
    """A page of items, newest (or best) first, and whether the list goes on past it."""

    items: Sequence[Item]
    has_more: bool  # in the direction the page was read (older for until, newer for since)
    ranked: bool = False  # ordered by score, paged by offset only

    @property
    def ids(self) -> list[int]:
        return [item.id for item in self.items]
