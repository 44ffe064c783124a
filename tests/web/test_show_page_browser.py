"""The show page in a real browser against a real server: a signed-in listener opens a show,
presses Favorite, and sees the count and the button change (and back again).

Chromium is Debian's (/usr/bin/chromium), driven by Playwright; ``.ci/run`` installs it.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM} (.ci/run installs it)", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from mixcast.services import open_services  # noqa: E402
from mixcast.shows.shows import Section  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.factories import make_show, make_user  # noqa: E402
from tests.servers import serving  # noqa: E402
from tests.web.helpers import PASSWORD  # noqa: E402
from tests.web.test_browser_flow import CHROMIUM_ARGS  # noqa: E402

pytestmark = pytest.mark.integration


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[str]:
    """``mixcast serve`` on a free port, over this test's (already migrated) database."""
    env = {"MIXCAST_DATABASE_URL": database_url, "MIXCAST_DATA_DIR": str(tmp_path)}
    with serving(env) as served:
        yield served.base


async def _seed(database_url: str, data_dir: Path, owner: str) -> None:
    """A show by ``owner``, made with the app's own functions, in the server's database."""
    services = await open_services(make_settings(database_url, data_dir, data_dir / "media"))
    try:
        owner_id = await make_user(services, owner, display_name="DJ Varro")
        track = Section(artist="Chic", song="Good Times", start_time=0)
        await make_show(services, owner_id, "Browser Mix", tags=("Funk",), sections=(track,))
    finally:
        await services.close()


def test_a_listener_favorites_a_show(server: str, database_url: str, tmp_path: Path) -> None:
    base = server
    suffix = secrets.token_hex(3)  # unique: PostgreSQL runs share one database
    owner, listener = f"varro{suffix}", f"fan{suffix}"
    asyncio.run(_seed(database_url, tmp_path / "seed", owner))
    show_url = f"{base}/{owner}/browser-mix/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(10_000)
        try:
            # Signed out: a link to sign in, which comes back to the show.
            page.goto(show_url)
            expect(page.locator("#show-name")).to_have_text("Browser Mix")
            page.get_by_role("link", name="Sign in to favorite").click()
            page.locator("main").get_by_role("link", name="Sign up").click()
            page.get_by_label("Username").fill(listener)
            page.get_by_label("Email").fill(f"{listener}@example.com")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign up").click()
            expect(page.locator("#signed-in-as")).to_have_text(listener)
            assert page.url == show_url  # signed up, and back on the show

            expect(page.locator("#favorite-count")).to_have_text("0")
            assert page.locator("iframe.player").get_attribute("src") == (
                f"{base}/widget/iframe/?hide_cover=1&feed=%2F{owner}%2Fbrowser-mix%2F"
            )
            page.get_by_role("button", name="Favorite", exact=True).click()
            expect(page.locator("#favorite-count")).to_have_text("1")
            expect(page.get_by_role("button", name="Unfavorite")).to_have_attribute(
                "aria-pressed", "true"
            )
            assert page.url == show_url  # back on the show page after the POST
            page.screenshot(path="/tmp/show_page.png", full_page=True)

            page.get_by_role("button", name="Unfavorite").click()
            expect(page.locator("#favorite-count")).to_have_text("0")
            page.get_by_role("button", name="Follow", exact=True).click()
            expect(page.get_by_role("button", name="Unfollow")).to_be_visible()
            page.get_by_role("link", name="DJ Varro").click()
            expect(page.locator("#follower-count")).to_have_text("1")
            expect(page.locator(".show-name")).to_have_text(["Browser Mix"])
            page.screenshot(path="/tmp/user_page.png", full_page=True)
        finally:
            browser.close()
