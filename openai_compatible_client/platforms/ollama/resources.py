"""Ollama's native management endpoints: models, blobs, version, health, legacy embeddings.

Every endpoint is a pure builder ``<endpoint>_call(...) -> Call`` plus thin methods on a sync
resource and its ``Async`` twin. Request bodies are the official ``ollama`` client's, byte for
byte. Progress streams (pull, push, create) are NDJSON that must end with
``{"status": "success"}``; one that stops early raises ``IncompleteStreamError``. Calls that
change the server's state are not re-sent after an attempt that may have been processed.
"""

from __future__ import annotations

import asyncio
import builtins
import hashlib
import os
import tempfile
import warnings
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any, Literal, overload

from openai_compatible_client import errors as E
from openai_compatible_client.platforms.base import Endpoint
from openai_compatible_client.platforms.common.messages import AsyncMessagesCreateOnly, MessagesCreateOnly
from openai_compatible_client.platforms.common.responses import AsyncResponsesCreateOnly, ResponsesCreateOnly
from openai_compatible_client.platforms.ollama.types import (
    CopyRequest,
    CreateRequest,
    DeleteRequest,
    EmbeddingsRequest,
    EmbeddingsResponse,
    GenerateRequest,
    GenerateResponse,
    ListResponse,
    ProgressResponse,
    RunningResponse,
    ShowRequest,
    ShowResponse,
    StatusResponse,
    TransferRequest,
    VersionResponse,
)
from openai_compatible_client.platforms.openai.resources import (
    AsyncPlatformResource,
    PlatformResource,
    health_call,
    healthy,
)
from openai_compatible_client.platforms.openai.retrieve import retrieve_call, retrieved
from openai_compatible_client.platforms.validation import build_body, check_digest, check_model, reply_parser
from openai_compatible_client.transport.http import BodyFactory, Call, Reply

__all__ = [
    "CHUNK_SIZE",
    "RESOURCES",
    "AsyncBlobs",
    "AsyncEmbeddingsLegacy",
    "AsyncModels",
    "AsyncServer",
    "BlobSource",
    "Blobs",
    "EmbeddingsLegacy",
    "Models",
    "Server",
    "Upload",
    "blob_check_call",
    "blob_push_call",
    "copy_call",
    "create_call",
    "delete_call",
    "embeddings_call",
    "health_root_call",
    "keep_alive_call",
    "legacy_embeddings_call",
    "list_call",
    "load_call",
    "prepare_upload",
    "ps_call",
    "pull_call",
    "push_call",
    "show_call",
    "unload_call",
    "version_call",
]

PLATFORM = "ollama"
CHUNK_SIZE = 1 << 20
"""Blob uploads are hashed and sent in pieces of this size (1 MiB): never the whole file in memory."""

KeepAlive = float | str
BlobSource = str | os.PathLike[str] | bytes | IO[bytes]
Messages = Sequence[Mapping[str, Any]]

# ---------------------------------------------------------------------------------------------
# Builders (pure)


def _json_call(
    method: str,
    path: str,
    body: dict[str, Any] | None,
    *,
    idempotent: bool = True,
    timeout: float | None = None,
) -> Call:
    return Call(PLATFORM, f"{method} {path}", method, path, json=body, idempotent=idempotent, timeout=timeout)


def _progress_call(path: str, body: dict[str, Any], stream: bool, timeout: float | None) -> Call:
    """A pull/push/create: one final status, or an NDJSON stream that must end with ``success``."""
    return Call(
        PLATFORM,
        f"POST {path}",
        "POST",
        path,
        json=body,
        framing="ndjson" if stream else "json",
        terminator="ndjson_success" if stream else "end",
        idempotent=False,
        timeout=timeout,
    )


def create_call(
    model: str,
    *,
    from_: str | None = None,
    files: Mapping[str, str] | None = None,
    adapters: Mapping[str, str] | None = None,
    template: str | None = None,
    license: str | Sequence[str] | None = None,
    system: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    messages: Messages | None = None,
    quantize: str | None = None,
    renderer: str | None = None,
    parser: str | None = None,
    requires: str | None = None,
    info: Mapping[str, Any] | None = None,
    draft_quantize: str | None = None,
    draft_files: Mapping[str, str] | None = None,
    remote_host: str | None = None,
    extra_body: Mapping[str, Any] | None = None,
    stream: bool = False,
    timeout: float | None = None,
) -> Call:
    """``POST /api/create``: a model from another (``from_``), from uploaded blobs (``files``), or both.

    The digests in ``files``, ``adapters`` and ``draft_files`` are checked locally (``sha256:<64 hex>``).
    ``renderer``/``parser`` name the prompt renderer and output parser of Ollama's built-in model
    families; ``extra_body`` adds fields a newer server knows.

    >>> create_call("mario", from_="llama3.2", system="You are Mario.").json
    {'model': 'mario', 'stream': False, 'system': 'You are Mario.', 'from': 'llama3.2'}
    """
    for name, table in (("files", files), ("adapters", adapters), ("draft_files", draft_files)):
        for filename, digest in (table or {}).items():
            check_digest(digest)
            if os.path.isabs(filename) or ".." in filename.replace("\\", "/").split("/"):
                raise E.InvalidRequestError(f"{name}: file name {filename!r} must be a relative path")
    body = build_body(
        CreateRequest,
        model=check_model(model),
        stream=stream,
        quantize=quantize,
        from_=None if from_ is None else check_model(from_, field="from_"),
        files=None if files is None else dict(files),
        adapters=None if adapters is None else dict(adapters),
        template=template,
        license=license if license is None or isinstance(license, str) else builtins.list(license),
        system=system,
        parameters=None if parameters is None else dict(parameters),
        messages=None if messages is None else [dict(m) for m in messages],
        renderer=renderer,
        parser=parser,
        requires=requires,
        info=None if info is None else dict(info),
        draft_quantize=draft_quantize,
        draft_files=None if draft_files is None else dict(draft_files),
        remote_host=remote_host,
        extra_body=extra_body,
    )
    return _progress_call("/api/create", body, stream, timeout)


def list_call() -> Call:
    """``GET /api/tags``: the local models."""
    return _json_call("GET", "/api/tags", None)


def show_call(model: str, *, verbose: bool = False, extra_body: Mapping[str, Any] | None = None) -> Call:
    """``POST /api/show`` (``verbose`` is sent only when true, as the official client never sends it).

    >>> show_call("llama3.2").json
    {'model': 'llama3.2'}
    """
    return _json_call(
        "POST",
        "/api/show",
        build_body(ShowRequest, extra_body=extra_body, model=check_model(model), verbose=verbose or None),
    )


def copy_call(source: str, destination: str, *, extra_body: Mapping[str, Any] | None = None) -> Call:
    """``POST /api/copy``: the server answers 200 with an empty body."""
    body = build_body(
        CopyRequest,
        extra_body=extra_body,
        source=check_model(source, field="source"),
        destination=check_model(destination, field="destination"),
    )
    return _json_call("POST", "/api/copy", body, idempotent=False)


def delete_call(model: str, *, extra_body: Mapping[str, Any] | None = None) -> Call:
    """``DELETE /api/delete`` with a JSON body: the server answers 200 with an empty body."""
    body = build_body(DeleteRequest, extra_body=extra_body, model=check_model(model))
    return _json_call("DELETE", "/api/delete", body, idempotent=False)


def pull_call(
    model: str,
    *,
    insecure: bool = False,
    stream: bool = False,
    timeout: float | None = None,
    extra_body: Mapping[str, Any] | None = None,
) -> Call:
    """``POST /api/pull``.

    >>> pull_call("llama3.2").json
    {'model': 'llama3.2', 'stream': False, 'insecure': False}
    """
    body = build_body(
        TransferRequest, extra_body=extra_body, model=check_model(model), stream=stream, insecure=insecure
    )
    return _progress_call("/api/pull", body, stream, timeout)


def push_call(
    model: str,
    *,
    insecure: bool = False,
    stream: bool = False,
    timeout: float | None = None,
    extra_body: Mapping[str, Any] | None = None,
) -> Call:
    """``POST /api/push`` (the model is ``namespace/model:tag``)."""
    body = build_body(
        TransferRequest, extra_body=extra_body, model=check_model(model), stream=stream, insecure=insecure
    )
    return _progress_call("/api/push", body, stream, timeout)


def ps_call() -> Call:
    """``GET /api/ps``: the models loaded in memory."""
    return _json_call("GET", "/api/ps", None)


def keep_alive_call(model: str, keep_alive: KeepAlive | None) -> Call:
    """An empty ``POST /api/generate``: loads the model, or unloads it when ``keep_alive`` is 0.

    >>> keep_alive_call("llama3.2", 0).json
    {'model': 'llama3.2', 'stream': False, 'keep_alive': 0.0}
    """
    body = build_body(GenerateRequest, model=check_model(model), stream=False, keep_alive=keep_alive)
    return _json_call("POST", "/api/generate", body)


def load_call(model: str, *, keep_alive: KeepAlive | None = None) -> Call:
    """Load a model into memory (an empty generate; ``keep_alive`` defaults to the client's)."""
    return keep_alive_call(model, keep_alive)


def unload_call(model: str) -> Call:
    """Unload a model from memory now (an empty generate with ``keep_alive=0``)."""
    return keep_alive_call(model, 0)


def blob_check_call(digest: str) -> Call:
    """``HEAD /api/blobs/<digest>``: 200 present, 404 absent (an answer here, not an error)."""
    path = f"/api/blobs/{check_digest(digest)}"
    return Call(
        PLATFORM, "HEAD /api/blobs/:digest", "HEAD", path, framing="none", ok_statuses=frozenset({404})
    )


def blob_push_call(digest: str, body: BodyFactory, *, timeout: float | None = None) -> Call:
    """``POST /api/blobs/<digest>`` streaming the body (201 created, 200 already present).

    Content-addressed, so sending it again is harmless (``idempotent``).
    """
    path = f"/api/blobs/{check_digest(digest)}"
    return Call(
        PLATFORM,
        "POST /api/blobs/:digest",
        "POST",
        path,
        body_factory=body,
        headers={"Content-Type": "application/octet-stream"},
        framing="none",
        timeout=timeout,
    )


def embeddings_call(
    model: str, prompt: str, *, options: Mapping[str, Any] | None = None, keep_alive: KeepAlive | None = None
) -> Call:
    """The deprecated ``POST /api/embeddings`` (one prompt, one vector, not normalised)."""
    body = build_body(
        EmbeddingsRequest,
        model=check_model(model),
        prompt=prompt,
        options=None if options is None else dict(options),
        keep_alive=keep_alive,
    )
    return _json_call("POST", "/api/embeddings", body)


def legacy_embeddings_call(
    *,
    model: str,
    prompt: str,
    options: Mapping[str, Any] | None = None,
    keep_alive: KeepAlive | None = None,
) -> Call:
    """:func:`embeddings_call` with the keyword-only parameters of ``embeddings.create_legacy``."""
    return embeddings_call(model, prompt, options=options, keep_alive=keep_alive)


def version_call() -> Call:
    """``GET /api/version``."""
    return _json_call("GET", "/api/version", None)


def health_root_call() -> Call:
    """``GET /`` (``Ollama is running``): True, or a typed error."""
    return health_call(PLATFORM, "/")


# ---------------------------------------------------------------------------------------------
# Blob uploads: hash first (in 1 MiB reads), then stream from the source on every attempt.


@dataclass(frozen=True, slots=True)
class Upload:
    """A blob ready to send: its digest, its size, and a factory of its 1 MiB chunks."""

    digest: str
    size: int
    chunks: BodyFactory


def _file_chunks(path: str, start: int = 0) -> BodyFactory:
    def chunks() -> Iterator[bytes]:
        with open(path, "rb") as handle:
            handle.seek(start)
            while chunk := handle.read(CHUNK_SIZE):
                yield chunk

    return chunks


def _handle_chunks(handle: IO[bytes], start: int) -> BodyFactory:
    def chunks() -> Iterator[bytes]:
        handle.seek(start)
        while chunk := handle.read(CHUNK_SIZE):
            yield chunk

    return chunks


def _hash(pieces: Iterable[bytes], sink: IO[bytes] | None = None) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    for piece in pieces:
        sha.update(piece)
        size += len(piece)
        if sink is not None:
            sink.write(piece)
    return f"sha256:{sha.hexdigest()}", size


def prepare_upload(source: BlobSource, *, expected: str | None = None) -> Upload:
    """Hash a blob (a path, bytes, or a binary file object) without holding it in memory.

    A seekable file object is re-read from its current position; one that cannot seek is
    spooled to a temporary file while it is hashed.

    Args:
        source: The blob.
        expected: A digest the blob must have; a mismatch is refused before any request.

    Raises:
        InvalidRequestError: unreadable source, malformed ``expected``, or a mismatch.

    >>> prepare_upload(b"").digest
    'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    """
    if expected is not None:
        check_digest(expected)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        digest, size = _hash([data])

        def chunks() -> Iterator[bytes]:
            for offset in range(0, len(data), CHUNK_SIZE):
                yield data[offset : offset + CHUNK_SIZE]

        upload = Upload(digest, size, chunks)
    elif isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        try:
            digest, size = _hash(_file_chunks(path)())
        except OSError as exc:
            raise E.InvalidRequestError(f"cannot read the blob file {path!r}: {exc.strerror or exc}") from exc
        upload = Upload(digest, size, _file_chunks(path))
    elif hasattr(source, "read"):
        upload = _prepare_handle(source)
    else:
        raise E.InvalidRequestError(
            f"a blob is a path, bytes or a binary file object, not {type(source).__name__}"
        )
    if expected is not None and expected != upload.digest:
        raise E.InvalidRequestError(f"the blob's digest is {upload.digest}, not the expected {expected}")
    return upload


def _prepare_handle(handle: IO[bytes]) -> Upload:
    def reads(source: IO[bytes]) -> Iterator[bytes]:
        while chunk := source.read(CHUNK_SIZE):
            if not isinstance(chunk, bytes):
                raise E.InvalidRequestError("the blob file object must be opened in binary mode ('rb')")
            yield chunk

    seekable = False
    try:
        seekable = handle.seekable()
    except (AttributeError, OSError, ValueError):
        seekable = False
    if seekable:
        start = handle.tell()
        digest, size = _hash(reads(handle))
        return Upload(digest, size, _handle_chunks(handle, start))
    # The spool must outlive this function (every upload attempt re-reads it); it is deleted when collected.
    spool = tempfile.TemporaryFile()  # noqa: SIM115
    digest, size = _hash(reads(handle), sink=spool)
    return Upload(digest, size, _handle_chunks(spool, 0))


# ---------------------------------------------------------------------------------------------
# Parsers

_status = reply_parser(StatusResponse, empty={"status": "success"})
_progress = reply_parser(ProgressResponse)


def _present(reply: Reply) -> bool:
    return reply.status < 300


def _client_keep_alive(resource: Any, kwargs: dict[str, Any]) -> None:
    """The call's ``keep_alive``, else the client's ``ollama.keep_alive``."""
    if kwargs.get("keep_alive") is None:
        kwargs["keep_alive"] = resource._context.config.ollama.keep_alive


def _client_options(resource: Any, kwargs: dict[str, Any]) -> None:
    """The client's ``ollama.options`` under the call's own ``options``."""
    merged = {**resource._context.config.ollama.options, **(kwargs.get("options") or {})}
    kwargs["options"] = merged or None


_DEPRECATION = (
    "Ollama's /api/embeddings is deprecated: use client.embeddings.create(model=..., input=...), "
    "which uses /api/embed (batched, normalised vectors)"
)


def _deprecated(_resource: Any, _kwargs: dict[str, Any]) -> None:
    # Five frames up is the caller of ``client.embeddings.create_legacy``: this step, the
    # endpoint's request, its method, and the facade's ``create_legacy`` come first.
    warnings.warn(_DEPRECATION, DeprecationWarning, stacklevel=5)


# ---------------------------------------------------------------------------------------------
# Resources


class _ModelsEndpoints:
    list = Endpoint(list_call, reply_parser(ListResponse))
    retrieve = Endpoint(retrieve_call, retrieved())
    info = Endpoint(show_call, reply_parser(ShowResponse))
    copy = Endpoint(copy_call, _status)
    delete = Endpoint(delete_call, _status)
    running = Endpoint(ps_call, reply_parser(RunningResponse))
    load = Endpoint(load_call, reply_parser(GenerateResponse), prepare=(_client_keep_alive,))
    unload = Endpoint(unload_call, reply_parser(GenerateResponse))


class Models(_ModelsEndpoints, PlatformResource):
    """``client.models`` on Ollama: create, list, info, copy, delete, pull, push, running, load, unload."""

    resource = "models"

    @overload
    def create(
        self,
        model: str,
        *,
        from_: str | None = ...,
        files: Mapping[str, str] | None = ...,
        adapters: Mapping[str, str] | None = ...,
        template: str | None = ...,
        license: str | Sequence[str] | None = ...,
        system: str | None = ...,
        parameters: Mapping[str, Any] | None = ...,
        messages: Messages | None = ...,
        quantize: str | None = ...,
        renderer: str | None = ...,
        parser: str | None = ...,
        requires: str | None = ...,
        info: Mapping[str, Any] | None = ...,
        draft_quantize: str | None = ...,
        draft_files: Mapping[str, str] | None = ...,
        remote_host: str | None = ...,
        extra_body: Mapping[str, Any] | None = ...,
        stream: Literal[False] = ...,
        timeout: float | None = ...,
    ) -> ProgressResponse: ...

    @overload
    def create(
        self,
        model: str,
        *,
        from_: str | None = ...,
        files: Mapping[str, str] | None = ...,
        adapters: Mapping[str, str] | None = ...,
        template: str | None = ...,
        license: str | Sequence[str] | None = ...,
        system: str | None = ...,
        parameters: Mapping[str, Any] | None = ...,
        messages: Messages | None = ...,
        quantize: str | None = ...,
        renderer: str | None = ...,
        parser: str | None = ...,
        requires: str | None = ...,
        info: Mapping[str, Any] | None = ...,
        draft_quantize: str | None = ...,
        draft_files: Mapping[str, str] | None = ...,
        remote_host: str | None = ...,
        extra_body: Mapping[str, Any] | None = ...,
        stream: Literal[True],
        timeout: float | None = ...,
    ) -> Iterator[ProgressResponse]: ...

    def create(
        self,
        model: str,
        *,
        from_: str | None = None,
        files: Mapping[str, str] | None = None,
        adapters: Mapping[str, str] | None = None,
        template: str | None = None,
        license: str | Sequence[str] | None = None,
        system: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        messages: Messages | None = None,
        quantize: str | None = None,
        renderer: str | None = None,
        parser: str | None = None,
        requires: str | None = None,
        info: Mapping[str, Any] | None = None,
        draft_quantize: str | None = None,
        draft_files: Mapping[str, str] | None = None,
        remote_host: str | None = None,
        extra_body: Mapping[str, Any] | None = None,
        stream: bool = False,
        timeout: float | None = None,
    ) -> ProgressResponse | Iterator[ProgressResponse]:
        """Create a model (``POST /api/create``) from another (``from_``) or from blobs (``files``).

        Returns:
            The final status, or with ``stream=True`` an iterator of progress objects.
        """
        call = create_call(
            model,
            from_=from_,
            files=files,
            adapters=adapters,
            template=template,
            license=license,
            system=system,
            parameters=parameters,
            messages=messages,
            quantize=quantize,
            renderer=renderer,
            parser=parser,
            requires=requires,
            info=info,
            draft_quantize=draft_quantize,
            draft_files=draft_files,
            remote_host=remote_host,
            extra_body=extra_body,
            stream=stream,
            timeout=timeout,
        )
        return (
            self._stream(call, self._items(ProgressResponse, call)) if stream else self._send(call, _progress)
        )

    @overload
    def pull(
        self,
        model: str,
        *,
        insecure: bool = ...,
        stream: Literal[False] = ...,
        timeout: float | None = ...,
        extra_body: Mapping[str, Any] | None = ...,
    ) -> ProgressResponse: ...

    @overload
    def pull(
        self,
        model: str,
        *,
        insecure: bool = ...,
        stream: Literal[True],
        timeout: float | None = ...,
        extra_body: Mapping[str, Any] | None = ...,
    ) -> Iterator[ProgressResponse]: ...

    def pull(
        self,
        model: str,
        *,
        insecure: bool = False,
        stream: bool = False,
        timeout: float | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> ProgressResponse | Iterator[ProgressResponse]:
        """Download a model from its registry (``POST /api/pull``).

        Returns:
            The final status, or with ``stream=True`` an iterator of progress objects
            (``status``, ``digest``, ``total``, ``completed``).
        """
        call = pull_call(model, insecure=insecure, stream=stream, timeout=timeout, extra_body=extra_body)
        return (
            self._stream(call, self._items(ProgressResponse, call)) if stream else self._send(call, _progress)
        )

    @overload
    def push(
        self,
        model: str,
        *,
        insecure: bool = ...,
        stream: Literal[False] = ...,
        timeout: float | None = ...,
        extra_body: Mapping[str, Any] | None = ...,
    ) -> ProgressResponse: ...

    @overload
    def push(
        self,
        model: str,
        *,
        insecure: bool = ...,
        stream: Literal[True],
        timeout: float | None = ...,
        extra_body: Mapping[str, Any] | None = ...,
    ) -> Iterator[ProgressResponse]: ...

    def push(
        self,
        model: str,
        *,
        insecure: bool = False,
        stream: bool = False,
        timeout: float | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> ProgressResponse | Iterator[ProgressResponse]:
        """Upload a model to its registry (``POST /api/push``; the name is ``namespace/model:tag``)."""
        call = push_call(model, insecure=insecure, stream=stream, timeout=timeout, extra_body=extra_body)
        return (
            self._stream(call, self._items(ProgressResponse, call)) if stream else self._send(call, _progress)
        )


class AsyncModels(_ModelsEndpoints, AsyncPlatformResource):
    """``client.models`` on Ollama: create, list, info, copy, delete, pull, push, running, load, unload."""

    resource = "models"

    @overload
    async def create(
        self,
        model: str,
        *,
        from_: str | None = ...,
        files: Mapping[str, str] | None = ...,
        adapters: Mapping[str, str] | None = ...,
        template: str | None = ...,
        license: str | Sequence[str] | None = ...,
        system: str | None = ...,
        parameters: Mapping[str, Any] | None = ...,
        messages: Messages | None = ...,
        quantize: str | None = ...,
        renderer: str | None = ...,
        parser: str | None = ...,
        requires: str | None = ...,
        info: Mapping[str, Any] | None = ...,
        draft_quantize: str | None = ...,
        draft_files: Mapping[str, str] | None = ...,
        remote_host: str | None = ...,
        extra_body: Mapping[str, Any] | None = ...,
        stream: Literal[False] = ...,
        timeout: float | None = ...,
    ) -> ProgressResponse: ...

    @overload
    async def create(
        self,
        model: str,
        *,
        from_: str | None = ...,
        files: Mapping[str, str] | None = ...,
        adapters: Mapping[str, str] | None = ...,
        template: str | None = ...,
        license: str | Sequence[str] | None = ...,
        system: str | None = ...,
        parameters: Mapping[str, Any] | None = ...,
        messages: Messages | None = ...,
        quantize: str | None = ...,
        renderer: str | None = ...,
        parser: str | None = ...,
        requires: str | None = ...,
        info: Mapping[str, Any] | None = ...,
        draft_quantize: str | None = ...,
        draft_files: Mapping[str, str] | None = ...,
        remote_host: str | None = ...,
        extra_body: Mapping[str, Any] | None = ...,
        stream: Literal[True],
        timeout: float | None = ...,
    ) -> AsyncIterator[ProgressResponse]: ...

    async def create(
        self,
        model: str,
        *,
        from_: str | None = None,
        files: Mapping[str, str] | None = None,
        adapters: Mapping[str, str] | None = None,
        template: str | None = None,
        license: str | Sequence[str] | None = None,
        system: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        messages: Messages | None = None,
        quantize: str | None = None,
        renderer: str | None = None,
        parser: str | None = None,
        requires: str | None = None,
        info: Mapping[str, Any] | None = None,
        draft_quantize: str | None = None,
        draft_files: Mapping[str, str] | None = None,
        remote_host: str | None = None,
        extra_body: Mapping[str, Any] | None = None,
        stream: bool = False,
        timeout: float | None = None,
    ) -> ProgressResponse | AsyncIterator[ProgressResponse]:
        """Create a model (``POST /api/create``) from another (``from_``) or from blobs (``files``).

        Returns:
            The final status, or with ``stream=True`` an async iterator of progress objects.
        """
        call = create_call(
            model,
            from_=from_,
            files=files,
            adapters=adapters,
            template=template,
            license=license,
            system=system,
            parameters=parameters,
            messages=messages,
            quantize=quantize,
            renderer=renderer,
            parser=parser,
            requires=requires,
            info=info,
            draft_quantize=draft_quantize,
            draft_files=draft_files,
            remote_host=remote_host,
            extra_body=extra_body,
            stream=stream,
            timeout=timeout,
        )
        if stream:
            return await self._stream(call, self._items(ProgressResponse, call))
        return await self._send(call, _progress)

    @overload
    async def pull(
        self,
        model: str,
        *,
        insecure: bool = ...,
        stream: Literal[False] = ...,
        timeout: float | None = ...,
        extra_body: Mapping[str, Any] | None = ...,
    ) -> ProgressResponse: ...

    @overload
    async def pull(
        self,
        model: str,
        *,
        insecure: bool = ...,
        stream: Literal[True],
        timeout: float | None = ...,
        extra_body: Mapping[str, Any] | None = ...,
    ) -> AsyncIterator[ProgressResponse]: ...

    async def pull(
        self,
        model: str,
        *,
        insecure: bool = False,
        stream: bool = False,
        timeout: float | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> ProgressResponse | AsyncIterator[ProgressResponse]:
        """Download a model from its registry (``POST /api/pull``).

        Returns:
            The final status, or with ``stream=True`` an async iterator of progress objects
            (``status``, ``digest``, ``total``, ``completed``).
        """
        call = pull_call(model, insecure=insecure, stream=stream, timeout=timeout, extra_body=extra_body)
        if stream:
            return await self._stream(call, self._items(ProgressResponse, call))
        return await self._send(call, _progress)

    @overload
    async def push(
        self,
        model: str,
        *,
        insecure: bool = ...,
        stream: Literal[False] = ...,
        timeout: float | None = ...,
        extra_body: Mapping[str, Any] | None = ...,
    ) -> ProgressResponse: ...

    @overload
    async def push(
        self,
        model: str,
        *,
        insecure: bool = ...,
        stream: Literal[True],
        timeout: float | None = ...,
        extra_body: Mapping[str, Any] | None = ...,
    ) -> AsyncIterator[ProgressResponse]: ...

    async def push(
        self,
        model: str,
        *,
        insecure: bool = False,
        stream: bool = False,
        timeout: float | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> ProgressResponse | AsyncIterator[ProgressResponse]:
        """Upload a model to its registry (``POST /api/push``; the name is ``namespace/model:tag``)."""
        call = push_call(model, insecure=insecure, stream=stream, timeout=timeout, extra_body=extra_body)
        if stream:
            return await self._stream(call, self._items(ProgressResponse, call))
        return await self._send(call, _progress)


class _BlobsEndpoints:
    check = Endpoint(blob_check_call, _present)


class Blobs(_BlobsEndpoints, PlatformResource):
    """``client.blobs``: the content-addressed files ``models.create(files=...)`` refers to."""

    resource = "blobs"

    def push(
        self,
        source: BlobSource,
        *,
        digest: str | None = None,
        skip_existing: bool = True,
        timeout: float | None = None,
    ) -> str:
        """Upload a blob (a path, bytes or a binary file object) and return its ``sha256:<hex>`` digest.

        The file is hashed, then streamed in 1 MiB pieces: it is never held in memory whole.

        Args:
            source: The blob.
            digest: The digest it must have (refused before any request when it differs).
            skip_existing: Ask the server first (``HEAD``) and skip the upload when it has the blob.
            timeout: Read timeout for the upload.
        """
        upload = prepare_upload(source, expected=digest)
        if skip_existing and self.check(upload.digest):
            return upload.digest
        try:
            return self._send(
                blob_push_call(upload.digest, upload.chunks, timeout=timeout), lambda _: upload.digest
            )
        except E.APIConnectionError:
            # A server that already has the blob may answer and close before reading the upload.
            if self.check(upload.digest):
                return upload.digest
            raise


class AsyncBlobs(_BlobsEndpoints, AsyncPlatformResource):
    """``client.blobs``: the content-addressed files ``models.create(files=...)`` refers to."""

    resource = "blobs"

    async def push(
        self,
        source: BlobSource,
        *,
        digest: str | None = None,
        skip_existing: bool = True,
        timeout: float | None = None,
    ) -> str:
        """Upload a blob (a path, bytes or a binary file object) and return its ``sha256:<hex>`` digest.

        The file is hashed (in a worker thread), then streamed in 1 MiB pieces: it is never held
        in memory whole.

        Args:
            source: The blob.
            digest: The digest it must have (refused before any request when it differs).
            skip_existing: Ask the server first (``HEAD``) and skip the upload when it has the blob.
            timeout: Read timeout for the upload.
        """
        upload = await asyncio.to_thread(prepare_upload, source, expected=digest)
        if skip_existing and await self.check(upload.digest):
            return upload.digest
        try:
            return await self._send(
                blob_push_call(upload.digest, upload.chunks, timeout=timeout), lambda _: upload.digest
            )
        except E.APIConnectionError:
            # A server that already has the blob may answer and close before reading the upload.
            if await self.check(upload.digest):
                return upload.digest
            raise


class _ServerEndpoints:
    version = Endpoint(version_call, reply_parser(VersionResponse))
    health = Endpoint(health_root_call, healthy)


class Server(_ServerEndpoints, PlatformResource):
    """``client.version()`` / ``client.health()`` on Ollama."""

    resource = "server"


class AsyncServer(_ServerEndpoints, AsyncPlatformResource):
    """``client.version()`` / ``client.health()`` on Ollama."""

    resource = "server"


class _EmbeddingsLegacyEndpoints:
    create = Endpoint(
        legacy_embeddings_call,
        reply_parser(EmbeddingsResponse),
        prepare=(_deprecated, _client_options, _client_keep_alive),
        doc="One prompt, one vector (``r.embedding``); deprecated: warns to use ``embeddings.create``.",
    )


class EmbeddingsLegacy(_EmbeddingsLegacyEndpoints, PlatformResource):
    """``client.embeddings.create_legacy``: the deprecated ``/api/embeddings``."""

    resource = "embeddings_legacy"


class AsyncEmbeddingsLegacy(_EmbeddingsLegacyEndpoints, AsyncPlatformResource):
    """``client.embeddings.create_legacy``: the deprecated ``/api/embeddings``."""

    resource = "embeddings_legacy"


RESOURCES: Mapping[str, tuple[type[Any], type[Any]]] = {
    "responses": (ResponsesCreateOnly, AsyncResponsesCreateOnly),
    "messages": (MessagesCreateOnly, AsyncMessagesCreateOnly),
    "models": (Models, AsyncModels),
    "blobs": (Blobs, AsyncBlobs),
    "server": (Server, AsyncServer),
    "embeddings_legacy": (EmbeddingsLegacy, AsyncEmbeddingsLegacy),
}
