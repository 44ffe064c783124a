"""Fill an empty mixcast database with a large, realistic, synthetic data set, quickly.

Run it from the project root::

    .venv/bin/python bench/gen.py --database-url sqlite:////tmp/bench.db \\
        --users 100000 --shows 1000000
    .venv/bin/python bench/gen.py --database-url postgresql://postgres@127.0.0.1/bench \\
        --users 1000 --shows 10000 --seed 7 --verify

It migrates the database to the latest schema, refuses one that already holds data (exit status
2), then writes users (the first is ``spartacus``), genre and city tags, shows, show_tags,
sections, follows, favorites, reposts, listen_later, listens and show_listeners. Engagement
volumes scale with --users and --shows (see the ``--*-per-*`` flags). Every counter column equals
the rows it counts; --verify checks that, the engagement times and the references with SQL.

The output depends only on the arguments: --seed and --now (default: today 00:00 UTC) fix every
value. Times are microseconds since the epoch, spread over the three years before --now.

Why it is fast: every id, owner, time and counter is first planned in numpy arrays (about 1 GB
at 1M shows), then the rows are streamed in chunks: COPY on PostgreSQL, executemany on SQLite,
all in one transaction. Secondary indexes (on PostgreSQL also unique constraints) are dropped for
the load and rebuilt from their saved definitions before the commit, which costs a sort per index
instead of a random B-tree insert per row; foreign keys are not checked row by row (see the
loaders). ANALYZE runs at the end (VACUUM ANALYZE on PostgreSQL).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import sqlite3
import sys
import time
import unicodedata
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import psycopg
from numpy.typing import NDArray
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent  # the project, so `mixcast` imports from a checkout

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
Row = tuple[Any, ...]

SECOND = 1_000_000
HOUR = 3600 * SECOND
DAY = 24 * HOUR
YEAR = 365 * DAY
CHUNK = 100_000  # rows per executemany / list of tuples: bounds the Python objects alive at once

# Every table this script writes, in load order.
LOADED_TABLES = (
    "tags",
    "users",
    "shows",
    "show_tags",
    "profile_shows",
    "sections",
    "follows",
    "favorites",
    "reposts",
    "listen_later",
    "listens",
    "show_listeners",
)
ID_TABLES = ("tags", "users", "shows", "sections", "listens")  # explicit ids: sequences to reset

# ---------------------------------------------------------------------------------------------
# Vocabulary. Neighbouring genres are related, so a show's extra tags (near its main genre in
# this list) make musical sense.

GENRES = (
    "House", "Deep House", "Tech House", "Afro House", "Acid House", "Progressive House",
    "Techno", "Minimal", "Electro", "Electronica", "Breakbeat", "Jungle", "Drum And Bass",
    "Dubstep", "Grime", "UK Garage", "Bass", "Footwork", "Hip Hop", "Trap", "Soul", "Funk",
    "Disco", "Nu Disco", "Boogie", "Jazz", "Latin", "Afrobeat", "Reggae", "Dub", "Balearic",
    "Downtempo", "Chillout", "Ambient", "Lo-Fi", "Experimental", "Trance", "Indie", "Rock",
    "Pop",
)  # fmt: skip

# Bigger cities first: a user's city is drawn with weight 1 / rank**0.8.
CITIES = (
    ("London", "United Kingdom"), ("Berlin", "Germany"), ("New York", "United States"),
    ("Paris", "France"), ("Amsterdam", "Netherlands"), ("Los Angeles", "United States"),
    ("Manchester", "United Kingdom"), ("Bristol", "United Kingdom"), ("Chicago", "United States"),
    ("Detroit", "United States"), ("Barcelona", "Spain"), ("Melbourne", "Australia"),
    ("Toronto", "Canada"), ("Dublin", "Ireland"), ("Glasgow", "United Kingdom"),
    ("Lisbon", "Portugal"), ("Madrid", "Spain"), ("Tokyo", "Japan"), ("São Paulo", "Brazil"),
    ("Mexico City", "Mexico"), ("Buenos Aires", "Argentina"), ("Cape Town", "South Africa"),
    ("Johannesburg", "South Africa"), ("Lagos", "Nigeria"), ("Sydney", "Australia"),
    ("Montréal", "Canada"), ("Copenhagen", "Denmark"), ("Stockholm", "Sweden"),
    ("Oslo", "Norway"), ("Warsaw", "Poland"), ("Prague", "Czechia"), ("Vienna", "Austria"),
    ("Zürich", "Switzerland"), ("Brussels", "Belgium"), ("Milan", "Italy"), ("Rome", "Italy"),
    ("Istanbul", "Turkey"), ("Tbilisi", "Georgia"), ("Seoul", "South Korea"),
    ("Kyiv", "Ukraine"),
)  # fmt: skip

WORDS = (
    "acid", "bass", "beat", "blue", "cosmic", "crate", "deep", "disco", "dub", "echo",
    "electric", "funk", "golden", "groove", "jazz", "kid", "late", "loop", "lunar", "midnight",
    "mono", "neon", "night", "nova", "pulse", "radio", "rhythm", "selector", "signal", "solar",
    "soul", "sonic", "static", "stereo", "sunday", "tape", "velvet", "vinyl", "wave", "wax",
)  # fmt: skip
SEPARATORS = ("", "_", "-")

SHOW_PREFIXES = (
    "Late Night", "Sunday", "Morning", "Midnight", "Sunrise", "Warehouse", "Rooftop",
    "Basement", "Weekend", "Afterhours", "Summer", "Winter", "Golden Hour", "Rainy Day",
    "Friday", "Saturday", "Homegrown", "Underground",
)  # fmt: skip
SHOW_NOUNS = (
    "Session", "Mix", "Podcast", "Radio Show", "Selection", "Journey", "Live Set",
    "Transmission", "Hour", "Chronicles", "Tape", "Diaries", "Showcase", "Guest Mix",
)  # fmt: skip
DESCRIPTIONS = (
    "Two hours of {genre}, recorded live in {place}.",
    "A {genre} mix for late nights and early mornings. Tracklist below.",
    "Monthly {genre} show from {place}: new releases and old favourites.",
    "Vinyl-only {genre} selection.",
    "",
)
BIOGS = (
    "{genre} selector from {place}.",
    "Resident DJ, mostly {genre}.",
    "Collector of {genre} records. Bookings via the usual channels.",
    "",
)

ARTISTS = tuple(
    f"{first} {last}"
    for first in ("DJ", "MC", "The", "Lady", "Kid", "Mister", "Sister", "Brother", "Los", "Dr")
    for last in ("Nova", "Pulse", "Echo", "Velvet", "Static", "Lunar", "Moss", "Orbit", "Rook",
                 "Cinder", "Tide", "Ember", "Quartz", "Heron", "Vale", "Juno", "Atlas", "Fable")
)  # fmt: skip
SONGS = tuple(
    f"{first} {last}"
    for first in ("Blue", "Slow", "Golden", "Lost", "Electric", "Broken", "Hidden", "Endless",
                  "Silver", "Distant", "Midnight", "Paper", "Neon", "Quiet", "Falling")
    for last in ("Dreams", "Motion", "City", "Signal", "Garden", "Horizon", "Fever", "Rain",
                 "Light", "Machine", "River", "Heart", "Static", "Summer", "Lines")
)  # fmt: skip


def slugify(text: str) -> str:
    """ASCII, lower case, words joined by hyphens: "São Paulo" -> "sao-paulo"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in ascii_text.lower()).split()
    return "-".join(words)


GENRE_SLUGS = tuple(slugify(name) for name in GENRES)
PREFIX_SLUGS = tuple(slugify(prefix) for prefix in SHOW_PREFIXES)
NOUN_SLUGS = tuple(slugify(noun) for noun in SHOW_NOUNS)

# ---------------------------------------------------------------------------------------------
# Options and small numpy helpers


@dataclass(frozen=True)
class Options:
    users: int
    shows: int
    seed: int
    now: int  # microseconds since the epoch: every generated time is before it
    follows_per_user: float
    favorites_per_show: float
    reposts_per_show: float
    listen_later_per_show: float
    listens_per_show: float
    replay_share: float
    anonymous_share: float
    sections_share: float


def stream(options: Options, name: str) -> np.random.Generator:
    """A random generator per purpose, so changing how one table is drawn leaves the rest be."""
    return np.random.default_rng([options.seed, zlib.crc32(name.encode())])


class Weighted:
    """Draws indexes in proportion to fixed weights: a cumulative sum and a binary search."""

    def __init__(self, weights: F64) -> None:
        self.cdf = np.cumsum(weights, dtype=np.float64)

    @property
    def total(self) -> float:
        return float(self.cdf[-1]) if len(self.cdf) else 0.0

    def draw(self, rng: np.random.Generator, n: int) -> I64:
        if self.total <= 0:
            return np.zeros(0, dtype=np.int64)
        targets = rng.random(n) * self.total
        # Same answers as searching the targets as they come, but in ascending order the
        # binary searches walk the (large) cdf in order: 2-3x faster at a million weights.
        order = np.argsort(targets)
        picks = np.empty(n, dtype=np.int64)
        picks[order] = np.searchsorted(self.cdf, targets[order], side="right")
        return np.minimum(picks, len(self.cdf) - 1)


def run_starts(ordered: I64) -> NDArray[np.bool_]:
    """True where a run of equal values begins, in a sorted array."""
    starts = np.ones(len(ordered), dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    return starts


def group_ranks(keys: I64) -> I64:
    """Each element's 0-based rank among the elements with the same key, in index order."""
    order = np.argsort(keys, kind="stable")
    starts = np.flatnonzero(run_starts(keys[order]))
    sizes = np.diff(np.r_[starts, len(keys)])
    ranks = np.empty_like(keys)
    ranks[order] = np.arange(len(keys)) - np.repeat(starts, sizes)
    return ranks


def ranges(sizes: I64) -> I64:
    """0..size-1 for each size, concatenated: the positions inside variable-length groups."""
    return np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)


def times_after(rng: np.random.Generator, base: I64, now: int) -> I64:
    """A time at least a second after base and before now, bunched toward base: most plays and
    favourites of a show come soon after it is published."""
    room = (now - SECOND - base).astype(np.float64)
    return base + SECOND + (room * rng.random(len(base)) ** 2).astype(np.int64)


def unique(keys: I64) -> I64:
    """np.unique, sorted, by sorting: numpy 2's hash-based np.unique is ~100x slower here."""
    ordered = np.sort(keys)
    return ordered[run_starts(ordered)]


def counts(indexes: I64, size: int) -> I64:
    return np.bincount(indexes, minlength=size).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# The plan: every table as numpy arrays. Indexes are 0-based; a row's id is its index + 1.


@dataclass
class UserPlan:
    created: I64
    updated: I64
    city: I64  # index into CITIES, -1 for no city
    word_a: I64
    word_b: I64
    separator: I64
    biog: I64
    genre: I64  # the favourite genre the biog mentions
    activity: F64  # how much the user listens, favourites, follows
    popularity: F64  # how many follow the user
    follower_count: I64
    following_count: I64
    favorite_count: I64
    listen_count: I64
    cloudcast_count: I64


@dataclass
class ShowPlan:
    owner: I64
    created: I64
    updated: I64
    public: NDArray[np.bool_]
    visibility: list[str]
    audio_length: I64
    genre: I64  # the first tag and the genre in the name
    tag_count: I64
    tag_offsets: I64  # (shows, 5): offsets from genre of the show's tags, 0 first, increasing
    prefix: I64
    noun: I64
    ordinal: I64  # 1.. among the owner's shows: makes the slug unique per owner
    description: I64
    popularity: F64
    play_count: I64
    listener_count: I64
    favorite_count: I64
    repost_count: I64


@dataclass
class Pairs:
    """follows (follower, followee) or favorites/reposts/listen_later (user, show)."""

    left: I64
    right: I64
    created: I64


@dataclass
class ListenPlan:
    show: I64
    user: I64  # -1 for anonymous
    anonymous: I64  # the anonymous listener's number, -1 for users
    created: I64

    def listener(self, n_users: int) -> I64:
        """Who listened, as one number: users are 0..n_users-1, anonymous listeners follow."""
        return np.where(self.user >= 0, self.user, n_users + self.anonymous)

    def listener_kinds(self, n_users: int) -> int:
        return n_users + int(self.anonymous.max(initial=-1)) + 1


@dataclass
class ShowListenerPlan:
    """One row per (show, listener) ever heard, with the first listen's time."""

    show: I64
    listener: I64  # as ListenPlan.listener
    first_at: I64


@dataclass
class SectionPlan:
    show: I64
    position: I64
    start_time: I64
    artist: I64
    song: I64


@dataclass
class Plan:
    users: UserPlan
    shows: ShowPlan
    city_tag_ids: dict[int, int]  # city index -> tag id, for the cities in use
    follows: Pairs
    favorites: Pairs
    reposts: Pairs
    listen_later: Pairs
    listens: ListenPlan
    show_listeners: ShowListenerPlan
    sections: SectionPlan


def plan_users(options: Options) -> UserPlan:
    rng = stream(options, "users")
    n = options.users
    start, end = options.now - 3 * YEAR, options.now - DAY
    # sqrt of sorted uniforms: sign-ups grow over time, ids follow sign-up order, and user 1
    # (spartacus) is the oldest account.
    u = np.sort(rng.random(n))
    if n:
        u[0] = 0.0
    created = start + ((end - start) * np.sqrt(u)).astype(np.int64)
    updated = created + ((options.now - created) * rng.random(n) ** 4).astype(np.int64)
    city_weights = (1.0 / np.arange(1, len(CITIES) + 1) ** 0.8).astype(np.float64)
    city = Weighted(city_weights).draw(rng, n)
    city[rng.random(n) < 0.15] = -1  # some profiles leave the city empty
    zeros = np.zeros(n, dtype=np.int64)
    return UserPlan(
        created=created,
        updated=updated,
        city=city,
        word_a=rng.integers(0, len(WORDS), n),
        word_b=rng.integers(0, len(WORDS), n),
        separator=rng.integers(0, len(SEPARATORS), n),
        biog=rng.integers(0, len(BIOGS), n),
        genre=rng.integers(0, len(GENRES), n),
        activity=rng.lognormal(0.0, 1.0, n),
        popularity=rng.lognormal(0.0, 1.5, n),
        follower_count=zeros,
        following_count=zeros.copy(),
        favorite_count=zeros.copy(),
        listen_count=zeros.copy(),
        cloudcast_count=zeros.copy(),
    )


def plan_shows(options: Options, users: UserPlan) -> ShowPlan:
    rng = stream(options, "shows")
    n = options.shows
    # About a third of the accounts upload; they are followed more. spartacus is one of them.
    creator = rng.random(options.users) < 0.3
    if options.users:
        creator[0] = True
    users.popularity *= np.where(creator, 5.0, 1.0)
    owner = Weighted(rng.lognormal(0.0, 1.0, options.users) * creator).draw(rng, n)
    first = users.created[owner]
    created = first + ((options.now - HOUR - first) * rng.random(n)).astype(np.int64)
    order = np.argsort(created, kind="stable")  # ids follow upload order, as they would live
    owner, created = owner[order], created[order]
    edited = rng.random(n) < 0.3
    later = ((options.now - created) * rng.random(n) ** 3).astype(np.int64)
    updated = created + np.where(edited, later, 0)
    visibility_code = rng.choice(3, size=n, p=[0.97, 0.02, 0.01])
    public = visibility_code == 0
    genre = Weighted(rng.lognormal(0.0, 0.8, len(GENRES))).draw(rng, n)
    # Extra tags sit 1-3 places apart after the main genre: distinct and mostly related.
    steps = rng.integers(1, 4, size=(n, 4))
    tag_offsets = np.concatenate([np.zeros((n, 1), dtype=np.int64), np.cumsum(steps, axis=1)], 1)
    zeros = np.zeros(n, dtype=np.int64)
    return ShowPlan(
        owner=owner,
        created=created,
        updated=updated,
        public=public,
        visibility=np.array(["public", "unlisted", "draft"])[visibility_code].tolist(),
        audio_length=rng.integers(600, 7201, n),
        genre=genre,
        tag_count=rng.choice(np.arange(1, 6), size=n, p=[0.15, 0.25, 0.3, 0.18, 0.12]),
        tag_offsets=tag_offsets,
        prefix=rng.integers(0, len(SHOW_PREFIXES), n),
        noun=rng.integers(0, len(SHOW_NOUNS), n),
        ordinal=group_ranks(owner) + 1,
        description=rng.integers(0, len(DESCRIPTIONS), n),
        # Only public shows get played, favourited and reposted.
        popularity=rng.lognormal(0.0, 1.5, n) * public,
        play_count=zeros,
        listener_count=zeros.copy(),
        favorite_count=zeros.copy(),
        repost_count=zeros.copy(),
    )


def plan_pairs(
    rng: np.random.Generator,
    n: int,
    left: Weighted,
    right: Weighted,
    times: tuple[I64, I64, int],
    right_owner: I64 | None = None,
) -> Pairs:
    """n weighted (left, right) draws, each pair once, in time order. times is (left created,
    right created, now); right_owner drops pairs where left is right's owner (self-follows,
    reposts of one's own show)."""
    left_created, right_created, now = times
    if left.total <= 0 or right.total <= 0:
        n = 0  # nobody to draw from, e.g. no public show yet
    # Popular pairs come up more than once: draw extra, keep each pair once, trim to n.
    draws = int(n * 1.25) + 16 if n else 0
    a, b = left.draw(rng, draws), right.draw(rng, draws)
    if right_owner is not None:
        keep = a != right_owner[b]
        a, b = a[keep], b[keep]
    width = len(right_created)
    keys = unique(a * width + b)
    if len(keys) > n:
        keys = keys[rng.permutation(len(keys))[:n]]
    a, b = keys // width, keys % width
    created = times_after(rng, np.maximum(left_created[a], right_created[b]), now)
    order = np.argsort(created, kind="stable")
    return Pairs(a[order], b[order], created[order])


def plan_listens(options: Options, users: UserPlan, shows: ShowPlan) -> ListenPlan:
    rng = stream(options, "listens")
    total = round(options.listens_per_show * options.shows)
    show = Weighted(shows.popularity).draw(rng, total - round(total * options.replay_share))
    n = len(show)
    anonymous_mask = rng.random(n) < options.anonymous_share
    if not options.users:
        anonymous_mask[:] = True
    user = np.where(anonymous_mask, -1, 0)
    user[~anonymous_mask] = Weighted(users.activity).draw(rng, int((~anonymous_mask).sum()))
    # A pool of anonymous listeners, each heard a few times.
    pool = max(1, int(anonymous_mask.sum()) // 3)
    anonymous = np.where(anonymous_mask, rng.integers(0, pool, n), -1)
    base = shows.created[show]
    if options.users:
        base = np.where(anonymous_mask, base, np.maximum(base, users.created[user]))
    created = times_after(rng, base, options.now)
    # Replays: a listener comes back to a show heard before, so listener_count < play_count.
    replay = rng.integers(0, n, total - n) if n else np.zeros(0, dtype=np.int64)
    show, user = np.r_[show, show[replay]], np.r_[user, user[replay]]
    anonymous = np.r_[anonymous, anonymous[replay]]
    created = np.r_[created, times_after(rng, created[replay], options.now)]
    order = np.argsort(created, kind="stable")
    return ListenPlan(show[order], user[order], anonymous[order], created[order])


def plan_show_listeners(listens: ListenPlan, n_users: int) -> ShowListenerPlan:
    width = listens.listener_kinds(n_users)
    keys = listens.show * width + listens.listener(n_users)
    # Listens are in time order and the sort is stable: each pair's first row is its earliest.
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    first = run_starts(ordered)
    pairs, first_at = ordered[first], listens.created[order][first]
    by_time = np.argsort(first_at, kind="stable")  # written in the order they would arise
    pairs, first_at = pairs[by_time], first_at[by_time]
    return ShowListenerPlan(pairs // width, pairs % width, first_at)


def plan_sections(options: Options, shows: ShowPlan) -> SectionPlan:
    rng = stream(options, "sections")
    chosen = np.flatnonzero(rng.random(options.shows) < options.sections_share)
    tracks = rng.integers(3, 11, len(chosen))
    show = np.repeat(chosen, tracks)
    position = ranges(tracks)
    # Evenly spaced slots with a little jitter: start times increase through the show.
    slot = shows.audio_length[show] // np.repeat(tracks, tracks)
    start_time = position * slot + (rng.random(len(show)) * slot / 3).astype(np.int64)
    start_time[position == 0] = 0
    return SectionPlan(
        show=show,
        position=position,
        start_time=start_time,
        artist=rng.integers(0, len(ARTISTS), len(show)),
        song=rng.integers(0, len(SONGS), len(show)),
    )


def count_everything(plan: Plan) -> None:
    """Fill the counter columns from the planned rows, so they match by construction."""
    users, shows = plan.users, plan.shows
    n_users, n_shows = len(users.created), len(shows.created)
    users.follower_count = counts(plan.follows.right, n_users)
    users.following_count = counts(plan.follows.left, n_users)
    users.favorite_count = counts(plan.favorites.left, n_users)
    listens = plan.listens
    users.listen_count = counts(listens.user[listens.user >= 0], n_users)
    users.cloudcast_count = counts(shows.owner[shows.public], n_users)  # all shows are 'ready'
    shows.play_count = counts(listens.show, n_shows)
    shows.favorite_count = counts(plan.favorites.right, n_shows)
    shows.repost_count = counts(plan.reposts.right, n_shows)
    shows.listener_count = counts(plan.show_listeners.show, n_shows)


def make_plan(options: Options) -> Plan:
    users = plan_users(options)
    shows = plan_shows(options, users)
    activity, popularity = Weighted(users.activity), Weighted(shows.popularity)
    engagement = (users.created, shows.created, options.now)
    user_ids = np.arange(options.users)

    def engagements(name: str, per_show: float, owner: I64 | None = None) -> Pairs:
        n = round(per_show * options.shows)
        return plan_pairs(stream(options, name), n, activity, popularity, engagement, owner)

    follows = plan_pairs(
        stream(options, "follows"),
        round(options.follows_per_user * options.users) if options.users > 1 else 0,
        activity,
        Weighted(users.popularity),
        (users.created, users.created, options.now),
        right_owner=user_ids,
    )
    used_cities = unique(users.city[users.city >= 0]).tolist()
    listens = plan_listens(options, users, shows)
    plan = Plan(
        users=users,
        shows=shows,
        city_tag_ids={city: len(GENRES) + 1 + i for i, city in enumerate(used_cities)},
        follows=follows,
        favorites=engagements("favorites", options.favorites_per_show),
        reposts=engagements("reposts", options.reposts_per_show, shows.owner),
        listen_later=engagements("listen_later", options.listen_later_per_show),
        listens=listens,
        show_listeners=plan_show_listeners(listens, options.users),
        sections=plan_sections(options, shows),
    )
    count_everything(plan)
    return plan


# ---------------------------------------------------------------------------------------------
# Rows: each table as chunks of tuples, in the column order of its Table below.


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    chunks: Iterator[list[Row]]


def chunk_bounds(n: int) -> Iterator[tuple[int, int]]:
    for lo in range(0, n, CHUNK):
        yield lo, min(n, lo + CHUNK)


def tag_rows(plan: Plan) -> Iterator[list[Row]]:
    genres = [(i + 1, "genre", GENRE_SLUGS[i], name) for i, name in enumerate(GENRES)]
    cities = [
        (tag_id, "city", slugify(CITIES[city][0]), CITIES[city][0])
        for city, tag_id in plan.city_tag_ids.items()
    ]
    yield genres + cities


def user_rows(plan: Plan) -> Iterator[list[Row]]:
    users = plan.users
    for lo, hi in chunk_bounds(len(users.created)):
        columns = zip(
            range(lo + 1, hi + 1),
            users.word_a[lo:hi].tolist(),
            users.word_b[lo:hi].tolist(),
            users.separator[lo:hi].tolist(),
            users.city[lo:hi].tolist(),
            users.biog[lo:hi].tolist(),
            users.genre[lo:hi].tolist(),
            users.follower_count[lo:hi].tolist(),
            users.following_count[lo:hi].tolist(),
            users.favorite_count[lo:hi].tolist(),
            users.listen_count[lo:hi].tolist(),
            users.cloudcast_count[lo:hi].tolist(),
            users.created[lo:hi].tolist(),
            users.updated[lo:hi].tolist(),
            strict=True,
        )
        rows = []
        for user_id, a, b, sep, city, biog, genre, *numbers in columns:
            if user_id == 1:
                username, display_name = "spartacus", "Spartacus"
            else:
                username = f"{WORDS[a]}{SEPARATORS[sep]}{WORDS[b]}{user_id}"
                display_name = f"{WORDS[a].title()} {WORDS[b].title()}"
            city_name, country = CITIES[city] if city >= 0 else ("", "")
            text = BIOGS[biog].format(genre=GENRES[genre], place=city_name or "nowhere special")
            rows.append(
                (
                    user_id,
                    username,
                    username.casefold(),
                    display_name,
                    text,
                    city_name,
                    country,
                    *numbers,
                )
            )
        yield rows


USER_COLUMNS = (
    "id", "username", "username_key", "display_name", "biog", "city", "country",
    "follower_count", "following_count", "favorite_count", "listen_count", "cloudcast_count",
    "created_at", "updated_at",
)  # fmt: skip


def nullable(values: I64, present: NDArray[np.bool_]) -> list[Any]:
    """values as Python ints, None where not present."""
    column = values.astype(object)
    column[~present] = None
    return column.tolist()  # type: ignore[no-any-return]


def lookup(labels: Sequence[str]) -> NDArray[np.object_]:
    """labels as an object array: indexing it with an array of indexes picks strings in C."""
    table = np.empty(len(labels), dtype=object)
    table[:] = labels
    return table


def show_rows(plan: Plan) -> Iterator[list[Row]]:
    shows, city_of_owner = plan.shows, plan.users.city
    city_tag = np.array([plan.city_tag_ids.get(c, -1) for c in range(len(CITIES))] + [-1])
    # Every name and description stem made once; rows pick them by a combined index.
    names = lookup([f"{p} {g} {n}" for p in SHOW_PREFIXES for g in GENRES for n in SHOW_NOUNS])
    slugs = lookup([f"{p}-{g}-{n}" for p in PREFIX_SLUGS for g in GENRE_SLUGS for n in NOUN_SLUGS])
    places = [city for city, _country in CITIES] + ["the studio"]  # -1 (no city) picks the last
    texts = lookup(
        [d.format(genre=g, place=place) for d in DESCRIPTIONS for g in GENRES for place in places]
    )
    for lo, hi in chunk_bounds(len(shows.created)):
        genre, ordinal = shows.genre[lo:hi], shows.ordinal[lo:hi].tolist()
        stem = (shows.prefix[lo:hi] * len(GENRES) + genre) * len(SHOW_NOUNS) + shows.noun[lo:hi]
        city = city_of_owner[shows.owner[lo:hi]]
        text = (shows.description[lo:hi] * len(GENRES) + genre) * len(places) + city % len(places)
        yield list(
            zip(
                range(lo + 1, hi + 1),
                (shows.owner[lo:hi] + 1).tolist(),
                [f"{s}-{o}" for s, o in zip(slugs[stem].tolist(), ordinal, strict=True)],
                [f"{n} {o}" for n, o in zip(names[stem].tolist(), ordinal, strict=True)],
                texts[text].tolist(),
                shows.audio_length[lo:hi].tolist(),
                nullable(city_tag[city], city >= 0),
                shows.visibility[lo:hi],
                itertools.repeat("ready"),
                shows.play_count[lo:hi].tolist(),
                shows.favorite_count[lo:hi].tolist(),
                shows.listener_count[lo:hi].tolist(),
                shows.repost_count[lo:hi].tolist(),
                shows.created[lo:hi].tolist(),
                shows.updated[lo:hi].tolist(),
                nullable(shows.created[lo:hi], shows.public[lo:hi]),
            )
        )


SHOW_COLUMNS = (
    "id", "owner_id", "slug", "name", "description", "audio_length", "city_tag_id",
    "visibility", "status", "play_count", "favorite_count", "listener_count", "repost_count",
    "created_at", "updated_at", "published_at",
)  # fmt: skip


def show_tag_rows(plan: Plan) -> Iterator[list[Row]]:
    shows = plan.shows
    # Whole shows per chunk; a show has at most 5 tags, so chunks stay near CHUNK rows.
    for lo, hi in chunk_bounds(len(shows.created)):
        tag_count = shows.tag_count[lo:hi]
        show = np.repeat(np.arange(lo, hi), tag_count)
        position = ranges(tag_count)
        genre = (shows.genre[show] + shows.tag_offsets[show, position]) % len(GENRES)
        yield list(
            zip(
                (show + 1).tolist(),
                (genre + 1).tolist(),
                position.tolist(),
                nullable(shows.created[show], shows.public[show]),
                strict=True,
            )
        )


def profile_show_rows(plan: Plan) -> Iterator[list[Row]]:
    """Each show on its owner's profile (the generator makes no hosts)."""
    shows = plan.shows
    for lo, hi in chunk_bounds(len(shows.created)):
        yield list(
            zip(
                (shows.owner[lo:hi] + 1).tolist(),
                range(lo + 1, hi + 1),
                nullable(shows.created[lo:hi], shows.public[lo:hi]),
                strict=True,
            )
        )


def section_rows(plan: Plan) -> Iterator[list[Row]]:
    sections = plan.sections
    artists, songs = lookup(ARTISTS), lookup(SONGS)
    for lo, hi in chunk_bounds(len(sections.show)):
        yield list(
            zip(
                range(lo + 1, hi + 1),
                (sections.show[lo:hi] + 1).tolist(),
                sections.position[lo:hi].tolist(),
                itertools.repeat("track"),
                artists[sections.artist[lo:hi]].tolist(),
                songs[sections.song[lo:hi]].tolist(),
                sections.start_time[lo:hi].tolist(),
            )
        )


def pair_rows(pairs: Pairs) -> Iterator[list[Row]]:
    for lo, hi in chunk_bounds(len(pairs.left)):
        yield list(
            zip(
                (pairs.left[lo:hi] + 1).tolist(),
                (pairs.right[lo:hi] + 1).tolist(),
                pairs.created[lo:hi].tolist(),
                strict=True,
            )
        )


def anonymous_listener(number: int) -> str:
    # Multiplying by an odd constant mod 2**64 is a bijection: distinct, random-looking ids.
    return f"a:{(number + 1) * 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF:016x}"


def listener_labels(plan: Plan) -> NDArray[np.object_]:
    """Every listener string, made once, indexed as ListenPlan.listener numbers them."""
    n_users = len(plan.users.created)
    return lookup(
        [f"u:{user + 1}" for user in range(n_users)]
        + [anonymous_listener(n) for n in range(plan.listens.listener_kinds(n_users) - n_users)]
    )


def listen_rows(plan: Plan) -> Iterator[list[Row]]:
    listens, labels = plan.listens, listener_labels(plan)
    listener = listens.listener(len(plan.users.created))
    for lo, hi in chunk_bounds(len(listens.show)):
        user = listens.user[lo:hi]
        yield list(
            zip(
                range(lo + 1, hi + 1),
                (listens.show[lo:hi] + 1).tolist(),
                nullable(user + 1, user >= 0),
                labels[listener[lo:hi]].tolist(),
                listens.created[lo:hi].tolist(),
                strict=True,
            )
        )


def show_listener_rows(plan: Plan) -> Iterator[list[Row]]:
    pairs, labels = plan.show_listeners, listener_labels(plan)
    n_users = len(plan.users.created)
    for lo, hi in chunk_bounds(len(pairs.show)):
        listener = pairs.listener[lo:hi]
        yield list(
            zip(
                (pairs.show[lo:hi] + 1).tolist(),
                labels[listener].tolist(),
                nullable(listener + 1, listener < n_users),
                pairs.first_at[lo:hi].tolist(),
                strict=True,
            )
        )


def tables(plan: Plan) -> list[Table]:
    engagement = ("user_id", "show_id", "created_at")
    return [
        Table("tags", ("id", "kind", "slug", "name"), tag_rows(plan)),
        Table("users", USER_COLUMNS, user_rows(plan)),
        Table("shows", SHOW_COLUMNS, show_rows(plan)),
        Table("show_tags", ("show_id", "tag_id", "position", "published_at"), show_tag_rows(plan)),
        Table("profile_shows", ("user_id", "show_id", "published_at"), profile_show_rows(plan)),
        Table(
            "sections",
            ("id", "show_id", "position", "section_type", "artist", "song", "start_time"),
            section_rows(plan),
        ),
        Table("follows", ("follower_id", "followee_id", "created_at"), pair_rows(plan.follows)),
        Table("favorites", engagement, pair_rows(plan.favorites)),
        Table("reposts", engagement, pair_rows(plan.reposts)),
        Table("listen_later", engagement, pair_rows(plan.listen_later)),
        Table(
            "listens",
            ("id", "show_id", "user_id", "listener", "created_at"),
            listen_rows(plan),
        ),
        Table(
            "show_listeners",
            ("show_id", "listener", "user_id", "first_at"),
            show_listener_rows(plan),
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Loaders: one per database, behind the same small interface.


Say = Callable[[str], None]


class Loader(Protocol):
    def non_empty(self, names: Sequence[str]) -> list[str]: ...
    def begin(self) -> None: ...
    def load(self, table: Table) -> int: ...
    def commit(self, say: Say) -> None: ...
    def analyze(self) -> None: ...
    def scalar(self, query: str) -> int: ...
    def close(self) -> None: ...


def rebuild(execute: Callable[[Any], object], saved: list[tuple[str, Any]], say: Say) -> None:
    """Run the saved index and constraint definitions, one progress line each."""
    for label, statement in saved:
        started = time.perf_counter()
        execute(statement)
        say(f"  {label:48} {time.perf_counter() - started:6.1f}s")


class SqliteLoader:
    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)  # we issue BEGIN/COMMIT
        self.saved: list[tuple[str, str]] = []

    def non_empty(self, names: Sequence[str]) -> list[str]:
        return [n for n in names if self.conn.execute(f"SELECT 1 FROM {n} LIMIT 1").fetchone()]

    def begin(self) -> None:
        # A rollback journal, not WAL, for the load: the file starts nearly empty and SQLite only
        # journals pages that existed before the transaction, so the data is written once
        # (WAL would write it twice: to the log, then to the file on checkpoint). A failure
        # still rolls back cleanly. Foreign keys are off: the driver's default.
        self.conn.execute("PRAGMA journal_mode=DELETE")
        self.conn.execute("PRAGMA synchronous=OFF")
        # 1 GB of page cache: the UNIQUE indexes that stay get random inserts (favorites are
        # written in time order, not pair order), and they must not thrash.
        self.conn.execute("PRAGMA cache_size=-1000000")
        self.conn.execute("PRAGMA threads=2")  # CREATE INDEX sorts on a helper thread too
        self.conn.execute("BEGIN")
        marks = ", ".join("?" * len(LOADED_TABLES))
        named = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            f" AND tbl_name IN ({marks})",
            LOADED_TABLES,
        ).fetchall()
        # Only CREATE INDEX indexes can go; UNIQUE constraints are part of their tables.
        for name, ddl in named:
            self.conn.execute(f'DROP INDEX "{name}"')
            self.saved.append((f"index {name}", ddl))

    def load(self, table: Table) -> int:
        statement = (
            f"INSERT INTO {table.name} ({', '.join(table.columns)})"
            f" VALUES ({', '.join('?' * len(table.columns))})"
        )
        total = 0
        for rows in table.chunks:
            self.conn.executemany(statement, rows)
            total += len(rows)
        return total

    def commit(self, say: Say) -> None:
        # A small cache for CREATE INDEX: SQLite sizes its sort runs by it, and one huge
        # in-memory run sorts 2-3x slower than many small ones merged.
        self.conn.execute("PRAGMA cache_size=-16000")
        rebuild(self.conn.execute, self.saved, say)
        self.conn.execute("COMMIT")

    def analyze(self) -> None:
        self.conn.execute("ANALYZE")
        self.conn.execute("PRAGMA journal_mode=WAL")  # what the application runs with

    def scalar(self, query: str) -> int:
        return int(self.conn.execute(query).fetchone()[0])

    def close(self) -> None:
        self.conn.close()


class PostgresLoader:
    def __init__(self, url: str) -> None:
        # One transaction from begin() to commit(). The work_mem is for --verify: its GROUP BY
        # over every listen spills to disk, slowly, with the default 4 MB.
        self.conn = psycopg.connect(url, options="-c work_mem=512MB")
        self.saved: list[tuple[str, sql.Composable]] = []

    def non_empty(self, names: Sequence[str]) -> list[str]:
        query = sql.SQL("SELECT 1 FROM {} LIMIT 1")
        return [n for n in names if self.conn.execute(query.format(sql.Identifier(n))).fetchone()]

    def begin(self) -> None:
        self.conn.execute("SET LOCAL maintenance_work_mem = '1GB'")  # index builds sort in RAM
        # Indexes cost a random insert per row: drop them (keeping primary keys, which grow at
        # the end) and rebuild them after the COPYs. Foreign keys cost a queued trigger and a
        # lookup per row: a superuser switches those triggers off for this transaction (as
        # pg_restore --disable-triggers does; the rows are valid by construction), anyone else
        # drops the constraints and adds them back, which validates them with one join each.
        # DDL is transactional, so a failed load rolls all of it back.
        keep_foreign_keys = self.disable_triggers()
        kinds = ["u"] if keep_foreign_keys else ["f", "u"]
        constraints = self.conn.execute(
            "SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid)"
            " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
            " WHERE c.relname = ANY(%s) AND c.relnamespace = current_schema()::regnamespace"
            " AND k.contype = ANY(%s) ORDER BY k.contype, c.relname, k.conname",
            [list(LOADED_TABLES), kinds],
        ).fetchall()
        indexes = self.conn.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid)"
            " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " JOIN pg_class t ON t.oid = x.indrelid"
            " WHERE t.relname = ANY(%s) AND t.relnamespace = current_schema()::regnamespace"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)"
            " ORDER BY t.relname, i.relname",
            [list(LOADED_TABLES)],
        ).fetchall()
        restore: list[tuple[str, sql.Composable]] = []
        # Foreign keys ('f') sort first: dropped before the unique indexes, added back last.
        for table, name, kind, definition in constraints:
            self.conn.execute(
                sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                    sql.Identifier(table), sql.Identifier(name)
                )
            )
            restore.append(
                (
                    f"{'foreign key' if kind == 'f' else 'unique'} {name}",
                    sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                        sql.Identifier(table), sql.Identifier(name), sql.SQL(definition)
                    ),
                )
            )
        for name, definition in indexes:
            self.conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
            restore.append((f"index {name}", sql.SQL(definition)))
        self.saved = restore[::-1]

    def disable_triggers(self) -> bool:
        try:
            with self.conn.transaction():  # a savepoint: a refusal leaves the load going
                self.conn.execute("SET LOCAL session_replication_role = replica")
        except psycopg.errors.InsufficientPrivilege:
            return False
        return True

    def load(self, table: Table) -> int:
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, table.columns))
        )
        total = 0
        with self.conn.cursor() as cursor, cursor.copy(statement) as copy:
            for rows in table.chunks:
                for row in rows:
                    copy.write_row(row)
                total += len(rows)
        return total

    def commit(self, say: Say) -> None:
        rebuild(self.conn.execute, self.saved, say)
        # Ids were given explicitly: move the sequences past them so later INSERTs work.
        for name in ID_TABLES:
            self.conn.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'),"
                    " coalesce((SELECT max(id) FROM {}), 0) + 1, false)"
                ).format(sql.Identifier(name)),
                [name],
            )
        self.conn.commit()

    def analyze(self) -> None:
        # VACUUM as well: it sets hint bits and the visibility map now, so whatever runs next
        # neither rewrites every page on first read nor loses index-only scans until
        # autovacuum (if it is on at all) gets round to millions of fresh rows.
        self.conn.autocommit = True  # VACUUM cannot run inside a transaction
        self.conn.execute("VACUUM (ANALYZE)")

    def scalar(self, query: str) -> int:
        row = self.conn.execute(query).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.conn.close()


# ---------------------------------------------------------------------------------------------
# The search index: one INSERT ... SELECT per table, the same documents as mixcast.search.index
# writes one row at a time (only listed shows; users; genre tags). Migration 0003 made the
# tables; they are not in LOADED_TABLES, so begin() leaves them and their indexes alone.


def search_sql() -> tuple[tuple[str, ...], tuple[str, ...], dict[str, str]]:
    """The bulk statements for SQLite and for PostgreSQL, and the checks of ``--verify``. The
    pieces of each document (which shows, the username and tracklist texts) are mixcast's own,
    importable once ``open_loader`` has run."""
    from mixcast.db.schema import listed_sql
    from mixcast.search.index import SECTION_TEXT, USERNAME_TEXT

    listed = listed_sql("s")
    sqlite = (
        # Correlated subqueries: the UNIQUE (show_id, ...) indexes stay during the load on SQLite.
        "INSERT INTO search_shows (rowid, name, tags, description, tracklist) SELECT s.id,"
        " s.name, (SELECT coalesce(group_concat(t.name, ' '), '') FROM show_tags st JOIN tags t"
        " ON t.id = st.tag_id WHERE st.show_id = s.id AND t.kind = 'genre'), s.description,"
        f" (SELECT coalesce(group_concat({SECTION_TEXT}, ' '), '') FROM sections"
        f" WHERE show_id = s.id) FROM shows s WHERE {listed} ORDER BY s.id",
        "INSERT INTO search_users (rowid, display_name, username)"
        f" SELECT id, display_name, {USERNAME_TEXT} FROM users ORDER BY id",
        "INSERT INTO search_tags (rowid, name) SELECT id, name FROM tags WHERE kind = 'genre'",
        # Merge the segments the bulk insert left into one b-tree per table: fewer lookups.
        "INSERT INTO search_shows (search_shows) VALUES ('optimize')",
        "INSERT INTO search_users (search_users) VALUES ('optimize')",
    )
    postgres = (
        # Joins to aggregates, not per-row subqueries: the show_tags and sections indexes are
        # dropped for the load. The GIN indexes are built once after the inserts.
        "DROP INDEX ix_search_shows_document",
        "DROP INDEX ix_search_users_document",
        "INSERT INTO search_shows (show_id, document) SELECT s.id, search_vector(s.name, 'A')"
        " || search_vector(tg.names, 'B') || search_vector(s.description, 'C')"
        " || search_vector(tr.body, 'D') FROM shows s"
        " LEFT JOIN (SELECT st.show_id, string_agg(t.name, ' ') AS names FROM show_tags st"
        " JOIN tags t ON t.id = st.tag_id WHERE t.kind = 'genre' GROUP BY st.show_id) tg"
        " ON tg.show_id = s.id"
        f" LEFT JOIN (SELECT show_id, string_agg({SECTION_TEXT}, ' ') AS body FROM sections"
        f" GROUP BY show_id) tr ON tr.show_id = s.id WHERE {listed} ORDER BY s.id",
        "INSERT INTO search_users (user_id, document) SELECT id,"
        f" search_vector(display_name, 'A') || search_vector({USERNAME_TEXT}, 'B')"
        " FROM users ORDER BY id",
        "INSERT INTO search_tags (tag_id, document) SELECT id, search_vector(name, 'A')"
        " FROM tags WHERE kind = 'genre'",
        # As migration 0003 defines them: over the documents with their words' prefixes added.
        "CREATE INDEX ix_search_shows_document ON search_shows"
        " USING gin (search_prefixed(document))",
        "CREATE INDEX ix_search_users_document ON search_users"
        " USING gin (search_prefixed(document))",
    )
    checks = {
        "search_shows rows": "SELECT abs((SELECT count(*) FROM search_shows)"
        f" - (SELECT count(*) FROM shows s WHERE {listed}))",
        "search_users rows": "SELECT abs((SELECT count(*) FROM search_users)"
        " - (SELECT count(*) FROM users))",
    }
    return sqlite, postgres, checks


def fill_search(loader: Loader, say: Say) -> None:
    """Fill the search tables from the loaded rows, in the load's transaction."""
    started = time.perf_counter()
    sqlite, postgres, _ = search_sql()
    if isinstance(loader, SqliteLoader):
        for statement in sqlite:
            loader.conn.execute(statement)
    elif isinstance(loader, PostgresLoader):
        # Statistics of the rows just loaded: without them the planner may join the shows to
        # the per-show aggregates in a nested loop, quadratic (minutes at 20,000 shows).
        loader.conn.execute("ANALYZE shows, show_tags, tags, sections")
        for statement in postgres:
            loader.conn.execute(statement)
    shows = loader.scalar("SELECT count(*) FROM search_shows")
    say(f"{'search':12} {shows:>10,} shows in {time.perf_counter() - started:6.1f}s")


# ---------------------------------------------------------------------------------------------
# Verification, in plain SQL: counters against the rows they count, engagement times, references.

TIME_CHECKS = {
    "follows": "SELECT count(*) FROM follows x JOIN users a ON a.id = x.follower_id"
    " JOIN users b ON b.id = x.followee_id"
    " WHERE x.created_at <= a.created_at OR x.created_at <= b.created_at",
    **{
        table: f"SELECT count(*) FROM {table} x JOIN users u ON u.id = x.user_id"
        " JOIN shows s ON s.id = x.show_id"
        " WHERE x.created_at <= u.created_at OR x.created_at <= s.created_at"
        for table in ("favorites", "reposts", "listen_later")
    },
    "listens": "SELECT count(*) FROM listens x JOIN shows s ON s.id = x.show_id"
    " LEFT JOIN users u ON u.id = x.user_id"
    " WHERE x.created_at <= s.created_at OR x.created_at <= u.created_at",
    "show_tags": "SELECT count(*) FROM show_tags x JOIN shows s ON s.id = x.show_id"
    " WHERE x.published_at IS DISTINCT FROM s.published_at",
    "profile_shows": "SELECT (SELECT count(*) FROM shows) - (SELECT count(*) FROM profile_shows x"
    " JOIN shows s ON s.id = x.show_id AND s.owner_id = x.user_id"
    " WHERE x.published_at IS NOT DISTINCT FROM s.published_at)",
}
# show_listeners holds exactly the (show, listener) pairs of listens, each with its first time:
# every pair of listens has its row with the right first_at, and there are no more rows per show
# than distinct listeners (listener_count counts show_listeners: a counter check). Per-row
# subqueries would be quadratic in a popular show's listens; the GROUP BY is linear.
SHOW_LISTENER_CHECKS = {
    "show_listeners first_at": "SELECT count(*) FROM (SELECT show_id, listener,"
    " min(created_at) AS first_at FROM listens GROUP BY show_id, listener) x"
    " LEFT JOIN show_listeners s ON s.show_id = x.show_id AND s.listener = x.listener"
    " WHERE s.first_at IS NULL OR s.first_at <> x.first_at",
    "show_listeners per show": "SELECT count(*) FROM shows t WHERE t.listener_count <>"
    " (SELECT count(DISTINCT x.listener) FROM listens x WHERE x.show_id = t.id)",
}


def orphan_checks() -> list[tuple[str, str]]:
    """Every foreign key of the loaded tables, from the schema: the load may skip checking them."""
    from mixcast.db.schema import metadata  # importable once open_loader has run

    checks = []
    for name in LOADED_TABLES:
        for key in sorted(metadata.tables[name].foreign_keys, key=lambda k: k.parent.name):
            column, parent, target = key.parent.name, key.column.table.name, key.column.name
            checks.append(
                (
                    f"{name}.{column} refs",
                    f"SELECT count(*) FROM {name} x WHERE x.{column} IS NOT NULL AND NOT EXISTS"
                    f" (SELECT 1 FROM {parent} p WHERE p.{target} = x.{column})",
                )
            )
    return checks


def verify(loader: Loader) -> bool:
    # The application's own list of counters and the rows they count.
    from mixcast.db.counters import COUNTERS  # importable once open_loader has run

    problems = 0
    checks = [
        (f"{table}.{counter}", f"SELECT count(*) FROM {table} t WHERE t.{counter} <> ({truth})")
        for table, counter, truth in COUNTERS
    ]
    checks += [(f"{table} times", query) for table, query in TIME_CHECKS.items()]
    checks += list(SHOW_LISTENER_CHECKS.items())
    checks += orphan_checks()
    checks += list(search_sql()[2].items())
    for name, query in checks:
        wrong = loader.scalar(query)
        problems += wrong
        print(f"  verify {name:28} {f'{wrong} rows WRONG' if wrong else 'ok'}", flush=True)
    return problems == 0


# ---------------------------------------------------------------------------------------------
# Command line


class Clock:
    """Progress lines stamped with the seconds since the start."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def say(self, message: str) -> None:
        print(f"[{self.elapsed():7.1f}s] {message}", flush=True)


def today_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def parse_now(text: str) -> int:
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp()) * SECOND + moment.microsecond


def parse_args(argv: Sequence[str] | None) -> tuple[str, Options, bool]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database-url", required=True, help="sqlite:////abs.db or postgresql://")
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--shows", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--now", type=parse_now, default=None, help="ISO time; default today UTC")
    parser.add_argument("--follows-per-user", type=float, default=10.0)
    parser.add_argument("--favorites-per-show", type=float, default=3.0)
    parser.add_argument("--reposts-per-show", type=float, default=0.5)
    parser.add_argument("--listen-later-per-show", type=float, default=0.2)
    parser.add_argument("--listens-per-show", type=float, default=5.0)
    parser.add_argument("--replay-share", type=float, default=0.3, help="of listens: repeats")
    parser.add_argument("--anonymous-share", type=float, default=0.2, help="of listens")
    parser.add_argument("--sections-share", type=float, default=0.1, help="of shows")
    parser.add_argument("--verify", action="store_true", help="check it all with SQL (slow)")
    args = parser.parse_args(argv)
    if args.users < 0 or args.shows < 0 or args.seed < 0:
        parser.error("--users, --shows and --seed must not be negative")
    if args.shows and not args.users:
        parser.error("shows need owners: give --users 1 or more")
    for name in ("replay_share", "anonymous_share", "sections_share"):
        if not 0 <= getattr(args, name) <= 1:
            parser.error(f"--{name.replace('_', '-')} is a share: between 0 and 1")
    ratios = ("follows_per_user", "favorites_per_show", "reposts_per_show")
    for name in (*ratios, "listen_later_per_show", "listens_per_show"):
        if getattr(args, name) < 0:
            parser.error(f"--{name.replace('_', '-')} must not be negative")
    now = args.now if args.now is not None else int(today_utc().timestamp()) * SECOND
    options = Options(
        users=args.users,
        shows=args.shows,
        seed=args.seed,
        now=now,
        follows_per_user=args.follows_per_user,
        favorites_per_show=args.favorites_per_show,
        reposts_per_show=args.reposts_per_show,
        listen_later_per_show=args.listen_later_per_show,
        listens_per_show=args.listens_per_show,
        replay_share=args.replay_share,
        anonymous_share=args.anonymous_share,
        sections_share=args.sections_share,
    )
    return args.database_url, options, args.verify


def open_loader(url: str) -> Loader:
    """Migrate to the latest schema, then connect with the plain driver for the bulk load."""
    sys.path.insert(0, str(ROOT))
    from mixcast.db.migrate import upgrade
    from mixcast.db.urls import DatabaseURL

    parsed = DatabaseURL.parse(url)
    upgrade(parsed)
    if parsed.dialect == "sqlite":
        return SqliteLoader(parsed.sqlite_path)
    return PostgresLoader(parsed.libpq)


def load(loader: Loader, plan: Plan, clock: Clock) -> dict[str, int]:
    """Write every table in one transaction, then rebuild the indexes and analyze."""
    clock.say("dropping secondary indexes for the load")
    loader.begin()
    written: dict[str, int] = {}
    for table in tables(plan):
        started = time.perf_counter()
        written[table.name] = loader.load(table)
        took = time.perf_counter() - started
        clock.say(f"{table.name:12} {written[table.name]:>10,} rows in {took:6.1f}s")
    fill_search(loader, clock.say)
    clock.say("rebuilding indexes and constraints")
    loader.commit(clock.say)
    clock.say("committed; analyzing")
    loader.analyze()
    return written


def print_summary(written: dict[str, int], seconds: float) -> None:
    print(f"\n{'table':12} {'rows':>12}")
    for name, rows in written.items():
        print(f"{name:12} {rows:>12,}")
    print(f"{'total':12} {sum(written.values()):>12,}  loaded in {seconds:.1f}s")


def rank(url: str, now: int, say: Say) -> None:
    """Compute the popular and hot scores as the app's periodic job does, as of --now."""
    import asyncio

    from mixcast.db.database import connect
    from mixcast.db.urls import DatabaseURL
    from mixcast.ranking.job import RefreshStats, refresh_scores

    async def run() -> RefreshStats:
        db = await connect(DatabaseURL.parse(url))
        try:
            return await refresh_scores(db, now)
        finally:
            await db.close()

    say("ranking: popular and hot scores as of --now")
    started = time.perf_counter()
    stats = asyncio.run(run())
    took = time.perf_counter() - started
    say(f"{'ranking':12} {stats.changed:>10,} shows in {took:6.1f}s ({stats.events:,} events)")


def main(argv: Sequence[str] | None = None) -> int:
    url, options, check = parse_args(argv)
    clock = Clock()
    loader = open_loader(url)
    try:
        clock.say(f"migrated {url}")
        filled = loader.non_empty(LOADED_TABLES)
        if filled:
            print(f"gen.py: refusing to load: data already in {', '.join(filled)}", file=sys.stderr)
            return 2
        now = dt.datetime.fromtimestamp(options.now / SECOND, dt.UTC).isoformat()
        clock.say(f"planning {options.users:,} users, {options.shows:,} shows")
        clock.say(f"seed {options.seed}, now {now}")
        plan = make_plan(options)
        written = load(loader, plan, clock)
        seconds = clock.elapsed()
        clock.say("done")
        ok = verify(loader) if check else True
        if check:
            clock.say("verified" if ok else "VERIFY FAILED")
    finally:
        loader.close()
    rank(url, options.now, clock.say)  # after the commit: through the app's own connection
    print_summary(written, seconds)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
