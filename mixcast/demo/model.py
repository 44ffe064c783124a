"""The shapes of the demo plan, its fixed clock, and the random helpers every part uses.

Times are the schema's integer microseconds, all within the two years before ``BASE``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from mixcast.shows.shows import Section

SEED = "mixcast-demo-1"
SECOND = 1_000_000  # the schema's times are microseconds
DAY = 86_400 * SECOND
BASE = 1_767_225_600 * SECOND  # 2026-01-01T00:00:00Z: the demo's "now"
START = BASE - 731 * DAY  # 2024-01-01T00:00:00Z


@dataclass(frozen=True)
class UserPlan:
    """A user to create, and what shapes their shows and activity."""

    username: str
    display_name: str
    biog: str
    city: str
    country: str
    is_pro: bool
    created_at: int
    genres: tuple[str, ...]
    popularity: float  # how much others follow and listen to them
    picture_seed: int | None = None
    initials: str = ""  # drawn on the profile picture; "" for an abstract one
    cover_seed: int | None = None
    makes_shows: bool = True


@dataclass(frozen=True)
class ShowPlan:
    """A show to create; ``clip`` picks its audio from the pool."""

    owner: int  # index in Plan.users
    name: str
    created_at: int
    tags: tuple[str, ...]
    clip: int  # index in audio.POOL
    description: str = ""
    sections: tuple[Section, ...] = ()
    visibility: str = "public"
    artwork_seed: int | None = None
    popularity: float = 1.0


@dataclass(frozen=True)
class Event:
    """Something a user (or an anonymous listener) did, at ``at``.

    ``kind`` is follow | favorite | repost | listen_later | listen | comment | profile_comment;
    ``target`` is a show index, or a user index for follow and profile_comment.
    """

    at: int
    kind: str
    user: int | None
    target: int
    listener: str = ""  # anonymous listens: "a:<hex>"; signed-in ones get "u:<id>" when written
    body: str = ""


@dataclass
class Plan:
    """Everything to write, in the order to write it."""

    users: list[UserPlan] = field(default_factory=list)
    shows: list[ShowPlan] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


def rng_for(part: str) -> random.Random:
    """One generator per part, so changing one part leaves the others as they were."""
    return random.Random(f"{SEED}:{part}")  # str seeds are hashed with SHA-512, not hash()


def after(rng: random.Random, start: int, scale_days: float) -> int:
    """A time after ``start`` and before ``BASE``: usually soon after, at least a minute."""
    at = start + 60 * SECOND + int(rng.expovariate(1 / scale_days) * DAY)
    if at >= BASE:  # too late: anywhere in what is left
        at = start + max(1, int((BASE - start) * rng.uniform(0.05, 0.95)))
    return at


def weighted_sample(
    rng: random.Random, items: Sequence[int], weights: Sequence[float], k: int
) -> list[int]:
    """``k`` distinct items, heavier ones likelier (Efraimidis-Spirakis keys)."""
    keys = [(rng.random() ** (1 / w), item) for item, w in zip(items, weights, strict=True)]
    return [item for _, item in sorted(keys, reverse=True)[:k]]
