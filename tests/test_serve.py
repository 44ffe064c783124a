"""The ``mixcast`` command as an operator runs it: migrate, then serve on a real port with
uvicorn, answering the API and the site through the host and prefix dispatch."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import PG_URL


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until_up(base: str) -> None:
    for _ in range(150):
        try:
            httpx.get(base + "/developers/", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("the server did not start")


@pytest.fixture
def server(tmp_path: Path, template_db: str) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "MIXCAST_DATA_DIR": str(tmp_path),
        "MIXCAST_SITE_URL": f"http://127.0.0.1:{port}",
        "MIXCAST_API_URL": f"http://127.0.0.1:{port}/api",
    }
    if PG_URL:
        env["MIXCAST_DATABASE_URL"] = PG_URL
    command = [sys.executable, "-m", "mixcast"]
    subprocess.run([*command, "migrate"], env=env, check=True, capture_output=True)
    process = subprocess.Popen(
        [*command, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        yield base
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert b"Traceback" not in stderr, stderr.decode()


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
