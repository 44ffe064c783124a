"""``mixcast upload`` against a real HTTP server on loopback: a ThreadingHTTPServer that parses
what arrives with python-multipart (as the mixcast server does) and answers the documented
bodies (wire-format.md §8.3, §9). What is checked is what a user and a server see: the fields,
files and bytes that arrive, the headers, the exit code, stdout and stderr."""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import python_multipart

from mixcast.uploads.cli import (
    MAX_MP3,
    MAX_PICTURE,
    main,
    parse_section,
    parse_time,
    show_url,
)
from mixcast.uploads.client import UploadRequest, encode_multipart, post_multipart
from mixcast.uploads.progress import ProgressBar

TOKEN = "tok-5ecr3t-a1b2c3"
SUCCESS = {"result": {"success": True, "message": "Uploaded Night Shift", "key": "/dj/night/"}}
Reply = tuple[int, dict[str, str], Any]


@dataclass
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""
    extra: bytes = b""  # anything sent after Content-Length bytes
    fields: list[tuple[str, str]] = field(default_factory=list)
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)  # name, type, data


class FakeAPI(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.received: list[Received] = []
        self.connections = 0
        self.reply: Reply = (200, {}, SUCCESS)
        self.refuse_at_headers: Reply | None = None  # answered instead of 100 Continue
        self.refuse_after: int | None = None  # body bytes read before a 413
        self.shows: list[dict[str, Any]] = []  # GET answers in turn, the last one repeats
        self.speaks_expect = True

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api"

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections += 1
        super().process_request(request, client_address)


def parse_multipart(content_type: str, body: bytes, into: Received) -> None:
    def on_field(f: Any) -> None:
        into.fields.append((f.field_name.decode(), (f.value or b"").decode()))

    def on_file(f: Any) -> None:
        f.file_object.seek(0)
        into.files[f.field_name.decode()] = (
            f.file_name.decode(),
            f.content_type,
            f.file_object.read(),
        )

    headers = {"Content-Type": content_type.encode(), "Content-Length": str(len(body)).encode()}
    python_multipart.parse_form(headers, io.BytesIO(body), on_field, on_file)


class Handler(BaseHTTPRequestHandler):
    server: FakeAPI

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def protocol_version(self) -> str:  # type: ignore[override]
        # HTTP/1.1 is what makes http.server answer Expect: 100-continue
        return "HTTP/1.1" if self.server.speaks_expect else "HTTP/1.0"

    def handle_expect_100(self) -> bool:
        if self.server.refuse_at_headers is not None:
            self._record(b"")
            self._reply(*self.server.refuse_at_headers)
            return False
        return super().handle_expect_100()

    def _record(self, body: bytes) -> Received:
        seen = Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        seen.body = body
        self.server.received.append(seen)
        return seen

    def _reply(self, status: int, headers: dict[str, str], data: Any) -> None:
        payload = data if isinstance(data, bytes) else json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        self.close_connection = True

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        if self.server.refuse_after is not None:  # refuse mid-body, as a server over its limit
            self._record(self.rfile.read(self.server.refuse_after))
            too_large = {
                "error": {"type": "FormValidationError", "message": "The upload is too large."},
                "details": {"mp3": ["The file is larger than this server takes (1 MiB)."]},
            }
            return self._reply(413, {}, too_large)
        seen = self._record(self.rfile.read(length))
        self.connection.settimeout(0.05)
        with contextlib.suppress(TimeoutError):
            seen.extra = self.rfile.read1(1)
        parse_multipart(self.headers["Content-Type"], seen.body, seen)
        self._reply(*self.server.reply)

    def do_GET(self) -> None:
        self._record(b"")
        show = self.server.shows.pop(0) if len(self.server.shows) > 1 else self.server.shows[0]
        self._reply(200, {}, show)


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    server = FakeAPI()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def mp3(tmp_path: Path) -> Path:
    path = tmp_path / "night shift.mp3"
    path.write_bytes(os.urandom(300_000))
    return path


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def upload(*argv: str, err: io.StringIO | None = None, **options: Any) -> tuple[int, str, str]:
    """Run ``mixcast upload ARGV``; exit code, stdout, stderr."""
    out, err = io.StringIO(), err or io.StringIO()
    code = main(list(argv), out=out, err=err, **options)
    return code, out.getvalue(), err.getvalue()


def test_every_field_and_file_arrives_as_typed(api: FakeAPI, mp3: Path, tmp_path: Path) -> None:
    cover = tmp_path / "cover.jpg"
    cover.write_bytes(os.urandom(5000))
    code, out, err = upload(
        str(mp3), "--name", "  Night Shift 12 ", "--description", "Deep\r\nand late",
        "--tag", "House", "--tag", "Deep House",
        "--section", "1:02:03 Late Artist - Last Song - Extended",
        "--section", "0:00 Kerri Chandler – Rain",
        "--chapter", "0 Intro", "--chapter", "30:00 Part two",
        "--picture", str(cover), "--unlisted", "--publish-date", "2099-12-01T18:00:00Z",
        "--disable-comments", "--hide-stats", "--host", "alice", "--host", "bob",
        "--api", api.api, "--token", TOKEN, "--quiet",
    )  # fmt: skip
    assert (code, out, err) == (0, f"{api.api.removesuffix('/api')}/dj/night/\n", "")
    [seen] = api.received
    assert (seen.method, seen.path) == ("POST", "/api/upload/")
    assert seen.fields == [
        ("name", "Night Shift 12"),
        ("description", "Deep\nand late"),
        ("tags-0-tag", "House"),
        ("tags-1-tag", "Deep House"),
        ("sections-0-chapter", "Intro"),  # a chapter opens what starts with it
        ("sections-0-start_time", "0"),
        ("sections-1-artist", "Kerri Chandler"),
        ("sections-1-song", "Rain"),
        ("sections-1-start_time", "0"),
        ("sections-2-chapter", "Part two"),
        ("sections-2-start_time", "1800"),
        ("sections-3-artist", "Late Artist"),
        ("sections-3-song", "Last Song - Extended"),
        ("sections-3-start_time", "3723"),
        ("unlisted", "true"),
        ("disable_comments", "true"),
        ("hide_stats", "true"),
        ("publish_date", "2099-12-01T18:00:00Z"),
        ("hosts-0-username", "alice"),
        ("hosts-1-username", "bob"),
    ]
    assert seen.files == {
        "picture": ("cover.jpg", "image/jpeg", cover.read_bytes()),
        "mp3": ("night shift.mp3", "audio/mpeg", mp3.read_bytes()),
    }
    # the picture goes before the audio, so a server can refuse it before the long part
    assert seen.body.index(b'name="picture"') < seen.body.index(b'name="mp3"')
    assert int(seen.headers["content-length"]) == len(seen.body)
    assert seen.body.endswith(b"--\r\n") and seen.extra == b""
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in seen.path and TOKEN.encode() not in seen.body


def test_defaults_from_the_environment_and_the_token_stays_hidden(
    api: FakeAPI, mp3: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIXCAST_API_URL", api.api + "/")
    monkeypatch.setenv("MIXCAST_TOKEN", TOKEN + "\n")  # as `cat token.txt` leaves it
    api.reply = (400, {}, {"error": {"type": "OAuthException", "message": "Invalid token."}})
    code, out, err = upload(str(mp3), "--name", "x")
    assert code == 2 and out == ""
    assert "mixcast upload: Invalid token." in err
    [seen] = api.received
    assert seen.path == "/api/upload/" and seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in out + err


def test_encoded_length_is_exact_and_python_multipart_reads_it_back(tmp_path: Path) -> None:
    odd = tmp_path / 'a "quoted"\nname é.bin'
    odd.write_bytes(b"\r\n--b\r\n" * 1000)  # looks like a boundary, is not ours
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    req = UploadRequest([("name", 'Nüit "x"\r\nb'), ("e", "")], [("f", odd), ("g", empty)])
    parts, length = encode_multipart(req, "b")
    body = b"".join(p if isinstance(p, bytes) else p.read_bytes() for p in parts)
    assert length == len(body)
    seen = Received("POST", "/", {})
    parts, length = encode_multipart(req, "mixcast-x")
    body = b"".join(p if isinstance(p, bytes) else p.read_bytes() for p in parts)
    parse_multipart("multipart/form-data; boundary=mixcast-x", body, seen)
    assert length == len(body)
    assert seen.fields == [("name", 'Nüit "x"\r\nb'), ("e", "")]
    assert seen.files["f"] == (
        "a %22quoted%22%0Aname é.bin",
        "application/octet-stream",
        odd.read_bytes(),
    )
    assert seen.files["g"][2] == b""


def test_progress_on_a_log_has_percent_rate_and_time_left(api: FakeAPI, tmp_path: Path) -> None:
    big = tmp_path / "big.mp3"
    big.write_bytes(os.urandom(3 * 1024 * 1024))  # over EXPECT_CONTINUE_FROM: 100-continue
    code, out, err = upload(str(big), "--name", "Big", "--api", api.api, "--token", TOKEN)
    assert code == 0 and out.endswith("/dj/night/\n")
    lines = err.splitlines()
    assert lines[0] == f"uploading {big} (3.0 MiB) to {api.api}/upload/"
    progress = lines[1:-1]
    assert 5 <= len(progress) <= 10  # about one a tenth, never a flood
    for line in progress:
        assert "%" in line and " MiB/s" in line and "ETA " in line and "/3.0 MiB" in line
    assert [int(line.split("%")[0]) for line in progress] == sorted(
        int(line.split("%")[0]) for line in progress
    )
    assert lines[-1].startswith("sent 3.0 MiB in ") and lines[-1].endswith(" MiB/s)")
    assert api.received[0].headers["expect"] == "100-continue"
    assert api.received[0].files["mp3"][2] == big.read_bytes()


def test_progress_on_a_terminal_is_one_line_redrawn() -> None:
    now = [0.0]
    screen = TTY()
    bar = ProgressBar(screen, tty=True, clock=lambda: now[0])
    total = 100 * 1024 * 1024
    for second in range(1, 10):
        now[0] = float(second)
        bar(second * 10 * 1024 * 1024, total)
    drawn = screen.getvalue().split("\r")
    assert "\n" not in screen.getvalue()
    assert drawn[-1].startswith("[#####################   ]  90%  90.0/100.0 MiB  10.0 MiB/s")
    assert "ETA 0:01" in drawn[-1]
    now[0] = 20.0  # a slow end: the rate follows the last seconds, the mean all of them
    bar(total, total)
    last = screen.getvalue().split("\r")[-1]
    assert last.rstrip() == "sent 100.0 MiB in 20.0 s (5.0 MiB/s)"
    assert last.endswith("\n") and len(last) == len(drawn[-1]) + 1  # the bar is blanked out


def test_the_servers_field_errors_are_shown_next_to_what_was_typed(api: FakeAPI, mp3: Path) -> None:
    api.reply = (
        400,
        {},
        {
            "error": {"type": "FormValidationError", "message": "Check sections-1-song, name."},
            "details": {
                "name": ["This name is taken.", "Really."],
                "sections-1-start_time": ["Start times cannot go back."],
                "__all__": ["The upload is larger than 31955714 bytes."],
            },
        },
    )
    code, out, err = upload(
        str(mp3), "--name", "x", "--section", "0:10 A - B", "--chapter", "0:20 C",
        "--api", api.api, "--token", TOKEN, "--quiet",
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "mixcast upload: Check sections-1-song, name.",
        "  name: This name is taken.",
        "  name: Really.",
        "  sections-1-start_time: Start times cannot go back. (--chapter '0:20 C')",
        "  The upload is larger than 31955714 bytes.",  # __all__: the whole form
    ]


def test_a_rate_limit_says_how_long_to_wait(api: FakeAPI, mp3: Path) -> None:
    message = "You have hit your rate limit. Retry after 452 seconds."
    error = {"error": {"message": message, "type": "RateLimitException", "retry_after": 452}}
    api.reply = (403, {"Retry-After": "452"}, error)
    code, _, err = upload(str(mp3), "--name", "x", "--api", api.api, "--token", TOKEN, "--quiet")
    assert code == 2
    assert err.splitlines() == [
        f"mixcast upload: {message}",
        "  rate limited: try again in 7 min 32 s",
    ]


def test_an_answer_that_is_not_json(api: FakeAPI, mp3: Path) -> None:
    api.reply = (502, {}, b"<html>Bad Gateway</html>")
    code, _, err = upload(str(mp3), "--name", "x", "--api", api.api, "--token", TOKEN, "--quiet")
    assert (code, err) == (2, "mixcast upload: the server answered 502 Bad Gateway\n")


def test_a_server_that_refuses_mid_body_is_heard(api: FakeAPI, tmp_path: Path) -> None:
    big = tmp_path / "big.mp3"
    big.write_bytes(os.urandom(16 * 1024 * 1024))
    api.refuse_after = 1024 * 1024
    started = time.monotonic()
    code, out, err = upload(str(big), "--name", "x", "--api", api.api, "--token", TOKEN)
    assert (code, out) == (2, "")
    assert err.splitlines()[-2:] == [
        "mixcast upload: The upload is too large.",
        "  mp3: The file is larger than this server takes (1 MiB).",
    ]
    assert "sent 16.0 MiB" not in err
    assert time.monotonic() - started < 3


def test_a_refusal_from_the_headers_alone_sends_no_body(api: FakeAPI, tmp_path: Path) -> None:
    big = tmp_path / "big.mp3"
    big.write_bytes(os.urandom(2 * 1024 * 1024))
    api.refuse_at_headers = (
        400,
        {},
        {"error": {"type": "OAuthException", "message": "Invalid access token."}},
    )
    code, _, err = upload(str(big), "--name", "x", "--api", api.api, "--token", TOKEN)
    assert code == 2
    assert err.splitlines() == [
        f"uploading {big} (2.0 MiB) to {api.api}/upload/",  # and no progress: nothing went
        "mixcast upload: Invalid access token.",
    ]


def test_a_server_that_ignores_expect_still_gets_the_body(api: FakeAPI, tmp_path: Path) -> None:
    api.speaks_expect = False  # HTTP/1.0: no 100 Continue; the client waits a second, then sends
    big = tmp_path / "big.mp3"
    big.write_bytes(os.urandom(1024 * 1024))
    code, _, _ = upload(str(big), "--name", "x", "--api", api.api, "--token", TOKEN, "--quiet")
    assert code == 0
    assert api.received[0].files["mp3"][2] == big.read_bytes()


def test_local_mistakes_are_all_listed_and_nothing_is_sent(
    api: FakeAPI, mp3: Path, tmp_path: Path
) -> None:
    huge = tmp_path / "huge.png"
    with huge.open("wb") as f:  # sparse: the size is real, the disk is not used
        f.truncate(MAX_PICTURE + 1)
    code, out, err = upload(
        str(mp3), "--name", " ", "--picture", str(huge),
        *[arg for t in ("a", "b", "c", "d", "e", "!!") for arg in ("--tag", t)],
        "--section", "1:7 A - B", "--section", "0:10 No dash", "--chapter", "0:61",
        "--publish-date", "2020-01-01T00:00:00Z", "--api", api.api, "--token", TOKEN,
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "mixcast upload: nothing was sent; fix these first:",
        f"  --picture {huge}: is 10,485,761 bytes; the most a server takes is 10,485,760 (10 MiB)",
        "  --name: cannot be blank",
        "  --tag: up to 5 tags, not 6",
        "  --tag '!!': needs at least one letter or digit",
        "  --chapter '0:61': minutes and seconds after a colon are two digits, 00 to 59",
        "  --section '1:7 A - B': minutes and seconds after a colon are two digits, 00 to 59",
        "  --section '0:10 No dash': write a track as 'M:SS Artist - Song'",
        "  --publish-date '2020-01-01T00:00:00Z': is not in the future",
    ]
    assert api.connections == 0


def test_files_and_token_are_checked_before_connecting(api: FakeAPI, tmp_path: Path) -> None:
    huge = tmp_path / "huge.mp3"
    with huge.open("wb") as f:
        f.truncate(MAX_MP3 + 1)
    for argv, problem in [
        ([str(huge)], f"FILE {huge}: is 4,294,967,297 bytes; the most a server takes is"),
        ([str(tmp_path / "nope.mp3")], f"FILE {tmp_path / 'nope.mp3'}: no such file"),
        ([str(tmp_path)], f"FILE {tmp_path}: is not a file"),
    ]:
        code, _, err = upload(*argv, "--name", "x", "--api", api.api, "--token", TOKEN)
        assert code == 2 and f"  {problem}" in err
    code, _, err = upload(str(huge), "--name", "x", "--api", api.api, "--token", "a b\r\nX: y")
    assert "  --token: has spaces or characters no HTTP header can carry (not shown here)" in err
    assert "a b" not in err
    code, _, err = upload(str(huge), "--name", "x", "--api", "ftp://x")
    assert "  --api 'ftp://x': give an http:// or https:// URL" in err
    assert "  --token: give an access token with --token or the MIXCAST_TOKEN variable" in err
    assert api.connections == 0


def test_no_server_is_a_clear_message(mp3: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    api = f"http://127.0.0.1:{port}/api"
    code, out, err = upload(str(mp3), "--name", "x", "--api", api, "--token", TOKEN, "--quiet")
    assert (code, out) == (2, "")
    assert err == (
        f"mixcast upload: cannot connect to 127.0.0.1:{port}: connection refused"
        " (is the server running?)\n"
    )


def test_wait_follows_processing_until_ready(api: FakeAPI, mp3: Path) -> None:
    api.shows = [
        {"key": "/dj/night/", "upload_status": "received"},
        {"key": "/dj/night/", "upload_status": "processing"},
        {"key": "/dj/night/", "upload_status": "processing"},
        {"key": "/dj/night/", "upload_status": "ready", "url": "http://site.test/dj/night/"},
    ]
    code, out, err = upload(
        str(mp3), "--name", "x", "--api", api.api, "--token", TOKEN, "--wait", poll_every=0.01
    )
    assert (code, out) == (0, "http://site.test/dj/night/\n")
    assert err.splitlines()[-3:] == [
        "mixcast upload: received",
        "mixcast upload: processing",
        "mixcast upload: ready",
    ]
    polls = [r for r in api.received if r.method == "GET"]
    assert [r.path for r in polls] == ["/api/dj/night/"] * 4
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in polls)


def test_wait_reports_a_failed_processing(api: FakeAPI, mp3: Path) -> None:
    api.shows = [{"upload_status": "failed", "upload_error": "The audio could not be decoded."}]
    code, out, err = upload(
        str(mp3), "--name", "x", "--api", api.api, "--token", TOKEN, "--wait", "--quiet"
    )
    assert (code, out) == (1, "")
    assert err == "mixcast upload: processing failed: The audio could not be decoded.\n"


def test_post_multipart_returns_the_answer_and_reports_progress(api: FakeAPI, mp3: Path) -> None:
    calls: list[tuple[int, int]] = []
    req = UploadRequest([("name", "x")], [("mp3", mp3)])
    status, headers, body = post_multipart(
        api.api + "/upload/", req, token=None, progress=lambda s, t: calls.append((s, t))
    )
    assert (status, json.loads(body)) == (200, SUCCESS)
    assert headers["content-type"] == "application/json"
    total = int(api.received[0].headers["content-length"])
    assert calls[-1] == (total, total) and len(calls) >= 3  # 300 kB: two chunks and the parts
    assert "authorization" not in api.received[0].headers


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0", 0), ("75", 75), ("1:15", 75), ("75:30", 4530), ("1:02:03", 3723), ("00:00", 0)],
)
def test_times(text: str, seconds: int) -> None:
    assert parse_time(text) == seconds


@pytest.mark.parametrize(
    "text",
    ["", "1:5", "1:60", "1:2:3", "-1", "1.5", "1:00:00:00", "٣", "9" * 10, "999999999:00:00"],
)
def test_bad_times(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text)


def test_sections() -> None:
    track = parse_section("  4:05   Jay-Z — 99 Problems ", chapter=False)
    assert (track.start, track.artist, track.song) == (245, "Jay-Z", "99 Problems")
    assert parse_section("1:00:00\tThe end", chapter=True).chapter == "The end"
    with pytest.raises(ValueError):
        parse_section("4:05 Jay-Z", chapter=False)
    with pytest.raises(ValueError):
        parse_section("4:05", chapter=True)


@pytest.mark.parametrize(
    ("api", "reported", "url"),
    [
        ("http://localhost:8000/api", None, "http://localhost:8000/dj/%C3%A9t%C3%A9/"),
        ("https://mix.example/sub/api/", None, "https://mix.example/sub/dj/%C3%A9t%C3%A9/"),
        ("https://api.example.com", None, "https://example.com/dj/%C3%A9t%C3%A9/"),
        (
            "https://api.example.com",
            "https://www.example.com/dj/x/",
            "https://www.example.com/dj/x/",
        ),
        ("http://127.0.0.1:9000", None, "http://127.0.0.1:9000/dj/%C3%A9t%C3%A9/"),
    ],
)
def test_show_url(api: str, reported: str | None, url: str) -> None:
    assert show_url(api, "/dj/été/", reported) == url


def test_one_file_twice_and_a_token_no_header_can_carry(api: FakeAPI, mp3: Path) -> None:
    req = UploadRequest([], [("a", mp3), ("b", mp3)])
    status, _, _ = post_multipart(api.api + "/upload/", req, token=TOKEN)
    assert status == 200
    assert api.received[0].files["a"][2] == api.received[0].files["b"][2] == mp3.read_bytes()
    with pytest.raises(ValueError) as raised:
        post_multipart(api.api + "/upload/", req, token="bad token\r\nX-Evil: 1")
    assert "bad token" not in str(raised.value)
    assert len(api.received) == 1
