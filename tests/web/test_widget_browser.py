"""The player widget in a real browser, against a real ``mixcast serve`` whose in-process job
consumer made the shows ready from uploaded MP3s: a host page on another origin drives it
through ``widgetApi.js``; the bare embed code plays on a click and counts a listen.

Chromium is Debian's (/usr/bin/chromium), driven by Playwright; ``.ci/run`` installs it. The
screenshot of the player is saved beside the test (and as /tmp/widget.png) to be looked at.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM} (.ci/run installs it)", allow_module_level=True)

import av  # noqa: E402
import numpy as np  # noqa: E402
from playwright.sync_api import Frame, Page, sync_playwright  # noqa: E402

from mixcast.accounts.users import create_user  # noqa: E402
from mixcast.clock import now_us  # noqa: E402
from mixcast.db.database import connect  # noqa: E402
from mixcast.db.urls import DatabaseURL  # noqa: E402
from mixcast.embeds import widget_html  # noqa: E402
from mixcast.oauth.apps import AppForm, create_app  # noqa: E402
from mixcast.oauth.tokens import issue_token  # noqa: E402
from tests.conftest import PG_URL  # noqa: E402
from tests.servers import serving  # noqa: E402
from tests.web.test_browser_flow import CHROMIUM_ARGS  # noqa: E402

pytestmark = pytest.mark.integration
RATE = 44_100


@dataclass
class Site:
    base: str  # the mixcast server
    host: str  # the other origin's pages
    first: str  # keys of the two shows
    second: str
    out: Path


def write_mix(path: Path, seconds: float, beat: float) -> None:
    """A mono MP3 with a shape a waveform shows: a swelling and fading 110 Hz pulse every
    ``beat`` seconds over quiet noise."""
    t = np.arange(round(seconds * RATE)) / RATE
    envelope = 0.25 + 0.7 * np.abs(np.sin(np.pi * t / (seconds / 3)))  # three swells
    pulse = np.exp(-8 * (t % beat)) * np.sin(2 * np.pi * 110 * t)
    noise = np.random.default_rng(3).uniform(-0.04, 0.04, t.size)
    samples = np.clip(envelope * pulse + noise, -1, 1).astype(np.float32)
    with av.open(str(path), "w", format="mp3") as out:
        stream = out.add_stream("libmp3lame", rate=RATE, layout="mono")
        for start in range(0, samples.size, 1152):
            frame = av.AudioFrame.from_ndarray(
                samples[None, start : start + 1152].copy(), format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts, frame.time_base = RATE, start, Fraction(1, RATE)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


async def user_and_token(database_url: str, username: str) -> str:
    """A new user (pro: no upload limits in the way) and an access token of theirs."""
    db = await connect(DatabaseURL.parse(database_url))
    try:
        async with db.transaction() as tx:
            now = now_us()
            user_id = await create_user(
                tx, username=username, display_name="DJ Widget", now=now, is_pro=True
            )
            app = await create_app(
                tx, user_id, AppForm("Widget", "", ("https://app.example/",)), now
            )
            return await issue_token(tx, app.app.id, user_id, now)
    finally:
        await db.close()


def upload(base: str, token: str, mp3: Path, fields: dict[str, str]) -> str:
    response = httpx.post(
        base + "/api/upload/",
        headers={"Authorization": f"Bearer {token}"},
        data=fields,
        files={"mp3": (mp3.name, mp3.read_bytes(), "audio/mpeg")},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    key: str = response.json()["result"]["key"]
    return key


def wait_until_ready(base: str, key: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while httpx.get(f"{base}/api{key}", timeout=5).status_code != 200:
        assert time.monotonic() < deadline, f"{key} never became ready"
        time.sleep(0.1)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, template_db: str) -> Iterator[Site]:
    """One server with two ready shows of a new user, and the host pages on another origin
    (``localhost`` and its own port, where the server is ``127.0.0.1``)."""
    data = tmp_path_factory.mktemp("widget-site")
    database_url = PG_URL
    if not PG_URL:
        shutil.copyfile(DatabaseURL.parse(template_db).sqlite_path, data / "site.db")
        database_url = f"sqlite:///{data / 'site.db'}"
    username = "wid" + secrets.token_hex(3)  # unique: PostgreSQL runs share one database
    token = anyio.run(user_and_token, database_url, username)
    write_mix(data / "first.mp3", 40.0, 0.5)
    write_mix(data / "second.mp3", 20.0, 0.25)
    pages = data / "pages"
    pages.mkdir()
    handler = partial(_Quiet, directory=str(pages))
    host = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=host.serve_forever, daemon=True).start()
    env = {"MIXCAST_DATABASE_URL": database_url, "MIXCAST_DATA_DIR": str(data)}
    try:
        with serving(env) as served:
            sections = {
                "sections-0-chapter": "Warm <up>", "sections-0-start_time": "0",
                "sections-1-artist": "Spartacus", "sections-1-song": "Break the Chains",
                "sections-1-start_time": "12",
                "sections-2-artist": "Crixus", "sections-2-song": "Gaul",
                "sections-2-start_time": "27",
            }  # fmt: skip
            first = upload(
                served.base, token, data / "first.mp3", {"name": "Widget Mix", **sections}
            )
            second = upload(served.base, token, data / "second.mp3", {"name": "Second Mix"})
            wait_until_ready(served.base, first)
            wait_until_ready(served.base, second)
            yield Site(served.base, f"http://localhost:{host.server_port}", first, second, pages)
    finally:
        host.shutdown()
        host.server_close()


@pytest.fixture
def page(site: Site) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required", "--mute-audio"],
        )
        page = browser.new_page(viewport={"width": 900, "height": 760})
        page.set_default_timeout(10_000)
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        try:
            yield page
        finally:
            browser.close()
        # A CSP violation or a script error in the widget shows up here.
        assert problems == [], problems


def frame_of(page: Page, selector: str) -> Frame:
    handle = page.locator(selector).element_handle()
    assert handle is not None
    frame = handle.content_frame()
    assert frame is not None
    return frame


def call(page: Page, expression: str) -> Any:
    """Evaluate a widget method call; a promise the widget never answers fails in 10 s
    (``page.evaluate`` itself would wait forever)."""
    timeout = "new Promise((_, no) => setTimeout(() => no(new Error('no answer')), 10000))"
    return page.evaluate(f"Promise.race([{expression}, {timeout}])")


HOST_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>A blog with a mix</title><link rel="icon" href="data:,">
<style>body {{ font: 16px system-ui; margin: 20px; background: #f3efe6; }}</style></head>
<body>
<h1>Tonight's mix</h1>
{classic}
<p>The same, with its cover and tracklist:</p>
{cover}
<p>And the next one, small:</p>
{mini}
<script src="{base}/media/js/widgetApi.js"></script>
<script>
window.events = [];
window.messages = [];
window.addEventListener("message", function (e) {{ messages.push(e.origin); }});
var widget = Mixcloud.PlayerWidget(document.getElementById("classic"));
var other = Mixcloud.PlayerWidget(document.getElementById("cover"));
widget.ready.then(function (w) {{
  ["progress", "play", "pause", "ended", "buffering", "error"].forEach(function (name) {{
    w.events[name].on(function () {{ events.push([name].concat([].slice.call(arguments))); }});
  }});
  window.isReady = w === widget;
}});
other.ready.then(function (w) {{
  w.events.progress.on(function () {{ window.otherProgress = true; }});
  window.otherReady = true;
}});
</script>
</body></html>
"""


def with_id(embed: str, id: str) -> str:
    return embed.replace("<iframe ", f'<iframe id="{id}" ', 1)


def test_a_host_page_on_another_origin_drives_the_widget(site: Site, page: Page) -> None:
    classic = widget_html(site.base, site.first, options={"hide_cover": "1", "color": "7b3fe4"})
    cover = widget_html(site.base, site.first, height=400, options={"light": "1"})
    mini = widget_html(site.base, site.second, height=60, options={"mini": "1"})
    (site.out / "host.html").write_text(
        HOST_PAGE.format(
            classic=with_id(classic, "classic"),
            cover=with_id(cover, "cover"),
            mini=with_id(mini, "mini"),
            base=site.base,
        )
    )
    page.goto(site.host + "/host.html")
    page.wait_for_function("window.isReady === true && window.otherReady === true")

    # Play: progress events come a few times a second with the position and the duration.
    call(page, "widget.play()")
    page.wait_for_function("events.filter(e => e[0] === 'progress' && e[1] > 0.5).length >= 3")
    assert page.evaluate("events[0][0]") in ("play", "buffering")
    progress = page.evaluate("events.filter(e => e[0] === 'progress').pop()")
    assert 39.5 < progress[2] < 40.5  # the duration, as the audio element knows it
    assert call(page, "widget.getIsPaused()") is False

    # Seek, pause, and read the state back.
    assert call(page, "widget.seek(20)") is True
    assert call(page, "widget.seek(1000)") is False
    assert call(page, "widget.seek(-1)") is False
    page.wait_for_function("events.some(e => e[0] === 'progress' && e[1] > 20.2)")
    call(page, "widget.pause()")
    page.wait_for_function("events.some(e => e[0] === 'pause')")
    assert call(page, "widget.getIsPaused()") is True
    position = call(page, "widget.getPosition()")
    assert 20 < position < 25
    assert 39.5 < call(page, "widget.getDuration()") < 40.5
    assert call(page, "widget.getCurrentKey()") == site.first
    assert call(page, "widget.setVolume(0.25)") is True
    assert call(page, "widget.getVolume()") == 0.25

    # The tracklist follows the position; options change the player in place.
    classic_frame = frame_of(page, "#classic")
    current = classic_frame.locator(".tracklist li.current .what")
    assert current.inner_text() == "Spartacus – Break the Chains"
    assert call(page, "widget.setOption('light', true)") is True
    assert "light" in (classic_frame.locator("body").get_attribute("class") or "")
    assert call(page, "widget.setOption('light', false)") is True
    assert call(page, "widget.setOption('nonsense', true)") is False

    # What the widget drew: the waveform with the played part in the accent colour.
    other_frame = frame_of(page, "#cover")
    other_frame.wait_for_function("document.getElementById('waveform').width > 0")
    time.sleep(0.3)  # the peaks are fetched after the page loads
    shot = site.out.parent / "widget.png"
    page.screenshot(path=str(shot), full_page=True)
    shutil.copyfile(shot, "/tmp/widget.png")
    pixels = classic_frame.evaluate(
        """() => {
        const c = document.getElementById('waveform'), d = c.getContext('2d');
        const data = d.getImageData(0, 0, c.width, c.height).data;
        let accent = 0, drawn = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3] === 0) continue;
          drawn++;
          if (data[i] === 0x7b && data[i + 1] === 0x3f && data[i + 2] === 0xe4) accent++;
        }
        return [accent, drawn, data.length / 4];
        }"""
    )
    accent, drawn, total = pixels
    assert drawn > total * 0.15  # bars, not a flat line
    assert 0.35 < accent / drawn < 0.75  # half played

    # Load another show in place: the key, the duration and the title change.
    assert call(page, f"widget.load({site.second!r}, true)") is True
    assert call(page, "widget.getCurrentKey()") == site.second
    assert 19.5 < call(page, "widget.getDuration()") < 20.5
    assert classic_frame.locator("#title").inner_text() == "Second Mix"
    assert classic_frame.locator(".tracklist li").count() == 0
    page.wait_for_function("events.filter(e => e[0] === 'progress').pop()[2] < 21")
    call(page, "widget.pause()")

    # Each widget heard only its own events; every message came from the mixcast origin.
    assert page.evaluate("window.otherProgress") is None
    assert call(page, "other.getCurrentKey()") == site.first
    origins = set(page.evaluate("messages"))
    assert origins == {site.base}, origins


def test_the_bare_embed_code_plays_on_a_click_and_counts_a_listen(site: Site, page: Page) -> None:
    embed = with_id(widget_html(site.base, site.first, options={"hide_cover": "1"}), "bare")
    (site.out / "bare.html").write_text(
        f'<!doctype html><title>bare</title><link rel="icon" href="data:,">{embed}'
    )
    page.goto(site.host + "/bare.html")
    frame = frame_of(page, "#bare")
    frame.locator("#play").click()
    frame.wait_for_function("!document.getElementById('audio').paused")
    assert frame.locator("#play").get_attribute("aria-label") == "Pause"
    # Heard time is media time, so 30 s are heard in about 4 s at 8x.
    with page.expect_response(lambda r: r.url.endswith("/listens/"), timeout=15_000) as listened:
        frame.evaluate("document.getElementById('audio').playbackRate = 8")
    report = listened.value
    # (Not report.json(): Playwright never gets the body of a cross-site frame's response.)
    assert report.status == 200
    sent = report.request.post_data_json
    assert 30 <= sent["seconds"] < 34
    assert len(sent["listener"]) == 22
    show = httpx.get(f"{site.base}/api{site.first}").json()
    assert show["play_count"] == 1
    frame.locator("#play").click()
    frame.wait_for_function("document.getElementById('audio').paused")


IMPOSTOR_PAGE = """<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
</head><body><script>
// Speaks the widget's protocol from an origin that is neither the site's nor the host page's.
setInterval(function () {
  parent.postMessage(JSON.stringify({mixcloud: "playerWidget", type: "ready"}), "*");
  parent.postMessage(JSON.stringify({mixcloud: "playerWidget", type: "api",
    data: {methods: ["play"], events: ["play"]}}), "*");
}, 50);
</script></body></html>
"""

FOOLED_PAGE = """<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
</head><body>
<iframe id="fake" src="{impostor}"></iframe>
<script src="{base}/media/js/widgetApi.js"></script>
<script>
window.heard = 0;
window.addEventListener("message", function () {{ window.heard += 1; }});
Mixcloud.PlayerWidget(document.getElementById("fake")).ready.then(function () {{
  window.fooled = true;
}});
</script></body></html>
"""


def test_the_api_ignores_a_frame_of_another_origin(site: Site, page: Page) -> None:
    """widgetApi.js takes messages only from the site's origin (or the page's own): a frame on
    a third origin speaking the protocol never makes a widget ready."""
    third = site.host.replace("localhost", "127.0.0.1")  # same server, another origin
    (site.out / "impostor.html").write_text(IMPOSTOR_PAGE)
    (site.out / "fooled.html").write_text(
        FOOLED_PAGE.format(impostor=third + "/impostor.html", base=site.base)
    )
    page.goto(site.host + "/fooled.html")
    page.wait_for_function("window.heard >= 20")  # the impostor's messages did arrive
    assert page.evaluate("window.fooled === true") is False
