"""``mixcast demo``: it loads, reads back through the API, keeps counters true, is idempotent
and deterministic, and its audio and pictures are real.

A full load costs tens of seconds (picture renditions), so it happens once per module: into its
own SQLite file, or into the PostgreSQL test database (emptied first). The determinism check
loads a second, fresh database without pictures (picture ids are random by design anyway).
The ``settings`` and ``services`` fixtures are overridden here to point at the loaded demo, so
conftest's ``client`` serves it; conftest's own would empty the PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import av
import httpx
import pytest
from PIL import Image

from mixcast.db.counters import drifted
from mixcast.db.database import Database, Query, connect
from mixcast.db.schema import metadata
from mixcast.db.urls import DatabaseURL
from mixcast.demo.loader import ALREADY_LOADED, load_demo, load_into
from mixcast.demo.model import BASE, START
from mixcast.demo.plan import make_plan
from mixcast.services import Services, open_services
from mixcast.settings import Settings
from tests.conftest import PG_URL, api_get, make_settings

pytestmark = pytest.mark.anyio

Snapshot = dict[str, list[tuple[Any, ...]]]

TRUNCATE = Query(
    "TRUNCATE " + ", ".join(t.name for t in metadata.sorted_tables) + " RESTART IDENTITY CASCADE"
)
# Picture ids come from store_picture's random hex; everything else must repeat exactly.
PICTURE_COLUMNS = {"users": ("picture_id", "cover_picture_id"), "shows": ("picture_id",)}


@dataclass(frozen=True)
class Demo:
    settings: Settings
    summary: str
    rows: Snapshot  # right after the full load
    bare_rows: Snapshot  # another fresh database, loaded without pictures


async def snapshot(db: Database) -> Snapshot:
    """Every row of every table, in a stable order."""
    out: Snapshot = {}
    for table in metadata.sorted_tables:
        columns = ", ".join(c.name for c in table.columns)
        rows = await db.fetch_all(Query(f"SELECT {columns} FROM {table.name} ORDER BY {columns}"))
        out[table.name] = [tuple(row) for row in rows]
    return out


def without_pictures(rows: Snapshot) -> Snapshot:
    """The snapshot with picture ids blanked and the pictures table left out."""
    out: Snapshot = {}
    for table in metadata.sorted_tables:
        if table.name == "pictures":
            continue
        names = PICTURE_COLUMNS.get(table.name, ())
        keep = [c.name not in names for c in table.columns]
        out[table.name] = [
            tuple(v if kept else None for v, kept in zip(row, keep, strict=True))
            for row in rows[table.name]
        ]
    return out


def fresh_settings(template_db: str, folder: Path, media_dir: Path) -> Settings:
    """Settings for an empty, migrated database: a copy of the SQLite template, or the
    PostgreSQL test database emptied."""
    if PG_URL:
        asyncio.run(_truncate())
        url = PG_URL
    else:
        path = folder / "demo.db"
        shutil.copyfile(DatabaseURL.parse(template_db).sqlite_path, path)
        url = f"sqlite:///{path}"
    return make_settings(url, folder, media_dir)


async def _truncate() -> None:
    db = await connect(DatabaseURL.parse(PG_URL))
    try:
        async with db.transaction() as tx:
            await tx.execute(TRUNCATE)
    finally:
        await db.close()


async def _rows(settings: Settings) -> Snapshot:
    db = await connect(DatabaseURL.parse(settings.effective_database_url))
    try:
        return await snapshot(db)
    finally:
        await db.close()


async def _load_without_pictures(settings: Settings) -> None:
    services = await open_services(settings)
    try:
        await load_into(services, with_pictures=False)
    finally:
        await services.close()


@pytest.fixture(scope="module")
def demo(template_db: str, media_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    # The bare load goes first: on PostgreSQL both share one database, and the full one stays.
    bare = fresh_settings(template_db, tmp_path_factory.mktemp("demo-bare"), media_dir)
    asyncio.run(_load_without_pictures(bare))
    bare_rows = asyncio.run(_rows(bare))
    full = fresh_settings(template_db, tmp_path_factory.mktemp("demo-full"), media_dir)
    summary = asyncio.run(load_demo(full))  # what `mixcast demo` calls
    return Demo(full, summary, asyncio.run(_rows(full)), bare_rows)


@pytest.fixture
def settings(demo: Demo) -> Settings:
    return demo.settings


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    services = await open_services(settings)
    try:
        yield services
    finally:
        await services.close()


async def count(services: Services, sql: str, **params: Any) -> int:
    return int(await services.db.fetch_value(Query(sql), params))


# ------------------------------------------------------------------ the load


def test_summary(demo: Demo) -> None:
    match = re.fullmatch(
        r"demo loaded: 41 users, (\d+) shows, (\d+) follows, (\d+) favorites, .*"
        r" (\d+) listens, .* (\d+) pictures in [\d.]+ s",
        demo.summary,
    )
    assert match, demo.summary
    shows, follows, favorites, listens, pictures = map(int, match.groups())
    assert shows == len(demo.rows["shows"]) == 250
    assert follows == len(demo.rows["follows"])
    assert favorites == len(demo.rows["favorites"])
    assert listens == len(demo.rows["listens"])
    assert pictures == len(demo.rows["pictures"])


async def test_counts_in_range(services: Services) -> None:
    expected = {
        "users": (41, 41),
        "shows": (240, 260),
        "follows": (200, 500),
        "favorites": (300, 800),
        "reposts": (20, 150),
        "listen_later": (40, 250),
        "listens": (4_000, 6_500),
        "comments": (15, 100),
        "sections": (400, 1_500),
        "show_tags": (400, 1_000),
        "pictures": (100, 220),
        "playlists": (2, 2),
        "playlist_items": (16, 16),
    }
    for table, (low, high) in expected.items():
        assert low <= await count(services, f"SELECT COUNT(*) FROM {table}") <= high, table
    assert await count(services, "SELECT COUNT(*) FROM shows WHERE visibility = 'unlisted'") >= 3
    assert await count(services, "SELECT COUNT(*) FROM shows WHERE visibility = 'draft'") >= 3
    assert await count(services, "SELECT COUNT(*) FROM users WHERE is_pro") >= 3
    assert await count(services, "SELECT COUNT(DISTINCT city) FROM users") >= 10
    with_picture = "SELECT COUNT(*) FROM users WHERE picture_id IS NOT NULL"
    assert await count(services, with_picture) > 41 // 2  # most users


async def test_every_show_is_ready_with_its_own_audio(services: Services) -> None:
    rows = await services.db.fetch_all(
        Query("SELECT id, status, audio_length, original_blob, stream_blob FROM shows")
    )
    for row in rows:
        assert row["status"] == "ready"
        assert 15 <= row["audio_length"] <= 30
        assert row["original_blob"] == row["stream_blob"] == f"shows/{row['id']}/original.mp3"
        assert services.store.exists(row["original_blob"])


async def test_sections_start_inside_the_audio(services: Services) -> None:
    late = await count(
        services,
        "SELECT COUNT(*) FROM sections x JOIN shows s ON s.id = x.show_id"
        " WHERE x.start_time < 0 OR x.start_time >= s.audio_length",
    )
    assert late == 0
    disordered = await count(
        services,
        "SELECT COUNT(*) FROM sections a JOIN sections b"
        " ON a.show_id = b.show_id AND b.position = a.position + 1"
        " WHERE b.start_time <= a.start_time",
    )
    assert disordered == 0


async def test_counters_equal_rows(services: Services) -> None:
    assert await drifted(services.db) == []


async def test_engagement_after_its_user_and_show(services: Services) -> None:
    # (conftest marks async tests at collection, which pytest.mark.parametrize does not survive)
    for table in ("favorites", "reposts", "listen_later", "listens"):
        wrong = await count(
            services,
            f"SELECT COUNT(*) FROM {table} e JOIN shows s ON s.id = e.show_id"
            " LEFT JOIN users u ON u.id = e.user_id"
            " WHERE e.created_at <= s.created_at OR e.created_at <= u.created_at"
            " OR e.created_at >= :base OR s.created_at < :start",
            base=BASE,
            start=START,
        )
        assert wrong == 0, table


async def test_follows_and_comments_after_their_users(services: Services) -> None:
    follows = await count(
        services,
        "SELECT COUNT(*) FROM follows f JOIN users a ON a.id = f.follower_id"
        " JOIN users b ON b.id = f.followee_id"
        " WHERE f.created_at <= a.created_at OR f.created_at <= b.created_at"
        " OR f.created_at >= :base",
        base=BASE,
    )
    comments = await count(
        services,
        "SELECT COUNT(*) FROM comments c JOIN users a ON a.id = c.author_id"
        " LEFT JOIN shows s ON s.id = c.show_id LEFT JOIN users p ON p.id = c.profile_id"
        " WHERE c.created_at <= a.created_at OR c.created_at <= s.created_at"
        " OR c.created_at <= p.created_at OR c.created_at >= :base",
        base=BASE,
    )
    assert (follows, comments) == (0, 0)


async def test_listeners(services: Services) -> None:
    signed_in = await count(
        services,
        "SELECT COUNT(*) FROM listens WHERE user_id IS NOT NULL"
        " AND listener <> 'u:' || CAST(user_id AS TEXT)",
    )
    assert signed_in == 0
    anonymous = await services.db.fetch_all(
        Query("SELECT DISTINCT listener FROM listens WHERE user_id IS NULL")
    )
    assert len(anonymous) > 50
    assert all(re.fullmatch(r"a:[0-9a-f]{16}", row["listener"]) for row in anonymous)


# ------------------------------------------------------------------ through the site


async def test_party_time_through_the_api(client: httpx.AsyncClient) -> None:
    user = (await api_get(client, "/spartacus/")).json()
    assert user["name"] == "Spartacus"
    assert user["biog"] == "Part of the mixcast team - since mixcast was just a good idea."
    assert (user["city"], user["country"]) == ("London", "United Kingdom")
    assert user["follower_count"] > 0 and user["cloudcast_count"] >= 1

    response = await api_get(client, "/spartacus/party-time/")
    assert response.status_code == 200, response.text
    show = response.json()
    assert show["name"] == "Party Time" and show["description"]
    assert [t["name"] for t in show["tags"]] == ["Funk", "House"]
    assert show["tags"][0]["key"].endswith("/funk/")
    sections = show["sections"]
    chapters = [s for s in sections if "chapter" in s]
    assert len(chapters) == 1 and len(sections) - len(chapters) >= 3
    starts = [s["start_time"] for s in sections]
    assert starts == sorted(starts) and starts[-1] < show["audio_length"]
    assert show["play_count"] > 0 and show["favorite_count"] > 0


async def test_a_picture_is_served(client: httpx.AsyncClient) -> None:
    show = (await api_get(client, "/spartacus/party-time/")).json()
    url = show["pictures"]["1024wx1024h"]
    assert "default" not in url
    response = await client.get(urlsplit(url).path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(response.content)).size == (1024, 1024)

    user = (await api_get(client, "/spartacus/")).json()
    cover = await client.get(urlsplit(user["cover_pictures"]["1670wx240h"]).path)
    assert cover.status_code == 200 and cover.headers["content-type"] == "image/jpeg"


async def test_audio_decodes_to_its_length(services: Services) -> None:
    rows = await services.db.fetch_all(
        Query("SELECT original_blob, audio_length FROM shows WHERE id IN (1, 2, 250)")
    )
    assert len(rows) == 3
    for row in rows:
        data = services.store.get_bytes(row["original_blob"])
        with av.open(io.BytesIO(data), "r") as container:
            stream = container.streams.audio[0]
            assert stream.codec_context.name.startswith("mp3")
            assert (stream.rate, stream.channels) == (44_100, 1)
            samples = sum(int(frame.samples) for frame in container.decode(stream))
        assert round(samples / 44_100) == row["audio_length"]


# ------------------------------------------------------------------ idempotent, deterministic


async def test_a_second_load_changes_nothing(demo: Demo, services: Services) -> None:
    assert await load_demo(demo.settings) == ALREADY_LOADED
    after = await snapshot(services.db)
    assert {t: len(r) for t, r in after.items()} == {t: len(r) for t, r in demo.rows.items()}
    digest = hashlib.sha256(repr(after).encode()).hexdigest()
    assert digest == hashlib.sha256(repr(demo.rows).encode()).hexdigest()


def test_two_fresh_loads_give_the_same_rows(demo: Demo) -> None:
    full, bare = without_pictures(demo.rows), without_pictures(demo.bare_rows)
    for table in full:
        assert full[table] == bare[table], table
    usernames = [row[1] for row in sorted(demo.rows["users"])]
    assert usernames[0] == "spartacus" and len(set(usernames)) == 41


def test_pictures_are_where_the_plan_puts_them(demo: Demo) -> None:
    plan = make_plan()
    columns = [c.name for c in metadata.tables["users"].columns]
    picture, cover = columns.index("picture_id"), columns.index("cover_picture_id")
    users = sorted(demo.rows["users"])  # by id, which is plan order
    assert [(u[picture] is not None, u[cover] is not None) for u in users] == [
        (u.picture_seed is not None, u.cover_seed is not None) for u in plan.users
    ]
    artwork = [c.name for c in metadata.tables["shows"].columns].index("picture_id")
    shows = sorted(demo.rows["shows"])
    assert [s[artwork] is not None for s in shows] == [
        s.artwork_seed is not None for s in plan.shows
    ]
    # Each picture is as old as its user or show.
    created = [c.name for c in metadata.tables["pictures"].columns].index("created_at")
    expected = sorted(
        [u.created_at for u in plan.users if u.picture_seed is not None]
        + [u.created_at for u in plan.users if u.cover_seed is not None]
        + [s.created_at for s in plan.shows if s.artwork_seed is not None]
    )
    assert sorted(p[created] for p in demo.rows["pictures"]) == expected


def test_the_plan_ignores_hash_randomisation() -> None:
    """Sets and str hashes vary with PYTHONHASHSEED; the plan must not."""
    script = (
        "import hashlib; from mixcast.demo.plan import make_plan;"
        " print(hashlib.sha256(repr(make_plan()).encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=Path(__file__).parents[1],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert digests == {hashlib.sha256(repr(make_plan()).encode()).hexdigest()}
