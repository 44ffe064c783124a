"""``POST /upload/`` and ``POST /upload/<user>/<slug>/edit/`` (api-docs.md "Uploads" and
"Editing uploads"; wire-format.md §8).

The body is read as a stream (``uploads.multipart``): files go to temporary files as they
arrive, and a file over its limit is refused at once. What happens next is the domain's:
``accept_upload`` stores the show and the pipeline's job is sent after its commit; ``edit_show``
applies an edit. Answers: ``{"result": {"success": true, "message": "Uploaded <name>",
"key": "/<user>/<slug>/"}}``; errors are 400 (413 for a file over its limit) with every bad
field in ``details``, and 507 when the server's temporary folder fills up (``multipart``).
"""

from __future__ import annotations

from typing import Any

import anyio
from starlette.requests import Request

from mixcast.api.render import RenderContext, show_key
from mixcast.clock import now_us
from mixcast.db.database import Query, Row
from mixcast.errors import NotFound
from mixcast.media.artwork import InvalidPicture, make_renditions
from mixcast.pictures.store import delete_files, save_picture
from mixcast.services import Services
from mixcast.shows.host_invitations import accepted_host_ids
from mixcast.shows.shows import get_show
from mixcast.uploads.editing import edit_show
from mixcast.uploads.errors import UploadInvalid
from mixcast.uploads.fields import UploadFields, parse_upload_fields
from mixcast.uploads.intake import accept_upload
from mixcast.uploads.limits import MAX_PICTURE
from mixcast.uploads.multipart import FormLimits, ReceivedForm, receive_form
from mixcast.worker import PROCESS_SHOW

_UPLOADER = Query("SELECT id, username, is_pro FROM users WHERE id = :id")


def result(message: str, key: str) -> dict[str, Any]:
    return {"result": {"success": True, "message": message, "key": key}}


class UploadHandlers:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.upload_limits = FormLimits(
            files={"mp3": services.settings.max_audio_bytes, "picture": MAX_PICTURE}
        )
        self.edit_limits = FormLimits(files={"picture": MAX_PICTURE})

    async def _form(self, request: Request, limits: FormLimits) -> ReceivedForm:
        length = request.headers.get("content-length", "")
        tmp_dir = self.services.settings.tmp_dir / "uploads"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        return await receive_form(
            request.stream(),
            request.headers.get("content-type", ""),
            int(length) if length.isascii() and length.isdigit() else None,
            limits,
            tmp_dir,
        )

    async def _uploader(self, ctx: RenderContext) -> Row:
        async with self.services.db.reading() as conn:
            owner: Row | None = await conn.fetch_one(_UPLOADER, {"id": ctx.viewer_id})
        assert owner is not None  # the token's user
        return owner

    async def upload(self, request: Request, ctx: RenderContext) -> dict[str, Any]:
        owner = await self._uploader(ctx)
        with await self._form(request, self.upload_limits) as form:
            accepted = await accept_upload(
                self.services.db, self.services.store, owner, form, now_us()
            )
        self.services.jobs.send(PROCESS_SHOW, accepted.show_id)  # committed: safe to send
        return result(f"Uploaded {accepted.name}", show_key(owner["username"], accepted.slug))

    async def edit(self, request: Request, ctx: RenderContext) -> dict[str, Any]:
        username, slug = request.path_params["user"], request.path_params["show"]
        owner = await self._uploader(ctx)
        async with self.services.db.reading() as conn:
            show = await get_show(conn, username, slug)
        if show is None or show["owner_id"] != owner["id"]:
            raise NotFound("You have no show at this address.")
        with await self._form(request, self.edit_limits) as form:
            fields = parse_upload_fields(
                form.fields, editing=True, is_pro=bool(owner["is_pro"]), now=now_us(),
                sent_files=tuple(form.files),
            )  # fmt: skip
            picture = form.files.get("picture")
            renditions = None
            if picture is not None:
                data = await anyio.to_thread.run_sync(picture.path.read_bytes)
                try:
                    renditions = await anyio.to_thread.run_sync(make_renditions, data, "extaudio")
                except InvalidPicture as error:
                    raise UploadInvalid({"picture": [error.message]}) from error
        store, now = self.services.store, now_us()
        picture_id = None
        try:
            async with self.services.db.transaction() as tx:
                host_ids = await _hosts(tx, owner, fields)
                if renditions is not None:
                    picture_id = await save_picture(tx, store, renditions, "extaudio", now)
                replaced = await edit_show(tx, show, fields, host_ids, picture_id, now)
        except BaseException:
            if picture_id is not None:  # stored, but the edit was rolled back
                await anyio.to_thread.run_sync(delete_files, store, picture_id, "extaudio")
            raise
        if replaced:
            await anyio.to_thread.run_sync(delete_files, store, replaced, "extaudio")
        name = fields.name if fields.name is not None else show["name"]
        return result(f"Updated {name}", show_key(show["username"], show["slug"]))


async def _hosts(conn: Any, owner: Row, fields: UploadFields) -> list[int] | None:
    """The hosts to set, or None to leave them: when editing, one username that is not an
    accepted host means none of the changes apply (api-docs.md "Uploads")."""
    if fields.hosts is None:
        return None
    found = await accepted_host_ids(conn, owner["id"], fields.hosts)
    if any(user_id is None for user_id in found.values()):
        return None
    return [user_id for user_id in found.values() if user_id is not None]
