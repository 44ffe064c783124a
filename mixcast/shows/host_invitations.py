"""Host invitations: a Pro uploader invites users to host, and may name as hosts of an upload
only those who accepted (api-docs.md "Uploads", ``hosts-X-username``).

One ``host_invitations`` row per (owner, host): pending while ``accepted_at`` is NULL. Ending an
invitation from either side (the owner removes the host, the host declines or leaves) deletes
the row and takes the host off every show of that owner, so a show never names a host who is no
longer one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mixcast.accounts.usernames import USERNAME, username_key
from mixcast.accounts.users import get_user
from mixcast.db.database import Connection, Query, Row
from mixcast.errors import AppError
from mixcast.shows.listing import on_hosts_removed

# Pending and accepted together: an owner cannot spray invitations at the whole site.
MAX_INVITATIONS = 50

_IS_PRO = Query("SELECT is_pro FROM users WHERE id = :id")
_STATE = Query(
    "SELECT accepted_at FROM host_invitations WHERE owner_id = :owner_id AND host_id = :host_id"
)
_COUNT = Query("SELECT COUNT(*) FROM host_invitations WHERE owner_id = :owner_id")
_INSERT = Query(
    """
    INSERT INTO host_invitations (owner_id, host_id, created_at, accepted_at)
    VALUES (:owner_id, :host_id, :now, NULL)
    ON CONFLICT (owner_id, host_id) DO NOTHING
    """
)
_ACCEPT = Query(
    """
    UPDATE host_invitations SET accepted_at = :now
    WHERE owner_id = :owner_id AND host_id = :host_id AND accepted_at IS NULL
    """
)
_DELETE = Query("DELETE FROM host_invitations WHERE owner_id = :owner_id AND host_id = :host_id")
_HOSTED_SHOWS = Query(
    """
    SELECT sh.show_id FROM show_hosts sh JOIN shows s ON s.id = sh.show_id
    WHERE sh.user_id = :host_id AND s.owner_id = :owner_id ORDER BY sh.show_id
    """
)
# A subquery, not the collected ids: an owner may have more shows than a statement may bind.
_UNHOST = Query(
    """
    DELETE FROM show_hosts
    WHERE user_id = :host_id AND show_id IN (SELECT id FROM shows WHERE owner_id = :owner_id)
    """
)
_ACCEPTED = Query(
    """
    SELECT u.username_key, u.id FROM host_invitations hi JOIN users u ON u.id = hi.host_id
    WHERE hi.owner_id = :owner_id AND hi.accepted_at IS NOT NULL AND u.username_key IN :keys
    """
)
_SENT = Query(
    """
    SELECT u.username, u.display_name, hi.accepted_at, hi.created_at
    FROM host_invitations hi JOIN users u ON u.id = hi.host_id
    WHERE hi.owner_id = :user_id ORDER BY hi.created_at DESC, u.username_key
    """
)
_RECEIVED = Query(
    """
    SELECT u.username, u.display_name, hi.accepted_at, hi.created_at
    FROM host_invitations hi JOIN users u ON u.id = hi.owner_id
    WHERE hi.host_id = :user_id ORDER BY hi.created_at DESC, u.username_key
    """
)


class HostInvitationError(AppError):
    """An invitation that cannot be made or accepted. Errors about the username typed carry it
    in ``details`` under ``username``, so a form shows them beside that field."""

    type = "HostInvitationException"
    http_status = 400


@dataclass(frozen=True)
class Invitation:
    """One side's view of an invitation: the other user, and whether it was accepted."""

    username: str
    display_name: str
    accepted: bool
    created_at: int


def _username_error(message: str) -> HostInvitationError:
    return HostInvitationError(message, details={"username": [message]})


async def _user_id(conn: Connection, username: str) -> int | None:
    user = await get_user(conn, username)
    return None if user is None else int(user["id"])


async def invite_host(conn: Connection, owner_id: int, host_username: str, now: int) -> None:
    """Invite ``host_username`` to host ``owner_id``'s uploads. Repeating an invitation, pending
    or accepted, leaves it as it is."""
    if not await conn.fetch_value(_IS_PRO, {"id": owner_id}):
        raise HostInvitationError("Only Pro accounts can invite hosts.")
    name = host_username.strip()
    if not USERNAME.match(name):  # also keeps whatever was typed out of the message
        raise _username_error("Enter a username: letters, digits, hyphens and underscores.")
    host_id = await _user_id(conn, name)
    if host_id is None:
        raise _username_error(f"There is no user called {name}.")
    if host_id == owner_id:
        raise _username_error("You cannot invite yourself to host.")
    ids = {"owner_id": owner_id, "host_id": host_id}
    if await conn.fetch_one(_STATE, ids):
        return
    if await conn.fetch_value(_COUNT, {"owner_id": owner_id}) >= MAX_INVITATIONS:
        raise HostInvitationError(
            f"You can have at most {MAX_INVITATIONS} hosts and invitations. "
            "Remove one before inviting another."
        )
    await conn.execute(_INSERT, {**ids, "now": now})


async def accept_invitation(conn: Connection, host_id: int, owner_username: str, now: int) -> None:
    """Accept ``owner_username``'s invitation; accepting again keeps the first acceptance."""
    owner_id = await _user_id(conn, owner_username)
    state = None
    if owner_id is not None:
        state = await conn.fetch_one(_STATE, {"owner_id": owner_id, "host_id": host_id})
    if state is None:
        raise HostInvitationError("There is no invitation from that user to accept.")
    await conn.execute(_ACCEPT, {"owner_id": owner_id, "host_id": host_id, "now": now})


async def decline_invitation(conn: Connection, host_id: int, owner_username: str) -> None:
    """Decline a pending invitation, or leave (stop hosting for) an owner whose invitation was
    accepted. Nothing happens when there is no invitation (a repeated click)."""
    owner_id = await _user_id(conn, owner_username)
    if owner_id is not None:
        await _end_invitation(conn, owner_id, host_id)


async def remove_host(conn: Connection, owner_id: int, host_username: str) -> None:
    """The owner withdraws an invitation or removes an accepted host. Nothing happens when there
    is no invitation."""
    host_id = await _user_id(conn, host_username)
    if host_id is not None:
        await _end_invitation(conn, owner_id, host_id)


async def _end_invitation(conn: Connection, owner_id: int, host_id: int) -> None:
    ids = {"owner_id": owner_id, "host_id": host_id}
    if await conn.execute(_DELETE, ids) == 0:
        return
    # Pending hosts are on no show, but clean up whatever the state was: it costs one query,
    # and a host left on a show after the invitation is gone could never be removed by them.
    rows = await conn.fetch_all(_HOSTED_SHOWS, ids)
    if rows:
        await conn.execute(_UNHOST, ids)
        await on_hosts_removed(conn, [row["show_id"] for row in rows])


async def accepted_host_ids(
    conn: Connection, owner_id: int, usernames: Sequence[str]
) -> dict[str, int | None]:
    """For each username as given: the user's id if they accepted ``owner_id``'s invitation,
    else None (pending, never invited, unknown, or not a username at all). Case-insensitive."""
    keys = sorted({username_key(name) for name in usernames if USERNAME.match(name)})
    found: dict[str, int] = {}
    if keys:
        rows = await conn.fetch_all(_ACCEPTED, {"owner_id": owner_id, "keys": keys})
        found = {row["username_key"]: int(row["id"]) for row in rows}
    return {name: found.get(username_key(name)) for name in usernames}


def _invitation(row: Row) -> Invitation:
    return Invitation(
        username=row["username"],
        display_name=row["display_name"],
        accepted=row["accepted_at"] is not None,
        created_at=int(row["created_at"]),
    )


async def invitations_sent(conn: Connection, owner_id: int) -> list[Invitation]:
    """The owner's hosts and pending invitations (at most ``MAX_INVITATIONS``), newest first."""
    return [_invitation(row) for row in await conn.fetch_all(_SENT, {"user_id": owner_id})]


async def invitations_received(conn: Connection, host_id: int) -> list[Invitation]:
    """The owners who invited ``host_id`` (pending or accepted), newest first."""
    return [_invitation(row) for row in await conn.fetch_all(_RECEIVED, {"user_id": host_id})]
