"""``accept_upload``: a received form becomes a show whose media the pipeline will make.

In order, so nothing is lost or half-made:

1. validate every field, probe the audio (decodable, its duration), check the section times
   against it and the picture's format: every problem is reported at once, before anything is
   stored;
2. move the original audio (and picture) from the temporary file into storage under a fresh
   ``originals/`` key: a rename on local disk, a multipart upload on S3;
3. create the show (``received``) with its tags, sections and hosts in one transaction; if that
   fails, the stored originals are deleted again;
4. after the commit, send the pipeline's job (``mixcast.worker``).

A crash between 2 and 3 leaves an original nobody references: the sweep deletes such blobs
once they are an hour old (``uploads.sweep``). A crash after 3 leaves a ``received`` show whose
job may not have been sent: the sweep re-sends it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

import anyio

from mixcast.db.database import Connection, Database, Row
from mixcast.media.artwork import InvalidPicture, check_picture_file
from mixcast.media.audio import AudioInfo, InvalidAudio, probe
from mixcast.shows.host_invitations import accepted_host_ids
from mixcast.shows.listing import set_show_hosts
from mixcast.shows.shows import NewShow, create_show
from mixcast.storage import BlobStore
from mixcast.uploads.errors import UploadInvalid
from mixcast.uploads.fields import UploadFields, check_start_times, parse_upload_fields
from mixcast.uploads.multipart import ReceivedForm

REQUIRED = "This field is required."


@dataclass(frozen=True)
class Accepted:
    show_id: int
    slug: str
    name: str


def original_key(extension: str, at: float | None = None) -> str:
    """A fresh key under the hour it was stored in (``originals/2026113005/<hex>.audio``), so
    the sweep of unreferenced originals lists the last hours, not the whole store."""
    hour = time.strftime("%Y%m%d%H", time.gmtime(time.time() if at is None else at))
    return f"originals/{hour}/{secrets.token_hex(16)}.{extension}"


async def accept_upload(
    db: Database, store: BlobStore, owner: Row, form: ReceivedForm, now: int
) -> Accepted:
    """Validate ``form`` (from ``owner``: a users row with ``id`` and ``is_pro``), store its
    files and create the show; the caller sends the pipeline's job once this returns."""
    details: dict[str, list[str]] = {}
    fields = _parse(form, owner, now, details)
    mp3 = form.files.get("mp3")
    info: AudioInfo | None = None
    if mp3 is None:
        details.setdefault("mp3", [REQUIRED])  # keep the fields' hint for mp3 sent as text
    else:
        try:
            info = await anyio.to_thread.run_sync(probe, mp3.path)
        except InvalidAudio as error:
            details["mp3"] = [error.message]
    if fields is not None and fields.sections and info is not None:
        details.update(check_start_times(fields.sections, info.seconds))
    picture = form.files.get("picture")
    if picture is not None:
        try:
            await anyio.to_thread.run_sync(check_picture_file, picture.path)
        except InvalidPicture as error:
            details["picture"] = [error.message]
    if details or fields is None or mp3 is None or info is None:
        raise UploadInvalid(details)
    assert fields.name is not None

    audio_key = original_key("audio")
    picture_key = original_key("picture") if picture is not None else None
    stored: list[str] = []
    try:
        await anyio.to_thread.run_sync(lambda: store.put_file(audio_key, mp3.path, move=True))
        form.take("mp3")
        stored.append(audio_key)
        if picture is not None and picture_key is not None:
            await anyio.to_thread.run_sync(
                lambda: store.put_file(picture_key, picture.path, move=True)
            )
            form.take("picture")
            stored.append(picture_key)
        async with db.transaction() as tx:
            show_id, slug = await create_show(
                tx, _new_show(owner, fields, info, audio_key, picture_key, mp3.crc32), now
            )
            if fields.hosts:
                await set_show_hosts(tx, show_id, await _accepted(tx, owner, fields.hosts))
    except BaseException:
        with anyio.CancelScope(shield=True):
            for key in stored:
                await anyio.to_thread.run_sync(store.delete, key)
        raise
    return Accepted(show_id, slug, fields.name)


def _parse(
    form: ReceivedForm, owner: Row, now: int, details: dict[str, list[str]]
) -> UploadFields | None:
    try:
        return parse_upload_fields(
            form.fields, editing=False, is_pro=bool(owner["is_pro"]), now=now,
            sent_files=tuple(form.files),
        )  # fmt: skip
    except UploadInvalid as error:
        details.update(error.details or {})
        return None


def _visibility(fields: UploadFields) -> tuple[str, int | None]:
    """``unlisted`` wins over a schedule (api-docs.md "Uploads"); a schedule over public."""
    if fields.unlisted:
        return "unlisted", None
    if fields.publish_at is not None:
        return "scheduled", fields.publish_at
    return "public", None


def _new_show(
    owner: Row,
    fields: UploadFields,
    info: AudioInfo,
    audio_key: str,
    picture_key: str | None,
    crc32: str,
) -> NewShow:
    visibility, publish_at = _visibility(fields)
    assert fields.name is not None
    return NewShow(
        owner_id=owner["id"],
        name=fields.name,
        description=fields.description or "",
        tags=fields.tags or (),
        sections=fields.sections or (),
        audio_length=info.seconds,
        visibility=visibility,
        status="received",
        hide_stats=bool(fields.hide_stats),
        disable_comments=bool(fields.disable_comments),
        original_blob=audio_key,
        picture_blob=picture_key,
        original_crc32=crc32,
        publish_at=publish_at,
    )


async def _accepted(conn: Connection, owner: Row, usernames: Sequence[str]) -> list[int]:
    """On upload, usernames that are not accepted hosts are ignored (api-docs.md)."""
    found = await accepted_host_ids(conn, owner["id"], usernames)
    return [user_id for user_id in found.values() if user_id is not None]
