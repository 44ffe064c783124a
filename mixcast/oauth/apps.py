"""Developer apps: registered by a user with one or more redirect URIs; the client secret is
shown once, when it is made, and stored as its sha256."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from mixcast.db.database import Connection, Query, Row
from mixcast.errors import AppError
from mixcast.oauth.credentials import digest, new_secret

MAX_REDIRECT_URIS = 10
MAX_URI = 2048
# Schemes a browser would run instead of navigating to: never a redirect target.
_UNSAFE_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "blob", "about"})


class InvalidApp(AppError):
    type = "InvalidAppException"
    http_status = 400


class AppNotFound(AppError):
    type = "ResourceNotFoundException"
    http_status = 404


@dataclass(frozen=True)
class AppForm:
    name: str
    description: str
    redirect_uris: tuple[str, ...]


@dataclass(frozen=True)
class App:
    id: int
    owner_id: int
    name: str
    description: str
    client_id: str
    client_secret_hash: str
    redirect_uris: tuple[str, ...]
    created_at: int


@dataclass(frozen=True)
class NewApp:
    app: App
    client_secret: str  # the only time it exists in the clear


def redirect_uri_problem(uri: str) -> str | None:
    """Why ``uri`` cannot be a redirect URI, or None. Absolute, no fragment (RFC 6749 §3.1.2);
    http(s) with a host, or an app's own scheme (``myapp://callback``) for native apps."""
    if len(uri) > MAX_URI:
        return f"A redirect URI may have at most {MAX_URI} characters."
    if any(c.isspace() or ord(c) < 32 for c in uri):
        return "A redirect URI may not contain spaces or control characters."
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "Not a URI."
    scheme = parts.scheme.lower()
    if not scheme:
        return "A redirect URI must be absolute (https://…)."
    if scheme in _UNSAFE_SCHEMES:
        return f"{scheme}: URIs cannot be redirect URIs."
    if scheme in ("http", "https") and not parts.hostname:
        return "An http(s) redirect URI needs a host."
    if "#" in uri:
        return "A redirect URI may not have a fragment (#…)."
    return None


def check_app_form(form: AppForm) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if not form.name.strip():
        problems["name"] = ["An app needs a name."]
    elif len(form.name.strip()) > 128:
        problems["name"] = ["At most 128 characters."]
    if len(form.description) > 1000:
        problems["description"] = ["At most 1000 characters."]
    uris = form.redirect_uris
    if not uris:
        problems["redirect_uris"] = ["Give at least one redirect URI."]
    elif len(uris) > MAX_REDIRECT_URIS:
        problems["redirect_uris"] = [f"At most {MAX_REDIRECT_URIS} redirect URIs."]
    else:
        for uri in uris:
            problem = redirect_uri_problem(uri)
            if problem:
                problems.setdefault("redirect_uris", []).append(f"{uri[:100]}: {problem}")
    return problems


def parse_redirect_uris(text: str) -> tuple[str, ...]:
    """One URI per line (or separated by spaces), blanks and repeats dropped, order kept."""
    return tuple(dict.fromkeys(text.split()))


_COLUMNS = "id, owner_id, name, description, client_id, client_secret_hash, created_at"
_INSERT = Query(
    "INSERT INTO oauth_apps (owner_id, name, description, client_id, client_secret_hash,"
    " created_at) VALUES (:owner, :name, :description, :client_id, :secret_hash, :now)"
    " RETURNING id"
)
_INSERT_URI = Query("INSERT INTO oauth_redirect_uris (app_id, uri) VALUES (:app, :uri)")
_DELETE_URIS = Query("DELETE FROM oauth_redirect_uris WHERE app_id = :app")
_URIS = Query("SELECT app_id, uri FROM oauth_redirect_uris WHERE app_id IN :apps")
_BY_CLIENT_ID = Query(f"SELECT {_COLUMNS} FROM oauth_apps WHERE client_id = :client_id")
_BY_OWNER = Query(f"SELECT {_COLUMNS} FROM oauth_apps WHERE owner_id = :owner ORDER BY id")
_BY_ID = Query(f"SELECT {_COLUMNS} FROM oauth_apps WHERE id = :id AND owner_id = :owner")
_BY_NAME = Query(
    f"SELECT {_COLUMNS} FROM oauth_apps WHERE owner_id = :owner AND name = :name ORDER BY id"
)
_UPDATE = Query(
    "UPDATE oauth_apps SET name = :name, description = :description"
    " WHERE id = :id AND owner_id = :owner"
)
_SET_SECRET = Query(
    "UPDATE oauth_apps SET client_secret_hash = :secret_hash WHERE id = :id AND owner_id = :owner"
)
_DELETE = Query("DELETE FROM oauth_apps WHERE id = :id AND owner_id = :owner")
# Children first: SQLite enforces ON DELETE CASCADE only with foreign_keys on, so say it.
_DELETE_TOKENS = Query("DELETE FROM oauth_tokens WHERE app_id = :id")
_DELETE_CODES = Query("DELETE FROM oauth_codes WHERE app_id = :id")


async def _with_uris(conn: Connection, rows: list[Row]) -> list[App]:
    if not rows:
        return []
    uris: dict[int, list[str]] = {}
    for row in await conn.fetch_all(_URIS, {"apps": [r["id"] for r in rows]}):
        uris.setdefault(row["app_id"], []).append(row["uri"])
    return [App(**dict(r), redirect_uris=tuple(uris.get(r["id"], ()))) for r in rows]


def _checked(form: AppForm) -> AppForm:
    problems = check_app_form(form)
    if problems:
        raise InvalidApp("The app has errors.", details=problems)
    return AppForm(form.name.strip(), form.description.strip(), form.redirect_uris)


async def _set_uris(conn: Connection, app_id: int, uris: tuple[str, ...]) -> None:
    await conn.execute(_DELETE_URIS, {"app": app_id})
    await conn.execute_many(_INSERT_URI, [{"app": app_id, "uri": uri} for uri in uris])


async def create_app(conn: Connection, owner_id: int, form: AppForm, now: int) -> NewApp:
    form = _checked(form)
    client_id, secret = new_secret(18), new_secret(32)
    app_id: int = await conn.fetch_value(
        _INSERT,
        {
            "owner": owner_id,
            "name": form.name,
            "description": form.description,
            "client_id": client_id,
            "secret_hash": digest(secret),
            "now": now,
        },
    )
    await _set_uris(conn, app_id, form.redirect_uris)
    app = App(
        app_id, owner_id, form.name, form.description, client_id, digest(secret),
        form.redirect_uris, now,
    )  # fmt: skip
    return NewApp(app, secret)


async def update_app(conn: Connection, owner_id: int, app_id: int, form: AppForm) -> None:
    form = _checked(form)
    params = {"id": app_id, "owner": owner_id, "name": form.name, "description": form.description}
    if await conn.execute(_UPDATE, params) == 0:
        raise AppNotFound("No such app.")
    await _set_uris(conn, app_id, form.redirect_uris)


async def reset_secret(conn: Connection, owner_id: int, app_id: int) -> str:
    """A new client secret, shown once; the old one stops working at once."""
    secret = new_secret(32)
    params = {"id": app_id, "owner": owner_id, "secret_hash": digest(secret)}
    if await conn.execute(_SET_SECRET, params) == 0:
        raise AppNotFound("No such app.")
    return secret


async def delete_app(conn: Connection, owner_id: int, app_id: int) -> None:
    """Delete an app and, with it, every code and token it was given."""
    if await owned_app(conn, owner_id, app_id) is None:
        raise AppNotFound("No such app.")
    for query in (_DELETE_TOKENS, _DELETE_CODES, _DELETE_URIS):
        await conn.execute(query, {"id": app_id, "app": app_id})
    await conn.execute(_DELETE, {"id": app_id, "owner": owner_id})


async def owned_apps(conn: Connection, owner_id: int) -> list[App]:
    return await _with_uris(conn, await conn.fetch_all(_BY_OWNER, {"owner": owner_id}))


async def owned_app(conn: Connection, owner_id: int, app_id: int) -> App | None:
    row = await conn.fetch_one(_BY_ID, {"id": app_id, "owner": owner_id})
    return (await _with_uris(conn, [row]))[0] if row else None


async def app_by_client_id(conn: Connection, client_id: str) -> App | None:
    if not client_id or len(client_id) > 64:
        return None
    row = await conn.fetch_one(_BY_CLIENT_ID, {"client_id": client_id})
    return (await _with_uris(conn, [row]))[0] if row else None


async def owned_app_named(conn: Connection, owner_id: int, name: str) -> App | None:
    """An app of ``owner_id`` by its exact name (the oldest, if several share it)."""
    row = await conn.fetch_one(_BY_NAME, {"owner": owner_id, "name": name})
    return (await _with_uris(conn, [row]))[0] if row else None
