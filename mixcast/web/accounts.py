"""Signing up, in and out.

Sign-in attempts are counted per client IP and per login name; past either limit the answer is
429 with Retry-After, and the password is not even checked, so guessing costs the guesser time
and the server no argon2 work. A successful sign-in clears the count of its login name (its
owner should not be locked out by their own typos) but not of the IP, which may be guessing
other accounts. Every sign-in starts a new session; a session the browser had before is ended,
so a session id planted before sign-in is never promoted to a signed-in one.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mixcast.accounts.passwords import WeakPassword, check_password, hash_password, verify_password
from mixcast.accounts.sessions import SESSION_SECONDS, end_session, start_session
from mixcast.accounts.signin import InvalidEmail, find_login, normal_email, sign_up
from mixcast.accounts.usernames import InvalidUsername, check_username
from mixcast.accounts.users import UsernameTaken
from mixcast.clock import now_us
from mixcast.errors import AppError
from mixcast.proxies import client_address
from mixcast.ratelimit.throttle import Throttle
from mixcast.web.forms import text
from mixcast.web.handlers import form_post, page
from mixcast.web.nextpath import local_next
from mixcast.web.pages import Pages, Visit

# Which field of the sign-up form each domain error is about.
_SIGNUP_FIELD: dict[type[AppError], str] = {
    InvalidUsername: "username",
    UsernameTaken: "username",
    InvalidEmail: "email",
    WeakPassword: "password",
}
WRONG_LOGIN = "That username or email and password do not match an account."


def _field_of(error: AppError) -> str:
    for kind, field in _SIGNUP_FIELD.items():
        if isinstance(error, kind):
            return field
    return "form"


class AccountPages:
    def __init__(self, pages: Pages, limits_storage: Any, signin_limit: str) -> None:
        self.pages = pages
        self.db = pages.services.db
        self.by_ip = Throttle(limits_storage, "signin-ip", signin_limit)
        self.by_login = Throttle(limits_storage, "signin-login", signin_limit)
        # Each sign-up costs an argon2 hash: bounded per address like sign-ins.
        self.signups_by_ip = Throttle(limits_storage, "signup-ip", signin_limit)

    def routes(self) -> list[Route]:
        p = self.pages
        return [
            Route("/signup/", page(p, self.signup_form), methods=["GET"]),
            Route("/signup/", form_post(p, self.signup, signed_in=False), methods=["POST"]),
            Route("/signin/", page(p, self.signin_form), methods=["GET"]),
            Route("/signin/", form_post(p, self.signin, signed_in=False), methods=["POST"]),
            Route("/signout/", form_post(p, self.signout, signed_in=False), methods=["POST"]),
        ]

    def _next(self, value: str | None) -> str:
        return local_next(value, default=self.pages.path("/"))

    # ---------------------------------------------------------------- sign up

    async def signup_form(self, request: Request, visit: Visit) -> Response:
        next_path = self._next(request.query_params.get("next"))
        return self.pages.render(visit, "signup.html", values={"next": next_path}, errors={})

    async def signup(self, request: Request, visit: Visit, form: FormData) -> Response:
        username, email = text(form, "username"), text(form, "email")
        password = text(form, "password")
        next_path = self._next(text(form, "next"))
        errors: dict[str, list[str]] = {}
        # Every cheap check first, so one submission reports every problem at once.
        for check, value in (
            (check_username, username),
            (normal_email, email),
            (check_password, password),
        ):
            try:
                check(value)
            except AppError as exc:
                errors.setdefault(_field_of(exc), []).append(exc.message)
        ip = client_address(request.scope)
        if not errors and not await self.signups_by_ip.allow(ip):
            wait = await self.signups_by_ip.retry_after(ip)
            message = f"Too many sign-ups from your address. Try again in {wait} seconds."
            values = {"username": username, "email": email, "next": next_path}
            return self.pages.render(
                visit, "signup.html", 429, {"Retry-After": str(wait)},
                values=values, errors={"form": [message]},
            )  # fmt: skip
        if not errors:
            try:
                password_hash = await run_in_threadpool(hash_password, password)
                async with self.db.transaction() as conn:
                    if visit.session_token:  # whoever was signed in here, is no longer
                        await end_session(conn, visit.session_token)
                    user_id = await sign_up(
                        conn, username=username, email=email, password_hash=password_hash,
                        now=now_us(),
                    )  # fmt: skip
                    token = await start_session(conn, user_id, now_us())
            except AppError as exc:
                errors.setdefault(_field_of(exc), []).append(exc.message)
        if errors:
            values = {"username": username, "email": email, "next": next_path}  # never the password
            return self.pages.render(visit, "signup.html", 400, values=values, errors=errors)
        return self._signed_in(token, next_path)

    # ---------------------------------------------------------------- sign in

    async def signin_form(self, request: Request, visit: Visit) -> Response:
        next_path = self._next(request.query_params.get("next"))
        if visit.user is not None:
            return self.pages.redirect(next_path)
        return self.pages.render(visit, "signin.html", values={"next": next_path}, errors={})

    async def signin(self, request: Request, visit: Visit, form: FormData) -> Response:
        login, password = text(form, "login"), text(form, "password")
        next_path = self._next(text(form, "next"))
        values = {"login": login, "next": next_path}
        ip = client_address(request.scope)
        async with self.db.reading() as conn:
            account = await find_login(conn, login)
        # Counted per account when the login names one, so its username and its email share
        # one allowance; otherwise per the name as typed.
        typed = login.strip().casefold()[:254]
        login_key = f"user:{account['id']}" if account else f"login:{typed}"
        ip_ok = await self.by_ip.allow(ip)
        login_ok = await self.by_login.allow(login_key)
        if not (ip_ok and login_ok):
            wait = max(
                await self.by_ip.retry_after(ip) if not ip_ok else 0,
                await self.by_login.retry_after(login_key) if not login_ok else 0,
            )
            message = f"Too many sign-in attempts. Try again in {wait} seconds."
            return self.pages.render(
                visit, "signin.html", 429, {"Retry-After": str(wait)},
                values=values, errors={"form": [message]},
            )  # fmt: skip
        stored_hash = account["password_hash"] if account else None
        # Verified even when nobody has that login, so timing does not tell who exists.
        if not await run_in_threadpool(verify_password, stored_hash, password) or not account:
            return self.pages.render(
                visit, "signin.html", 400, values=values, errors={"form": [WRONG_LOGIN]}
            )
        await self.by_login.clear(login_key)
        async with self.db.transaction() as conn:
            if visit.session_token:
                await end_session(conn, visit.session_token)
            token = await start_session(conn, account["id"], now_us())
        return self._signed_in(token, next_path)

    def _signed_in(self, token: str, next_path: str) -> Response:
        response = self.pages.redirect(next_path)
        cookies = self.pages.cookies
        cookies.set(response, cookies.session, token, SESSION_SECONDS)
        return response

    # ---------------------------------------------------------------- sign out

    async def signout(self, request: Request, visit: Visit, form: FormData) -> Response:
        if visit.session_token:
            async with self.db.transaction() as conn:
                await end_session(conn, visit.session_token)
        response = self.pages.redirect(self.pages.path("/"))
        self.pages.cookies.clear(response, self.pages.cookies.session)
        return response
