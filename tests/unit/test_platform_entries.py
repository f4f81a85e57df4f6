"""The registry entries: each platform's body rules stay on that platform."""

from __future__ import annotations

from openai_compatible_client.config import ClientConfig, VLLMOptions
from openai_compatible_client.platforms import get_platform, platform_names
from openai_compatible_client.routing import chat_request, embedding_request

GUIDED = {"guided_choice": ["yes", "no"], "guided_decoding_backend": "xgrammar"}


def _chat_body(platform: str) -> dict[str, object]:
    config = ClientConfig(
        base_url="http://127.0.0.1:9", platform=platform, vllm=VLLMOptions(extra_body={"a": 1})
    )
    prepared = chat_request(
        config,
        get_platform(platform),
        model="m",
        messages=[{"role": "user", "content": "hi"}],
        stream=False,
        params={"extra_body": GUIDED},
    )
    return dict(prepared.call.json or {})


def test_vllm_rewrites_guided_parameters_and_merges_its_options() -> None:
    body = _chat_body("vllm")
    assert body["structured_outputs"] == {"choice": ["yes", "no"]} and body["a"] == 1
    assert "guided_choice" not in body and "guided_decoding_backend" not in body


def test_generic_platform_sends_extra_body_as_given() -> None:
    body = _chat_body("openai")
    assert body == {"model": "m", "messages": [{"role": "user", "content": "hi"}], **GUIDED}


def test_generic_platform_embeds_with_openais_body() -> None:
    config = ClientConfig(base_url="http://127.0.0.1:9", platform="openai")
    prepared = embedding_request(
        config, get_platform("openai"), model="m", input=["a", "b"], params={"dimensions": 8}
    )
    assert prepared.call.path == "/v1/embeddings"
    assert prepared.call.json == {"model": "m", "input": ["a", "b"], "dimensions": 8}


def test_every_entry_names_its_providers_and_resources() -> None:
    assert set(platform_names()) >= {"vllm", "ollama", "openai"}
    for name in platform_names():
        entry = get_platform(name)
        assert entry.chat_provider and entry.completion_provider and entry.embedding_provider
        assert "server" in entry.resources and "models" in entry.resources
