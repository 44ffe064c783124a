"""Editing one's profile: the text fields and the two pictures (multipart).

Pictures are cut into renditions in a thread (Pillow work) before the transaction; the files of
the pictures they replace are deleted only after the change has committed, so a rolled-back
edit never leaves the profile pointing at deleted files.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mixcast.accounts.profiles import InvalidProfile, ProfileEdit, check_profile, update_profile
from mixcast.clock import now_us
from mixcast.media.artwork import InvalidPicture, Renditions, make_renditions
from mixcast.pictures.store import delete_files
from mixcast.pictures.urls import picture_map
from mixcast.web.forms import MAX_PICTURE, field_errors, file_bytes, text
from mixcast.web.handlers import form_post, page
from mixcast.web.pages import Pages, Visit

TEXT_FIELDS = ("display_name", "biog", "city", "country")
# form field -> the picture kind it makes
PICTURE_FIELDS = {"picture": "profile", "cover_picture": "profile_cover"}


class ProfilePages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.services = pages.services

    def routes(self) -> list[Route]:
        p = self.pages
        return [
            Route("/settings/profile/", page(p, self.form, signed_in=True), methods=["GET"]),
            Route("/settings/profile/", form_post(p, self.save), methods=["POST"]),
        ]

    def _render(
        self,
        visit: Visit,
        values: dict[str, str],
        errors: dict[str, list[str]],
        status: int = 200,
        saved: bool = False,
    ) -> Response:
        user, site = visit.account, str(self.pages.settings.site_url)
        return self.pages.render(
            visit,
            "profile.html",
            status,
            values=values,
            errors=errors,
            picture=picture_map(site, "profile", user["picture_id"])["medium"],
            cover=picture_map(site, "profile_cover", user["cover_picture_id"])["835wx120h"],
            saved=saved,
        )

    async def form(self, request: Request, visit: Visit) -> Response:
        values = {name: visit.account[name] or "" for name in TEXT_FIELDS}
        return self._render(visit, values, {}, saved=bool(request.query_params.get("saved")))

    async def save(self, request: Request, visit: Visit, form: FormData) -> Response:
        values = {name: text(form, name) for name in TEXT_FIELDS}
        errors: dict[str, list[str]] = {}
        renditions: dict[str, Renditions | None] = {}
        for field, kind in PICTURE_FIELDS.items():
            renditions[field] = None
            data = await file_bytes(form, field, MAX_PICTURE)
            if data is None:
                errors[field] = [f"A picture may be at most {MAX_PICTURE // (1024 * 1024)} MiB."]
            elif data:
                try:
                    renditions[field] = await run_in_threadpool(make_renditions, data, kind)
                except InvalidPicture as exc:
                    errors[field] = [exc.message]
        edit = ProfileEdit(**values, picture=renditions["picture"],
                           cover_picture=renditions["cover_picture"])  # fmt: skip
        errors.update(check_profile(edit))
        if not errors:
            try:
                async with self.services.db.transaction() as conn:
                    replaced = await update_profile(
                        conn, self.services.store, visit.account["id"], edit, now_us()
                    )
            except InvalidProfile as exc:
                errors.update(field_errors(exc))
        if errors:
            return self._render(visit, values, errors, 400)
        for picture_id, kind in replaced:
            await run_in_threadpool(delete_files, self.services.store, picture_id, kind)
        return self.pages.redirect(self.pages.path("/settings/profile/?saved=1"))
