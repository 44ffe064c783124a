"""Reading a posted form within fixed bounds, and the values in it.

``read_form`` parses url-encoded and multipart bodies with Starlette's parser (python-multipart):
at most 2 files, 50 fields and 10 MiB per part. Uploaded files are spooled temporary files; the
caller closes them (``handlers.form_post`` does, always).
"""

from __future__ import annotations

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request

from mixcast.errors import AppError
from mixcast.web.bodylimit import BodyTooLarge

MIB = 1024 * 1024
MAX_PICTURE = 10 * MIB
# Two pictures at their limit plus room for the text fields and the multipart framing.
MAX_BODY = 2 * MAX_PICTURE + MIB


class FormRejected(Exception):
    """A body that cannot be read as a form within the bounds: 400 or 413."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_form(request: Request) -> FormData:
    try:
        return await request.form(max_files=2, max_fields=50, max_part_size=MAX_PICTURE)
    except BodyTooLarge as exc:
        raise FormRejected(413, "What you sent is too large.") from exc
    except (MultiPartException, HTTPException) as exc:
        raise FormRejected(400, "The form could not be read.") from exc
    except ClientDisconnect as exc:  # gone mid-body: nobody reads the answer, nothing was done
        raise FormRejected(400, "The form did not arrive whole.") from exc


def field_errors(error: AppError) -> dict[str, list[str]]:
    """A domain error as messages by form field (``form`` for the whole form)."""
    return error.details or {"form": [error.message]}


def text(form: FormData, name: str) -> str:
    """A text field's value; "" when it is missing or is a file."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def file_bytes(form: FormData, name: str, limit: int) -> bytes | None:
    """The bytes of an uploaded file; b"" when none was chosen (browsers send an empty part);
    None when it is larger than ``limit``."""
    upload = form.get(name)
    if not isinstance(upload, UploadFile):
        return b""
    data = await upload.read(limit + 1)
    return None if len(data) > limit else data
