"""A realistic mix of requests at rising concurrency against the two-process deployment.

The script sets the deployment up itself, on this machine, and takes it down at the end:

- a scratch PostgreSQL database (``--postgres``, default ``postgresql://postgres@127.0.0.1:5432``;
  named ``mixcast_bench_mixed_<pid>``, dropped at the end), filled by ``bench/gen.py``
  (``--users``, ``--shows``: 2,000 and 20,000);
- Redis (``--redis``) for the job queue and the rate limiter: an empty Redis database (1-15)
  claimed as the scale tests claim one (huey's queue name is fixed), the limiter's keys under a
  prefix of this run; the keys made are deleted at the end, and the claim released;
- local file storage in a temporary folder shared by every process;
- two ``mixcast serve --workers 1`` processes (``MIXCAST_JOB_WORKERS=0``, one site URL: as two
  machines behind one proxy) and one ``mixcast worker``; the read, write and upload limits are
  raised to 100,000,000/minute, on, through Redis, never reached.

Then a mix of requests by ``C`` concurrent clients for ``--seconds`` at each step of ``--steps``
(1 2 4 8 16 32 64), half of the clients on each server, each with its own keep-alive
connection and its own access token (one of the first ``max(steps)`` generated users):

- 60% reads: a show (``/api/<user>/<slug>/``), with ``?metadata=1`` a quarter of the time, a
  user likewise; a third of them with the client's token (the token extras);
- 15% lists: a user's cloudcasts, followers and favorites, ``/popular/``, ``/popular/hot/``,
  ``/new/``, a genre's new shows and the genre itself;
- 8% search (shows, a fifth users) with words of the generator's vocabulary;
- 8% writes: follow/unfollow, favorite/unfavorite, listen later and its removal, on random users
  and shows;
- 8% listens: ``POST /<user>/<slug>/listens/`` with the site's ``Origin``, the client's anonymous
  listener id, 31-3600 seconds heard and a random ``X-Forwarded-For`` (a real site's listeners
  come from many addresses; the servers trust loopback as their proxy);
- one upload every ``--upload-every`` seconds (5): a 15-second MP3 through multipart
  ``POST /api/upload/``, processed by the worker.

Every key exists (sampled from the database), so every answer must be a 2xx: an **error** is a
socket error, a timeout (``--timeout``) or any status outside 2xx/3xx, 404 and 429 included.
Per step: concurrency, requests/s, p50 and p99 (ms), error rate, and the load generator's CPU.
The **knee** is the last step before throughput grows less than 10% while p99 more than doubles,
or before errors appear (else the last step before throughput stops growing by 10%, else the
last step). There must be no error below the knee.

The floor, in the same run: the same load generator at the knee's concurrency against
``bench/floor_app.py`` served the same way (two uvicorn processes of one worker on the same two
ports): GETs of a show (75%), a user's cloudcasts (15%) and ``/popular/`` (10%), each running
mixcast's queries through the plain driver. The ratio is mixcast's req/s at the knee over the
floor's. The load generator's own ceiling is measured against a server that answers a fixed
200 with no work (a bare asyncio protocol) at the highest concurrency.

After the load the script waits for the worker to finish the uploads, then runs
``mixcast check-counters``: the exit status is non-zero when a counter differs from its rows,
when an upload failed or when there were errors below the knee.

Run from the repository root (needs PostgreSQL, Redis and ffmpeg)::

    .venv/bin/python bench/mixed.py                 # about 2 minutes
    .venv/bin/python bench/mixed.py --quick         # under a minute: a smoke test
    .venv/bin/python bench/mixed.py --steps 4,16,64 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ratios import ratio_line
from show_get import ROOT, TICK, BenchError, _machine_busy_ticks, guarded, serve

FLOOR_APP = ROOT / "bench" / "floor_app.py"
GEN = ROOT / "bench" / "gen.py"
HIGH = "100000000/minute"  # rate limits on, but never reached
RUN_TAG = f"bench-mixed-{os.getpid()}"
DB_NAME = f"mixcast_bench_mixed_{os.getpid()}"

# The mix: (weight, kind). Uploads come on a clock, not by weight.
MIX = (
    (35, "show"),
    (10, "show_meta"),
    (10, "user"),
    (5, "user_meta"),
    (15, "list"),
    (8, "search"),
    (8, "write"),
    (8, "listen"),
)
FLOOR_MIX = ((75, "floor_show"), (15, "floor_cloudcasts"), (10, "floor_popular"))
CEILING_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
)


# ---------------------------------------------------------------- HTTP client


class Connection:
    """One keep-alive HTTP/1.1 connection: a request is written whole, its answer read by
    Content-Length or chunks. Lighter than any client library, so the generator stays cheap."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.host = f"127.0.0.1:{port}".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(
        self, method: str, target: str, headers: bytes = b"", body: bytes | None = None
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                "127.0.0.1", self.port, limit=1 << 20
            )
        assert self.reader is not None
        head = b"%s %s HTTP/1.1\r\nHost: %s\r\n%s" % (
            method.encode(),
            target.encode(),
            self.host,
            headers,
        )
        if body is not None:
            head += b"Content-Length: %d\r\n" % len(body)
        self.writer.write(head + b"\r\n" + (body or b""))
        raw = await self.reader.readuntil(b"\r\n\r\n")
        status = int(raw[9:12])
        length, chunked, close = -1, False, False
        for line in raw.lower().split(b"\r\n")[1:]:
            if line.startswith(b"content-length:"):
                length = int(line[15:])
            elif line.startswith(b"transfer-encoding:") and b"chunked" in line:
                chunked = True
            elif line.startswith(b"connection:") and b"close" in line:
                close = True
        if chunked:
            parts = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                parts.append(await self.reader.readexactly(size + 2))
            await self.reader.readuntil(b"\r\n")
            data = b"".join(p[:-2] for p in parts)
        elif length >= 0:
            data = await self.reader.readexactly(length)
        else:
            data, close = await self.reader.read(), True
        if close:
            self.close()
        return status, data


# ---------------------------------------------------------------- the mix


@dataclass
class Data:
    """What the requests are made of, sampled from the database."""

    shows: list[str]  # quoted "/user/slug/" of public, ready shows
    users: list[str]  # quoted usernames (follow targets: none of the token users)
    owners: list[str]  # quoted usernames of users with public shows
    genres: list[str]  # genre tag slugs
    tokens: list[tuple[str, str]]  # (username, access token)
    words: list[str]  # search vocabulary
    mp3: bytes = b""
    site_origin: str = ""


@dataclass
class Shared:
    """State the clients of one step share: the upload clock."""

    upload_every: float
    next_upload: float = 0.0
    uploads: int = 0


LISTS = (
    "/api/{owner}/cloudcasts/",
    "/api/{user}/followers/",
    "/api/{user}/favorites/",
    "/api/popular/",
    "/api/popular/hot/",
    "/api/new/",
    "/api/genres/{genre}/new/",
    "/api/genres/{genre}/",
)
ACTIONS = (
    ("follow", "/api/{user}/follow/"),
    ("favorite", "{show}favorite/"),
    ("listen-later", "{show}listen-later/"),
)


class Client:
    """One simulated client: its connection, token, listener id and random stream."""

    def __init__(self, index: int, port: int, data: Data, seed: int) -> None:
        self.conn = Connection(port)
        self.data = data
        self.rnd = random.Random(seed * 100_003 + index)
        self.username, self.token = data.tokens[index % len(data.tokens)]
        self.listener = f"benchlistener{index:04d}{self.rnd.getrandbits(32):08x}"
        kinds = [kind for _, kind in MIX]
        self.kinds = self.rnd.choices(kinds, [w for w, _ in MIX], k=4096)
        floor = [kind for _, kind in FLOOR_MIX]
        self.floor_kinds = self.rnd.choices(floor, [w for w, _ in FLOOR_MIX], k=4096)
        self.turn = 0

    def next_kind(self, floor: bool) -> str:
        self.turn += 1
        kinds = self.floor_kinds if floor else self.kinds
        return kinds[self.turn % len(kinds)]

    def _token(self, share: float) -> str:
        return f"access_token={self.token}" if self.rnd.random() < share else ""

    async def send(self, kind: str) -> int:
        """One request of ``kind``; its status."""
        rnd, data = self.rnd, self.data
        if kind in ("show", "show_meta", "user", "user_meta"):
            path = "/api" + rnd.choice(data.shows)
            if kind.startswith("user"):
                path = path[: path.index("/", 5) + 1]
            query = "&".join(
                q for q in ("metadata=1" * kind.endswith("meta"), self._token(0.33)) if q
            )
            return (await self.conn.request("GET", path + ("?" + query if query else "")))[0]
        if kind == "list":
            path = rnd.choice(LISTS).format(
                owner=rnd.choice(data.owners),
                user=rnd.choice(data.users),
                genre=rnd.choice(data.genres),
            )
            return (await self.conn.request("GET", path))[0]
        if kind == "search":
            words = " ".join(rnd.sample(data.words, rnd.choice((1, 2))))
            kind_q = "user" if rnd.random() < 0.2 else "cloudcast"
            return (await self.conn.request("GET", f"/api/search/?q={quote(words)}&type={kind_q}"))[
                0
            ]
        if kind == "write":
            _, template = rnd.choice(ACTIONS)
            path = template.format(
                user=rnd.choice(data.users), show="/api" + rnd.choice(data.shows)
            )
            method = "POST" if rnd.random() < 0.5 else "DELETE"
            return (await self.conn.request(method, f"{path}?access_token={self.token}"))[0]
        if kind == "listen":
            body = b'{"listener": "%s", "seconds": %d}' % (
                self.listener.encode(),
                rnd.randint(31, 3600),
            )
            address = f"10.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}"
            headers = (
                f"Origin: {data.site_origin}\r\nX-Forwarded-For: {address}\r\n"
                "Content-Type: text/plain;charset=UTF-8\r\n"
            ).encode()
            path = rnd.choice(data.shows) + "listens/"
            return (await self.conn.request("POST", path, headers, body))[0]
        if kind == "upload":
            boundary = uuid.uuid4().hex
            fields = {"name": f"Bench mix {boundary[:8]}", "tags-0-tag": "Bench"}
            body = b"".join(
                b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                % (boundary.encode(), k.encode(), v.encode())
                for k, v in fields.items()
            )
            body += (
                b'--%s\r\nContent-Disposition: form-data; name="mp3"; filename="mix.mp3"\r\n'
                b"Content-Type: audio/mpeg\r\n\r\n%s\r\n--%s--\r\n"
                % (boundary.encode(), data.mp3, boundary.encode())
            )
            headers = f"Content-Type: multipart/form-data; boundary={boundary}\r\n".encode()
            target = f"/api/upload/?access_token={self.token}"
            return (await self.conn.request("POST", target, headers, body))[0]
        if kind == "floor_show":
            return (await self.conn.request("GET", rnd.choice(data.shows)))[0]
        if kind == "floor_cloudcasts":
            return (await self.conn.request("GET", f"/{rnd.choice(data.owners)}/cloudcasts/"))[0]
        if kind == "floor_popular":
            return (await self.conn.request("GET", f"/popular/?offset={20 * rnd.randrange(5)}"))[0]
        raise ValueError(kind)


# ---------------------------------------------------------------- one step


@dataclass
class Step:
    concurrency: int
    seconds: float
    latencies: list[float] = field(default_factory=list)  # ms, every request
    errors: Counter[str] = field(default_factory=Counter)  # "kind status" -> count
    kinds: Counter[str] = field(default_factory=Counter)
    client_cpu: float = 0.0  # cores the load generator used
    others: float = 0.0  # cores every process but the deployment's and the generator's used

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def error_rate(self) -> float:
        return self.error_count / self.requests if self.requests else 0.0


async def run_step(
    ports: list[int],
    data: Data,
    concurrency: int,
    seconds: float,
    timeout: float,
    seed: int,
    floor: bool = False,
    shared: Shared | None = None,
) -> Step:
    """``concurrency`` clients, spread over ``ports``, for ``seconds``."""
    step = Step(concurrency, seconds)
    clients = [Client(i, ports[i % len(ports)], data, seed) for i in range(concurrency)]
    deadline = time.perf_counter() + seconds

    async def loop(client: Client) -> None:
        while time.perf_counter() < deadline:
            kind = client.next_kind(floor)
            if shared and time.monotonic() >= shared.next_upload:
                shared.next_upload = time.monotonic() + shared.upload_every
                shared.uploads += 1
                kind = "upload"
            started = time.perf_counter()
            try:
                async with asyncio.timeout(timeout):
                    status = await client.send(kind)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
                status = 0
                client.conn.close()
                step.errors[f"{kind} {type(error).__name__}"] += 1
            step.latencies.append((time.perf_counter() - started) * 1000)
            step.kinds[kind] += 1
            if status and not 200 <= status < 400:
                step.errors[f"{kind} {status}"] += 1
        client.conn.close()

    cpu0, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(loop(c) for c in clients))
    step.seconds = time.perf_counter() - started
    step.client_cpu = (time.process_time() - cpu0) / step.seconds
    return step


def find_knee(steps: list[Step]) -> tuple[int, str]:
    """The index of the knee step and how it was found."""
    for i in range(len(steps) - 1):
        now, nxt = steps[i], steps[i + 1]
        if nxt.error_count:
            return i, "errors appear at the next step"
        if nxt.rps < 1.1 * now.rps and nxt.pct(0.99) > 2 * now.pct(0.99):
            return i, "next step: throughput +<10%, p99 x>2"
    for i in range(len(steps) - 1):
        if steps[i + 1].rps < 1.1 * steps[i].rps:
            return i, "next step: throughput +<10% (p99 did not double)"
    return len(steps) - 1, "not reached: throughput still growing at the last step"


# ---------------------------------------------------------------- the deployment


def _pg_url(base: str, dbname: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path="/" + dbname))


def create_database(admin_url: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return _pg_url(admin_url, DB_NAME)


def drop_database(admin_url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


# The claim key of tests/integration/deployment.py: a database is taken by whoever sets it in an
# otherwise empty database, so this script and the scale tests keep out of each other's way.
CLAIM = "mixcast-test-claim"
CLAIM_TOKEN = uuid.uuid4().hex


def claim_redis_db(base: str) -> str:
    """``base/N``: a Redis database (1-15) that was empty and is this run's alone. huey's queue
    name is fixed (``mixcast``), so a database of its own keeps this run's jobs apart."""
    import redis

    for n in random.sample(range(1, 16), 15):
        client = redis.Redis.from_url(f"{base.rstrip('/')}/{n}")
        try:
            if client.set(CLAIM, CLAIM_TOKEN, nx=True, ex=3600):
                if client.dbsize() == 1:
                    return f"{base.rstrip('/')}/{n}"
                client.delete(CLAIM)  # someone else's keys are here: leave them be
        finally:
            client.close()
    raise BenchError("no empty Redis database (1-15) for the queue")


def release_redis_db(url: str) -> int:
    """Delete this run's keys (the queue's, the limiter's), then the claim."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = [k for pattern in ("huey.*", f"{RUN_TAG}*") for k in client.scan_iter(pattern)]
        if keys:
            client.delete(*keys)
        if client.get(CLAIM) == CLAIM_TOKEN.encode():
            client.delete(CLAIM)
        return len(keys)
    finally:
        client.close()


def sample_data(url: str, tokens: int, seed: int) -> Data:
    import psycopg
    import search

    rnd = random.Random(seed)
    with psycopg.connect(url) as conn:
        conn.execute("SELECT setseed(%s)", (rnd.random() * 2 - 1,))
        shows = conn.execute(
            "SELECT u.username, s.slug FROM shows s JOIN users u ON u.id = s.owner_id "
            "WHERE s.status = 'ready' AND s.visibility = 'public' ORDER BY random() LIMIT 3000"
        ).fetchall()
        token_users = conn.execute(
            "SELECT username FROM users ORDER BY id LIMIT %s", (tokens,)
        ).fetchall()
        users = conn.execute(
            "SELECT username FROM users WHERE id > %s ORDER BY random() LIMIT 2000", (tokens,)
        ).fetchall()
        genres = conn.execute("SELECT slug FROM tags WHERE kind = 'genre'").fetchall()
    if not shows or not users or not genres:
        raise BenchError("the generated database has no public shows, users or genres")

    def q(text: str) -> str:
        return quote(text, safe="")

    return Data(
        shows=[f"/{q(u)}/{q(s)}/" for u, s in shows],
        users=[q(u) for (u,) in users],
        owners=sorted({q(u) for u, _ in shows}),
        genres=[q(g) for (g,) in genres],
        tokens=[(u, "") for (u,) in token_users],
        words=search.vocabulary(),
    )


async def issue_tokens(url: str, usernames: list[str]) -> list[str]:
    """One app (of the first user) and an access token for each user, as the OAuth flow or
    ``mixcast issue-token`` would make them."""
    from mixcast.db.database import Query, connect
    from mixcast.db.urls import DatabaseURL
    from mixcast.oauth.apps import AppForm, create_app
    from mixcast.oauth.tokens import issue_token

    now = time.time_ns() // 1000
    by_name = Query("SELECT id FROM users WHERE username = :name")
    db = await connect(DatabaseURL.parse(url))
    try:
        async with db.transaction() as tx:
            ids = [await tx.fetch_value(by_name, {"name": n}) for n in usernames]
            form = AppForm("Bench mixed", "", ("https://bench.example/callback",))
            app = (await create_app(tx, ids[0], form, now)).app
            return [await issue_token(tx, app.id, user_id, now) for user_id in ids]
    finally:
        await db.close()


def make_mp3(path: Path) -> bytes:
    ffmpeg = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"
    subprocess.run(
        [ffmpeg, "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         "sine=frequency=330:sample_rate=44100:duration=15", "-ac", "2",
         "-c:a", "libmp3lame", "-b:a", "128k", str(path)],
        check=True,
    )  # fmt: skip
    return path.read_bytes()


@contextlib.contextmanager
def process(name: str, cmd: list[str], env: dict[str, str], log: Path) -> Iterator[int]:
    """A background process in its own group (the worker), killed with its group at the end."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        time.sleep(1)
        if proc.poll() is not None:
            raise BenchError(f"{name} exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
        yield proc.pid  # its process group's id
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def pending_uploads(url: str) -> tuple[int, int, int]:
    """Shows of this run's uploads: (not yet processed, ready, failed)."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows: dict[str, int] = dict(
            conn.execute(
                "SELECT status, count(*) FROM shows WHERE name LIKE 'Bench mix %%' GROUP BY status"
            ).fetchall()
        )
    return (
        rows.get("received", 0) + rows.get("processing", 0),
        rows.get("ready", 0),
        rows.get("failed", 0),
    )


# ---------------------------------------------------------------- the ceiling


class _FixedAnswer(asyncio.Protocol):
    """Answers every request head with the same 200 (GETs only: no body to skip)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport, self.buffer = cast(asyncio.Transport, transport), b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        count = self.buffer.count(b"\r\n\r\n")
        if count:
            self.buffer = self.buffer[self.buffer.rindex(b"\r\n\r\n") + 4 :]
            self.transport.write(CEILING_RESPONSE * count)


def serve_fixed(port: int) -> None:
    """``--fixed-server PORT``: the no-work server the ceiling is measured against."""
    _use_uvloop()

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(_FixedAnswer, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def _use_uvloop() -> None:
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


# ---------------------------------------------------------------- the neighbours


def _ticks_of(pgids: set[int], pids: set[int]) -> int:
    """CPU clock ticks of the live processes in the given process groups or with those pids."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) in pgids or int(entry.name) in pids:
            total += int(fields[11]) + int(fields[12])
    return total


def _backends(db_url: str) -> set[int]:
    """The PostgreSQL backends connected to the run's database."""
    import psycopg

    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return {pid for (pid,) in rows}


def measured(pgids: set[int], db_url: str, step: Coroutine[Any, Any, Step]) -> Step:
    """Run ``step``; set the cores the other processes of the machine used meanwhile (the
    deployment's groups, its PostgreSQL backends and this process left out; Redis is counted
    among the others): on a shared machine they explain the noise."""
    pids = _backends(db_url) | {os.getpid()}
    busy0, ours0 = _machine_busy_ticks(), _ticks_of(pgids, pids)
    result = asyncio.run(step)
    pids |= _backends(db_url)
    busy1, ours1 = _machine_busy_ticks(), _ticks_of(pgids, pids)
    result.others = max(0, (busy1 - busy0) - (ours1 - ours0)) / TICK / result.seconds
    return result


# ---------------------------------------------------------------- printing


def step_line(label: str, step: Step) -> str:
    errors = ""
    if step.errors:
        errors = "  errors: " + ", ".join(f"{k} x{n}" for k, n in step.errors.most_common(5))
    return (
        f"{label:<8}{step.concurrency:>6}{step.rps:>10,.0f}{step.pct(0.5):>9.1f}"
        f"{step.pct(0.99):>9.1f}{step.error_rate * 100:>8.2f}%{step.client_cpu:>8.2f}"
        f"{step.others:>7.2f}{step.requests:>9,}{errors}"
    )


HEADER = (
    f"{'server':<8}{'conc':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>9}"
    f"{'gen CPU':>8}{'others':>7}{'requests':>9}"
)


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default="1,2,4,8,16,32,64", help="concurrencies, in order")
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per step")
    parser.add_argument("--quick", action="store_true", help="a smoke run under a minute")
    parser.add_argument("--users", type=int, default=2000, help="users gen.py makes")
    parser.add_argument("--shows", type=int, default=20000, help="shows gen.py makes")
    parser.add_argument("--upload-every", type=float, default=5, help="seconds between uploads")
    parser.add_argument("--timeout", type=float, default=30, help="seconds before a request fails")
    parser.add_argument("--ports", default="8751,8752", help="the two servers' ports")
    parser.add_argument(
        "--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server where the script may create and drop a database",
    )  # fmt: skip
    parser.add_argument("--redis", default="redis://127.0.0.1:6379", help="Redis server")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fixed-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.seconds, args.users, args.shows = "1,4,16", 4, 200, 2000
    args.step_list = [int(s) for s in args.steps.split(",")]
    args.port_list = [int(p) for p in args.ports.split(",")]
    if len(args.port_list) != 2:
        parser.error("--ports takes two ports")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.fixed_server:
        serve_fixed(args.fixed_server)
        return 0
    _use_uvloop()
    outcome: dict[str, int] = {"status": 0}

    def body(work: Path) -> None:
        redis_url = claim_redis_db(args.redis)
        try:
            drop_database(args.postgres)
            db_url = create_database(args.postgres)
            try:
                outcome["status"] = run(args, work, db_url, redis_url)
            finally:
                drop_database(args.postgres)
                print(f"dropped the database {DB_NAME}", flush=True)
        finally:
            print(f"deleted {release_redis_db(redis_url)} Redis keys of the run ({redis_url})")

    status = guarded("bench-mixed-", body)
    return status or outcome["status"]


def run(args: argparse.Namespace, work: Path, db_url: str, redis_url: str) -> int:
    started = time.monotonic()
    print(
        f"[setup] database {DB_NAME}: gen.py --users {args.users} --shows {args.shows}", flush=True
    )
    gen = subprocess.run(
        [sys.executable, str(GEN), "--database-url", db_url, "--users", str(args.users),
         "--shows", str(args.shows), "--seed", str(args.seed)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if gen.returncode:
        raise BenchError(f"gen.py failed:\n{gen.stdout[-2000:]}\n{gen.stderr[-2000:]}")
    max_clients = max(args.step_list)
    data = sample_data(db_url, max_clients, args.seed)
    tokens = asyncio.run(issue_tokens(db_url, [u for u, _ in data.tokens]))
    data.tokens = [(u, t) for (u, _), t in zip(data.tokens, tokens, strict=True)]
    data.mp3 = make_mp3(work / "mix.mp3")
    port_a, port_b = args.port_list
    data.site_origin = f"http://127.0.0.1:{port_a}"
    print(
        f"[setup] {len(data.shows):,} shows, {len(data.users):,} users, {len(data.genres)} genres "
        f"sampled; {len(tokens)} tokens; in {time.monotonic() - started:.0f} s",
        flush=True,
    )
    data_dir = work / "data"
    env = {
        **os.environ,
        "MIXCAST_DATABASE_URL": db_url,
        "MIXCAST_DATA_DIR": str(data_dir),
        "MIXCAST_STORAGE_URL": f"file://{data_dir / 'media'}",
        "MIXCAST_QUEUE_URL": redis_url,
        "MIXCAST_RATELIMIT_URL": f"{redis_url}?prefix={RUN_TAG}",
        "MIXCAST_RATELIMIT_READ": HIGH,
        "MIXCAST_RATELIMIT_WRITE": HIGH,
        "MIXCAST_RATELIMIT_UPLOAD": HIGH,
        "MIXCAST_SITE_URL": data.site_origin,
        "MIXCAST_API_URL": data.site_origin + "/api",
        "MIXCAST_RANK_INTERVAL": "0",
    }
    serve_env = {**env, "MIXCAST_JOB_WORKERS": "0"}
    probe = "/api" + data.shows[0]
    steps: list[Step] = []
    shared = Shared(args.upload_every)
    groups: set[int] = set()  # the process groups of the servers and the worker
    with contextlib.ExitStack() as stack:
        for port in (port_a, port_b):
            cmd = [sys.executable, "-m", "mixcast", "serve", "--port", str(port), "--workers", "1"]
            groups.add(
                stack.enter_context(
                    serve(
                        f"mixcast:{port}", cmd, serve_env, port, probe, work / f"serve-{port}.log"
                    )
                )
            )
        worker_cmd = [sys.executable, "-m", "mixcast", "worker"]
        groups.add(stack.enter_context(process("worker", worker_cmd, env, work / "worker.log")))
        print(f"[setup] serving on {port_a} and {port_b}, one worker; warming up", flush=True)
        warm = asyncio.run(
            run_step([port_a, port_b], data, 4, min(3, args.seconds), args.timeout, args.seed + 99)
        )
        if warm.error_count:
            raise BenchError(f"errors while warming up: {dict(warm.errors)}")
        print(
            "\nmixcast, 2 servers x 1 process, PostgreSQL, Redis, local files; "
            f"{args.seconds:g} s a step"
        )
        print(HEADER, flush=True)
        shared.next_upload = time.monotonic()
        for i, concurrency in enumerate(args.step_list):
            step = measured(
                groups, db_url,
                run_step([port_a, port_b], data, concurrency, args.seconds, args.timeout,
                         args.seed + i, shared=shared),
            )  # fmt: skip
            steps.append(step)
            print(step_line("mixcast", step), flush=True)
        deadline = time.monotonic() + 300
        while (pending := pending_uploads(db_url))[0] and time.monotonic() < deadline:
            time.sleep(1)
    knee, why = find_knee(steps)
    knee_step = steps[knee]
    print(
        f"\nknee: {knee_step.concurrency} clients, {knee_step.rps:,.0f} req/s ({why})", flush=True
    )

    # The floor at the knee's concurrency, then the generator's ceiling, on the same ports.
    floor_groups: set[int] = set()
    with contextlib.ExitStack() as stack:
        for port in (port_a, port_b):
            cmd = [
                sys.executable,
                str(FLOOR_APP),
                "--database-url",
                db_url,
                "--port",
                str(port),
                "--workers",
                "1",
            ]
            floor_groups.add(
                stack.enter_context(
                    serve(
                        f"floor:{port}",
                        cmd,
                        dict(os.environ),
                        port,
                        data.shows[0],
                        work / f"floor-{port}.log",
                    )
                )
            )
        asyncio.run(
            run_step(
                [port_a, port_b], data, 4, min(2, args.seconds), args.timeout, args.seed, floor=True
            )
        )
        floor = measured(
            floor_groups, db_url,
            run_step(
                [port_a, port_b], data, knee_step.concurrency, args.seconds, args.timeout,
                args.seed, floor=True,
            ),
        )  # fmt: skip
    print(HEADER)
    print(step_line("floor", floor), flush=True)
    fixed_port = port_a
    fixed_cmd = [sys.executable, str(Path(__file__).resolve()), "--fixed-server", str(fixed_port)]
    with serve("fixed", fixed_cmd, dict(os.environ), fixed_port, "/", work / "fixed.log") as pgid:
        ceiling = measured(
            {pgid}, db_url,
            run_step(
                [fixed_port], data, max_clients, min(5, args.seconds), args.timeout, args.seed,
                floor=True,
            ),
        )  # fmt: skip
    print(step_line("no-work", ceiling))
    print(
        f"\nload generator ceiling: {ceiling.rps:,.0f} req/s (one process, {max_clients} "
        f"connections, against a server that does no work; it used {ceiling.client_cpu:.2f} cores)"
    )
    if knee_step.rps > 0.5 * ceiling.rps:
        print("WARNING: the knee is above half the generator's ceiling: the client may limit it")

    failures = []
    below = [s for s in steps[: knee + 1] if s.error_count]
    if below:
        failures.append(f"errors at or below the knee: {[s.concurrency for s in below]}")
    if floor.error_count:
        failures.append(f"the floor answered errors: {dict(floor.errors)}")
    waiting, ready, failed = pending
    print(f"uploads: {shared.uploads} sent, {ready} ready, {failed} failed, {waiting} unprocessed")
    if waiting or failed:
        failures.append(f"{failed} uploads failed and {waiting} were not processed in time")
    check = subprocess.run(
        [sys.executable, "-m", "mixcast", "check-counters"],
        cwd=ROOT, env={**os.environ, "MIXCAST_DATABASE_URL": db_url},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    print(f"mixcast check-counters: {check.stdout.strip()[-1500:]}")
    if check.returncode:
        failures.append("counters differ from their rows")
    ratio = knee_step.rps / floor.rps if floor.rps else 0.0
    print(
        f"\nratio {ratio:.3f}: mixcast {knee_step.rps:,.0f} req/s at the knee "
        f"({knee_step.concurrency} clients) / floor {floor.rps:,.0f} req/s at the same concurrency"
    )
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    print(f"total {time.monotonic() - started:.0f} s")
    print(
        ratio_line(
            "mixed", f"mixed load at the knee ({knee_step.concurrency} clients, p99 "
            f"{knee_step.pct(0.99):.0f} ms) / floor_app, 2 processes",
            knee_step.rps, floor.rps, ratio, "req/s", "none",
        )
    )  # fmt: skip
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
