"""Blob uploads are hashed and re-read in 1 MiB pieces from paths, bytes and file objects."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from openai_compatible_client.errors import InvalidRequestError
from openai_compatible_client.platforms.ollama.resources import CHUNK_SIZE, prepare_upload

pytestmark = pytest.mark.unit

DATA = bytes(range(256)) * (CHUNK_SIZE // 256 * 2 + 3)  # a bit more than 2 MiB
DIGEST = "sha256:" + hashlib.sha256(DATA).hexdigest()


class _Pipe(io.RawIOBase):
    """A readable, non-seekable stream (like a socket or a pipe)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)


def _sent(chunks: object) -> list[bytes]:
    return list(chunks())  # type: ignore[operator]


def test_path_upload(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(DATA)
    upload = prepare_upload(path)
    assert (upload.digest, upload.size) == (DIGEST, len(DATA))
    pieces = _sent(upload.chunks)
    assert b"".join(pieces) == DATA and max(map(len, pieces)) == CHUNK_SIZE
    assert b"".join(_sent(upload.chunks)) == DATA  # a retry re-reads from disk
    assert prepare_upload(str(path)).digest == DIGEST


def test_bytes_upload() -> None:
    upload = prepare_upload(DATA)
    assert upload.digest == DIGEST and b"".join(_sent(upload.chunks)) == DATA


def test_seekable_file_object_is_read_from_its_position() -> None:
    handle = io.BytesIO(b"HEADER" + DATA)
    handle.seek(6)
    upload = prepare_upload(handle)
    assert upload.digest == DIGEST
    assert b"".join(_sent(upload.chunks)) == DATA
    assert b"".join(_sent(upload.chunks)) == DATA


def test_non_seekable_stream_is_spooled() -> None:
    upload = prepare_upload(_Pipe(DATA))  # type: ignore[arg-type]
    assert upload.digest == DIGEST
    assert b"".join(_sent(upload.chunks)) == DATA
    assert b"".join(_sent(upload.chunks)) == DATA


def test_empty_blob_digest() -> None:
    assert (
        prepare_upload(b"").digest
        == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_expected_digest_is_checked_before_any_request() -> None:
    assert prepare_upload(DATA, expected=DIGEST).digest == DIGEST
    with pytest.raises(InvalidRequestError, match="not the expected"):
        prepare_upload(DATA, expected="sha256:" + "0" * 64)
    with pytest.raises(InvalidRequestError, match="invalid digest"):
        prepare_upload(DATA, expected="sha256:nope")


def test_unreadable_sources_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError, match="cannot read"):
        prepare_upload(tmp_path / "missing.bin")
    with pytest.raises(InvalidRequestError, match="binary mode"):
        prepare_upload(io.StringIO("text"))  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="path, bytes or a binary file object"):
        prepare_upload(42)  # type: ignore[arg-type]
