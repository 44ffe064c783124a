"""A scale-mode deployment for the tests, made the way docs/deploy.md tells an operator to:
a PostgreSQL database of its own, Redis for the queue and the rate limits, nginx (the doc's own
configuration, ports and paths substituted) in front of the servers, and the doc's commands.

Everything a run creates is its own and removed at the end: the database is dropped, the queue
lives in a Redis database claimed for the run, the rate-limit keys carry a random prefix.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import redis

from tests.servers import Served, serving

DEPLOY_DOC = Path(__file__).parents[2] / "docs" / "deploy.md"
NGINX = "/usr/sbin/nginx"

# The public hosts of docs/deploy.md; the tests never resolve them (see ``client_to``).
SITE_HOST = "www.example.com"
API_HOST = "api.example.com"


# ------------------------------------------------------------------ the doc


def fenced_blocks(text: str, language: str) -> list[str]:
    """The bodies of the ```language fenced blocks of a Markdown text, indented ones too."""
    pattern = rf"^( *)```{language}\n(.*?)^\1```$"
    return [
        "\n".join(line.removeprefix(indent) for line in body.splitlines())
        for indent, body in re.findall(pattern, text, re.MULTILINE | re.DOTALL)
    ]


def doc_commands(text: str) -> list[list[str]]:
    """Every command line of the ```sh blocks, as argv (comments dropped); lines that only
    assign variables (the environment file) are not commands."""
    commands = []
    for block in fenced_blocks(text, "sh"):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] != "export" and not re.match(r"[A-Z_]+=", words[0]):
                commands.append(words)
    return commands


def doc_environment(text: str) -> dict[str, str]:
    """The variables the doc's environment file (a ```sh block of assignments) sets."""
    found: dict[str, str] = {}
    for block in fenced_blocks(text, "sh"):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words and re.match(r"[A-Z_]+=", words[0]):
                name, _, value = words[0].partition("=")
                found[name] = value
    return found


def shape(argv: list[str]) -> tuple[str, str, frozenset[str]]:
    """What a command is, values aside: the program, its subcommand (``mixcast``'s) and its
    option names. ``.venv/bin/mixcast serve --port 8000``: ``mixcast``, ``serve``, ``{--port}``."""
    program = Path(argv[0]).name
    rest = argv[1:]
    subcommand = rest.pop(0) if program == "mixcast" and rest else ""
    options = frozenset(word.split("=")[0] for word in rest if word.startswith("-"))
    return program, subcommand, options


# ------------------------------------------------------------------ PostgreSQL


def pg_server_url() -> str:
    """The machine's PostgreSQL (the suite's server when it runs on one), its ``postgres`` db."""
    url = os.environ.get("MIXCAST_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql://"):
        url = "postgresql://postgres@127.0.0.1:5432/postgres"
    return urlsplit(url)._replace(path="/postgres", query="").geturl()


def psql(server_url: str, sql: str) -> None:
    done = subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", server_url, "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        pytest.fail(
            f"PostgreSQL at {server_url} refused {sql!r} (start it; CI does):\n{done.stderr}"
        )


def psql_value(database_url: str, sql: str) -> str:
    """The one value ``sql`` selects, as psql prints it."""
    done = subprocess.run(
        ["psql", "-At", "-v", "ON_ERROR_STOP=1", database_url, "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@contextmanager
def scratch_database(prefix: str = "mixcast_scale") -> Iterator[str]:
    """A new, empty PostgreSQL database of this run's, dropped at the end."""
    server = pg_server_url()
    name = f"{prefix}_{secrets.token_hex(4)}"
    psql(server, f"CREATE DATABASE {name}")
    try:
        yield urlsplit(server)._replace(path=f"/{name}").geturl()
    finally:
        psql(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# ------------------------------------------------------------------ Redis

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
_CLAIM = "mixcast-test-claim"


@contextmanager
def claimed_redis_database() -> Iterator[str]:
    """``redis://…/N``: a Redis database (1-15) that was empty and is this run's alone (a claim
    key, set only if absent, keeps concurrent runs out). The queue's name is fixed
    (``mixcast``), so a database of its own is what keeps two runs' jobs apart; at the end the
    keys made in it are deleted, one by one, never the database."""
    token = secrets.token_hex(8)
    try:
        redis.Redis(REDIS_HOST, REDIS_PORT, socket_timeout=2).ping()
    except redis.RedisError as error:
        pytest.fail(
            f"Redis does not answer at {REDIS_HOST}:{REDIS_PORT} (start it; CI does): {error}"
        )
    for index in secrets.SystemRandom().sample(range(1, 16), 15):
        client = redis.Redis(REDIS_HOST, REDIS_PORT, db=index)
        if client.set(_CLAIM, token, nx=True, ex=600):
            if client.dbsize() == 1:
                break
            client.delete(_CLAIM)  # someone else's data is here: leave it be
        client.close()
    else:
        pytest.fail("no empty Redis database (1-15) to run the job queue in")
    try:
        yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{index}"
    finally:
        made = [key for key in client.scan_iter(match="huey.*")]
        if made:
            client.delete(*made)
        if client.get(_CLAIM) == token.encode():
            client.delete(_CLAIM)
        client.close()


def queued_jobs(queue_url: str) -> int:
    """How many jobs wait in the ``mixcast`` huey queue at ``queue_url``."""
    with redis.Redis.from_url(queue_url) as client:
        return int(client.llen("huey.redis.mixcast"))


# ------------------------------------------------------------------ commands


def mixcast_command(*args: str) -> list[str]:
    """``mixcast …`` as the doc runs it: the venv's entry point, beside this Python."""
    return [str(Path(sys.executable).parent / "mixcast"), *args]


def run(argv: list[str], env: dict[str, str], ran: list[list[str]]) -> str:
    """Run one of the doc's commands to completion; record it in ``ran``; its output."""
    ran.append(argv)
    done = subprocess.run(
        argv, env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{shlex.join(argv)} exited {done.returncode}:\n{output}"
    assert "Traceback" not in output, output
    return output


@contextmanager
def serving_together(
    *specs: tuple[dict[str, str], tuple[str, ...]],
) -> Iterator[list[Served]]:
    """``serving(env, *args)`` for each spec, started side by side (a start is mostly
    imports); all are stopped at the end, in reverse order."""
    managers = [serving(env, *args) for env, args in specs]
    with ExitStack() as stack, ThreadPoolExecutor(len(managers)) as pool:
        futures = [pool.submit(manager.__enter__) for manager in managers]
        started, failure = [], None
        for manager, future in zip(managers, futures, strict=True):
            try:
                started.append(future.result())
                stack.push(manager.__exit__)
            except BaseException as error:  # pytest.fail's exception is a BaseException
                failure = failure or error
        if failure is not None:
            raise failure
        yield started


@contextmanager
def running(argv: list[str], env: dict[str, str], ran: list[list[str]]) -> Iterator[Running]:
    """A command that keeps running (``rank --every``) until the block ends (Ctrl-C, as
    a person stops it); ``Running.wait_for_line()`` waits for what it prints."""
    ran.append(argv)
    process = subprocess.Popen(
        argv,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    handle = Running(process)
    try:
        yield handle
    finally:
        process.send_signal(signal.SIGINT)
        handle.output += process.communicate(timeout=30)[0]
    assert process.returncode == 0, handle.output
    assert "Traceback" not in handle.output, handle.output


@dataclass
class Running:
    process: subprocess.Popen[str]
    output: str = ""

    def wait_for_line(self, pattern: str) -> str:
        """The first line (from here on) that matches ``pattern``; fails if it ends first."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output += line
            if re.search(pattern, line):
                return line
        pytest.fail(f"{self.process.args!r} ended without printing {pattern!r}:\n{self.output}")


# ------------------------------------------------------------------ nginx


def self_signed_certificate(folder: Path) -> None:
    """``fullchain.pem`` and ``privkey.pem`` for both public hosts, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "1", "-subj", f"/CN={SITE_HOST}",
            "-addext", f"subjectAltName=DNS:{SITE_HOST},DNS:{API_HOST}",
            "-keyout", str(folder / "privkey.pem"), "-out", str(folder / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip


def substituted(config: str, replacements: dict[str, str]) -> str:
    """``config`` with each key replaced; a key the doc no longer has fails the test."""
    for old, new in replacements.items():
        assert old in config, f"docs/deploy.md's nginx config no longer has {old!r}"
        config = config.replace(old, new)
    return config


def nginx_main_config(root: Path, included: Path) -> str:
    """The nginx.conf around the doc's file: everything nginx writes goes under ``root``."""
    # Under root the workers would run as nobody, who cannot enter pytest's private folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {root / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}worker_processes 1;\npid {root / 'nginx.pid'};\n"
        f"error_log {root / 'error.log'} warn;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n    access_log {root / 'access.log'};\n{temp}\n    include {included};\n}}\n"
    )


@contextmanager
def running_nginx(
    root: Path, site_config: str, ports: list[int], ran: list[list[str]]
) -> Iterator[None]:
    """nginx with ``site_config`` (the doc's file) in the http block, checked with ``nginx -t``
    first, serving until the block ends; its error log may hold nothing worse than warnings."""
    included = root / "mixcast.conf"
    included.write_text(site_config)
    main = root / "nginx.conf"
    main.write_text(nginx_main_config(root, included))
    args = ["-p", str(root), "-c", str(main)]
    run([NGINX, "-t", *args], {}, ran)
    process = subprocess.Popen([NGINX, *args, "-g", "daemon off;"], stderr=subprocess.PIPE)
    try:
        for port in ports:
            _wait_for_port(port, process, root / "error.log")
        yield
    finally:
        process.terminate()
        process.communicate(timeout=10)
    errors = (root / "error.log").read_text()
    assert not re.search(r"\[(emerg|alert|crit)\]", errors), errors


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.05)
    process.kill()
    stderr = process.communicate(timeout=10)[1].decode()
    pytest.fail(f"nginx did not start:\n{stderr}\n{log.read_text() if log.exists() else ''}")


# ------------------------------------------------------------------ clients


class ToAddress(httpx.AsyncBaseTransport):
    """Sends requests for the public hosts (``netlocs``) to ``target`` instead, their Host
    header unchanged: to nginx (https), or straight to one server (http) with the
    ``X-Forwarded-Proto: https`` that nginx would have added. Other URLs (the bucket's
    presigned ones) go where they say."""

    def __init__(self, netlocs: set[str], target: str, *, as_proxy: bool) -> None:
        self.netlocs = netlocs
        self.target = httpx.URL(target)
        self.as_proxy = as_proxy
        self.inner = httpx.AsyncHTTPTransport(verify=False)  # nginx's certificate is self-signed

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.netloc.decode() in self.netlocs:
            # A new request: the client keeps the original, whose URL its cookie jar reads.
            url = request.url.copy_with(
                scheme=self.target.scheme, host=self.target.host, port=self.target.port
            )
            headers = request.headers.copy()  # Host: the public one
            if self.as_proxy:
                headers.setdefault("X-Forwarded-Proto", "https")
            request = httpx.Request(
                request.method,
                url,
                headers=headers,
                stream=request.stream,
                extensions=request.extensions,
            )
        elif request.url.host != "127.0.0.1":
            raise AssertionError(f"a request left the machine: {request.url}")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
