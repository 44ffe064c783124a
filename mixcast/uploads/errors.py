"""The errors of uploads and edits: the API's error shape plus ``details``, every bad field with
its messages at once (wire-format.md §8.3):

    {"error": {"type": "FormValidationError", "message": "…"}, "details": {"name": ["…"]}}

Problems with the whole body rather than one field are listed under ``__all__``.
"""

from __future__ import annotations

from mixcast.errors import AppError

WHOLE_FORM = "__all__"


class UploadInvalid(AppError):
    """A field (or several) cannot be used: 400 with every message in ``details``."""

    type = "FormValidationError"
    http_status = 400

    def __init__(self, details: dict[str, list[str]], message: str | None = None) -> None:
        if message is None:
            names = ", ".join(sorted(details))
            message = f"The upload was not accepted: check {names}."
        super().__init__(message, details=details)


class UploadTooLarge(UploadInvalid):
    """A file, or the whole body, over its limit: refused the moment the limit is crossed."""

    http_status = 413
