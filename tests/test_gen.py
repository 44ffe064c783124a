"""``bench/gen.py`` fills an empty database, on either engine, with data the API serves and
whose counters agree with their rows; it refuses a database that already holds data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mixcast.app import MixcastApp
from mixcast.db.counters import drifted
from mixcast.db.database import Query
from mixcast.services import Services, open_services
from mixcast.settings import Settings
from tests.conftest import api_get

pytestmark = pytest.mark.anyio
GEN = Path(__file__).resolve().parents[1] / "bench" / "gen.py"
SHOWS = Query("SELECT COUNT(*) FROM shows")
FIRST_PUBLIC = Query(
    "SELECT u.username, s.slug FROM shows s JOIN users u ON u.id = s.owner_id"
    " WHERE s.visibility = 'public' AND s.status = 'ready' ORDER BY s.id LIMIT 1"
)


INDEXES = {
    "sqlite": Query("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"),
    "postgresql": Query(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
    ),
}


async def _indexes(services: Services) -> list[tuple[str, str]]:
    rows = await services.db.fetch_all(INDEXES[services.db.dialect])
    return [(row[0], row[1]) for row in rows]


def _gen(url: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(GEN), "--database-url", url, "--users", "200",
               "--shows", "1000"]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


async def test_generated_data_is_consistent_and_served(
    services: Services, settings: Settings
) -> None:
    migrated = await _indexes(services)
    await services.close()  # emptied by the fixture; on SQLite gen needs the file to itself
    url = settings.effective_database_url
    done = _gen(url)
    assert done.returncode == 0, done.stderr

    services = await open_services(settings)
    try:
        assert await services.db.fetch_value(SHOWS) == 1000
        assert await drifted(services.db) == []
        # The generator drops indexes for the load and builds them again: exactly as migrated.
        assert await _indexes(services) == migrated
        row = await services.db.fetch_one(FIRST_PUBLIC)
        assert row is not None
        transport = httpx.ASGITransport(app=MixcastApp(settings, services))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            show = await api_get(c, f"/{row['username']}/{row['slug']}/")
            assert show.status_code == 200, show.text
            assert show.json()["user"]["username"] == row["username"]
            # Searchable and ranked: the generator fills the search index and the scores.
            words = show.json()["name"].split()[:2]
            found = await api_get(c, "/search/", q=" ".join(words), type="cloudcast", limit="100")
            assert found.status_code == 200, found.text
            assert found.json()["data"], words
            popular = await api_get(c, "/popular/")
            assert popular.json()["data"]
    finally:
        await services.close()

    assert _gen(url).returncode != 0  # a database with data in it is refused, not doubled
    services = await open_services(settings)
    try:
        assert await services.db.fetch_value(SHOWS) == 1000
    finally:
        await services.close()
