"""``mixcast upload``: send a show to a mixcast (or Mixcloud-compatible) API from a terminal.

    mixcast upload mix.mp3 --name "Night Shift 12" --tag house --section "0:00 Artist - Song"

What can be checked here is checked before anything is sent (files, sizes, tags, times, the
date), every problem at once, so nobody waits for a gigabyte to go up to learn of a typo. The
body is streamed by ``client.post_multipart``; a progress bar goes to stderr unless --quiet.

Exit codes: 0 uploaded (and, with --wait, processed); 1 processing failed (--wait);
2 refused, here or by the server, or the server could not be reached; 130 interrupted.

The show's URL printed on success: the ``url`` the server gives, if it gives one; else the
API URL with a last ``/api`` path segment dropped (http://localhost:8000/api ->
http://localhost:8000), else with an ``api.`` host prefix dropped (https://api.example.com ->
https://example.com); then the show's key.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, urlsplit, urlunsplit

from mixcast.uploads.client import TransportError, UploadRequest, bearer, get, post_multipart
from mixcast.uploads.limits import (
    MAX_DESCRIPTION,
    MAX_HOSTS,
    MAX_MP3,
    MAX_PICTURE,
    MAX_SECTION_TEXT,
    MAX_SECTIONS,
    MAX_START_TIME,
    MAX_TAG,
    MAX_TAGS,
)
from mixcast.uploads.progress import MiB, ProgressBar

DEFAULT_API = "http://localhost:8000/api"
POLL_SECONDS = 2.0


_CONTROL_LINE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")  # surrogates: undecodable argv
_CONTROL_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_DIGITS = re.compile("[0-9]{1,9}")  # ASCII only (isdigit() takes "٣"); 9 keeps int() cheap
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_DASH = re.compile(r"\s+[-–—]\s+")  # "Artist - Song", also with the dashes tracklists paste


class Invalid(Exception):
    """Problems found before sending: (what the user typed, what is wrong) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def parse_time(text: str) -> int:
    """Seconds from ``S``, ``M:SS`` or ``H:MM:SS`` (``75``, ``1:15``, ``1:01:15``)."""
    parts = text.split(":")
    if len(parts) > 3 or not all(_DIGITS.fullmatch(p) for p in parts):
        raise ValueError("a time is S, M:SS or H:MM:SS")
    if any(len(p) != 2 or int(p) > 59 for p in parts[1:]):
        raise ValueError("minutes and seconds after a colon are two digits, 00 to 59")
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    if seconds > MAX_START_TIME:
        raise ValueError(f"a start time is at most {MAX_START_TIME} seconds")
    return seconds


@dataclass(frozen=True)
class Section:
    """A track (artist and song) or a chapter (title), and where the user typed it."""

    start: int
    artist: str = ""
    song: str = ""
    chapter: str = ""
    typed: str = ""


def parse_section(text: str, *, chapter: bool) -> Section:
    """``"M:SS Artist - Song"`` (a track) or, with ``chapter``, ``"M:SS Title"``."""
    when, rest = ([*text.split(None, 1), "", ""])[:2]
    start = parse_time(when)
    rest = rest.strip()
    option = "--chapter" if chapter else "--section"
    if chapter:
        if not rest:
            raise ValueError("give a title after the time: --chapter '0:00 Intro'")
        return Section(start, chapter=rest, typed=f"{option} {text!r}")
    pieces = _DASH.split(rest, maxsplit=1)
    if len(pieces) != 2 or not pieces[0].strip() or not pieces[1].strip():
        raise ValueError("write a track as 'M:SS Artist - Song'")
    return Section(start, pieces[0].strip(), pieces[1].strip(), typed=f"{option} {text!r}")


Problem = Callable[[str, str], None]


def _check_file(path: Path, typed: str, limit: int, limit_text: str, bad: Problem) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return bad(typed, "no such file")
    except OSError as error:
        return bad(typed, error.strerror or str(error))
    if not path.is_file():
        bad(typed, "is not a file")
    elif size == 0:
        bad(typed, "is empty")
    elif size > limit:
        bad(typed, f"is {size:,} bytes; the most a server takes is {limit:,} ({limit_text})")
    elif not os.access(path, os.R_OK):
        bad(typed, "cannot be read (permissions)")


def _check_line(typed: str, text: str, limit: int, bad: Problem) -> None:
    """A one-line text: not blank, not too long, no control characters."""
    if not text:
        bad(typed, "cannot be blank")
    elif len(text) > limit:
        bad(typed, f"is {len(text)} characters; at most {limit}")
    elif _CONTROL_LINE.search(text):
        bad(typed, "cannot contain control characters such as line breaks or tabs")


def _check_date(text: str, now: datetime, bad: Problem) -> None:
    typed = f"--publish-date {text!r}"
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        when = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return bad(typed, "write a UTC date and time as YYYY-MM-DDTHH:MM:SSZ")
    if when <= now:
        bad(typed, "is not in the future")


def _sections(args: argparse.Namespace, bad: Problem) -> list[Section]:
    """Tracks and chapters in one list by start time; at the same time a chapter comes
    before a track (a chapter opens what starts with it), otherwise the order typed."""
    found: list[Section] = []
    for texts, chapter in ((args.chapter, True), (args.section, False)):
        for text in texts or ():
            try:
                section = parse_section(text, chapter=chapter)
            except ValueError as error:
                bad(f"{'--chapter' if chapter else '--section'} {text!r}", str(error))
                continue
            for part in (section.artist, section.song, section.chapter):
                if part:
                    _check_line(section.typed, part, MAX_SECTION_TEXT, bad)
            found.append(section)
    if len(found) > MAX_SECTIONS:
        bad("--section/--chapter", f"up to {MAX_SECTIONS}, not {len(found)}")
    return sorted(found, key=lambda s: (s.start, not s.chapter))


def build_request(
    args: argparse.Namespace, *, api: str, token: str, now: datetime | None = None
) -> tuple[UploadRequest, dict[str, str]]:
    """The fields and files to send, and for field prefixes (``sections-2``, ``tags-0``) what
    the user typed, to name it next to the server's errors. Raises ``Invalid`` with every
    problem found."""
    problems: list[tuple[str, str]] = []

    def bad(typed: str, why: str) -> None:
        problems.append((typed, why))

    parts = urlsplit(api)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        bad(f"--api {api!r}", "give an http:// or https:// URL, e.g. " + DEFAULT_API)
    if not token:
        bad("--token", "give an access token with --token or the MIXCAST_TOKEN variable")
    else:
        try:
            bearer(token)
        except ValueError:
            bad("--token", "has spaces or characters no HTTP header can carry (not shown here)")
    audio = Path(args.file)
    _check_file(audio, f"FILE {args.file}", MAX_MP3, "4 GiB", bad)
    if args.picture is not None:
        _check_file(Path(args.picture), f"--picture {args.picture}", MAX_PICTURE, "10 MiB", bad)
    fields: list[tuple[str, str]] = []
    origins: dict[str, str] = {}
    name = args.name.strip()
    _check_line("--name", name, 255, bad)
    fields.append(("name", name))
    if args.description is not None:
        description = args.description.replace("\r\n", "\n").replace("\r", "\n").strip()
        if len(description) > MAX_DESCRIPTION:
            bad("--description", f"is {len(description)} characters; at most {MAX_DESCRIPTION}")
        elif _CONTROL_TEXT.search(description):
            bad("--description", "cannot contain control characters but line breaks and tabs")
        fields.append(("description", description))
    tags = [t.strip() for t in args.tag or ()]
    if len(tags) > MAX_TAGS:
        bad("--tag", f"up to {MAX_TAGS} tags, not {len(tags)}")
    for x, tag in enumerate(tags):
        _check_line(f"--tag {tag!r}", tag, MAX_TAG, bad)
        if tag and not any(c.isalnum() for c in tag):
            bad(f"--tag {tag!r}", "needs at least one letter or digit")
        fields.append((f"tags-{x}-tag", tag))
        origins[f"tags-{x}"] = f"--tag {tag!r}"
    for x, section in enumerate(_sections(args, bad)):
        if section.chapter:
            fields.append((f"sections-{x}-chapter", section.chapter))
        else:
            fields += [
                (f"sections-{x}-artist", section.artist),
                (f"sections-{x}-song", section.song),
            ]
        fields.append((f"sections-{x}-start_time", str(section.start)))
        origins[f"sections-{x}"] = section.typed
    for flag, on in (
        ("unlisted", args.unlisted),
        ("disable_comments", args.disable_comments),
        ("hide_stats", args.hide_stats),
    ):
        if on:
            fields.append((flag, "true"))
    if args.publish_date is not None:
        _check_date(args.publish_date.strip(), now or datetime.now(UTC), bad)
        fields.append(("publish_date", args.publish_date.strip()))
    hosts = [h.strip() for h in args.host or ()]
    if len(hosts) > MAX_HOSTS:
        bad("--host", f"up to {MAX_HOSTS} hosts, not {len(hosts)}")
    for x, host in enumerate(hosts):
        _check_line(f"--host {host!r}", host, MAX_SECTION_TEXT, bad)
        fields.append((f"hosts-{x}-username", host))
        origins[f"hosts-{x}"] = f"--host {host!r}"
    if problems:
        raise Invalid(problems)
    files = [("mp3", audio)]
    if args.picture is not None:  # before the mp3: a bad picture is refused before the audio
        files.insert(0, ("picture", Path(args.picture)))
    return UploadRequest(fields, files), origins


def _span(seconds: float) -> str:
    """A wait said plainly: ``45 s``, ``7 min 32 s``, ``2 h 5 min``."""
    whole = max(0, math.ceil(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


def show_url(api: str, key: str, reported: object = None) -> str:
    """The show's page: ``reported`` (the server's ``url``) if it is one, else made from
    the API URL (the module's docstring says how)."""
    if isinstance(reported, str) and reported.startswith(("http://", "https://")):
        return reported
    parts = urlsplit(api)
    path = parts.path.rstrip("/")
    netloc = parts.netloc
    if path.endswith("/api") or path == "api":
        path = path[: -len("api")].rstrip("/")
    elif (parts.hostname or "").startswith("api."):
        netloc = netloc.replace("api.", "", 1)
    return urlunsplit((parts.scheme, netloc, path + quote(key, safe="/%"), "", ""))


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _retry_after(headers: dict[str, str], error: dict[str, Any]) -> float | None:
    for value in (headers.get("retry-after"), error.get("retry_after")):
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
    return None


def explain_error(
    status: int, headers: dict[str, str], body: bytes, origins: dict[str, str] | None = None
) -> list[str]:
    """The lines that tell a person why the server said no: its message, each field's
    messages (with what the user typed for it, when known), and how long to wait on a
    rate limit."""
    data = _json(body)
    error = data.get("error")
    if not isinstance(error, dict):
        error = {}
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    message = error.get("message") or error.get("type") or f"the server answered {status} {phrase}"
    lines = [f"mixcast upload: {str(message).strip()}"]
    details = data.get("details")
    for name, messages in details.items() if isinstance(details, dict) else ():
        typed = (origins or {}).get("-".join(str(name).split("-")[:2]))
        for text in messages if isinstance(messages, list) else [messages]:
            if name == "__all__":  # the server's key for the whole form (uploads/errors.py)
                lines.append(f"  {text}")
            else:
                lines.append(f"  {name}: {text}" + (f" ({typed})" if typed else ""))
    wait = _retry_after(headers, error)
    if status == 403 and wait is not None:
        lines.append(f"  rate limited: try again in {_span(wait)}")
    elif status == 413 and not error:
        lines.append("  the server refuses a body this large")
    elif 300 <= status < 400 and headers.get("location"):
        lines.append(f"  it redirects to {headers['location']}: use that address with --api")
    return lines


def _wait_until_processed(
    api: str, key: str, token: str, err: TextIO, *, quiet: bool, poll_every: float
) -> tuple[int, str | None]:
    """Poll the show until its upload_status is ready (0) or failed (1), or the server says
    no (2); with the show's url when it reports one."""
    url = api + quote(key, safe="/%")
    last = None
    while True:
        status, headers, body = get(url, token=token)
        show = _json(body)
        error = show.get("error") if isinstance(show.get("error"), dict) else None
        wait = _retry_after(headers, error or {})
        if status == 403 and wait is not None:
            time.sleep(wait)  # a rate limit on reads: the show is still coming
            continue
        if status != 200 or error is not None:
            for line in explain_error(status, headers, body):
                print(line, file=err)
            return 2, None
        state = show.get("upload_status")
        if state is None:  # a server that does not say: it has the show, that is all we know
            if not quiet:
                print("mixcast upload: the server does not report processing", file=err)
            return 0, show.get("url")
        if state != last and not quiet:
            print(f"mixcast upload: {state}", file=err, flush=True)
        last = state
        if state == "ready":
            return 0, show.get("url")
        if state == "failed":
            reason = show.get("upload_error") or "no reason given"
            print(f"mixcast upload: processing failed: {reason}", file=err)
            return 1, None
        time.sleep(poll_every)


def run(
    args: argparse.Namespace,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    poll_every: float = POLL_SECONDS,
) -> int:
    """``mixcast upload``: check, send, report; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    api = (args.api or os.environ.get("MIXCAST_API_URL") or DEFAULT_API).rstrip("/")
    token = (args.token or os.environ.get("MIXCAST_TOKEN") or "").strip()
    try:
        req, origins = build_request(args, api=api, token=token)
    except Invalid as invalid:
        print("mixcast upload: nothing was sent; fix these first:", file=err)
        for typed, why in invalid.problems:
            print(f"  {typed}: {why}", file=err)
        return 2
    bar = None if args.quiet else ProgressBar(err, tty=err.isatty())
    if not args.quiet:
        size = sum(path.stat().st_size for _, path in req.files)
        print(f"uploading {args.file} ({size / MiB:.1f} MiB) to {api}/upload/", file=err)
    try:
        status, headers, body = post_multipart(f"{api}/upload/", req, token=token, progress=bar)
    except (TransportError, OSError) as error:
        if bar:
            bar.close()
        print(f"mixcast upload: {error}", file=err)
        return 2
    except KeyboardInterrupt:
        if bar:
            bar.close()
        print("mixcast upload: interrupted; the upload was not finished", file=err)
        return 130
    if bar:
        bar.close()
    result = _json(body).get("result")
    if status != 200 or not isinstance(result, dict) or not isinstance(result.get("key"), str):
        if status == 200 and "error" not in _json(body):
            print("mixcast upload: the server said 200 but not what it made of it", file=err)
            return 2
        for line in explain_error(status, headers, body, origins):
            print(line, file=err)
        return 2
    key = result["key"]
    if not args.wait:
        print(show_url(api, key, result.get("url")), file=out)
        return 0
    try:
        code, reported = _wait_until_processed(
            api, key, token, err, quiet=args.quiet, poll_every=poll_every
        )
    except TransportError as error:
        print(f"mixcast upload: uploaded, but checking on it failed: {error}", file=err)
        print(f"  the show: {show_url(api, key, result.get('url'))}", file=err)
        return 2
    except KeyboardInterrupt:
        print(f"mixcast upload: stopped waiting; it is at {show_url(api, key)}", file=err)
        return 130
    if code == 0:
        print(show_url(api, key, reported or result.get("url")), file=out)
    return code


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``upload`` on the ``mixcast`` command's sub-commands."""
    upload = commands.add_parser(
        "upload",
        help="upload a show to a mixcast API",
        description="Upload a show: the audio, its details, tracklist and picture, in one "
        "streamed request. Everything that can be checked here is checked before sending.",
        epilog="Times are S, M:SS or H:MM:SS. Exit codes: 0 uploaded, 1 processing failed "
        "(--wait), 2 refused or unreachable.",
    )
    upload.add_argument("file", metavar="FILE", help="the audio (at most 4 GiB)")
    upload.add_argument("--name", required=True, help="the show's name")
    upload.add_argument("--description", metavar="TEXT", help="at most 1000 characters")
    upload.add_argument("--tag", action="append", help="a genre or tag; up to 5")
    upload.add_argument(
        "--section", action="append", metavar='"M:SS ARTIST - SONG"', help="a track"
    )
    upload.add_argument("--chapter", action="append", metavar='"M:SS TITLE"', help="a chapter")
    upload.add_argument("--picture", metavar="IMAGE", help="the cover (at most 10 MiB)")
    upload.add_argument("--unlisted", action="store_true", help="only people with the link")
    upload.add_argument(
        "--publish-date", metavar="YYYY-MM-DDTHH:MM:SSZ", help="publish later, in UTC (Pro)"
    )
    upload.add_argument("--disable-comments", action="store_true", help="(Pro)")
    upload.add_argument("--hide-stats", action="store_true", help="(Pro)")
    upload.add_argument(
        "--host", action="append", metavar="USERNAME", help="a co-host; up to 2 (Pro)"
    )
    upload.add_argument("--api", metavar="URL", help=f"default: $MIXCAST_API_URL or {DEFAULT_API}")
    upload.add_argument("--token", help="an access token; default: $MIXCAST_TOKEN")
    upload.add_argument(
        "--wait", action="store_true", help="wait until the show is processed (or failed)"
    )
    upload.add_argument("--quiet", action="store_true", help="no progress; only the URL")


COMMANDS = ("upload",)


def main(argv: list[str] | None = None, **options: Any) -> int:
    """``mixcast upload ARGS...`` on its own (argv without the word ``upload``); ``options``
    go to ``run``."""
    parser = argparse.ArgumentParser(prog="mixcast")
    add_commands(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(["upload", *(sys.argv[1:] if argv is None else argv)]), **options)


if __name__ == "__main__":
    sys.exit(main())
