"""The ranking formulas, as small pure functions over already-aggregated event counts.

``popular``: weighted events in the last ``POPULAR_WINDOW`` (30 days), no decay::

    popular = 1·plays + 3·favorites + 5·reposts

``hot``: the same weights, each event halved in worth every ``HALF_LIFE`` (36 hours), over the
last ``HOT_WINDOW`` (7 days)::

    D(t) = Σ weight_i · 2^(−(t − t_i) / HALF_LIFE)

Every show's ``D(t)`` shrinks by the same factor as ``t`` moves on, so the order never depends
on when it is measured. The stored ``hot_score`` is therefore measured once and for all at a
fixed reference moment ``HOT_EPOCH``, on a log scale so it cannot overflow::

    hot_score = log2(Σ weight_i · 2^((t_i − HOT_EPOCH) / HALF_LIFE))
    D(t) = 2^(hot_score − (t − HOT_EPOCH) / HALF_LIFE)

It orders shows exactly as ``D(now)`` does, and it changes only when an event arrives or leaves
the window, not every time the clock moves: a refresh writes only the shows with news. Every
event is after ``HOT_EPOCH`` and weighs at least 1, so a show with any event scores > 0.

The refresh sums ``weight · 2^((hour middle − reference) / HALF_LIFE)`` per show in SQL, with one
factor per hour (``decay_factors``), and takes the log here (``hot_from_sum``): an event counts
as if at the middle of its hour, so a score is off by at most half an hour of decay
(2^(0.5/36) ≈ 1 %). See docs/ranking.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

SECOND = 1_000_000  # the schema's times are microseconds
HOUR = 3600 * SECOND
DAY = 24 * HOUR

# A play is cheap: one click, and anyone can replay. A favorite is a deliberate act by a
# signed-in user, once per show (about one for every two to five plays on a live site). A repost
# is the rarest and puts the show in front of the reposter's followers: the strongest
# endorsement. So 1 : 3 : 5: a handful of plays still matter, but a few people who care outweigh
# one person replaying.
PLAY_WEIGHT = 1
FAVORITE_WEIGHT = 3
REPOST_WEIGHT = 5

# A month: long enough that a weekly or monthly radio show has a whole episode cycle in it and
# the list does not churn daily, short enough that last year's hits make way.
POPULAR_WINDOW = 30 * DAY

# 36 hours: a show played today still outranks yesterday's at similar activity, and a show stays
# visible for a day or two after a burst rather than a few hours (mixes are long: hours, not a
# three-minute track). After 7 days an event is worth 2^(−168/36) ≈ 4 % of a fresh one, so the
# window cuts off little; it bounds how much of the event tables a refresh reads.
HALF_LIFE = 36 * HOUR
HOT_WINDOW = 7 * DAY
HOT_EPOCH = 946_684_800 * SECOND  # 2000-01-01T00:00:00Z: before every event there will be

BUCKET = HOUR  # an event's decay is that of the middle of its hour: a factor per hour bucket
REFERENCE_STEP = 64 * HALF_LIFE  # see decay_reference
# In log2 units: a relative change of 7e-10 in the decayed weight. One more play a week old on
# a show with a million weighted events in the window still moves its score by 6e-8.
HOT_TOLERANCE = 1e-9


def popular_score(plays: int, favorites: int, reposts: int) -> float:
    """Weighted events in the popular window."""
    return float(PLAY_WEIGHT * plays + FAVORITE_WEIGHT * favorites + REPOST_WEIGHT * reposts)


def bucket_time(bucket: int) -> int:
    """The middle of hour bucket ``bucket`` (``created_at // BUCKET``): where its events count."""
    return bucket * BUCKET + BUCKET // 2


def hot_score(weighted: Iterable[tuple[int, float]]) -> float:
    """The definition: ``log2(Σ weight · 2^((time − HOT_EPOCH) / HALF_LIFE))`` over (time,
    weight) pairs; 0.0 for none. The refresh computes the same sum in SQL, per show, with
    ``decay_factors`` and ``hot_from_sum``; this is the reference the tests hold it to.

    Computed as log-sum-exp around the largest exponent (the terms themselves would overflow a
    float after a few years), with ``math.fsum`` so the order of the pairs does not matter.
    """
    terms = [((t - HOT_EPOCH) / HALF_LIFE, w) for t, w in weighted if w > 0]
    if not terms:
        return 0.0
    top = max(e for e, _ in terms)
    total = math.fsum(w * 2.0 ** (e - top) for e, w in sorted(terms))
    return top + math.log2(total)


def decay_reference(now: int) -> int:
    """The moment the SQL sums are measured at: ``now`` rounded down to a ``REFERENCE_STEP``
    grid from ``HOT_EPOCH``, so consecutive refreshes use the very same factors (and sum to the
    very same floats) and the factors stay between 2^-5 and 2^64."""
    return now - (now - HOT_EPOCH) % REFERENCE_STEP


def decay_factors(now: int) -> list[tuple[int, float]]:
    """(hour bucket, 2^((bucket middle − reference) / HALF_LIFE)) for every hour bucket that
    overlaps the hot window ending at ``now``: the per-event factor the SQL sums per show."""
    reference = decay_reference(now)
    first, last = (now - HOT_WINDOW) // BUCKET, now // BUCKET
    return [
        (bucket, 2.0 ** ((bucket_time(bucket) - reference) / HALF_LIFE))
        for bucket in range(first, last + 1)
    ]


def hot_from_sum(weighted_sum: float | None, now: int) -> float:
    """The stored ``hot_score`` from one show's Σ weight · factor (``decay_factors(now)``)."""
    if not weighted_sum or weighted_sum <= 0:
        return 0.0
    return math.log2(weighted_sum) + (decay_reference(now) - HOT_EPOCH) / HALF_LIFE


def same_hot(a: float, b: float) -> bool:
    """Equal up to float noise: a SQL sum of the same events may round differently when the
    database adds them in another order (PostgreSQL's parallel aggregates) or when the
    reference moves on; an event, even a week old, changes a score by far more."""
    return abs(a - b) <= HOT_TOLERANCE


def decayed(hot: float, now: int) -> float:
    """The decayed weight ``D(now)`` a stored ``hot_score`` stands for (0 for 0)."""
    if hot <= 0:
        return 0.0
    return float(2.0 ** (hot - (now - HOT_EPOCH) / HALF_LIFE))
