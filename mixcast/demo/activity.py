"""What the demo's users did: follows, listens, favorites, reposts, listen-later, comments.

Each event comes after both its user and its show (or followee) were created, and before
``BASE``; favorites, reposts and comments come after the user first heard the show.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from mixcast.demo import names
from mixcast.demo.model import (
    BASE,
    DAY,
    Event,
    ShowPlan,
    UserPlan,
    after,
    rng_for,
    weighted_sample,
)

LISTENS = 5_000  # about; every listed show gets at least one
ANONYMOUS_LISTENERS = 600


def plan_follows(users: Sequence[UserPlan]) -> list[Event]:
    """Each user follows a few others, popular ones likelier."""
    rng = rng_for("follows")
    events = []
    everyone = range(len(users))
    for u, user in enumerate(users):
        others = [v for v in everyone if v != u]
        k = min(len(others), int(rng.uniform(2, 16)))
        for v in weighted_sample(rng, others, [users[v].popularity for v in others], k):
            start = max(user.created_at, users[v].created_at)
            events.append(Event(after(rng, start, 30), "follow", u, v))
    return events


def _listen_counts(rng: random.Random, shows: Sequence[ShowPlan]) -> list[int]:
    """Listens per show: popular and older shows get more; drafts none, unlisted a few."""
    weights = [
        s.popularity * (0.3 + min(1.0, (BASE - s.created_at) / (120 * DAY)))
        if s.visibility == "public"
        else 0.0
        for s in shows
    ]
    total = sum(weights)
    unlisted = [rng.randrange(1, 5) if s.visibility == "unlisted" else 0 for s in shows]
    return [
        max(1, round(LISTENS * w / total)) if w else few
        for w, few in zip(weights, unlisted, strict=True)
    ]


def plan_listens(users: Sequence[UserPlan], shows: Sequence[ShowPlan]) -> list[Event]:
    """Listens by users (about a third) and by returning or one-off anonymous listeners."""
    rng = rng_for("listens")
    anonymous = [f"a:{rng.getrandbits(64):016x}" for _ in range(ANONYMOUS_LISTENERS)]
    activity = [rng.lognormvariate(0, 0.6) for _ in users]
    events = []
    for s, count in enumerate(_listen_counts(rng, shows)):
        show = shows[s]
        listeners = [u for u in range(len(users)) if u != show.owner]
        for _ in range(count):
            if rng.random() < 0.3:
                u = rng.choices(listeners, [activity[v] for v in listeners])[0]
                start = max(show.created_at, users[u].created_at)
                events.append(Event(after(rng, start, 45), "listen", u, s))
            else:  # a few anonymous listeners come back again and again
                listener = anonymous[int(len(anonymous) * rng.random() ** 2)]
                events.append(Event(after(rng, show.created_at, 45), "listen", None, s, listener))
    return events


def plan_reactions(
    users: Sequence[UserPlan], shows: Sequence[ShowPlan], listens: Sequence[Event]
) -> list[Event]:
    """Favorites, reposts and comments follow a user's first listen; listen-later does not."""
    rng = rng_for("reactions")
    first: dict[tuple[int, int], int] = {}
    for e in sorted(listens, key=lambda e: e.at):
        if e.user is not None:
            first.setdefault((e.user, e.target), e.at)
    events = []
    for (u, s), heard in sorted(first.items()):
        if shows[s].visibility != "public":
            continue
        if rng.random() < 0.4:
            liked = after(rng, heard, 3)
            events.append(Event(liked, "favorite", u, s))
            if rng.random() < 0.12:
                events.append(Event(after(rng, liked, 5), "repost", u, s))
        if rng.random() < 0.04:
            body = rng.choice(names.COMMENTS)
            events.append(Event(after(rng, heard, 1), "comment", u, s, body=body))
    public = [s for s, show in enumerate(shows) if show.visibility == "public"]
    for u, user in enumerate(users):
        for s in rng.sample(public, rng.randrange(0, 7)):
            if shows[s].owner != u and (u, s) not in first:
                start = max(user.created_at, shows[s].created_at)
                events.append(Event(after(rng, start, 20), "listen_later", u, s))
    for u, body in enumerate(names.PROFILE_COMMENTS, 1):  # early users welcome Spartacus
        start = max(users[u].created_at, users[0].created_at)
        events.append(Event(after(rng, start, 10), "profile_comment", u, 0, body=body))
    return events
