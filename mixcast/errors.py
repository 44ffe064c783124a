"""The one error type. The API renders it as ``{"error": {"type", "message", ...}}`` plus its
headers, in one handler (``api.responses``); the site renders an error page from the same object.

Domain code raises these; it never builds HTTP responses.
"""

from __future__ import annotations

from typing import Any, ClassVar


class AppError(Exception):
    """An error a client can act on: a machine ``type``, an HTTP status and a message."""

    type: ClassVar[str] = "ServerError"
    http_status: ClassVar[int] = 500

    def __init__(
        self,
        message: str,
        *,
        extra: dict[str, Any] | None = None,
        details: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
        self.details = details
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message, **self.extra}
        body: dict[str, Any] = {"error": error}
        if self.details is not None:
            body["details"] = self.details
        return body


class NotFound(AppError):
    type = "ResourceNotFoundException"
    http_status = 404


class InvalidParameter(AppError):
    """A query parameter the API cannot use (junk paging values, bad callback, metadata=yes)."""

    type = "InvalidParameterException"
    http_status = 400


class OAuthError(AppError):
    """No token where one is required, or one we don't honour (wire-format.md §6.3). Always
    400: the status clients map to authentication errors (node-mixcloud, spring-social); 403
    is kept for rate limits, where clients expect Retry-After."""

    type = "OAuthException"
    http_status = 400


TOKEN_REQUIRED = "An access_token is required to access this resource."
TOKEN_INVALID = "An invalid access token was provided."
TOKEN_NEEDS_HTTPS = "Access tokens are only accepted over https."


class RateLimited(AppError):
    """Over a rate limit: 403 with ``Retry-After`` (api-docs.md "Rate limits"). Clients key on
    the 403 and the header (wire-format.md §9), so 403 is used for nothing else."""

    type = "RateLimitException"
    http_status = 403

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"You have hit your rate limit. Retry after {retry_after} seconds.",
            extra={"retry_after": retry_after},
            headers={"Retry-After": str(retry_after)},
        )


class MethodNotAllowed(AppError):
    type = "MethodNotAllowedException"
    http_status = 405


class ServerError(AppError):
    """A bug on our side, reported without its details."""


RETRY_AFTER_SECONDS = 5  # what a 503 tells clients: long enough for a database restart


class ServiceUnavailable(AppError):
    """Something mixcast depends on is down for now: 503 with ``Retry-After``. The cause is
    logged where it is detected; clients only learn to come back later."""

    type = "ServiceUnavailableException"
    http_status = 503

    def __init__(self, message: str = "The service is unavailable; try again later.") -> None:
        super().__init__(message, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class DatabaseUnavailable(ServiceUnavailable):
    """The database cannot be reached (restarting, down, refusing connections). Raised by
    ``db.database`` in place of the driver's connection errors."""


class InsufficientStorage(AppError):
    """The server's temporary folder is full (ENOSPC/EDQUOT) while receiving an upload: 507,
    WebDAV's "Insufficient Storage", which says the request may succeed later, unlike a 413."""

    type = "InsufficientStorageException"
    http_status = 507

    def __init__(self) -> None:
        super().__init__(
            "The server is out of temporary space; try again later.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


class ConfigError(Exception):
    """The settings cannot be used; raised at start-up, never in a request."""
