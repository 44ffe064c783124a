"""The account commands of ``mixcast`` for headless set-ups: create-user, create-app and
issue-token. Each is one unit of work through the same domain functions the site uses."""

from __future__ import annotations

import argparse

from mixcast.accounts.passwords import hash_password
from mixcast.accounts.signin import sign_up
from mixcast.accounts.users import get_user
from mixcast.clock import now_us
from mixcast.db.database import Connection, Row
from mixcast.errors import AppError
from mixcast.oauth.apps import AppForm, app_by_client_id, create_app, owned_app_named
from mixcast.oauth.tokens import issue_token
from mixcast.services import open_services
from mixcast.settings import Settings


class CommandError(AppError):
    type = "CommandError"


async def _user(conn: Connection, username: str) -> Row:
    user = await get_user(conn, username)
    if user is None:
        raise CommandError(f"No user is called {username!r}.")
    return user


async def run(settings: Settings, args: argparse.Namespace) -> str:
    """Run one account command; returns what to print."""
    services = await open_services(settings)
    try:
        async with services.db.transaction() as conn:
            if args.command == "create-user":
                user_id = await sign_up(
                    conn,
                    username=args.username,
                    email=args.email,
                    password_hash=hash_password(args.password),
                    is_pro=args.pro,
                    now=now_us(),
                )
                return f"created user {args.username} (id {user_id})"
            user = await _user(conn, args.username)
            if args.command == "create-app":
                form = AppForm(args.app_name, args.description, tuple(args.redirect_uri))
                new = await create_app(conn, user["id"], form, now_us())
                return (
                    f"client_id: {new.app.client_id}\n"
                    f"client_secret: {new.client_secret}\n"
                    "(the secret is stored hashed: this is the only time it is shown)"
                )
            # issue-token: the user authorizes the app, as the consent page would
            app = await app_by_client_id(conn, args.app) or await owned_app_named(
                conn, user["id"], args.app
            )
            if app is None:
                raise CommandError(
                    f"No app has the client_id {args.app!r}, and {args.username} has no app"
                    " of that name."
                )
            token = await issue_token(conn, app.id, user["id"], now_us())
            return f"access token for {user['username']} on {app.name}: {token}"
    finally:
        await services.close()


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = commands.add_parser("create-user", help="make an account that can sign in")
    user.add_argument("username")
    user.add_argument("--email", required=True)
    user.add_argument("--password", required=True)
    user.add_argument("--pro", action="store_true", help="a Pro account")
    app = commands.add_parser("create-app", help="register a developer app for USERNAME")
    app.add_argument("username")
    app.add_argument("app_name")
    app.add_argument(
        "--redirect-uri", action="append", required=True, help="may be given more than once"
    )
    app.add_argument("--description", default="")
    token = commands.add_parser("issue-token", help="an access token of USERNAME for an app")
    token.add_argument("username")
    token.add_argument("app", metavar="APP_NAME_OR_CLIENT_ID")


COMMANDS = ("create-user", "create-app", "issue-token")
