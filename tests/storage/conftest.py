"""The ``store`` fixture: runs a test on both backends, each test in a fresh folder or
prefix (the S3 one in the session's SeaweedFS, ``s3`` in tests/conftest.py)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from mixcast.storage import BlobStore, LocalStore, open_store
from tests.s3server import S3Server

BUCKET = "mixcast-tests"


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    """A new, empty store: a folder under ``tmp_path``, or a new prefix in the test bucket."""
    if request.param == "local":
        return LocalStore(tmp_path / "store")
    server: S3Server = request.getfixturevalue("s3")
    return open_store(server.url(BUCKET, prefix=f"t/{secrets.token_hex(6)}"))
