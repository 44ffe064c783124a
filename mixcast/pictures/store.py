"""Storing a picture: renditions to storage first, then the row, so a row never points at
missing files (a failed insert leaves files nobody references, which ``delete_files`` removes)."""

from __future__ import annotations

import io
import secrets

from PIL import Image, ImageDraw

from mixcast.db.database import Connection, Query
from mixcast.media.artwork import SIZES_BY_KIND, Renditions, make_renditions, rendition_name
from mixcast.pictures.urls import DEFAULT_ID
from mixcast.storage import BlobStore

_INSERT = Query(
    "INSERT INTO pictures (id, kind, primary_color, width, height, created_at)"
    " VALUES (:id, :kind, :primary_color, :width, :height, :now)"
)


def _put_all(store: BlobStore, picture_id: str, renditions: Renditions) -> None:
    for name, data in renditions.files.items():
        store.put_bytes(f"pictures/{picture_id}/{name}.jpg", data)


def delete_files(store: BlobStore, picture_id: str, kind: str) -> None:
    for size in SIZES_BY_KIND[kind].values():
        store.delete(f"pictures/{picture_id}/{rendition_name(size)}.jpg")


async def store_picture(
    conn: Connection, store: BlobStore, data: bytes, kind: str, now: int
) -> str:
    """Make and store every rendition of ``data``; insert its row; return its id."""
    return await save_picture(conn, store, make_renditions(data, kind), kind, now)


async def save_picture(
    conn: Connection, store: BlobStore, renditions: Renditions, kind: str, now: int
) -> str:
    """Store renditions already made (``make_renditions`` is CPU work a caller may run in a
    thread); insert the row; return the new picture's id."""
    picture_id = secrets.token_hex(16)
    _put_all(store, picture_id, renditions)
    try:
        await conn.execute(
            _INSERT,
            {
                "id": picture_id,
                "kind": kind,
                "primary_color": renditions.primary_color,
                "width": renditions.width,
                "height": renditions.height,
                "now": now,
            },
        )
    except BaseException:
        delete_files(store, picture_id, kind)
        raise
    return picture_id


def _default_image(kind: str) -> bytes:
    """A calm grey-blue square (or banner) with a simple waveform mark."""
    w, h = (1670, 240) if kind == "profile_cover" else (1024, 1024)
    image = Image.new("RGB", (w, h), (52, 64, 78))
    draw = ImageDraw.Draw(image)
    bars = 24
    for i in range(bars):
        x = w * (i + 0.5) / bars
        amp = (0.15 + 0.7 * abs(((i * 7) % 11) - 5) / 5) * h * 0.35
        draw.rectangle(
            (x - w / bars / 4, h / 2 - amp, x + w / bars / 4, h / 2 + amp), fill=(126, 150, 170)
        )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def ensure_defaults(store: BlobStore) -> None:
    """Make the default renditions once; later calls find them and return at once."""
    for kind, picture_id in DEFAULT_ID.items():
        sizes = SIZES_BY_KIND[kind].values()
        keys = [f"pictures/{picture_id}/{rendition_name(s)}.jpg" for s in sizes]
        if all(store.exists(key) for key in keys):
            continue
        _put_all(store, picture_id, make_renditions(_default_image(kind), kind))
