"""Editing the profile (text and pictures), and the connected-apps page with its Revoke."""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from tests.factories import make_app, make_user
from tests.web.helpers import post_form

pytestmark = pytest.mark.anyio

XSS = "<script>alert(1)</script>"


def png(width: int = 64, height: int = 64, color: str = "orange") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def _picture_id(page: str) -> str:
    found = re.search(r'/media/pictures/([^/]+)/100x100\.jpg" alt="Your picture"', page)
    assert found, page
    return found.group(1)


async def test_edit_the_text_fields(member):
    fields = {"display_name": "Spartacus of Thrace", "biog": "Gladiator", "city": "Capua",
              "country": "Italy"}  # fmt: skip
    response = await post_form(member, "/settings/profile/", fields)
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/profile/?saved=1"
    page = await member.get(response.headers["location"])
    assert "Saved." in page.text and 'id="signed-in-as">Spartacus of Thrace<' in page.text
    for value in ('value="Capua"', 'value="Italy"', ">Gladiator</textarea>"):
        assert value in page.text


async def test_errors_keep_what_was_typed(member):
    response = await post_form(
        member, "/settings/profile/", {"display_name": " ", "city": "x" * 200, "biog": "kept"}
    )
    assert response.status_code == 400
    assert 'id="display_name-error"' in response.text and 'id="city-error"' in response.text
    assert ">kept</textarea>" in response.text


async def test_a_display_name_is_escaped_wherever_it_is_shown(member, services):
    await post_form(member, "/settings/profile/", {"display_name": XSS, "biog": XSS})
    owner = await make_user(services, "varro")
    new = await make_app(services, owner, "Ludus", ("https://app.example/cb",))
    pages = [
        "/",
        "/developers/",
        "/developers/apps/",
        "/settings/profile/",
        "/settings/connected-apps/",
        f"/oauth/authorize?client_id={new.app.client_id}",
        "/nothing-here/",
    ]
    for path in pages:
        page = await member.get(path)
        assert XSS not in page.text, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text, path


async def test_upload_pictures_and_replace_them(member, services):
    before = _picture_id((await member.get("/settings/profile/")).text)
    assert before == "default-profile"
    files = {
        "picture": ("me.png", png(), "image/png"),
        "cover_picture": ("cover.png", png(900, 130, "teal"), "image/png"),
    }
    response = await post_form(member, "/settings/profile/", {"display_name": "S"}, files)
    assert response.status_code == 303, response.text
    first = _picture_id((await member.get("/settings/profile/")).text)
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    served = await member.get(f"/media/pictures/{first}/100x100.jpg")
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    again = {"picture": ("me2.png", png(color="purple"), "image/png")}
    await post_form(member, "/settings/profile/", {"display_name": "S"}, again)
    second = _picture_id((await member.get("/settings/profile/")).text)
    assert second != first
    # The replaced picture's files are gone once the change committed.
    assert services.store.local_path(f"pictures/{first}/100x100.jpg") is None
    assert (await member.get(f"/media/pictures/{first}/100x100.jpg")).status_code == 404


async def test_an_empty_file_input_keeps_the_picture(member):
    files = {"picture": ("me.png", png(), "image/png")}
    await post_form(member, "/settings/profile/", {"display_name": "S"}, files)
    kept = _picture_id((await member.get("/settings/profile/")).text)
    empty = {"picture": ("", b"", "application/octet-stream")}
    response = await post_form(member, "/settings/profile/", {"display_name": "T"}, empty)
    assert response.status_code == 303
    assert _picture_id((await member.get("/settings/profile/")).text) == kept


async def test_a_file_that_is_not_a_picture_is_refused(member):
    files = {"picture": ("me.png", b"not a picture at all", "image/png")}
    response = await post_form(member, "/settings/profile/", {"display_name": "Kept"}, files)
    assert response.status_code == 400 and 'id="picture-error"' in response.text
    assert 'value="Kept"' in response.text
    assert 'id="signed-in-as">spartacus<' in response.text  # nothing was saved


async def test_a_picture_over_10_mib_is_refused(member):
    files = {"picture": ("big.png", b"\x89PNG" + b"0" * (10 * 1024 * 1024), "image/png")}
    response = await post_form(member, "/settings/profile/", {"display_name": "S"}, files)
    assert response.status_code == 400 and "10 MiB" in response.text


async def test_a_body_over_the_cap_is_refused_unread(member):
    files = {
        name: (f"{name}.png", b"0" * (11 * 1024 * 1024), "image/png")
        for name in ("picture", "cover_picture")
    }
    response = await post_form(member, "/settings/profile/", {"display_name": "S"}, files)
    assert response.status_code == 413


async def test_a_chunked_body_is_cut_off_at_the_cap(member):
    from tests.web.helpers import csrf_token

    token = await csrf_token(member)

    async def body():  # a file part, which the parser would spool to disk however large
        yield (
            f'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            '--b\r\nContent-Disposition: form-data; name="picture"; filename="a.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        for _ in range(25):
            yield b"x" * (1024 * 1024)
        yield b"\r\n--b--\r\n"

    response = await member.post(
        "/settings/profile/",
        content=body(),
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


async def test_too_many_files_is_refused(member):
    files = [(f"f{i}", (f"{i}.png", b"x", "image/png")) for i in range(3)]
    response = await post_form(member, "/settings/profile/", {"display_name": "S"}, files)
    assert response.status_code == 400


async def _authorize(member, client_id: str) -> str:
    response = await post_form(
        member,
        "/oauth/authorize",
        {"client_id": client_id, "redirect_uri": "https://app.example/cb", "decision": "allow"},
    )
    return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


async def test_connected_apps_lists_and_revokes(member, services):
    owner = await make_user(services, "varro")
    new = await make_app(services, owner, "Ludus", ("https://app.example/cb",))
    page = await member.get("/settings/connected-apps/")
    assert "No app has access" in page.text
    code = await _authorize(member, new.app.client_id)
    token = (
        await member.get(
            "/oauth/access_token",
            params={
                "client_id": new.app.client_id,
                "client_secret": new.client_secret,
                "redirect_uri": "https://app.example/cb",
                "code": code,
            },
        )
    ).json()["access_token"]
    page = await member.get("/settings/connected-apps/")
    assert "Ludus" in page.text and "@varro" in page.text
    assert (await member.get("/api/me/", params={"access_token": token})).status_code == 200
    response = await post_form(member, f"/settings/connected-apps/{new.app.id}/revoke/")
    assert response.status_code == 303
    page = await member.get(response.headers["location"])
    assert "Access revoked." in page.text and "No app has access" in page.text
    revoked = await member.get("/api/me/", params={"access_token": token})
    assert revoked.status_code == 400
    assert revoked.json()["error"]["type"] == "OAuthException"
