"""vLLM-only routes (tokenizer, models, version, health) through the library vs raw HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from .servers import Server

pytestmark = pytest.mark.real_vllm


def test_tokenizer_encode_matches_raw_token_ids(chat: Any, chat_server: Server) -> None:
    response = chat.tokenizer.encode(model=chat_server.model, prompt="Hello, vLLM world!")

    raw = chat_server.post("/tokenize", {"model": chat_server.model, "prompt": "Hello, vLLM world!"})
    assert list(response["tokens"]) == raw["tokens"]
    assert response["count"] == raw["count"] == len(raw["tokens"])
    assert response["max_model_len"] == raw["max_model_len"] == 2048


def test_tokenizer_encode_with_token_strings(chat: Any, chat_server: Server) -> None:
    response = chat.tokenizer.encode(model=chat_server.model, prompt="Hello world", return_token_strs=True)

    raw = chat_server.post(
        "/tokenize", {"model": chat_server.model, "prompt": "Hello world", "return_token_strs": True}
    )
    assert list(response["token_strs"]) == raw["token_strs"]


def test_tokenizer_encode_chat_messages(chat: Any, chat_server: Server) -> None:
    messages = [{"role": "user", "content": "What is 2+2?"}]
    response = chat.tokenizer.encode(model=chat_server.model, messages=messages)

    raw = chat_server.post("/tokenize", {"model": chat_server.model, "messages": messages})
    assert list(response["tokens"]) == raw["tokens"]


def test_tokenizer_decode_round_trip(chat: Any, chat_server: Server) -> None:
    tokens = chat_server.post("/tokenize", {"model": chat_server.model, "prompt": "Round trip text."})[
        "tokens"
    ]
    response = chat.tokenizer.decode(model=chat_server.model, tokens=tokens)

    raw = chat_server.post("/detokenize", {"model": chat_server.model, "tokens": tokens})
    assert response["prompt"] == raw["prompt"]
    assert "Round trip text." in response["prompt"]


def test_models_list(chat: Any, chat_server: Server) -> None:
    response = chat.models.list()

    raw = chat_server.get("/v1/models")
    ids = [model["id"] for model in response["data"]]
    assert ids == [model["id"] for model in raw["data"]] == [chat_server.model]
    assert response["data"][0]["max_model_len"] == 2048


def test_pooling_models_list(pooling: Any, pooling_server: Server) -> None:
    assert [model["id"] for model in pooling.models.list()["data"]] == [pooling_server.model]


def test_version(chat: Any, chat_server: Server) -> None:
    version = chat.version()

    raw = chat_server.get("/version")
    text = version if isinstance(version, str) else version["version"]
    assert text == raw["version"]
    assert text.startswith("0.32")


def test_health(chat: Any, pooling: Any, classify: Any) -> None:
    for client in (chat, pooling, classify):
        assert client.health()


def test_health_of_a_dead_server_is_an_error_or_false() -> None:
    import socket

    from openai_compatible_client import OpenAICompatibleClient, errors

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with OpenAICompatibleClient(
        base_url=f"http://127.0.0.1:{port}/v1", api_key="x", platform="vllm", max_retries=0
    ) as client:
        try:
            healthy = client.health()
        except errors.APIConnectionError:
            return
        assert healthy is False
