"""Both blob stores, local disk and S3 (a real SeaweedFS), held to the same contract: what goes
in comes out, writes are all-or-nothing, missing blobs and bad keys are refused the same way."""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, BinaryIO

import boto3
import pytest

from mixcast.errors import ConfigError
from mixcast.storage import (
    BlobNotFound,
    BlobStore,
    InvalidKey,
    LocalStore,
    S3Store,
    StorageUnavailable,
    open_store,
)
from tests.s3server import S3Server, free_ports
from tests.storage.conftest import BUCKET

MiB = 1 << 20


def keys(store: BlobStore, prefix: str = "") -> list[str]:
    return [info.key for info in store.list(prefix)]


def random_file(path: Path, size: int) -> bytes:
    data = os.urandom(size)
    path.write_bytes(data)
    return data


def raw_client(s3: S3Server) -> Any:
    """A plain boto3 client on the test server, to look behind the store's back."""
    return boto3.client(
        "s3",
        endpoint_url=s3.endpoint,
        aws_access_key_id=s3.access_key,
        aws_secret_access_key=s3.secret_key,
        region_name="us-east-1",
    )


def test_bytes_round_trip(store: BlobStore) -> None:
    store.put_bytes("pictures/ab12/100x100.jpg", b"first")
    store.put_bytes("pictures/ab12/100x100.jpg", b"second, longer")

    assert store.get_bytes("pictures/ab12/100x100.jpg") == b"second, longer"
    assert store.exists("pictures/ab12/100x100.jpg")
    assert store.size("pictures/ab12/100x100.jpg") == len(b"second, longer")
    assert not store.exists("pictures/ab12")  # a folder is not a blob


def test_large_file_round_trip(store: BlobStore, tmp_path: Path, request: Any) -> None:
    data = random_file(tmp_path / "show.flac", 20 * MiB + 123)

    store.put_file("uploads/7/original", tmp_path / "show.flac")
    store.get_file("uploads/7/original", tmp_path / "out" / "copy.flac")

    assert (tmp_path / "show.flac").exists()  # not moved
    assert (tmp_path / "out" / "copy.flac").read_bytes() == data
    assert store.size("uploads/7/original") == len(data)
    assert sorted(os.listdir(tmp_path / "out")) == ["copy.flac"]  # no temporary file left
    if isinstance(store, S3Store):
        # A multipart upload's ETag ends with its part count: this went up in parts.
        head = raw_client(request.getfixturevalue("s3")).head_object(
            Bucket=store.bucket, Key=store.prefix + "uploads/7/original"
        )
        assert head["ETag"].strip('"').endswith("-2")


def test_put_file_move_removes_the_source(store: BlobStore, tmp_path: Path) -> None:
    data = random_file(tmp_path / "upload.tmp", 3 * MiB)
    inode = (tmp_path / "upload.tmp").stat().st_ino

    store.put_file("uploads/8/original", tmp_path / "upload.tmp", move=True)

    assert not (tmp_path / "upload.tmp").exists()
    assert store.get_bytes("uploads/8/original") == data
    if isinstance(store, LocalStore):
        stored = store.local_path("uploads/8/original")
        assert stored is not None and stored.stat().st_ino == inode  # renamed, not copied


def test_put_file_move_across_filesystems(tmp_path: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on another filesystem than the temporary folder")
    store = LocalStore(tmp_path / "store")
    source = shm / f"mixcast-test-{os.getpid()}"
    data = random_file(source, MiB)
    try:
        store.put_file("uploads/9/original", source, move=True)
    finally:
        exists_after = source.exists()
        source.unlink(missing_ok=True)

    assert not exists_after
    assert store.get_bytes("uploads/9/original") == data


def test_missing_blobs(store: BlobStore, tmp_path: Path) -> None:
    with pytest.raises(BlobNotFound) as caught:
        store.get_bytes("nothing/here")
    assert caught.value.http_status == 404
    assert caught.value.body()["error"]["type"] == "BlobNotFound"
    with pytest.raises(BlobNotFound):
        store.size("nothing/here")
    (tmp_path / "out").mkdir()
    with pytest.raises(BlobNotFound):
        store.get_file("nothing/here", tmp_path / "out" / "dest")
    assert list((tmp_path / "out").iterdir()) == []  # no file, not even a temporary one
    assert not store.exists("nothing/here")
    store.delete("nothing/here")  # deleting what is not there is fine


def test_list(store: BlobStore) -> None:
    for key, data in [("a/2", b"22"), ("b", b"b"), ("a/x/y", b"y"), ("a-b", b"ab"), ("a/1", b"1")]:
        store.put_bytes(key, data)

    assert sorted(keys(store)) == ["a-b", "a/1", "a/2", "a/x/y", "b"]
    assert sorted(keys(store, "a/")) == ["a/1", "a/2", "a/x/y"]
    assert sorted(keys(store, "a")) == ["a-b", "a/1", "a/2", "a/x/y"]
    assert keys(store, "a/x") == ["a/x/y"]
    assert keys(store, "zz") == []
    if isinstance(store, LocalStore):
        assert keys(store) == ["a-b", "a/1", "a/2", "a/x/y", "b"]  # key order, as S3 promises
    info = {i.key: i for i in store.list("a/")}
    assert info["a/2"].size == 2
    assert abs(info["a/2"].modified - time.time()) < 60


def test_delete_and_delete_prefix(store: BlobStore) -> None:
    for key in ["up/1/original", "up/1/preview.mp3", "up/1/x/y", "up/10/original", "up/1-b"]:
        store.put_bytes(key, b"data")

    store.delete("up/1/preview.mp3")
    assert not store.exists("up/1/preview.mp3")
    assert store.delete_prefix("up/1") == 2
    assert sorted(keys(store)) == ["up/1-b", "up/10/original"]  # only the folder "up/1/" went
    assert store.delete_prefix("up/1/") == 0
    assert store.delete_prefix("nothing") == 0
    with pytest.raises(InvalidKey):
        store.delete_prefix("")  # never "everything"


@pytest.mark.parametrize("key", ["../escape", "a/../../b", "/etc/passwd", "a//b", "", "a/", ".x"])
def test_bad_keys_are_refused(store: BlobStore, tmp_path: Path, key: str) -> None:
    (tmp_path / "f").write_bytes(b"x")
    for call in [
        lambda: store.put_bytes(key, b"x"),
        lambda: store.put_file(key, tmp_path / "f"),
        lambda: store.get_bytes(key),
        lambda: store.get_file(key, tmp_path / "g"),
        lambda: store.exists(key),
        lambda: store.size(key),
        lambda: store.delete(key),
        lambda: store.url_for(key),
    ]:
        with pytest.raises(InvalidKey):
            call()
    assert keys(store) == []


class Interrupted(Exception):
    pass


class FailingReader:
    """A file that breaks after its first megabyte, like a disk or a network mount failing."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f

    def read(self, n: int = -1) -> bytes:
        if self.f.tell() >= MiB:
            raise Interrupted("read failed")
        return self.f.read(n)

    def __enter__(self) -> FailingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.f.close()


class FailingPath(type(Path())):  # a Path whose files fail mid-read
    def open(self, *args: Any, **kwargs: Any) -> Any:
        return FailingReader(super().open(*args, **kwargs))


def put_interrupted(store: BlobStore, key: str, path: Path) -> None:
    """Start storing ``path`` and break it halfway: a failing read on local disk, an
    exception from the progress callback (which aborts the multipart upload) on S3."""
    if isinstance(store, S3Store):
        sent = 0

        def progress(n: int) -> None:
            nonlocal sent
            sent += n
            if sent > 17 * MiB:  # the first part is in, the second is not
                raise Interrupted("connection lost")

        store.put_file(key, path, progress=progress)
    else:
        store.put_file(key, FailingPath(path))


def test_interrupted_put_leaves_nothing(store: BlobStore, tmp_path: Path, request: Any) -> None:
    random_file(tmp_path / "big", 20 * MiB)
    store.put_bytes("up/old", b"the old blob")

    with pytest.raises(Interrupted):
        put_interrupted(store, "up/new", tmp_path / "big")
    with pytest.raises(Interrupted):
        put_interrupted(store, "up/old", tmp_path / "big")

    assert not store.exists("up/new")
    assert store.get_bytes("up/old") == b"the old blob"
    assert [(i.key, i.size) for i in store.list("")] == [("up/old", 12)]
    if isinstance(store, LocalStore):
        assert sorted(p.name for p in (store.root / "up").iterdir()) == ["old"]
    else:
        uploads = raw_client(request.getfixturevalue("s3")).list_multipart_uploads(
            Bucket=BUCKET, Prefix=store.prefix
        )
        assert uploads.get("Uploads", []) == []  # aborted, not left to accumulate


def test_url_for(store: BlobStore) -> None:
    store.put_bytes("pictures/c0/640x640.jpg", b"\xff\xd8 a picture")

    if isinstance(store, LocalStore):
        assert store.url_for("pictures/c0/640x640.jpg") is None  # the site serves it
        return
    url = store.url_for("pictures/c0/640x640.jpg")
    assert url is not None
    with urllib.request.urlopen(url, timeout=5) as reply:
        assert reply.read() == b"\xff\xd8 a picture"

    short = store.url_for("pictures/c0/640x640.jpg", expires=1)
    assert short is not None
    time.sleep(2.1)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(short, timeout=5)
    assert caught.value.code == 403


def test_check(store: BlobStore) -> None:
    store.check()


def test_local_check_fails_without_its_folder(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "media")
    (tmp_path / "media").rmdir()
    with pytest.raises(StorageUnavailable):
        store.check()


@pytest.mark.integration
def test_unreachable_s3_is_unavailable_within_seconds(tmp_path: Path) -> None:
    (port,) = free_ports(1)  # nothing listens there
    store = open_store(f"s3://key:secret@bucket?endpoint=http://127.0.0.1:{port}")
    (tmp_path / "f").write_bytes(b"x")

    for call in [
        store.check,
        lambda: store.get_bytes("a"),
        lambda: store.put_file("a", tmp_path / "f"),
        lambda: store.get_file("a", tmp_path / "g"),
        lambda: keys(store),
    ]:
        started = time.monotonic()
        with pytest.raises(StorageUnavailable) as caught:
            call()
        assert time.monotonic() - started < 5
        assert caught.value.http_status == 503
        assert caught.value.message == "Storage is unavailable; try again later."
    assert os.listdir(tmp_path) == ["f"]


@pytest.mark.integration
def test_s3_url_forms(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    # Credentials in the URL, percent-encoded; and a prefix keeping two stores apart.
    one = open_store(s3.url(BUCKET, prefix="forms/one"))
    two = open_store(s3.url(BUCKET, prefix="forms/two"))
    one.put_bytes("k", b"1")
    assert not two.exists("k")
    assert keys(one) == ["k"]
    assert s3.secret_key not in repr(one)

    # Credentials from the environment (boto3's default chain).
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3.secret_key)
    from_env = open_store(f"s3://{BUCKET}/forms/one?endpoint={s3.endpoint}&region=us-east-1")
    assert from_env.get_bytes("k") == b"1"
    one.delete_prefix("forms")


def test_bad_storage_urls_hide_credentials() -> None:
    for url in [
        "s4://KEY:Hush42@bucket",
        "s3://KEY:Hush42@bucket?endpiont=http://x",
        "s3://KEY@bucket",
        "s3://KEY:Hu/sh42@bucket?endpoint=http://x",  # a "/" not percent-encoded
        "s3://KEY:Hush42@bucket/../up?endpoint=http://x",
    ]:
        with pytest.raises(ConfigError) as caught:
            open_store(url)
        assert "Hu" not in str(caught.value) and "sh42" not in str(caught.value)
