"""Typed platform responses: subscriptable, lenient about new fields, strict about essential ones."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from openai_compatible_client.platforms.ollama import types as O
from openai_compatible_client.platforms.vllm import types as V

pytestmark = pytest.mark.unit

TAGS = {
    "models": [
        {
            "name": "llama3.2:latest",
            "model": "llama3.2:latest",
            "modified_at": "2025-05-10T08:06:48.639712648-07:00",
            "size": 2019393189,
            "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
            "details": {
                "format": "gguf",
                "family": "llama",
                "parameter_size": "3.2B",
                "quantization_level": "Q4_K_M",
            },
            "remote_host": "later-field",
        }
    ]
}


def test_ollama_list_reads_both_ways_and_keeps_new_fields() -> None:
    r = O.ListResponse.model_validate(TAGS)
    assert r["models"][0]["name"] == r.models[0].name == "llama3.2:latest"
    assert r.models[0].details is not None and r.models[0].details["family"] == "llama"
    assert r.models[0]["remote_host"] == "later-field"
    assert "digest" in r.models[0] and "nope" not in r.models[0]
    assert r.get("nope", 1) == 1


def test_ollama_list_name_falls_back_to_model_and_null_means_empty() -> None:
    assert O.ListResponse.model_validate({"models": [{"model": "x:latest"}]}).models[0].name == "x:latest"
    assert O.ListResponse.model_validate({"models": None}).models == []
    with pytest.raises(ValidationError):
        O.ListResponse.model_validate({"models": [{"size": 1}]})
    with pytest.raises(ValidationError):
        O.ListResponse.model_validate({})


def test_running_models() -> None:
    r = O.RunningResponse.model_validate(
        {
            "models": [
                {
                    **TAGS["models"][0],
                    "size_vram": 5,
                    "expires_at": "2318-01-01T00:00:00Z",
                    "context_length": 4096,
                }
            ]
        }
    )
    assert r.models[0].size_vram == 5 and r["models"][0]["context_length"] == 4096


def test_show_requires_model_info() -> None:
    show = O.ShowResponse.model_validate(
        {"model_info": {"general.architecture": "llama"}, "capabilities": ["completion"]}
    )
    assert show["model_info"]["general.architecture"] == "llama"
    with pytest.raises(ValidationError):
        O.ShowResponse.model_validate({"modelfile": "FROM x"})


def test_progress_requires_status() -> None:
    line = O.ProgressResponse.model_validate({"status": "pulling abc", "digest": "sha256:abc", "total": 10})
    assert (line.status, line.total, line.completed) == ("pulling abc", 10, None)
    with pytest.raises(ValidationError):
        O.ProgressResponse.model_validate({"total": 1})


def test_vllm_strict_fields() -> None:
    with pytest.raises(ValidationError):
        V.TokenizeResponse.model_validate({"count": 2})
    with pytest.raises(ValidationError):
        V.DetokenizeResponse.model_validate({})
    with pytest.raises(ValidationError):
        V.RerankResponse.model_validate({"id": "x"})
    with pytest.raises(ValidationError):
        V.ModelList.model_validate({"object": "list"})


def test_vllm_models_and_new_fields() -> None:
    r = V.ModelList.model_validate(
        {
            "object": "list",
            "data": [{"id": "m", "object": "model", "max_model_len": 8192, "permission": [{}]}],
        }
    )
    assert r["data"][0]["id"] == r.data[0].id == "m"
    assert r.data[0]["permission"] == [{}]
    assert V.ModelList.model_validate({"object": "list", "data": None}).data == []


def test_transcription_chunk_text() -> None:
    chunk = V.TranscriptionChunk.model_validate(
        {
            "object": "transcription.chunk",
            "choices": [{"delta": {"content": "Hel"}}, {"delta": {"content": "lo"}}],
        }
    )
    assert chunk.text == "Hello"
    assert V.TranscriptionChunk.model_validate({"choices": [{"delta": {}}]}).text == ""


def test_create_request_sends_from_last() -> None:
    body = O.CreateRequest(model="m", from_="base", system="s", stream=False).model_dump(exclude_none=True)
    assert list(body) == ["model", "stream", "system", "from"]
