"""Logging set-up, and the filter that keeps credentials out of every log line.

Tokens travel in query strings (``?access_token=`` is how Mixcloud clients send them, and the
token exchange takes ``code`` and ``client_secret`` by GET), so an access log would otherwise
record them. The filter rewrites their values to ``[redacted]`` in the message arguments of
every record that passes through the handlers it is installed on.
"""

from __future__ import annotations

import logging
import re

SECRET_PARAMS = ("access_token", "client_secret", "code", "code_verifier", "password", "token")


def _any_spelling(name: str) -> str:
    """A pattern for ``name`` with any of its characters percent-encoded: the app decodes
    parameter names, so ``access%5Ftoken=`` carries a token as ``access_token=`` does."""
    return "".join(f"(?:{re.escape(c)}|%{ord(c):02x})" for c in name)


_NAMES = "|".join(_any_spelling(name) for name in SECRET_PARAMS)
_SECRET = re.compile(r"(?i)((?:^|[?&;\s])(?:" + _NAMES + r")=)[^&\s\"']*")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    return _BEARER.sub(r"\1" + REDACTED, _SECRET.sub(r"\1" + REDACTED, text))


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


def install_redaction() -> None:
    """Put the filter on every handler of the root logger and of uvicorn's loggers (filters on
    a logger don't apply to records propagated from its children; on a handler they do)."""
    redactor = RedactSecrets()
    for name in ("", "uvicorn", "uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.addFilter(redactor)
        for handler in logger.handlers:
            if not any(isinstance(f, RedactSecrets) for f in handler.filters):
                handler.addFilter(redactor)
