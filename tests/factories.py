"""Making users and shows through the same named functions the app uses."""

from __future__ import annotations

from typing import Any

from mixcast.accounts.users import create_user
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
