"""Signing up and signing in: the checks on a new account and on a login."""

from __future__ import annotations

import re

from mixcast.accounts.users import create_user
from mixcast.db.database import Connection, Query, Row
from mixcast.errors import AppError

# Deliberately loose: one @, something on each side, a dot in the domain, no spaces. Whether
# an address works is known only by mailing it.
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+\Z")

_EMAIL_TAKEN = Query("SELECT 1 FROM users WHERE email = :email")
_BY_LOGIN = Query(
    "SELECT id, username, password_hash FROM users WHERE username_key = :key OR email = :email"
    " ORDER BY id LIMIT 1"
)


class InvalidEmail(AppError):
    type = "InvalidEmailException"
    http_status = 400


def normal_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 254 or not EMAIL.match(email):
        raise InvalidEmail("That does not look like an email address.")
    return email


async def sign_up(
    conn: Connection,
    *,
    username: str,
    email: str,
    password_hash: str,
    now: int,
    display_name: str = "",
    is_pro: bool = False,
) -> int:
    """A new account with a password; ``password_hash`` from ``passwords.hash_password``."""
    email = normal_email(email)
    if await conn.fetch_one(_EMAIL_TAKEN, {"email": email}):
        raise InvalidEmail("An account with that email address exists already.")
    return await create_user(
        conn,
        username=username,
        display_name=display_name or username,
        email=email,
        password_hash=password_hash,
        is_pro=is_pro,
        now=now,
    )


async def find_login(conn: Connection, login: str) -> Row | None:
    """The account a sign-in form names, by username or email (any case); None if none."""
    login = login.strip()
    if not login or len(login) > 254:
        return None
    # Usernames are ASCII: a login that is not could match one only through Unicode case
    # folding (the long s of "ſpartacus" folds to "s"), which nothing else takes as the same
    # name. Emails may be any script.
    key = login.casefold() if login.isascii() else None
    return await conn.fetch_one(_BY_LOGIN, {"key": key, "email": login.lower()})
