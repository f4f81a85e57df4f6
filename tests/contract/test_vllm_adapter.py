"""vLLM's server-only endpoints against the reference server: the request that arrived, and the result.

Every test body runs through the sync and the async client.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openai_compatible_client import errors as E
from openai_compatible_client.platforms.vllm.types import (
    ClassificationResponse,
    DetokenizeResponse,
    ModelList,
    PoolingResponse,
    RerankResponse,
    ScoreResponse,
    TokenizeResponse,
    Transcription,
    TranscriptionChunk,
    VersionResponse,
)
from tests.contract.conftest import VLLM_MODEL
from tests.contract.facade import invoke
from tests.support.reference import RunningServer

pytestmark = pytest.mark.contract

MODES = ["sync", "async"]
EMBED = "embed-model"


@pytest.fixture(autouse=True)
def _no_leftover_faults(vllm: RunningServer) -> Iterator[None]:
    """Faults a test queued but did not consume must not reach the next test."""
    yield
    vllm.clear_faults()


def call(
    mode: str, server: RunningServer, path: str, client_args: dict[str, Any] | None = None, **kwargs: Any
) -> Any:
    return invoke(mode, server.base_url + "/v1", "vllm", path, client_args=client_args, **kwargs)


def only(server: RunningServer, path: str) -> dict[str, Any]:
    (request,) = [r for r in server.requests() if r["path"] == path]
    return request


@pytest.mark.parametrize("mode", MODES)
def test_tokenize_prompt_and_back(mode: str, vllm: RunningServer) -> None:
    text = "Hello world, how are you?"
    encoded = call(
        mode,
        vllm,
        "tokenizer.encode",
        model=VLLM_MODEL,
        prompt=text,
        add_special_tokens=False,
        return_token_strs=True,
    )
    assert isinstance(encoded, TokenizeResponse)
    assert encoded.count == len(encoded.tokens) == len(encoded.token_strs or []) > 3
    assert "".join(encoded.token_strs or []) == text and encoded["max_model_len"] == 8192
    assert only(vllm, "/tokenize")["json"] == {
        "model": VLLM_MODEL,
        "prompt": text,
        "add_special_tokens": False,
        "return_token_strs": True,
    }
    decoded = call(mode, vllm, "tokenizer.decode", model=VLLM_MODEL, tokens=encoded.tokens)
    assert isinstance(decoded, DetokenizeResponse) and decoded.prompt == text
    assert only(vllm, "/detokenize")["json"] == {"model": VLLM_MODEL, "tokens": encoded.tokens}


@pytest.mark.parametrize("mode", MODES)
def test_tokenize_chat_uses_the_clients_template_and_default_model(mode: str, vllm: RunningServer) -> None:
    messages = [{"role": "user", "content": "Hi there"}]
    settings = {
        "model": VLLM_MODEL,
        "vllm": {"chat_template": "{{ messages }}", "chat_template_kwargs": {"x": 1}},
    }
    chat = call(
        mode, vllm, "tokenizer.encode", client_args=settings, messages=messages, add_generation_prompt=True
    )
    assert chat.count == len(chat.tokens) > 0
    assert only(vllm, "/tokenize")["json"] == {
        "model": VLLM_MODEL,
        "messages": messages,
        "add_generation_prompt": True,
        "chat_template": "{{ messages }}",
        "chat_template_kwargs": {"x": 1},
    }
    vllm.clear()
    call(mode, vllm, "tokenizer.encode", client_args=settings, prompt="plain")
    assert only(vllm, "/tokenize")["json"] == {"model": VLLM_MODEL, "prompt": "plain"}  # no chat settings


@pytest.mark.parametrize("mode", MODES)
def test_unknown_model_is_not_found(mode: str, vllm: RunningServer) -> None:
    with pytest.raises(E.NotFoundError) as info:
        call(mode, vllm, "tokenizer.encode", model="no-such-model", prompt="x")
    assert "vllm POST /tokenize -> 404" in str(info.value) and "no-such-model" in str(info.value)


@pytest.mark.parametrize("mode", MODES)
def test_a_broken_answer_is_a_validation_error_not_a_crash(mode: str, vllm: RunningServer) -> None:
    vllm.add_fault(path="/tokenize", status=200, body={"count": 3})
    with pytest.raises(E.APIResponseValidationError, match="tokens"):
        call(mode, vllm, "tokenizer.encode", prompt="x")


@pytest.mark.parametrize("mode", MODES)
def test_pooling(mode: str, vllm: RunningServer) -> None:
    result = call(mode, vllm, "pooling.create", model=EMBED, input=["first text", "second"], task="embed")
    assert isinstance(result, PoolingResponse)
    assert [d.index for d in result.data] == [0, 1] and all(isinstance(v, float) for v in result.data[0].data)
    assert result.id and result.id.startswith("pooling-") and result.usage and result.usage.prompt_tokens
    assert only(vllm, "/pooling")["json"] == {
        "model": EMBED,
        "input": ["first text", "second"],
        "task": "embed",
    }


@pytest.mark.parametrize("mode", MODES)
def test_classification(mode: str, vllm: RunningServer) -> None:
    result = call(mode, vllm, "classification.create", model=EMBED, input=["great movie", "awful"])
    assert isinstance(result, ClassificationResponse) and len(result.data) == 2
    for item in result.data:
        assert item.num_classes == len(item.probs) and abs(sum(item.probs) - 1) < 1e-5 and item.label
    assert only(vllm, "/classify")["json"] == {"model": EMBED, "input": ["great movie", "awful"]}


@pytest.mark.parametrize("mode", MODES)
def test_score_both_forms_and_the_v1_path(mode: str, vllm: RunningServer) -> None:
    old = call(mode, vllm, "score.create", model=EMBED, text_1="cats", text_2=["cats", "stock prices"])
    assert isinstance(old, ScoreResponse) and [d.index for d in old.data] == [0, 1]
    assert old.data[0].score > old.data[1].score
    assert only(vllm, "/score")["json"] == {
        "model": EMBED,
        "text_1": "cats",
        "text_2": ["cats", "stock prices"],
    }
    new = call(mode, vllm, "score.create", model=EMBED, queries=["a"], documents=["a"], api_version="v1")
    assert len(new.data) == 1
    assert only(vllm, "/v1/score")["json"] == {"model": EMBED, "queries": ["a"], "documents": ["a"]}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("api_version", "path"), [(None, "/rerank"), ("v1", "/v1/rerank"), ("v2", "/v2/rerank")]
)
def test_rerank(mode: str, vllm: RunningServer, api_version: str | None, path: str) -> None:
    documents = ["dogs bark", "cats purr and cats sleep", "the stock market"]
    result = call(
        mode,
        vllm,
        "rerank.create",
        model=EMBED,
        query="cats",
        documents=documents,
        top_n=2,
        api_version=api_version,
    )
    assert isinstance(result, RerankResponse) and len(result.results) == 2
    assert result.results[0].index == 1 and (result.results[0].document or {})["text"] == documents[1]
    assert result.results[0].relevance_score >= result.results[1].relevance_score
    assert only(vllm, path)["json"] == {"model": EMBED, "query": "cats", "documents": documents, "top_n": 2}


@pytest.mark.parametrize("mode", MODES)
def test_rerank_without_documents(mode: str, vllm: RunningServer) -> None:
    result = call(
        mode, vllm, "rerank.create", model=EMBED, query="q", documents=["a", "q"], return_documents=False
    )
    assert [r.document for r in result.results] == [None, None] and {r.index for r in result.results} == {
        0,
        1,
    }
    assert only(vllm, "/rerank")["json"]["return_documents"] is False


def _expected_text(noun: str, data: bytes) -> str:
    return f"Reference {noun} {hashlib.sha256(data).hexdigest()[:8]} of {len(data)} bytes."


AUDIO = bytes(range(256)) * 250  # 64 000 bytes: two seconds of 16 kHz 16-bit mono


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("source", ["path", "bytes", "file object"])
def test_transcription_uploads_the_file(mode: str, source: str, vllm: RunningServer, tmp_path: Path) -> None:
    path = tmp_path / "speech.wav"
    path.write_bytes(AUDIO)
    upload: Any = {"path": path, "bytes": AUDIO, "file object": io.BytesIO(AUDIO)}[source]
    result = call(
        mode,
        vllm,
        "audio.transcriptions.create",
        file=upload,
        model=VLLM_MODEL,
        language="en",
        prompt="names: Ada",
        temperature=0.0,
    )
    assert isinstance(result, Transcription)
    assert result.text == _expected_text("transcript", AUDIO)  # the server saw exactly our bytes
    assert result.usage == {"type": "duration", "seconds": 2}
    request = only(vllm, "/v1/audio/transcriptions")
    assert request["headers"]["content-type"].startswith("multipart/form-data; boundary=")
    assert len(AUDIO) < request["body_size"] < len(AUDIO) + 2000


@pytest.mark.parametrize("mode", MODES)
def test_transcription_formats(mode: str, vllm: RunningServer) -> None:
    text = call(mode, vllm, "audio.transcriptions.create", file=AUDIO, response_format="text")
    assert text.text == _expected_text("transcript", AUDIO)
    verbose = call(mode, vllm, "audio.transcriptions.create", file=AUDIO, response_format="verbose_json")
    assert verbose.language == "en" and verbose.segments and verbose.duration == 2.0
    with pytest.raises(E.BadRequestError, match="response_format"):
        call(mode, vllm, "audio.transcriptions.create", file=AUDIO, response_format="srt")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("kind", "noun"), [("transcriptions", "transcript"), ("translations", "translation")]
)
def test_audio_streams(mode: str, kind: str, noun: str, vllm: RunningServer) -> None:
    chunks = call(mode, vllm, f"audio.{kind}.create", file=AUDIO, model=VLLM_MODEL, stream=True)
    assert len(chunks) > 1 and all(isinstance(c, TranscriptionChunk) for c in chunks)
    assert "".join(c.text for c in chunks) == _expected_text(noun, AUDIO)
    assert (
        chunks[0].object
        == {"transcriptions": "transcription.chunk", "translations": "translation.chunk"}[kind]
    )
    assert only(vllm, f"/v1/audio/{kind}")["headers"]["accept"] == "text/event-stream"


@pytest.mark.parametrize("mode", MODES)
def test_translation(mode: str, vllm: RunningServer) -> None:
    result = call(mode, vllm, "audio.translations.create", file=AUDIO)
    assert result.text == _expected_text("translation", AUDIO) and result.usage is None


@pytest.mark.parametrize("mode", MODES)
def test_an_audio_stream_cut_short_is_incomplete(mode: str, vllm: RunningServer) -> None:
    vllm.add_fault(path="/v1/audio/transcriptions", after_chunks=2, then="close")
    with pytest.raises(E.IncompleteStreamError):
        call(mode, vllm, "audio.transcriptions.create", file=AUDIO, stream=True)


@pytest.mark.parametrize("mode", MODES)
def test_models_health_version(mode: str, vllm: RunningServer) -> None:
    models = call(mode, vllm, "models.list")
    assert isinstance(models, ModelList)
    assert [m["id"] for m in models["data"]] == [VLLM_MODEL, EMBED] == [m.id for m in models.data]
    assert call(mode, vllm, "health") is True
    version = call(mode, vllm, "version")
    assert isinstance(version, VersionResponse) and version.version == "0.33.0"
    assert [(r["method"], r["path"]) for r in vllm.requests()] == [
        ("GET", "/v1/models"),
        ("GET", "/health"),
        ("GET", "/version"),
    ]


@pytest.mark.parametrize("mode", MODES)
def test_unhealthy_server_is_a_typed_error(mode: str, vllm: RunningServer) -> None:
    vllm.add_fault(path="/health", status=503, body="")
    with pytest.raises(E.InternalServerError, match="vllm GET /health -> 503"):
        call(mode, vllm, "health")


@pytest.mark.parametrize("mode", MODES)
def test_ollama_only_methods_are_refused_without_a_request(mode: str, vllm: RunningServer) -> None:
    digest = "sha256:" + "a" * 64
    for path, kwargs in (
        ("models.pull", {"model": "llama3.2"}),
        ("models.push", {"model": "me/m"}),
        ("models.create", {"model": "m", "from_": "llama3.2"}),
        ("models.info", {"model": "llama3.2"}),
        ("models.copy", {"source": "a", "destination": "b"}),
        ("models.delete", {"model": "a"}),
        ("models.running", {}),
        ("models.load", {"model": "a"}),
        ("models.unload", {"model": "a"}),
        ("blobs.check", {"digest": digest}),
        ("blobs.push", {"source": b"x"}),
    ):
        with pytest.raises(E.UnsupportedEndpointError) as info:
            call(mode, vllm, path, **kwargs)
        assert (info.value.method, info.value.platform, info.value.available_on) == (
            path,
            "vllm",
            ("ollama",),
        )
        assert f"{path}()" in str(info.value) and "'vllm'" in str(info.value) and "ollama" in str(info.value)
    with pytest.raises(E.UnsupportedEndpointError, match="ollama"):
        call(mode, vllm, "embeddings.create_legacy", model="m", prompt="p")
    assert vllm.requests() == []


# --------------------------------------------------------------------------- the occ commands


def occ(server: RunningServer, *argv: str) -> int:
    from openai_compatible_client.cli import main

    return main([*argv, "--base-url", server.base_url + "/v1", "--platform", "vllm"])


def test_occ_commands(vllm: RunningServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert occ(vllm, "tokenize", "Hello world", "--model", VLLM_MODEL, "--strings") == 0
    captured = capsys.readouterr()
    ids, strings = captured.out.splitlines()
    assert all(part.isdigit() for part in ids.split()) and '"Hello"' in strings and "tokens" in captured.err

    assert occ(vllm, "rerank", "cats", "dogs bark", "cats purr", "--model", EMBED, "--top-n", "1") == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("1. ") and out[0].endswith("[1] cats purr")

    assert occ(vllm, "rerank", "cats", "dogs", "--json") == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["index"] == 0

    assert occ(vllm, "models", "list") == 0
    assert VLLM_MODEL in capsys.readouterr().out
    assert occ(vllm, "version", "--json") == 0
    assert json.loads(capsys.readouterr().out) == {"version": "0.33.0"}

    assert occ(vllm, "models", "pull", "llama3.2") == 1
    assert "models.pull() is not available on a 'vllm' client" in capsys.readouterr().err
