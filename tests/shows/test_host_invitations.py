"""Host invitations: who may invite whom, accepting, declining, leaving and removing, and which
usernames an upload may name as hosts."""

from __future__ import annotations

import pytest

from mixcast.db.database import Query, Row
from mixcast.services import Services
from mixcast.shows.host_invitations import (
    MAX_INVITATIONS,
    HostInvitationError,
    Invitation,
    accept_invitation,
    accepted_host_ids,
    decline_invitation,
    invitations_received,
    invitations_sent,
    invite_host,
    remove_host,
)
from mixcast.shows.listing import set_show_hosts
from tests.factories import T0, make_show, make_user

pytestmark = pytest.mark.anyio

Pairs = list[tuple[int, int]]

_MAKE_PRO = Query("UPDATE users SET is_pro = TRUE WHERE id = :id")
_HOSTS = Query("SELECT show_id, user_id FROM show_hosts ORDER BY show_id, user_id")
_ON_HOST_PROFILES = Query(
    """
    SELECT ps.show_id, ps.user_id FROM profile_shows ps JOIN shows s ON s.id = ps.show_id
    WHERE ps.user_id <> s.owner_id ORDER BY ps.show_id, ps.user_id
    """
)


async def invite(services: Services, owner_id: int, username: str, now: int = T0) -> None:
    async with services.db.transaction() as tx:
        await invite_host(tx, owner_id, username, now)


async def accept(services: Services, host_id: int, owner: str, now: int = T0) -> None:
    async with services.db.transaction() as tx:
        await accept_invitation(tx, host_id, owner, now)


async def sent(services: Services, owner_id: int) -> list[Invitation]:
    async with services.db.reading() as conn:
        return await invitations_sent(conn, owner_id)


async def received(services: Services, host_id: int) -> list[Invitation]:
    async with services.db.reading() as conn:
        return await invitations_received(conn, host_id)


async def accepted(services: Services, owner_id: int, names: list[str]) -> dict[str, int | None]:
    async with services.db.reading() as conn:
        return await accepted_host_ids(conn, owner_id, names)


@pytest.fixture
async def users(services: Services) -> dict[str, int]:
    return {
        "spartacus": await make_user(services, "spartacus", is_pro=True, display_name="Spartacus"),
        "crixus": await make_user(services, "Crixus", display_name="Crixus of Gaul"),
        "varro": await make_user(services, "varro"),
    }


async def test_an_invitation_is_pending_until_accepted(services, users):
    await invite(services, users["spartacus"], "crixus", T0 + 5)
    assert await sent(services, users["spartacus"]) == [
        Invitation("Crixus", "Crixus of Gaul", accepted=False, created_at=T0 + 5)
    ]
    assert await received(services, users["crixus"]) == [
        Invitation("spartacus", "Spartacus", accepted=False, created_at=T0 + 5)
    ]
    assert await accepted(services, users["spartacus"], ["Crixus"]) == {"Crixus": None}
    await accept(services, users["crixus"], "SPARTACUS")
    assert [i.accepted for i in await sent(services, users["spartacus"])] == [True]
    assert [i.accepted for i in await received(services, users["crixus"])] == [True]
    assert await accepted(services, users["spartacus"], ["Crixus"]) == {"Crixus": users["crixus"]}


async def test_only_pro_accounts_invite(services, users):
    with pytest.raises(HostInvitationError, match=r"Only Pro accounts can invite hosts\."):
        await invite(services, users["crixus"], "spartacus")
    assert await received(services, users["spartacus"]) == []


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("spartacus", "You cannot invite yourself to host."),
        ("Spartacus", "You cannot invite yourself to host."),
        ("gannicus", "There is no user called gannicus."),
        ("not a name", "Enter a username"),
        ("", "Enter a username"),
    ],
)
async def test_who_cannot_be_invited(services, users, username, message):
    with pytest.raises(HostInvitationError, match=message) as raised:
        await invite(services, users["spartacus"], username)
    assert raised.value.type == "HostInvitationException" and raised.value.http_status == 400
    assert raised.value.details == {"username": [raised.value.message]}
    assert await sent(services, users["spartacus"]) == []


async def test_inviting_again_leaves_the_invitation_as_it_is(services, users):
    await invite(services, users["spartacus"], "crixus", T0)
    await invite(services, users["spartacus"], " CRIXUS ", T0 + 9)  # pending: kept
    assert [i.created_at for i in await sent(services, users["spartacus"])] == [T0]
    await accept(services, users["crixus"], "spartacus")
    await invite(services, users["spartacus"], "crixus", T0 + 9)  # accepted: still accepted
    await accept(services, users["crixus"], "spartacus", T0 + 10)  # accepting twice is fine
    assert await sent(services, users["spartacus"]) == [
        Invitation("Crixus", "Crixus of Gaul", accepted=True, created_at=T0)
    ]


async def test_at_most_fifty_invitations_per_owner(services, users):
    owner = users["spartacus"]
    for n in range(MAX_INVITATIONS - 1):
        await make_user(services, f"host{n}")
        await invite(services, owner, f"host{n}", T0 + n)
    await invite(services, owner, "crixus")
    assert len(await sent(services, owner)) == MAX_INVITATIONS
    await invite(services, owner, "crixus")  # a repeat is not a new invitation
    with pytest.raises(HostInvitationError, match="at most 50"):
        await invite(services, owner, "varro")
    async with services.db.transaction() as tx:
        await remove_host(tx, owner, "host0")
    await invite(services, owner, "varro")
    assert len(await sent(services, owner)) == MAX_INVITATIONS


async def test_accepting_needs_an_invitation(services, users):
    for owner in ("varro", "nobody", "Not a name"):
        with pytest.raises(HostInvitationError, match="no invitation"):
            await accept(services, users["crixus"], owner)
    await invite(services, users["spartacus"], "crixus")
    with pytest.raises(HostInvitationError):  # the owner cannot accept for the host
        await accept(services, users["spartacus"], "crixus")


async def test_decline_and_remove_end_an_invitation(services, users):
    owner, host = users["spartacus"], users["crixus"]
    await invite(services, owner, "crixus")
    async with services.db.transaction() as tx:
        await decline_invitation(tx, host, "Spartacus")
        await decline_invitation(tx, host, "Spartacus")  # again: nothing to do
        await decline_invitation(tx, host, "nobody")
    assert await sent(services, owner) == [] and await received(services, host) == []
    await invite(services, owner, "crixus")  # may be invited again
    async with services.db.transaction() as tx:
        await remove_host(tx, owner, "CRIXUS")
        await remove_host(tx, owner, "varro")  # never invited: nothing to do
    assert await received(services, host) == []


def _pairs(rows: list[Row]) -> Pairs:
    return [(row["show_id"], row["user_id"]) for row in rows]


async def hosts_and_profiles(services: Services) -> tuple[Pairs, Pairs]:
    """(show, host) pairs, and (show, user) pairs of the shows on profiles other than their
    owners' (what a host's profile lists)."""
    async with services.db.reading() as conn:
        hosts = await conn.fetch_all(_HOSTS)
        profiles = await conn.fetch_all(_ON_HOST_PROFILES)
    return _pairs(hosts), _pairs(profiles)


@pytest.mark.parametrize("ending", ["leave", "remove"])
async def test_ending_takes_the_host_off_that_owners_shows_only(services, users, ending):
    spartacus, crixus, varro = users["spartacus"], users["crixus"], users["varro"]
    async with services.db.transaction() as tx:
        await tx.execute(_MAKE_PRO, {"id": varro})
    mine, _ = await make_show(services, spartacus, "Arena Mix")
    mine2, _ = await make_show(services, spartacus, "Ludus Mix")
    theirs, _ = await make_show(services, varro, "Senate Mix")
    for owner_id, owner in ((spartacus, "spartacus"), (varro, "varro")):
        await invite(services, owner_id, "crixus")
        await accept(services, crixus, owner)
    await invite(services, spartacus, "varro")
    await accept(services, varro, "spartacus")
    async with services.db.transaction() as tx:
        await set_show_hosts(tx, mine, [crixus, varro])
        await set_show_hosts(tx, mine2, [crixus])
        await set_show_hosts(tx, theirs, [crixus])
    before = [(mine, crixus), (mine, varro), (mine2, crixus), (theirs, crixus)]
    assert await hosts_and_profiles(services) == (before, before)
    async with services.db.transaction() as tx:
        if ending == "leave":
            await decline_invitation(tx, crixus, "spartacus")
        else:
            await remove_host(tx, spartacus, "crixus")
    after = [(mine, varro), (theirs, crixus)]
    assert await hosts_and_profiles(services) == (after, after)
    assert await accepted(services, spartacus, ["crixus", "varro"]) == {
        "crixus": None,
        "varro": varro,
    }
    assert await accepted(services, varro, ["crixus"]) == {"crixus": crixus}


async def test_accepted_host_ids_answers_for_each_name_as_given(services, users):
    owner = users["spartacus"]
    await invite(services, owner, "crixus")
    await accept(services, users["crixus"], "spartacus")
    await invite(services, owner, "varro")  # pending
    names = ["crixus", "CRIXUS", "Crixus", "varro", "gannicus", "", "bad name", "spartacus"]
    assert await accepted(services, owner, names) == {
        "crixus": users["crixus"],
        "CRIXUS": users["crixus"],
        "Crixus": users["crixus"],
        "varro": None,
        "gannicus": None,
        "": None,
        "bad name": None,
        "spartacus": None,
    }
    assert await accepted(services, owner, []) == {}
    # Accepted for spartacus is not accepted for anyone else.
    assert await accepted(services, users["varro"], ["crixus"]) == {"crixus": None}
