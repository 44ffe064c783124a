"""The ``mixcast`` command as an operator runs it: migrate, then serve on a real port with
uvicorn, answering the API and the site through the host and prefix dispatch."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import PG_URL
from tests.servers import serving


@pytest.fixture
def server(tmp_path: Path, template_db: str) -> Iterator[str]:
    env = {"MIXCAST_DATA_DIR": str(tmp_path), "MIXCAST_RANK_INTERVAL": "300"}
    if PG_URL:
        env["MIXCAST_DATABASE_URL"] = PG_URL
    migrate = [sys.executable, "-m", "mixcast", "migrate"]
    subprocess.run(migrate, env={**os.environ, **env}, check=True, capture_output=True)
    with serving(env) as served:
        yield served.base


def test_serves_site_and_api(server: str) -> None:
    page = httpx.get(server + "/developers/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "openapi.json" in page.text

    missing = httpx.get(server + "/api/nobody-here/")
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "ResourceNotFoundException"

    redirect = httpx.get(server + "/api/nobody-here?metadata=1")
    assert redirect.status_code == 301
    assert redirect.headers["location"] == "/api/nobody-here/?metadata=1"

    picture = httpx.get(server + "/media/pictures/default-profile/100x100.jpg")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"
