"""Scale mode for real, as docs/deploy.md lays it out: nginx (the doc's configuration) in front
of two ``mixcast serve`` processes, one ``mixcast worker``, PostgreSQL, Redis and SeaweedFS.

One user's day, spread over the machines: an OAuth token issued through server A works on B;
an upload through A waits in Redis until the worker (and only the worker) processes it; B reads
and streams it from the bucket; one rate limit counts requests to both servers. Through nginx:
an upload streams to a server as it arrives, links come back https because nginx said so, and
picture renditions are served from nginx's cache. Every command of the doc is run, and the test
fails if the doc shows one it did not run.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import shlex
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from mixcast.db.urls import DatabaseURL
from mixcast.ratelimit import open_limits_storage
from mixcast.settings import DEFAULT_RATE_LIMITS, Settings
from mixcast.storage.s3 import parse_s3_url
from tests.api.uploading import audio_file, picture_bytes
from tests.integration.deployment import (
    API_HOST,
    DEPLOY_DOC,
    SITE_HOST,
    ToAddress,
    claimed_redis_database,
    doc_commands,
    doc_environment,
    fenced_blocks,
    mixcast_command,
    psql_value,
    queued_jobs,
    run,
    running,
    running_nginx,
    scratch_database,
    self_signed_certificate,
    serving_together,
    shape,
    substituted,
)
from tests.s3server import S3Server
from tests.servers import Served, free_port, working

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

WRITE_LIMIT = 6
PASSWORD = "correct horse battery"
CALLBACK = "https://app.example/callback"
CSRF_COOKIE = "__Host-mixcast_csrf"  # the site is https: its cookies take the prefix
RATE_LIMITED = "You have hit your rate limit. Retry after {} seconds."


# ------------------------------------------------------------------ helpers


class Deployment:
    """The public URLs, the ports behind them, and clients that reach one part or another."""

    def __init__(self, nginx_port: int) -> None:
        self.nginx_port = nginx_port
        self.site = f"https://{SITE_HOST}:{nginx_port}"
        self.api = f"https://{API_HOST}:{nginx_port}"
        self.netlocs = {f"{SITE_HOST}:{nginx_port}", f"{API_HOST}:{nginx_port}"}

    def via_nginx(self) -> httpx.AsyncClient:
        return self._client(f"https://127.0.0.1:{self.nginx_port}", as_proxy=False)

    def on(self, server: Served, *, as_proxy: bool = True) -> httpx.AsyncClient:
        """Straight to one server, as nginx would send it (or, ``as_proxy=False``, as a client
        that bypasses nginx would)."""
        return self._client(server.base, as_proxy=as_proxy)

    def _client(self, target: str, *, as_proxy: bool) -> httpx.AsyncClient:
        transport = ToAddress(self.netlocs, target, as_proxy=as_proxy)
        return httpx.AsyncClient(transport=transport, base_url=self.site, timeout=30)


async def post_form(client: httpx.AsyncClient, path: str, data: dict[str, str]) -> httpx.Response:
    """What a browser does: fetch a page (the CSRF cookie), post the form with its token."""
    if CSRF_COOKIE not in client.cookies:
        assert (await client.get("/signin/")).status_code == 200
    return await client.post(path, data={**data, "csrf_token": client.cookies[CSRF_COOKIE]})


async def token_through_oauth(client: httpx.AsyncClient, username: str) -> str:
    """Sign up, register an app, authorize it and exchange the code: the whole flow on the
    server behind ``client``."""
    signed_up = await post_form(
        client,
        "/signup/",
        {"username": username, "email": f"{username}@example.com", "password": PASSWORD},
    )
    assert signed_up.status_code == 303, signed_up.text
    page = await post_form(
        client,
        "/developers/apps/",
        {"name": "Ludus", "description": "", "redirect_uris": CALLBACK},
    )
    assert page.status_code == 200, page.text
    client_id, secret = (
        re.search(rf'id="{key}" class="secret">([^<]+)<', page.text).group(1)  # type: ignore[union-attr]
        for key in ("client-id", "client-secret")
    )
    query = {"client_id": client_id, "redirect_uri": CALLBACK, "state": "s1"}
    consent = await client.get("/oauth/authorize", params=query)
    assert consent.status_code == 200 and "Ludus" in consent.text, consent.text
    allowed = await post_form(client, "/oauth/authorize", {**query, "decision": "allow"})
    assert allowed.status_code == 303, allowed.text
    code = httpx.URL(allowed.headers["location"]).params["code"]
    exchanged = await client.post(
        "/oauth/access_token",
        data={**query, "client_secret": secret, "code": code},
    )
    assert exchanged.status_code == 200, exchanged.text
    token: str = exchanged.json()["access_token"]
    return token


async def upload(
    client: httpx.AsyncClient, api: str, token: str, name: str, mp3: Path
) -> httpx.Response:
    return await client.post(
        f"{api}/upload/",
        headers={"Authorization": f"Bearer {token}"},
        data={"name": name, "tags-0-tag": "House"},
        files={
            "mp3": ("mix.mp3", mp3.read_bytes(), "audio/mpeg"),
            "picture": ("cover.png", picture_bytes(), "image/png"),
        },
    )


async def eventually(
    check: Callable[[], Awaitable[bool]], what: str, timeout: float = 30.0
) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def assert_streams(client: httpx.AsyncClient, stream_url: str) -> None:
    """The stream is a redirect to the bucket, which answers the Range itself."""
    redirect = await client.get(stream_url, headers={"Range": "bytes=0-99"})
    assert redirect.status_code == 302, redirect.text
    location = redirect.headers["location"]
    assert "X-Amz-Signature=" in location, location  # presigned, straight to storage
    ranged = await client.get(location, headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206, ranged.text
    assert ranged.headers["content-range"].startswith("bytes 0-99/")
    assert len(ranged.content) == 100
    assert ranged.content[:3] == b"ID3" or ranged.content[0] == 0xFF  # an MP3


def tmp_uploads(data_dir: Path) -> list[Path]:
    folder = data_dir / "tmp" / "uploads"
    return sorted(folder.glob("*.part")) if folder.exists() else []


def start_raw_upload(port: int, api: str, token: str, declared: int, sent: int) -> socket.socket:
    """Over TLS to nginx: an upload declaring ``declared`` bytes of audio, of which only
    ``sent`` are sent (the caller closes the connection)."""
    boundary = "scaleboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nHalf way\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="mp3"; filename="big.mp3"\r\n'
        "Content-Type: audio/mpeg\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    request = (
        f"POST /upload/ HTTP/1.1\r\nHost: {httpx.URL(api).netloc.decode()}\r\n"
        f"Authorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(head) + declared + len(tail)}\r\n\r\n"
    ).encode()
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port)))
    sock.sendall(request + head + b"\xff" * sent)
    return sock


# ------------------------------------------------------------------ the deployment


async def test_two_servers_a_worker_and_nginx_are_one_site(s3: S3Server, tmp_path: Path) -> None:
    doc = DEPLOY_DOC.read_text()
    ran: list[list[str]] = []
    deploy = Deployment(free_port())
    redirect_port = free_port()
    ratelimit_url = f"redis://127.0.0.1:6379/0?prefix=mixcast-scale-{secrets.token_hex(8)}"
    with scratch_database() as database_url, claimed_redis_database() as queue_url:
        shared = {
            "MIXCAST_SITE_URL": deploy.site,
            "MIXCAST_API_URL": deploy.api,
            "MIXCAST_DATABASE_URL": database_url,
            "MIXCAST_STORAGE_URL": s3.url("scale-" + secrets.token_hex(4)),
            "MIXCAST_QUEUE_URL": queue_url,
            "MIXCAST_RATELIMIT_URL": ratelimit_url,
            "MIXCAST_TRUSTED_PROXIES": "127.0.0.1",
            "MIXCAST_JOB_WORKERS": "0",
            "MIXCAST_RANK_INTERVAL": "0",
        }

        def machine(name: str) -> dict[str, str]:
            """The doc's environment file on one machine: its own local disk."""
            return {**shared, "MIXCAST_DATA_DIR": str(tmp_path / name)}

        # The doc's environment file sets exactly what every process here gets.
        assert set(doc_environment(doc)) == set(machine("any"))
        limited = {"MIXCAST_RATELIMIT_WRITE": f"{WRITE_LIMIT}/minute"}
        try:
            await run_the_deployment(deploy, machine, limited, redirect_port, tmp_path, ran)
            # After the day: the counters equal their rows; a backup restores.
            output = run(mixcast_command("check-counters"), machine("ops"), ran)
            assert "counters agree with their rows" in output
            await backup_and_restore(machine("ops"), tmp_path, ran)
        finally:
            await open_limits_storage(ratelimit_url).reset()

    ran_shapes = {shape(argv) for argv in ran}
    for argv in doc_commands(doc):
        program, subcommand, options = shape(argv)
        assert any((p, s) == (program, subcommand) and options <= o for p, s, o in ran_shapes), (
            f"docs/deploy.md shows `{shlex.join(argv)}`, which the scale test does not run"
        )


async def run_the_deployment(
    deploy: Deployment,
    machine: Callable[[str], dict[str, str]],
    limited: dict[str, str],
    redirect_port: int,
    tmp_path: Path,
    ran: list[list[str]],
) -> None:
    assert "database is at the newest schema" in run(
        mixcast_command("migrate"), machine("ops"), ran
    )
    nginx_root = tmp_path / "nginx"
    self_signed_certificate(nginx_root / "ssl")
    serve_args = ("--host", "127.0.0.1", "--workers", "1")
    with ExitStack() as stack:
        a, b = stack.enter_context(
            serving_together(
                ({**machine("a"), **limited}, serve_args),
                ({**machine("b"), **limited}, serve_args),
            )
        )
        for served in (a, b):
            port = served.base.rsplit(":", 1)[1]
            ran.append(mixcast_command("serve", "--port", port, *serve_args))
        ranker = stack.enter_context(
            running(mixcast_command("rank", "--every", "300"), machine("ops"), ran)
        )
        (config,) = fenced_blocks(DEPLOY_DOC.read_text(), "nginx")
        config = substituted(
            config,
            {
                "10.0.0.11:8000": a.base.removeprefix("http://"),
                "10.0.0.12:8000": b.base.removeprefix("http://"),
                "listen 443 ssl": f"listen 127.0.0.1:{deploy.nginx_port} ssl",
                "listen 80": f"listen 127.0.0.1:{redirect_port}",
                "/etc/ssl/mixcast/": f"{nginx_root / 'ssl'}/",
                "/var/cache/nginx/mixcast": str(nginx_root / "cache"),
            },
        )
        stack.enter_context(
            running_nginx(nginx_root, config, [deploy.nginx_port, redirect_port], ran)
        )
        async with deploy.on(a) as on_a, deploy.on(b) as on_b, deploy.via_nginx() as nginx:
            worker_output = await the_day(
                deploy, a, on_a, on_b, nginx, machine, redirect_port, tmp_path, ran
            )
        # The one ranker refreshed the scores as it started.
        ranker.wait_for_line(r"^ranked \d+ shows from \d+ events")
    # Only the worker processed shows, both of them: the servers have no consumer.
    processed = re.findall(r"process_show: \S+ .*executed in", worker_output)
    assert len(processed) >= 2, worker_output
    for served in (a, b):
        assert "Huey consumer" not in served.output and "process_show" not in served.output


async def the_day(
    deploy: Deployment,
    a: Served,
    on_a: httpx.AsyncClient,
    on_b: httpx.AsyncClient,
    nginx: httpx.AsyncClient,
    machine: Callable[[str], dict[str, str]],
    redirect_port: int,
    tmp_path: Path,
    ran: list[list[str]],
) -> str:
    api, site = deploy.api, deploy.site
    queue_url = machine("any")["MIXCAST_QUEUE_URL"]

    # A token issued through A works on B: both read the same database.
    token = await token_through_oauth(on_a, "spartacus")
    me = await on_b.get(f"{api}/me/", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["username"] == "spartacus", me.text

    # An upload through A waits in Redis: no server runs jobs.
    mp3 = audio_file(tmp_path, "scale.mp3", seconds=4.0)
    uploaded = await upload(on_a, api, token, "Scale Out", mp3)
    assert uploaded.status_code == 200, uploaded.text
    key = uploaded.json()["result"]["key"]
    assert key == "/spartacus/scale-out/"
    assert queued_jobs(queue_url) == 1
    await asyncio.sleep(1.5)
    assert (await on_b.get(api + key)).status_code == 404  # not ready: nobody took the job
    assert queued_jobs(queue_url) == 1

    # The worker takes it; B then reads and streams the show.
    worker_env = machine("worker")
    with working(worker_env, "--threads", "2") as worker:
        ran.append(mixcast_command("worker", "--threads", "2"))

        async def ready(client: httpx.AsyncClient, show: str) -> bool:
            return (await client.get(api + show)).status_code == 200

        await eventually(lambda: ready(on_b, key), "the worker to make the show ready")
        assert queued_jobs(queue_url) == 0
        show = (await on_b.get(api + key)).json()
        assert show["name"] == "Scale Out" and show["audio_length"] == 4, show
        assert show["url"] == f"{site}{key}"
        await assert_streams(on_b, f"{site}{key}stream.mp3")

        await through_nginx(deploy, a, nginx, token, show, redirect_port, tmp_path)
        await eventually(
            lambda: ready(nginx, "/spartacus/through-the-proxy/"),
            "the upload through nginx to be ready",
        )

        await rate_limit_is_shared(api, key, token, on_a, on_b)
    assert "Traceback" not in worker.output, worker.output
    return worker.output


async def through_nginx(
    deploy: Deployment,
    a: Served,
    nginx: httpx.AsyncClient,
    token: str,
    show: dict[str, Any],
    redirect_port: int,
    tmp_path: Path,
) -> None:
    api, site, key = deploy.api, deploy.site, show["key"]

    # Links are https because nginx says the request came over https; a request that reached
    # a server another way (no X-Forwarded-Proto) gets http links.
    read = await nginx.get(api + key, params={"metadata": "1"})
    assert read.status_code == 200, read.text
    assert read.json()["url"] == f"{site}{key}"
    assert read.json()["metadata"]["connections"]["favorites"] == f"{api}{key}favorites/"
    async with deploy.on(a, as_proxy=False) as direct:
        bypass = await direct.get(api + key, params={"metadata": "1"})
    assert bypass.json()["metadata"]["connections"]["favorites"].startswith(f"http://{API_HOST}:")

    # Media: the stream passes through; a rendition is served from nginx's cache after once.
    await assert_streams(nginx, f"{site}{key}stream.mp3")
    picture = show["pictures"]["large"]
    assert picture.startswith(f"{site}/media/pictures/"), picture
    statuses = []
    for _ in range(2):
        got = await nginx.get(picture)
        assert got.status_code == 200 and got.content[:2] == b"\xff\xd8"  # a JPEG
        statuses.append(got.headers["x-cache-status"])
    assert statuses == ["MISS", "HIT"], statuses

    # Uploads stream through: a server holds part of the body while the client still sends.
    data_dirs = [tmp_path / "a", tmp_path / "b"]
    sock = start_raw_upload(deploy.nginx_port, api, token, 64 * 2**20, 4 * 2**20)
    try:

        async def receiving() -> bool:
            return any(tmp_uploads(d) for d in data_dirs)

        await eventually(
            receiving, "a server to receive the body while it is sent (nginx buffers it?)", 10
        )
    finally:
        sock.close()

    async def cleared() -> bool:
        return not any(tmp_uploads(d) for d in data_dirs)

    await eventually(cleared, "the servers to remove the abandoned upload", 10)

    # A whole upload through nginx (the worker makes it ready; the caller waits for it).
    mp3 = audio_file(tmp_path, "proxy.mp3", seconds=3.0)
    uploaded = await upload(nginx, api, token, "Through The Proxy", mp3)
    assert uploaded.status_code == 200, uploaded.text

    # Plain http is sent to https.
    plain = httpx.get(f"http://127.0.0.1:{redirect_port}/spartacus/", headers={"Host": SITE_HOST})
    assert plain.status_code == 301
    assert plain.headers["location"] == f"https://{SITE_HOST}/spartacus/"


async def rate_limit_is_shared(
    api: str, key: str, token: str, on_a: httpx.AsyncClient, on_b: httpx.AsyncClient
) -> None:
    """Favorite and unfavorite, A and B in turn: one count in Redis admits the limit in all."""
    auth = {"Authorization": f"Bearer {token}"}
    answers = []
    for i in range(WRITE_LIMIT + 1):
        client = (on_a, on_b)[i % 2]
        method = "POST" if (i // 2) % 2 == 0 else "DELETE"
        answers.append(await client.request(method, f"{api}{key}favorite/", headers=auth))
    for answer in answers[:WRITE_LIMIT]:
        assert answer.status_code == 200, answer.text
    # Each answer counts the requests to both servers before it.
    remaining = [int(answer.headers["X-RateLimit-Remaining"]) for answer in answers]
    assert remaining == [*range(WRITE_LIMIT - 1, -1, -1), 0], remaining
    refused = answers[-1]
    assert refused.status_code == 403, refused.text
    retry_after = refused.headers["Retry-After"]
    assert refused.json() == {
        "error": {
            "type": "RateLimitException",
            "message": RATE_LIMITED.format(retry_after),
            "retry_after": int(retry_after),
        }
    }


async def backup_and_restore(env: dict[str, str], tmp_path: Path, ran: list[list[str]]) -> None:
    """The doc's backup: pg_dump, then pg_restore into an empty database, which has the day's
    rows."""
    dump = tmp_path / "mixcast.dump"
    source = env["MIXCAST_DATABASE_URL"]
    run(["pg_dump", "--format=custom", f"--file={dump}", source], {}, ran)
    with scratch_database("mixcast_scale_restore") as restored:
        run(["pg_restore", "--no-owner", f"--dbname={restored}", str(dump)], {}, ran)
        for table, rows in (("users", "1"), ("shows", "2"), ("oauth_tokens", "1")):
            assert psql_value(restored, f"SELECT COUNT(*) FROM {table}") == rows, table


# ------------------------------------------------------------------ the doc's settings


def test_the_deploy_doc_names_real_settings_and_its_env_file_is_valid() -> None:
    doc = DEPLOY_DOC.read_text()
    source = (Path(__file__).parents[2] / "mixcast" / "settings.py").read_text()
    real = set(re.findall(r'"(MIXCAST_[A-Z_]+)"', source))
    real |= {f"MIXCAST_RATELIMIT_{kind.upper()}" for kind in DEFAULT_RATE_LIMITS}
    named = set(re.findall(r"MIXCAST_[A-Z_]+[A-Z]", doc))
    assert named - real == set(), "docs/deploy.md names settings mixcast does not have"
    env = doc_environment(doc)
    settings = Settings.from_env(env)  # raises ConfigError on any bad value
    assert str(settings.site_url) == env["MIXCAST_SITE_URL"]
    assert settings.api_url.host != settings.site_url.host  # the hosts are split
    assert DatabaseURL.parse(settings.database_url).dialect == "postgresql"
    assert parse_s3_url(settings.storage_url).bucket == "mixcast-media"
    assert settings.job_workers == 0 and settings.rank_interval == 0
    # The README's scale mode shows the same commands and settings.
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    scale = readme.split("### Scale mode", 1)[1].split("\n## ", 1)[0]
    readme_shapes = {shape(argv) for argv in doc_commands(scale)}
    assert readme_shapes and readme_shapes <= {shape(argv) for argv in doc_commands(doc)}
    exported = set(re.findall(r"(MIXCAST_[A-Z_]+)=", scale))
    assert exported and exported <= set(env), exported - set(env)
