"""Helpers for the upload tests: real audio and pictures made at test time, the multipart POST
a client sends, and the state an upload may leave behind (rows, blobs, temporary files)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from mixcast.db.database import Query
from mixcast.services import Services
from tests.media.conftest import Sample, write_audio


def audio_file(
    directory: Path, name: str = "mix.mp3", seconds: float = 12.0, **sample: Any
) -> Path:
    """A real MP3 (by default) of ``seconds`` of tone and noise."""
    path = directory / name
    if not path.exists():
        container = sample.pop("container", "mp3")
        codec = sample.pop("codec", "libmp3lame")
        write_audio(path, Sample(container, codec, seconds=seconds, **sample))
    return path


def picture_bytes(color: tuple[int, int, int] = (200, 40, 40), size: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), color).save(out, "PNG")
    return out.getvalue()


async def post_upload(
    client: httpx.AsyncClient,
    token: str | None,
    fields: dict[str, Any],
    mp3: Path | bytes | None = None,
    picture: bytes | None = None,
    path: str = "/upload/",
) -> httpx.Response:
    """POST a multipart upload (or edit, with ``path``) as curl -F would."""
    files: dict[str, Any] = {}
    if mp3 is not None:
        files["mp3"] = (
            "upload.mp3",
            mp3.read_bytes() if isinstance(mp3, Path) else mp3,
            "audio/mpeg",
        )
    if picture is not None:
        files["picture"] = ("upload.png", picture, "image/png")
    params = {"access_token": token} if token else {}
    if not files:  # httpx sends a urlencoded body without files: force multipart
        files["_"] = ("", b"", "application/octet-stream")
    return await client.post("/api" + path, params=params, data=fields, files=files)


async def show_count(services: Services) -> int:
    value: int = await services.db.fetch_value(Query("SELECT COUNT(*) FROM shows"))
    return value


def stored_keys(services: Services, prefix: str = "") -> list[str]:
    return sorted(info.key for info in services.store.list(prefix))


def leftover_temp_files(services: Services) -> list[Path]:
    root = services.settings.tmp_dir
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def assert_upload_error(response: httpx.Response, status: int, fields: set[str]) -> dict[str, Any]:
    """The API's error shape with ``details`` naming exactly ``fields``."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"]["type"] == "FormValidationError", body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert set(body["details"]) == fields, body
    for messages in body["details"].values():
        assert messages and all(isinstance(m, str) and m for m in messages)
    return body
