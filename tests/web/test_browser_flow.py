"""The whole account and OAuth journey in a real browser against a real server process: sign up,
edit the profile with a picture, register an app, deny then allow its authorization, trade the
code for a token, use it on the API, revoke it, sign out and back in.

Chromium is Debian's (/usr/bin/chromium), driven by Playwright; ``.ci/run`` installs it.
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM} (.ci/run installs it)", allow_module_level=True)

from PIL import Image  # noqa: E402
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from tests.servers import serving  # noqa: E402
from tests.web.helpers import PASSWORD  # noqa: E402

pytestmark = pytest.mark.integration
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[str]:
    """``mixcast serve`` on a free port, over this test's (already migrated) database."""
    env = {"MIXCAST_DATABASE_URL": database_url, "MIXCAST_DATA_DIR": str(tmp_path)}
    with serving(env) as served:
        yield served.base


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 120), "darkorange").save(out, "PNG")
    return out.getvalue()


def _authorize(page: Page, base: str, client_id: str, redirect_uri: str, state: str) -> None:
    query = {"client_id": client_id, "redirect_uri": redirect_uri, "state": state,
             "response_type": "code"}  # fmt: skip
    page.goto(f"{base}/oauth/authorize?{urlencode(query)}")
    expect(page.locator("#app-name")).to_have_text("Browser Ludus")


def test_a_person_signs_up_authorizes_an_app_and_revokes_it(server: str) -> None:
    base = server
    username = "flow" + secrets.token_hex(3)  # unique: PostgreSQL runs share one database
    # Three segments: no site page answers there (a shorter path may be a profile or show).
    callback = f"{base}/callback/for/test"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(10_000)
        try:
            # Sign up.
            page.goto(base + "/signup/")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Email").fill(f"{username}@example.com")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign up").click()
            expect(page.locator("#signed-in-as")).to_have_text(username)

            # Edit the profile, with a picture.
            page.get_by_role("link", name="Profile").click()
            page.get_by_label("Display name").fill("DJ Browser")
            page.get_by_label("City").fill("Capua")
            page.locator("#picture").set_input_files(
                files=[{"name": "me.png", "mimeType": "image/png", "buffer": _png()}]
            )
            page.get_by_role("button", name="Save profile").click()
            expect(page.get_by_role("status")).to_have_text("Saved.")
            expect(page.locator("#signed-in-as")).to_have_text("DJ Browser")
            picture = page.get_by_alt_text("Your picture").get_attribute("src") or ""
            assert "/default-profile/" not in picture
            assert httpx.get(picture).headers["content-type"] == "image/jpeg"

            # Register an app; its secret is on this page only.
            page.get_by_role("link", name="Your apps").click()
            page.get_by_label("Name").fill("Browser Ludus")
            page.get_by_label("Description").fill("Plays mixes for you.")
            page.get_by_label("Redirect URIs").fill(callback)
            page.get_by_role("button", name="Create app").click()
            client_id = page.locator("#client-id").inner_text()
            client_secret = page.locator("#client-secret").inner_text()
            page.get_by_role("link", name="Back to your apps").click()
            assert client_id in page.content() and client_secret not in page.content()

            # Deny: back to the app with access_denied and the state.
            _authorize(page, base, client_id, callback, "deny-state")
            expect(page.locator("#developer")).to_have_text("@" + username)
            page.screenshot(path="/tmp/consent.png", full_page=True)
            page.get_by_role("button", name="Deny").click()
            page.wait_for_url(lambda url: url.startswith(callback + "?"))
            assert parse_qs(urlsplit(page.url).query) == {
                "error": ["access_denied"],
                "state": ["deny-state"],
            }

            # Allow: back with a code and the state.
            _authorize(page, base, client_id, callback, "allow-state")
            page.get_by_role("button", name="Allow").click()
            page.wait_for_url(lambda url: url.startswith(callback + "?"))
            query = parse_qs(urlsplit(page.url).query)
            assert query["state"] == ["allow-state"] and set(query) == {"code", "state"}

            # The app trades the code for a token and uses it.
            exchanged = httpx.post(
                base + "/oauth/access_token",
                data={"client_id": client_id, "client_secret": client_secret,
                      "redirect_uri": callback, "code": query["code"][0]},
            )  # fmt: skip
            assert exchanged.status_code == 200, exchanged.text
            token = exchanged.json()["access_token"]
            me = httpx.get(base + "/api/me/", params={"access_token": token})
            assert me.status_code == 200, me.text
            assert me.json()["username"] == username and me.json()["is_current_user"] is True

            # Revoke it on the connected-apps page: the token stops working.
            page.goto(base + "/settings/connected-apps/")
            expect(page.get_by_role("cell", name="@" + username)).to_be_visible()
            page.get_by_role("button", name="Revoke Browser Ludus").click()
            expect(page.get_by_role("status")).to_have_text("Access revoked.")
            revoked = httpx.get(base + "/api/me/", params={"access_token": token})
            assert revoked.status_code == 400
            assert revoked.json()["error"]["type"] == "OAuthException"

            # Sign out, and back in.
            page.get_by_role("button", name="Sign out").click()
            expect(page.get_by_role("link", name="Sign in")).to_be_visible()
            page.get_by_role("link", name="Sign in").click()
            page.get_by_label("Username or email").fill(username)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.locator("#signed-in-as")).to_have_text("DJ Browser")
        finally:
            browser.close()
