"""Ollama's management endpoints against the reference server: the request that arrived, and the result.

Every test body runs through the sync and the async client. The last tests point the official
``ollama`` client at the same server and compare the recorded request bodies with ours.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import ollama as official
import pytest

from openai_compatible_client import errors as E
from openai_compatible_client.platforms.ollama.types import (
    EmbeddingsResponse,
    GenerateResponse,
    ListResponse,
    ProgressResponse,
    RunningResponse,
    ShowResponse,
    StatusResponse,
)
from tests.contract.conftest import OLLAMA_MODEL
from tests.contract.facade import invoke
from tests.support.reference import RunningServer

pytestmark = pytest.mark.contract

MODES = ["sync", "async"]


@pytest.fixture(autouse=True)
def _no_leftover_faults(ollama: RunningServer) -> Iterator[None]:
    """Faults a test queued but did not consume must not reach the next test."""
    yield
    ollama.clear_faults()


def call(mode: str, server: RunningServer, path: str, **kwargs: Any) -> Any:
    return invoke(mode, server.base_url, "ollama", path, **kwargs)


def recorded(server: RunningServer, path: str, method: str | None = None) -> list[dict[str, Any]]:
    return [r for r in server.requests() if r["path"] == path and (method is None or r["method"] == method)]


@pytest.mark.parametrize("mode", MODES)
def test_list_reads_both_ways(mode: str, ollama: RunningServer) -> None:
    result = call(mode, ollama, "models.list")
    assert isinstance(result, ListResponse)
    names = [m["name"] for m in result["models"]]
    assert f"{OLLAMA_MODEL}:latest" in names
    assert result.models[names.index(f"{OLLAMA_MODEL}:latest")].name == f"{OLLAMA_MODEL}:latest"
    assert result.models[0].details is not None and result.models[0].details.format == "gguf"
    (request,) = recorded(ollama, "/api/tags")
    assert request["method"] == "GET"


@pytest.mark.parametrize("mode", MODES)
def test_info(mode: str, ollama: RunningServer) -> None:
    brief = call(mode, ollama, "models.info", model=OLLAMA_MODEL)
    assert isinstance(brief, ShowResponse)
    assert brief.model_info["general.architecture"] == "llama" and brief["capabilities"]
    assert brief.tensors is None
    verbose = call(mode, ollama, "models.info", model=OLLAMA_MODEL, verbose=True)
    assert verbose.tensors and verbose.model_info["tokenizer.ggml.tokens"]
    assert [r["json"] for r in recorded(ollama, "/api/show")] == [
        {"model": OLLAMA_MODEL},
        {"model": OLLAMA_MODEL, "verbose": True},
    ]


@pytest.mark.parametrize("mode", MODES)
def test_info_of_an_unknown_model_is_not_found_with_a_fix(mode: str, ollama: RunningServer) -> None:
    with pytest.raises(E.NotFoundError) as info:
        call(mode, ollama, "models.info", model="nope")
    assert "ollama POST /api/show -> 404: model 'nope:latest' not found" in str(info.value)
    assert "pull" in str(info.value)


@pytest.mark.parametrize("mode", MODES)
def test_copy_then_delete(mode: str, ollama: RunningServer) -> None:
    target = f"copy-{mode}:v1"
    copied = call(mode, ollama, "models.copy", source=OLLAMA_MODEL, destination=target)
    assert isinstance(copied, StatusResponse) and copied.status == "success"
    assert target in [m.name for m in call(mode, ollama, "models.list").models]
    deleted = call(mode, ollama, "models.delete", model=target)
    assert deleted["status"] == "success"
    assert target not in [m.name for m in call(mode, ollama, "models.list").models]
    assert recorded(ollama, "/api/copy")[0]["json"] == {"source": OLLAMA_MODEL, "destination": target}
    (delete,) = recorded(ollama, "/api/delete")
    assert (delete["method"], delete["json"]) == ("DELETE", {"model": target})
    with pytest.raises(E.NotFoundError):
        call(mode, ollama, "models.delete", model=target)


@pytest.mark.parametrize("mode", MODES)
def test_pull_streams_progress_and_ends_with_success(mode: str, ollama: RunningServer) -> None:
    model = f"qwen3:pulled-{mode}"  # a registry model, under a tag no other test pulls
    events = call(mode, ollama, "models.pull", model=model, stream=True)
    assert all(isinstance(e, ProgressResponse) for e in events)
    statuses = [e.status for e in events]
    assert statuses[0] == "pulling manifest" and statuses[-1] == "success"
    transfers = [e for e in events if e.total]
    assert transfers and transfers[-1].completed == transfers[-1].total and transfers[0].digest
    assert recorded(ollama, "/api/pull")[0]["json"] == {"model": model, "stream": True, "insecure": False}
    final = call(mode, ollama, "models.pull", model=model, insecure=True)
    assert isinstance(final, ProgressResponse) and final.status == "success"
    assert recorded(ollama, "/api/pull")[1]["json"] == {"model": model, "stream": False, "insecure": True}
    call(mode, ollama, "models.delete", model=model)


@pytest.mark.parametrize("mode", MODES)
def test_pull_failure_inside_the_stream_and_without_it(mode: str, ollama: RunningServer) -> None:
    with pytest.raises(E.APIError, match="pull model manifest: file does not exist"):
        call(mode, ollama, "models.pull", model="missing-model", stream=True)
    with pytest.raises(E.InternalServerError, match="file does not exist"):
        call(mode, ollama, "models.pull", model="missing-model")


@pytest.mark.parametrize("mode", MODES)
def test_a_progress_stream_cut_short_is_incomplete(mode: str, ollama: RunningServer) -> None:
    ollama.add_fault(path="/api/pull", after_chunks=2, then="close")
    with pytest.raises(E.IncompleteStreamError) as info:
        call(mode, ollama, "models.pull", model=f"qwen3:cut-{mode}", stream=True)
    assert info.value.items_received == 2


@pytest.mark.parametrize("mode", MODES)
def test_state_changing_calls_are_not_resent_after_a_server_error(mode: str, ollama: RunningServer) -> None:
    for path, method, kwargs in (
        ("/api/pull", "models.pull", {"model": "x"}),
        ("/api/copy", "models.copy", {"source": OLLAMA_MODEL, "destination": "y"}),
        ("/api/delete", "models.delete", {"model": "y"}),
    ):
        ollama.add_fault(path=path, status=500, body={"error": "boom"})
        with pytest.raises(E.InternalServerError):
            invoke(mode, ollama.base_url, "ollama", method, client_args={"max_retries": 2}, **kwargs)
        assert len(recorded(ollama, path)) == 1, path
    ollama.add_fault(path="/api/tags", status=500, body={"error": "boom"})
    invoke(mode, ollama.base_url, "ollama", "models.list", client_args={"max_retries": 1})
    assert len(recorded(ollama, "/api/tags")) == 2  # a read is retried


@pytest.mark.parametrize("mode", MODES)
def test_push(mode: str, ollama: RunningServer) -> None:
    events = call(mode, ollama, "models.push", model=OLLAMA_MODEL, stream=True)
    assert [e.status for e in events][-1] == "success"
    assert any(e.status.startswith("pushing ") and e.total for e in events)
    assert recorded(ollama, "/api/push")[0]["json"] == {
        "model": OLLAMA_MODEL,
        "stream": True,
        "insecure": False,
    }
    with pytest.raises(E.APIError, match="no such file or directory"):
        call(mode, ollama, "models.push", model="me/absent:1", stream=True)


@pytest.mark.parametrize("mode", MODES)
def test_create_from_a_model(mode: str, ollama: RunningServer) -> None:
    model = f"mario-{mode}"
    events = call(
        mode,
        ollama,
        "models.create",
        model=model,
        from_=OLLAMA_MODEL,
        system="You are Mario.",
        parameters={"temperature": 0.7, "stop": ["<end>"]},
        messages=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "It's-a me!"}],
        stream=True,
    )
    assert [e.status for e in events][-1] == "success"
    assert any(e.status.startswith("creating new layer sha256:") for e in events)
    assert recorded(ollama, "/api/create")[0]["json"] == {
        "model": model,
        "stream": True,
        "system": "You are Mario.",
        "parameters": {"temperature": 0.7, "stop": ["<end>"]},
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "It's-a me!"}],
        "from": OLLAMA_MODEL,
    }
    info = call(mode, ollama, "models.info", model=model)
    assert info.system == "You are Mario." and "temperature" in (info.parameters or "")
    call(mode, ollama, "models.delete", model=model)


@pytest.mark.parametrize("mode", MODES)
def test_blobs_then_create_from_files(mode: str, ollama: RunningServer) -> None:
    data = f"GGUF fake weights for {mode}".encode()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    assert call(mode, ollama, "blobs.check", digest=digest) is False
    assert call(mode, ollama, "blobs.push", source=data) == digest
    assert call(mode, ollama, "blobs.check", digest=digest) is True
    # Already there: the HEAD check skips the upload.
    assert call(mode, ollama, "blobs.push", source=data) == digest
    heads = recorded(ollama, f"/api/blobs/{digest}", "HEAD")
    posts = recorded(ollama, f"/api/blobs/{digest}", "POST")
    assert len(heads) == 4 and len(posts) == 1 and posts[0]["body_size"] == len(data)
    final = call(mode, ollama, "models.create", model=f"from-file-{mode}", files={"model.gguf": digest})
    assert final.status == "success"
    assert recorded(ollama, "/api/create")[0]["json"] == {
        "model": f"from-file-{mode}",
        "stream": False,
        "files": {"model.gguf": digest},
    }
    call(mode, ollama, "models.delete", model=f"from-file-{mode}")


@pytest.mark.parametrize("mode", MODES)
def test_blob_digests_are_refused_before_any_request(mode: str, ollama: RunningServer) -> None:
    for bad in ("sha256:1234", "sha256:../../api/delete", "SHA256:" + "a" * 64):
        with pytest.raises(E.InvalidRequestError, match="invalid digest"):
            call(mode, ollama, "blobs.check", digest=bad)
    with pytest.raises(E.InvalidRequestError, match="not the expected"):
        call(mode, ollama, "blobs.push", source=b"abc", digest="sha256:" + "0" * 64)
    with pytest.raises(E.InvalidRequestError, match="invalid model"):
        call(mode, ollama, "models.pull", model="../api/delete")
    assert ollama.requests() == []


@pytest.mark.parametrize("mode", MODES)
def test_load_running_unload(mode: str, ollama: RunningServer) -> None:
    loaded = call(mode, ollama, "models.load", model=OLLAMA_MODEL, keep_alive="10m")
    assert isinstance(loaded, GenerateResponse) and (loaded.done, loaded.done_reason) == (True, "load")
    running = call(mode, ollama, "models.running")
    assert isinstance(running, RunningResponse)
    assert f"{OLLAMA_MODEL}:latest" in [m["name"] for m in running["models"]]
    unloaded = call(mode, ollama, "models.unload", model=OLLAMA_MODEL)
    assert unloaded.done_reason == "unload"
    assert f"{OLLAMA_MODEL}:latest" not in [m.name for m in call(mode, ollama, "models.running").models]
    assert [r["json"] for r in recorded(ollama, "/api/generate")] == [
        {"model": OLLAMA_MODEL, "stream": False, "keep_alive": "10m"},
        {"model": OLLAMA_MODEL, "stream": False, "keep_alive": 0.0},
    ]


@pytest.mark.parametrize("mode", MODES)
def test_load_uses_the_clients_keep_alive(mode: str, ollama: RunningServer) -> None:
    invoke(
        mode,
        ollama.base_url,
        "ollama",
        "models.load",
        client_args={"ollama": {"keep_alive": "1h"}},
        model=OLLAMA_MODEL,
    )
    assert recorded(ollama, "/api/generate")[0]["json"]["keep_alive"] == "1h"


@pytest.mark.parametrize("mode", MODES)
def test_version_and_health(mode: str, ollama: RunningServer) -> None:
    version = call(mode, ollama, "version")
    assert version.version and version["version"] == version.version
    assert call(mode, ollama, "health") is True
    assert [(r["method"], r["path"]) for r in ollama.requests()] == [("GET", "/api/version"), ("GET", "/")]


@pytest.mark.parametrize("mode", MODES)
def test_legacy_embeddings_warn_and_work(mode: str, ollama: RunningServer) -> None:
    with pytest.warns(DeprecationWarning, match=r"embeddings\.create"):
        result = call(
            mode,
            ollama,
            "embeddings.create_legacy",
            model=OLLAMA_MODEL,
            prompt="hello",
            options={"num_ctx": 512},
        )
    assert isinstance(result, EmbeddingsResponse) and len(result.embedding) > 0
    assert recorded(ollama, "/api/embeddings")[0]["json"] == {
        "model": OLLAMA_MODEL,
        "prompt": "hello",
        "options": {"num_ctx": 512},
    }


@pytest.mark.parametrize("mode", MODES)
def test_vllm_only_methods_are_refused_without_a_request(mode: str, ollama: RunningServer) -> None:
    for path, kwargs in (
        ("tokenizer.encode", {"prompt": "hi"}),
        ("rerank.create", {"query": "q", "documents": ["a"]}),
        ("pooling.create", {"input": "x"}),
        ("score.create", {"text_1": "a", "text_2": "b"}),
        ("classification.create", {"input": "x"}),
    ):
        with pytest.raises(E.UnsupportedEndpointError) as info:
            call(mode, ollama, path, **kwargs)
        assert (info.value.method, info.value.platform, info.value.available_on) == (
            path,
            "ollama",
            ("vllm",),
        )
        assert path in str(info.value) and "'ollama'" in str(info.value) and "vllm" in str(info.value)
    assert ollama.requests() == []


# ------------------------------------------------------------------ same bodies as the official client

OfficialCall = Callable[[Any], Any]

SAME_CALLS: list[tuple[str, str, dict[str, Any], str, OfficialCall]] = [
    ("/api/tags", "models.list", {}, "GET", lambda c: c.list()),
    ("/api/show", "models.info", {"model": OLLAMA_MODEL}, "POST", lambda c: c.show(OLLAMA_MODEL)),
    ("/api/pull", "models.pull", {"model": "qwen3:same-pull"}, "POST", lambda c: c.pull("qwen3:same-pull")),
    (
        "/api/pull",
        "models.pull",
        {"model": "qwen3:same-pull", "insecure": True, "stream": True},
        "POST",
        lambda c: c.pull("qwen3:same-pull", insecure=True, stream=True),
    ),
    ("/api/push", "models.push", {"model": OLLAMA_MODEL}, "POST", lambda c: c.push(OLLAMA_MODEL)),
    (
        "/api/copy",
        "models.copy",
        {"source": OLLAMA_MODEL, "destination": "same-copy"},
        "POST",
        lambda c: c.copy(OLLAMA_MODEL, "same-copy"),
    ),
    ("/api/delete", "models.delete", {"model": "same-copy"}, "DELETE", lambda c: c.delete("same-copy")),
    (
        "/api/create",
        "models.create",
        {
            "model": "same-create",
            "from_": OLLAMA_MODEL,
            "system": "Be brief.",
            "template": "{{ .Prompt }}",
            "parameters": {"num_ctx": 2048, "stop": ["<|eot|>"]},
            "license": "MIT",
            "messages": [{"role": "user", "content": "é <&>"}],
            "quantize": None,
        },
        "POST",
        lambda c: c.create(
            "same-create",
            from_=OLLAMA_MODEL,
            system="Be brief.",
            template="{{ .Prompt }}",
            parameters={"num_ctx": 2048, "stop": ["<|eot|>"]},
            license="MIT",
            messages=[{"role": "user", "content": "é <&>"}],
        ),
    ),
    ("/api/ps", "models.running", {}, "GET", lambda c: c.ps()),
    ("/api/generate", "models.load", {"model": OLLAMA_MODEL}, "POST", lambda c: c.generate(OLLAMA_MODEL)),
    (
        "/api/generate",
        "models.unload",
        {"model": OLLAMA_MODEL},
        "POST",
        lambda c: c.generate(OLLAMA_MODEL, keep_alive=0),
    ),
    (
        "/api/embeddings",
        "embeddings.create_legacy",
        {"model": OLLAMA_MODEL, "prompt": "hi", "options": {"seed": 1}, "keep_alive": "5m"},
        "POST",
        lambda c: c.embeddings(model=OLLAMA_MODEL, prompt="hi", options={"seed": 1}, keep_alive="5m"),
    ),
]


def _wire(request: dict[str, Any]) -> tuple[str, str, str, int]:
    """What identifies a request's bytes: method, path, the JSON in received key order, body size."""
    return (
        request["method"],
        request["path"],
        json.dumps(request["json"], ensure_ascii=False),
        request["body_size"],
    )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("path", "ours", "kwargs", "method", "theirs"),
    SAME_CALLS,
    ids=[f"{c[1]}-{i}" for i, c in enumerate(SAME_CALLS)],
)
def test_the_official_client_sends_the_same_request(
    mode: str,
    ollama: RunningServer,
    path: str,
    ours: str,
    kwargs: dict[str, Any],
    method: str,
    theirs: OfficialCall,
) -> None:
    _prepare(ollama, ours)
    if mode == "sync":
        client = official.Client(host=ollama.base_url)
        try:
            result = theirs(client)
            if hasattr(result, "__next__"):
                list(result)
        finally:
            client.close()
    else:

        async def run() -> None:
            client = official.AsyncClient(host=ollama.base_url)
            try:
                result = await theirs(client)
                if hasattr(result, "__anext__"):
                    [item async for item in result]
            finally:
                await client.close()

        asyncio.run(run())
    (reference,) = recorded(ollama, path)
    _prepare(ollama, ours)
    with pytest.warns(DeprecationWarning) if ours == "embeddings.create_legacy" else _nothing():
        call(mode, ollama, ours, **{k: v for k, v in kwargs.items() if v is not None})
    (mine,) = recorded(ollama, path)
    assert _wire(mine) == _wire(reference)
    assert mine["method"] == method


def _prepare(server: RunningServer, ours: str) -> None:
    """Make the server's state the same before each of the two calls, then forget the requests."""
    if ours == "models.delete":
        invoke("sync", server.base_url, "ollama", "models.copy", source=OLLAMA_MODEL, destination="same-copy")
    server.clear()


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_exc: object) -> None:
        return None


@pytest.mark.parametrize("mode", MODES)
def test_blob_upload_matches_the_official_client(
    mode: str, ollama: RunningServer, tmp_path: Any, reference_server_factory: Callable[..., RunningServer]
) -> None:
    # Two servers, so that neither upload finds the blob already there.
    other = reference_server_factory("ollama", models=[OLLAMA_MODEL])
    path = tmp_path / f"weights-{mode}.gguf"
    path.write_bytes(mode.encode() + b"\x00GGUF" * 50_000)
    if mode == "sync":
        client = official.Client(host=ollama.base_url)
        try:
            theirs = client.create_blob(path)
        finally:
            client.close()
    else:

        async def run() -> str:
            client = official.AsyncClient(host=ollama.base_url)
            try:
                return await client.create_blob(path)
            finally:
                await client.close()

        theirs = asyncio.run(run())
    (reference,) = recorded(ollama, f"/api/blobs/{theirs}", "POST")
    assert call(mode, other, "blobs.push", source=path, skip_existing=False) == theirs
    (mine,) = recorded(other, f"/api/blobs/{theirs}", "POST")
    assert mine["body_size"] == reference["body_size"] == path.stat().st_size


# --------------------------------------------------------------------------- the occ commands


def occ(server: RunningServer, *argv: str) -> int:
    from openai_compatible_client.cli import main

    return main([*argv, "--base-url", server.base_url, "--platform", "ollama"])


def test_occ_model_commands(ollama: RunningServer, capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    assert occ(ollama, "models", "list") == 0
    out = capsys.readouterr().out
    assert (
        out.splitlines()[0].split() == ["NAME", "ID", "SIZE", "MODIFIED"] and f"{OLLAMA_MODEL}:latest" in out
    )

    assert occ(ollama, "models", "pull", "qwen3:cli-pulled") == 0
    captured = capsys.readouterr()
    assert (
        captured.out == ""
        and "pulling manifest" in captured.err
        and captured.err.rstrip().endswith("success")
    )
    assert "100%" in captured.err

    assert occ(ollama, "models", "pull", "qwen3:cli-pulled", "--json") == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0] == {"status": "pulling manifest"} and lines[-1] == {"status": "success"}

    weights = tmp_path / "tiny.gguf"
    weights.write_bytes(b"GGUF tiny weights for the cli")
    assert (
        occ(
            ollama,
            "models",
            "create",
            "cli-made",
            "--file",
            str(weights),
            "--parameter",
            "num_ctx=4096",
            "--parameter",
            "stop=<end>",
            "--system",
            "Be terse.",
        )
        == 0
    )
    assert capsys.readouterr().err.rstrip().endswith("success")
    create = recorded(ollama, "/api/create")[-1]["json"]
    assert create["files"] == {"tiny.gguf": "sha256:" + hashlib.sha256(weights.read_bytes()).hexdigest()}
    assert create["parameters"] == {"num_ctx": 4096, "stop": ["<end>"]} and create["system"] == "Be terse."

    assert occ(ollama, "models", "info", "cli-made") == 0
    assert "num_ctx" in capsys.readouterr().out
    assert occ(ollama, "models", "copy", "cli-made", "cli-copy") == 0
    assert "copied 'cli-made' to 'cli-copy'" in capsys.readouterr().out
    for name in ("cli-made", "cli-copy", "qwen3:cli-pulled"):
        assert occ(ollama, "models", "delete", name, "--json") == 0
        assert json.loads(capsys.readouterr().out) == {"status": "success"}

    invoke("sync", ollama.base_url, "ollama", "models.load", model=OLLAMA_MODEL)
    assert occ(ollama, "models", "ps") == 0
    assert f"{OLLAMA_MODEL}:latest" in capsys.readouterr().out
    assert occ(ollama, "version") == 0
    assert capsys.readouterr().out.startswith("ollama ")


def test_occ_reports_failures_in_one_line(ollama: RunningServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert occ(ollama, "models", "pull", "missing-cli") == 1
    assert "file does not exist" in capsys.readouterr().err
    assert occ(ollama, "tokenize", "hello") == 1
    err = capsys.readouterr().err
    assert "UnsupportedEndpointError" in err and "tokenizer.encode()" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("mode", MODES)
def test_nested_vllm_resources_are_refused_too(mode: str, ollama: RunningServer) -> None:
    for kind in ("transcriptions", "translations"):
        with pytest.raises(E.UnsupportedEndpointError, match=rf"audio\.{kind}\.create\(\)"):
            call(mode, ollama, f"audio.{kind}.create", file=b"RIFF")
    assert ollama.requests() == []
