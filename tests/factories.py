"""Making users, shows, apps and tokens through the same named functions the app uses."""

from __future__ import annotations

from typing import Any

from mixcast.accounts.users import create_user
from mixcast.oauth.apps import AppForm, NewApp, create_app
from mixcast.oauth.tokens import issue_token
from mixcast.services import Services
from mixcast.shows.shows import NewShow, create_show

T0 = 1_600_000_000_000_000  # 2020-09-13T12:26:40Z in microseconds


async def make_user(services: Services, username: str, now: int = T0, **fields: Any) -> int:
    fields.setdefault("display_name", username.title())
    async with services.db.transaction() as tx:
        return await create_user(tx, username=username, now=now, **fields)


async def make_show(
    services: Services, owner_id: int, name: str, now: int = T0, **fields: Any
) -> tuple[int, str]:
    async with services.db.transaction() as tx:
        return await create_show(tx, NewShow(owner_id=owner_id, name=name, **fields), now)


async def make_app(
    services: Services,
    owner_id: int,
    name: str = "Test App",
    redirect_uris: tuple[str, ...] = ("https://app.example/callback",),
) -> NewApp:
    """A developer app of ``owner_id``: ``.app.client_id`` and the clear ``.client_secret``."""
    async with services.db.transaction() as tx:
        return await create_app(tx, owner_id, AppForm(name, "", redirect_uris), T0)


async def make_token(services: Services, user_id: int, app_owner_id: int | None = None) -> str:
    """An access token of ``user_id`` for a new app (of ``app_owner_id``, else of the user)."""
    new = await make_app(services, app_owner_id or user_id)
    async with services.db.transaction() as tx:
        return await issue_token(tx, new.app.id, user_id, T0)
