"""Pure request builders: the exact request each endpoint sends (method, path, body, framing, retries).

The Ollama bodies are compared byte for byte with what the official ``ollama`` client sends
for the same call, captured by an ``httpx.MockTransport`` (no sockets).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import ollama as official
import pytest

from openai_compatible_client.platforms.ollama import resources as ollama
from openai_compatible_client.platforms.vllm import resources as vllm
from openai_compatible_client.transport.http import Call, encode_json

pytestmark = pytest.mark.unit

DIGEST = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def official_request(call: Callable[[official.Client], Any]) -> httpx.Request:
    """The request the official client sends for ``call`` (answered with a success)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, json={"status": "success", "embedding": [0.0], "done": True, "model_info": {}, "models": []}
        )

    client = official.Client(host="http://127.0.0.1:11434", transport=httpx.MockTransport(handler))
    try:
        call(client)
    finally:
        client.close()
    assert len(seen) == 1
    return seen[0]


WIRE_CASES: list[tuple[str, Call, Callable[[official.Client], Any]]] = [
    ("pull", ollama.pull_call("llama3.2"), lambda c: c.pull("llama3.2")),
    ("pull insecure", ollama.pull_call("m", insecure=True), lambda c: c.pull("m", insecure=True)),
    ("push", ollama.push_call("me/m:1"), lambda c: c.push("me/m:1")),
    ("copy", ollama.copy_call("llama3.2", "backup"), lambda c: c.copy("llama3.2", "backup")),
    ("delete", ollama.delete_call("llama3.2"), lambda c: c.delete("llama3.2")),
    ("show", ollama.show_call("llama3.2"), lambda c: c.show("llama3.2")),
    (
        "create from",
        ollama.create_call("mario", from_="llama3.2", system="You are Mario.", parameters={"num_ctx": 4096}),
        lambda c: c.create("mario", from_="llama3.2", system="You are Mario.", parameters={"num_ctx": 4096}),
    ),
    (
        "create full",
        ollama.create_call(
            "m",
            from_="base",
            files={"model.gguf": DIGEST},
            adapters={"lora.gguf": DIGEST},
            template="{{ .Prompt }}",
            license="MIT",
            system="s",
            parameters={"temperature": 0.5, "stop": ["<|x|>"], "pi": 3.14},
            messages=[{"role": "user", "content": "héllo <&>"}, {"role": "assistant", "content": ""}],
            quantize="q4_K_M",
        ),
        lambda c: c.create(
            "m",
            quantize="q4_K_M",
            from_="base",
            files={"model.gguf": DIGEST},
            adapters={"lora.gguf": DIGEST},
            template="{{ .Prompt }}",
            license="MIT",
            system="s",
            parameters={"temperature": 0.5, "stop": ["<|x|>"], "pi": 3.14},
            messages=[{"role": "user", "content": "héllo <&>"}, {"role": "assistant", "content": ""}],
        ),
    ),
    ("load", ollama.keep_alive_call("llama3.2", None), lambda c: c.generate("llama3.2")),
    ("unload", ollama.keep_alive_call("llama3.2", 0), lambda c: c.generate("llama3.2", keep_alive=0)),
    ("load 5m", ollama.keep_alive_call("llama3.2", "5m"), lambda c: c.generate("llama3.2", keep_alive="5m")),
    (
        "legacy embeddings",
        ollama.embeddings_call("nomic-embed-text", "hi", options={"num_ctx": 512}, keep_alive=-1),
        lambda c: c.embeddings(
            model="nomic-embed-text", prompt="hi", options={"num_ctx": 512}, keep_alive=-1
        ),
    ),
]


@pytest.mark.parametrize(("label", "ours", "theirs"), WIRE_CASES, ids=[c[0] for c in WIRE_CASES])
def test_ollama_bodies_match_the_official_client_byte_for_byte(
    label: str, ours: Call, theirs: Callable[[official.Client], Any]
) -> None:
    request = official_request(theirs)
    assert ours.method == request.method
    assert ours.path == request.url.path
    assert encode_json(ours) == request.content, label


def test_progress_calls_stream_ndjson_and_demand_success() -> None:
    for build in (ollama.pull_call, ollama.push_call):
        call = build("m", stream=True)
        assert (call.framing, call.terminator, call.idempotent) == ("ndjson", "ndjson_success", False)
        assert call.json == {"model": "m", "stream": True, "insecure": False}
        final = build("m")
        assert (final.framing, final.terminator, final.idempotent) == ("json", "end", False)
    create = ollama.create_call("m", from_="llama3.2", stream=True)
    assert (create.framing, create.terminator, create.idempotent) == ("ndjson", "ndjson_success", False)


def test_state_changing_calls_are_not_resent() -> None:
    assert not ollama.copy_call("a", "b").idempotent
    assert not ollama.delete_call("a").idempotent
    assert ollama.list_call().idempotent and ollama.ps_call().idempotent


def test_show_sends_verbose_only_when_asked() -> None:
    assert ollama.show_call("m", verbose=True).json == {"model": "m", "verbose": True}
    assert ollama.show_call("m", verbose=False).json == {"model": "m"}


def test_blob_calls() -> None:
    check = ollama.blob_check_call(DIGEST)
    assert (check.method, check.path, check.ok_statuses) == ("HEAD", f"/api/blobs/{DIGEST}", frozenset({404}))
    push = ollama.blob_push_call(DIGEST, lambda: iter([b"x"]))
    assert (push.method, push.path, push.json, push.idempotent) == (
        "POST",
        f"/api/blobs/{DIGEST}",
        None,
        True,
    )
    assert push.body_factory is not None and list(push.body_factory()) == [b"x"]


def test_simple_gets() -> None:
    assert [(c.method, c.path) for c in (ollama.list_call(), ollama.ps_call(), ollama.version_call())] == [
        ("GET", "/api/tags"),
        ("GET", "/api/ps"),
        ("GET", "/api/version"),
    ]
    assert (vllm.version_call().method, vllm.version_call().path) == ("GET", "/version")


# ---------------------------------------------------------------------------------------------- vLLM


def test_tokenize_forms() -> None:
    prompt = vllm.tokenize_call(model="m", prompt="Hello", add_special_tokens=False, return_token_strs=True)
    assert (prompt.method, prompt.path) == ("POST", "/tokenize")
    assert prompt.json == {
        "model": "m",
        "prompt": "Hello",
        "add_special_tokens": False,
        "return_token_strs": True,
    }
    chat = vllm.tokenize_call(
        messages=[{"role": "user", "content": "Hi"}],
        add_generation_prompt=True,
        chat_template_kwargs={"a": 1},
    )
    assert chat.json == {
        "messages": [{"role": "user", "content": "Hi"}],
        "add_generation_prompt": True,
        "chat_template_kwargs": {"a": 1},
    }


def test_detokenize() -> None:
    call = vllm.detokenize_call(model="m", tokens=(1, 2, 3))
    assert (call.path, call.json) == ("/detokenize", {"model": "m", "tokens": [1, 2, 3]})


def test_pooling_and_classify() -> None:
    pool = vllm.pooling_call(model="m", input=["a", "b"], task="embed", encoding_format="float")
    assert (pool.path, pool.json) == (
        "/pooling",
        {"model": "m", "input": ["a", "b"], "task": "embed", "encoding_format": "float"},
    )
    classify = vllm.classify_call(model="c", input="great!", truncate_prompt_tokens=-1)
    assert (classify.path, classify.json) == (
        "/classify",
        {"model": "c", "input": "great!", "truncate_prompt_tokens": -1},
    )
    chat = vllm.classify_call(messages=[{"role": "user", "content": "x"}])
    assert chat.json == {"messages": [{"role": "user", "content": "x"}]}


def test_score_forms_and_paths() -> None:
    old = vllm.score_call(model="m", text_1="q", text_2=["a", "b"])
    assert (old.path, old.json) == ("/score", {"model": "m", "text_1": "q", "text_2": ["a", "b"]})
    new = vllm.score_call(queries=["q"], documents=["d"], api_version="v1", instruction="rank")
    assert (new.path, new.json) == (
        "/v1/score",
        {"queries": ["q"], "documents": ["d"], "instruction": "rank"},
    )


def test_rerank_paths() -> None:
    paths = [vllm.rerank_call(query="q", documents=["a"], api_version=v).path for v in (None, "v1", "v2")]
    assert paths == ["/rerank", "/v1/rerank", "/v2/rerank"]
    call = vllm.rerank_call(model="m", query="q", documents=["a", "b"], top_n=1, return_documents=False)
    assert call.json == {
        "model": "m",
        "query": "q",
        "documents": ["a", "b"],
        "top_n": 1,
        "return_documents": False,
    }


def test_extra_body_headers_and_timeout_reach_the_call() -> None:
    call = vllm.tokenize_call(
        prompt="x", extra_body={"add_special_tokens": True, "x_new": 1}, extra_headers={"X-A": "b"}, timeout=3
    )
    assert call.json == {"prompt": "x", "add_special_tokens": True, "x_new": 1}
    assert call.headers == {"X-A": "b"} and call.timeout == 3


def test_audio_is_multipart_and_streams_sse() -> None:
    upload = ("clip.wav", b"RIFF....", "audio/x-wav")
    call = vllm.audio_call(
        "transcriptions",
        file=upload,
        model="whisper",
        language="en",
        temperature=0.2,
        stream=True,
        extra_body={"top_k": 5, "vllm_xargs": {"a": 1}},
    )
    assert (call.method, call.path, call.json) == ("POST", "/v1/audio/transcriptions", None)
    assert call.files == {"file": upload}
    assert dict(call.data or {}) == {
        "model": "whisper",
        "language": "en",
        "temperature": "0.2",
        "stream": "true",
        "top_k": "5",
        "vllm_xargs": '{"a": 1}',
    }
    assert (call.framing, call.terminator) == ("sse", "sse_done")
    plain = vllm.audio_call("translations", file=upload, response_format="text")
    assert (plain.path, plain.framing, dict(plain.data or {})) == (
        "/v1/audio/translations",
        "json",
        {"response_format": "text"},
    )


def test_read_audio_accepts_path_bytes_and_file_objects(tmp_path: Any) -> None:
    path = tmp_path / "speech.wav"
    path.write_bytes(b"RIFFdata")
    assert vllm.read_audio(path) == ("speech.wav", b"RIFFdata", "audio/x-wav")
    assert vllm.read_audio(str(path))[1] == b"RIFFdata"
    assert vllm.read_audio(b"abc")[1] == b"abc"
    with open(path, "rb") as handle:
        assert vllm.read_audio(handle) == ("speech.wav", b"RIFFdata", "audio/x-wav")


def test_read_audio_refuses_text_mode_and_missing_files(tmp_path: Any) -> None:
    from openai_compatible_client.errors import InvalidRequestError

    path = tmp_path / "a.wav"
    path.write_text("x")
    with open(path) as handle, pytest.raises(InvalidRequestError, match="binary mode"):
        vllm.read_audio(handle)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="cannot read"):
        vllm.read_audio(tmp_path / "missing.wav")
