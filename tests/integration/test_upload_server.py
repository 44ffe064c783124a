"""Uploads against a real ``mixcast serve``: its in-process job consumer makes the show ready;
a client that goes away mid-upload leaves nothing; a server killed with SIGKILL mid-upload
leaves only its temporary file, which the next start removes; ``mixcast upload`` streams a file
with a progress bar and prints the show's URL."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from mixcast.db.database import Query
from mixcast.services import Services
from tests.api.uploading import audio_file
from tests.factories import make_token, make_user
from tests.servers import serving

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

BOUNDARY = "mixcasttestboundary"


def server_env(database_url: str, data_dir: Path) -> dict[str, str]:
    return {"MIXCAST_DATABASE_URL": database_url, "MIXCAST_DATA_DIR": str(data_dir)}


@pytest.fixture
async def token(services: Services) -> str:
    return await make_token(services, await make_user(services, "spartacus", is_pro=True))


def parts(data_dir: Path) -> list[Path]:
    folder = data_dir / "tmp" / "uploads"
    return sorted(folder.glob("*.part")) if folder.exists() else []


def wait_for(condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting")
        time.sleep(0.05)


def start_big_upload(base: str, token: str, total: int) -> socket.socket:
    """Open a raw connection and send the start of an upload declaring ``total`` bytes of
    audio; the caller sends more with ``send_chunk`` (or stops)."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\nBig one\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="mp3"; filename="big.mp3"\r\n'
        "Content-Type: audio/mpeg\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    request = (
        f"POST /api/upload/ HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {len(head) + total + len(tail)}\r\n\r\n"
    ).encode()
    sock.sendall(request + head)
    return sock


async def show_rows(services: Services) -> int:
    value: int = await services.db.fetch_value(Query("SELECT COUNT(*) FROM shows"))
    return value


def originals(data_dir: Path) -> list[Path]:
    folder = data_dir / "media" / "originals"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


async def test_the_in_process_consumer_makes_the_upload_ready(
    database_url, tmp_path, services, token
):
    mp3 = audio_file(tmp_path, seconds=5.0)
    with serving(server_env(database_url, tmp_path)) as served:
        response = httpx.post(
            served.base + "/api/upload/",
            headers={"Authorization": f"Bearer {token}"},
            data={"name": "Served", "tags-0-tag": "House"},
            files={"mp3": ("a.mp3", mp3.read_bytes(), "audio/mpeg")},
            timeout=30,
        )
        assert response.status_code == 200, response.text

        def ready() -> bool:
            show = httpx.get(served.base + "/api/spartacus/served/", timeout=5)
            return show.status_code == 200

        wait_for(ready)
        show = httpx.get(served.base + "/api/spartacus/served/").json()
        assert show["audio_length"] == 5
    assert parts(tmp_path) == []


async def test_a_client_gone_mid_upload_leaves_nothing(database_url, tmp_path, services, token):
    with serving(server_env(database_url, tmp_path)) as served:
        sock = start_big_upload(served.base, token, 64 * 1024 * 1024)
        for _ in range(8):
            sock.sendall(b"\xff" * (1024 * 1024))
        wait_for(lambda: len(parts(tmp_path)) == 1)
        sock.close()  # the client goes away
        wait_for(lambda: parts(tmp_path) == [])
        assert httpx.get(served.base + "/api/new/").status_code == 200  # still serving
    assert await show_rows(services) == 0
    assert originals(tmp_path) == []


async def test_a_server_killed_mid_upload_leaves_nothing_after_its_restart(
    database_url, tmp_path, services, token
):
    env = server_env(database_url, tmp_path)
    with serving(env) as served:
        sock = start_big_upload(served.base, token, 256 * 1024 * 1024)
        for _ in range(16):
            sock.sendall(b"\xff" * (1024 * 1024))
        wait_for(lambda: len(parts(tmp_path)) == 1)
        assert served.process is not None
        served.process.kill()  # SIGKILL: no clean-up runs
        served.process.wait(timeout=10)
        sock.close()
        left = parts(tmp_path)
        assert len(left) == 1 and left[0].stat().st_size > 0  # the crash's leftover
    with serving(env):
        assert parts(tmp_path) == []  # the start-up sweep removed it
    assert await show_rows(services) == 0
    assert originals(tmp_path) == []


async def test_the_command_line_uploader(database_url, tmp_path, services, token):
    mp3 = audio_file(tmp_path, seconds=5.0)
    with serving(server_env(database_url, tmp_path)) as served:
        done = subprocess.run(
            [
                sys.executable, "-m", "mixcast", "upload", str(mp3),
                "--name", "From The Shell", "--tag", "Dub", "--tag", "Live",
                "--chapter", "0:00 Intro", "--section", "0:03 Artist - Song",
                "--api", served.base + "/api", "--wait",
            ],
            env={"MIXCAST_TOKEN": token, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == served.base + "/spartacus/from-the-shell/"
        # Progress (not a terminal: a line every tenth) with the rate and time left, then the sum.
        assert re.search(r"\d+%.* MiB/s +ETA \d+:\d\d", done.stderr), done.stderr
        assert re.search(r"sent [\d.]+ MiB in [\d.]+ s", done.stderr), done.stderr
        assert token not in done.stdout + done.stderr
        show = httpx.get(served.base + "/api/spartacus/from-the-shell/").json()
        assert [t["name"] for t in show["tags"]] == ["Dub", "Live"]
        assert [s["section_type"] for s in show["sections"]] == ["chapter", "track"]
        assert show["sections"][1]["start_time"] == 3
