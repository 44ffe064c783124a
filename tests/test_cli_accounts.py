"""The account commands for headless set-ups (create-user, create-app, issue-token) as an
operator runs them, and a real server's access log, which must never show a credential."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from unittest.mock import patch

import httpx
import pytest

from mixcast.db.database import Query, Row, connect
from mixcast.db.urls import DatabaseURL
from tests.conftest import PG_URL
from tests.servers import serving


async def _stored(database_url: str) -> tuple[Row | None, list[Row]]:
    db = await connect(DatabaseURL.parse(database_url))
    try:
        user = await db.fetch_one(Query("SELECT email, password_hash, is_pro FROM users"))
        return user, await db.fetch_all(Query("SELECT client_secret_hash FROM oauth_apps"))
    finally:
        await db.close()


@pytest.fixture
def cli_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    """A migrated, empty database (SQLite: this test's copy; PostgreSQL: emptied)."""
    env = {**os.environ, "MIXCAST_DATA_DIR": str(tmp_path), "MIXCAST_DATABASE_URL": database_url}
    if PG_URL:
        subprocess.run(
            ["psql", "-q", PG_URL, "-c", "TRUNCATE users, oauth_apps RESTART IDENTITY CASCADE"],
            check=True,
            capture_output=True,
        )
    return env


def mixcast(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m mixcast ARGS`` as an operator types it."""
    return subprocess.run(
        [sys.executable, "-m", "mixcast", *args], env=env, capture_output=True, text=True
    )


def refused(env: dict[str, str], *args: str) -> str:
    """The same command run in this process (a refusal needs no fresh interpreter): its exit
    status must be 2; returns what it printed on stderr."""
    from mixcast.__main__ import main

    err = io.StringIO()
    with patch.dict(os.environ, env), redirect_stderr(err), redirect_stdout(io.StringIO()):
        assert main(list(args)) == 2
    return err.getvalue()


def test_create_user_app_and_token_then_use_it(cli_env, database_url, tmp_path):
    from mixcast.__main__ import main

    made = mixcast(cli_env, "create-user", "alice", "--email", "A@Example.com",
                   "--password", "correct horse battery", "--pro")  # fmt: skip
    assert made.returncode == 0, made.stderr
    again = mixcast(
        cli_env, "create-user", "ALICE", "--email", "b@example.com", "--password", "x" * 9
    )
    assert again.returncode == 2 and "taken" in again.stderr
    weak = mixcast(cli_env, "create-user", "bob", "--email", "b@example.com", "--password", "short")
    assert weak.returncode == 2 and "at least 8" in weak.stderr

    app = mixcast(
        cli_env, "create-app", "alice", "My App", "--redirect-uri", "https://x.example/cb"
    )
    assert app.returncode == 0, app.stderr
    lines = dict(line.split(": ", 1) for line in app.stdout.splitlines() if ": " in line)
    client_id, secret = lines["client_id"], lines["client_secret"]
    bad = refused(cli_env, "create-app", "alice", "Bad", "--redirect-uri", "javascript:alert(1)")
    assert "redirect_uris" in bad

    by_name = mixcast(cli_env, "issue-token", "alice", "My App")
    assert by_name.returncode == 0, by_name.stderr
    by_id = io.StringIO()
    with patch.dict(os.environ, cli_env), redirect_stdout(by_id):
        assert main(["issue-token", "alice", client_id]) == 0
    token, other = by_name.stdout.split()[-1], by_id.getvalue().split()[-1]
    assert token != other
    refused(cli_env, "issue-token", "alice", "No Such App")

    user, stored = asyncio.run(_stored(database_url))
    assert user is not None and user["email"] == "a@example.com" and user["is_pro"]
    assert user["password_hash"].startswith("$argon2id$")
    assert secret not in {row["client_secret_hash"] for row in stored}

    # A real server with its access log on: the token works, and no credential is logged.
    with serving(cli_env, "--access-log") as served:
        base = served.base
        me = httpx.get(f"{base}/api/me/", params={"access_token": token})
        assert me.status_code == 200 and me.json()["username"] == "alice"
        bearer = httpx.get(f"{base}/api/me/", headers={"Authorization": f"Bearer {other}"})
        assert bearer.status_code == 200
        exchange = httpx.get(
            f"{base}/oauth/access_token",
            params={"client_id": client_id, "client_secret": secret, "code": "made-up-code"},
        )
        assert exchange.status_code == 400
    log = served.output
    assert "/api/me/?access_token=[redacted]" in log, log
    for credential in (token, other, secret, "made-up-code"):
        assert credential not in log
