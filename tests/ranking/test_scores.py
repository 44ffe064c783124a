"""The ranking formulas (``mixcast.ranking.scores``): pure functions, no database."""

from __future__ import annotations

import math
import random

import pytest

from mixcast.ranking.scores import (
    BUCKET,
    FAVORITE_WEIGHT,
    HALF_LIFE,
    HOT_EPOCH,
    HOT_TOLERANCE,
    HOT_WINDOW,
    PLAY_WEIGHT,
    REFERENCE_STEP,
    REPOST_WEIGHT,
    bucket_time,
    decay_factors,
    decay_reference,
    decayed,
    hot_from_sum,
    hot_score,
    popular_score,
    same_hot,
)

T = 1_700_000_000_000_000  # 2023-11-14T22:13:20Z
YEAR = 365 * 86_400_000_000


def test_popular_weighs_plays_favorites_and_reposts() -> None:
    assert (PLAY_WEIGHT, FAVORITE_WEIGHT, REPOST_WEIGHT) == (1, 3, 5)
    assert popular_score(0, 0, 0) == 0.0
    assert popular_score(10, 2, 1) == 10 + 6 + 5
    assert popular_score(3, 0, 0) == popular_score(0, 1, 0)  # a favorite is worth three plays


def test_no_events_score_zero() -> None:
    assert hot_score([]) == 0.0
    assert hot_score([(T, 0.0)]) == 0.0
    assert decayed(0.0, T) == 0.0


def test_one_event() -> None:
    assert hot_score([(T, 1.0)]) == pytest.approx((T - HOT_EPOCH) / HALF_LIFE)
    assert hot_score([(T, 8.0)]) == pytest.approx((T - HOT_EPOCH) / HALF_LIFE + 3)


def test_newer_events_weigh_more() -> None:
    older, newer = hot_score([(T, 1.0)]), hot_score([(T + BUCKET, 1.0)])
    assert newer > older > 0
    # One half-life later an event is worth two of the older ones: one step of log2.
    assert hot_score([(T + HALF_LIFE, 1.0)]) == pytest.approx(hot_score([(T, 2.0)]))


def test_decayed_is_the_decayed_sum() -> None:
    now = T + 3 * 86_400_000_000
    events = [(T, 1.0), (T + 5 * BUCKET, 3.0), (now - BUCKET, 5.0), (T + 40 * BUCKET, 2.0)]
    direct = sum(w * 2 ** (-(now - t) / HALF_LIFE) for t, w in events)
    assert decayed(hot_score(events), now) == pytest.approx(direct, rel=1e-9)


def test_order_does_not_depend_on_the_clock() -> None:
    """Both shows' decayed weights shrink alike, so comparing stored scores is comparing
    the decayed weights at any moment."""
    a = hot_score([(T, 10.0)])  # a burst, two days earlier
    b = hot_score([(T + 2 * 86_400_000_000, 3.0)])  # a little, later
    for now in (T + 2 * 86_400_000_000, T + 5 * 86_400_000_000, T + YEAR):
        assert (a > b) == (decayed(a, now) > decayed(b, now))


def test_same_events_give_the_same_float_in_any_order() -> None:
    rng = random.Random(7)
    events = [
        (T + rng.randrange(0, 7 * 24) * BUCKET, float(rng.choice((1, 3, 5)))) for _ in range(500)
    ]
    first = hot_score(events)
    for _ in range(5):
        rng.shuffle(events)
        assert hot_score(events) == first  # bit for bit: an unchanged show is not rewritten


def test_far_future_does_not_overflow() -> None:
    far = HOT_EPOCH + 200 * YEAR
    score = hot_score([(far, 1.0), (far - BUCKET, 5.0)])
    assert math.isfinite(score) and score > 0


def test_any_event_after_the_epoch_scores_above_zero() -> None:
    assert hot_score([(HOT_EPOCH + BUCKET // 2, 1.0)]) > 0


def test_bucket_time_is_the_middle_of_its_hour() -> None:
    bucket = T // BUCKET
    assert bucket * BUCKET <= bucket_time(bucket) < (bucket + 1) * BUCKET
    assert bucket_time(bucket) - bucket * BUCKET == BUCKET // 2


def test_decay_factors_cover_the_hot_window_by_the_hour() -> None:
    factors = decay_factors(T)
    hours = [h for h, _ in factors]
    assert hours == list(range((T - HOT_WINDOW) // BUCKET, T // BUCKET + 1))
    assert len(factors) == HOT_WINDOW // BUCKET + 1
    values = [f for _, f in factors]
    assert values == sorted(values)  # newer hours weigh more
    assert all(2**-5 < f < 2**64 for f in values)
    # One half-life apart: half the factor.
    assert values[-1 - 36] == pytest.approx(values[-1] / 2)


def test_a_sum_of_factors_is_the_formula() -> None:
    """What the refresh does (Σ weight · factor per show in SQL, then ``hot_from_sum``) equals
    ``hot_score`` of the events, each at the middle of its hour."""
    rng = random.Random(3)
    for now in (T, T + 1234567, T + REFERENCE_STEP - 1, T + 5 * YEAR):
        factor = dict(decay_factors(now))
        events = [
            (now - rng.randrange(0, HOT_WINDOW), float(rng.choice((1, 3, 5)))) for _ in range(200)
        ]
        total = math.fsum(w * factor[t // BUCKET] for t, w in events)
        expected = hot_score((bucket_time(t // BUCKET), w) for t, w in events)
        assert same_hot(hot_from_sum(total, now), expected)
    assert hot_from_sum(None, T) == hot_from_sum(0.0, T) == 0.0


def test_the_reference_moves_in_steps() -> None:
    assert decay_reference(T) <= T < decay_reference(T) + REFERENCE_STEP
    assert (decay_reference(T) - HOT_EPOCH) % REFERENCE_STEP == 0
    # The same events give the same factors at two moments between steps.
    start = decay_reference(T)
    assert (
        dict(decay_factors(start + BUCKET))[start // BUCKET]
        == dict(decay_factors(start + 2 * BUCKET))[start // BUCKET]
    )


def test_same_hot_tolerates_rounding_but_not_an_event() -> None:
    score = hot_score([(T, 1000.0)])
    assert same_hot(score, score + HOT_TOLERANCE / 2)
    # One more play a week old, on a show with a thousand fresh events.
    assert not same_hot(score, hot_score([(T, 1000.0), (T - HOT_WINDOW, 1.0)]))
