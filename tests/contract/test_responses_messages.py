"""``client.responses`` and ``client.messages`` against the reference server, sync and async.

Each test checks the request that reached the server and what came back.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from openai.types.responses import Response, ResponseCompletedEvent, ResponseTextDeltaEvent

from openai_compatible_client import errors as E
from openai_compatible_client.platforms.common.anthropic_types import (
    Message,
    MessageStreamEvent,
    MessageTokensCount,
)
from tests.contract.conftest import OLLAMA_MODEL, VLLM_MODEL
from tests.contract.facade import invoke
from tests.support.reference import RunningServer

pytestmark = pytest.mark.contract

MODES = ["sync", "async"]
USER = [{"role": "user", "content": "hello there"}]


def vllm_call(mode: str, server: RunningServer, path: str, **kwargs: Any) -> Any:
    return invoke(mode, server.base_url + "/v1", "vllm", path, **kwargs)


def ollama_call(mode: str, server: RunningServer, path: str, **kwargs: Any) -> Any:
    return invoke(mode, server.base_url, "ollama", path, **kwargs)


def bodies(server: RunningServer, path: str) -> list[Any]:
    return [r["json"] for r in server.requests() if r["path"] == path]


# ------------------------------------------------------------------ Responses


@pytest.mark.parametrize("mode", MODES)
def test_responses_create_sends_the_sdk_body_and_returns_a_response(mode: str, vllm: RunningServer) -> None:
    result = vllm_call(
        mode,
        vllm,
        "responses.create",
        model=VLLM_MODEL,
        input="What is 2+2?",
        instructions="Be brief.",
        max_output_tokens=32,
        temperature=0,
        extra_body={"top_k": 5},
    )
    assert isinstance(result, Response)
    assert result.output_text == "You said: What is 2+2?"
    assert result.status == "completed" and result.model == VLLM_MODEL
    assert result.usage is not None and result.usage.output_tokens > 0
    assert bodies(vllm, "/v1/responses") == [
        {
            "model": VLLM_MODEL,
            "input": "What is 2+2?",
            "instructions": "Be brief.",
            "max_output_tokens": 32,
            "temperature": 0,
            "top_k": 5,
        }
    ]


@pytest.mark.parametrize("mode", MODES)
def test_responses_stream_yields_sdk_events_ending_in_completed(mode: str, vllm: RunningServer) -> None:
    events = vllm_call(mode, vllm, "responses.create", model=VLLM_MODEL, input="one two three", stream=True)
    assert [e.type for e in events[:2]] == ["response.created", "response.in_progress"]
    assert isinstance(events[-1], ResponseCompletedEvent)
    text = "".join(e.delta for e in events if isinstance(e, ResponseTextDeltaEvent))
    assert text == "You said: one two three" == events[-1].response.output_text
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert bodies(vllm, "/v1/responses") == [{"model": VLLM_MODEL, "input": "one two three", "stream": True}]


@pytest.mark.parametrize("mode", MODES)
def test_responses_retrieve_and_cancel(mode: str, vllm: RunningServer) -> None:
    created = vllm_call(mode, vllm, "responses.create", model=VLLM_MODEL, input="hi")
    again = vllm_call(mode, vllm, "responses.retrieve", response_id=created.id)
    assert isinstance(again, Response) and again.id == created.id and again.output_text == created.output_text
    queued = vllm_call(mode, vllm, "responses.create", model=VLLM_MODEL, input="hi", background=True)
    assert queued.status == "queued"
    cancelled = vllm_call(mode, vllm, "responses.cancel", response_id=queued.id)
    assert cancelled.status == "cancelled"
    paths = [(r["method"], r["path"]) for r in vllm.requests()]
    assert paths == [
        ("POST", "/v1/responses"),
        ("GET", f"/v1/responses/{created.id}"),
        ("POST", "/v1/responses"),
        ("POST", f"/v1/responses/{queued.id}/cancel"),
    ]
    with pytest.raises(E.BadRequestError, match="Cannot cancel a synchronous response"):
        vllm_call(mode, vllm, "responses.cancel", response_id=created.id)
    with pytest.raises(E.NotFoundError, match="not found"):
        vllm_call(mode, vllm, "responses.retrieve", response_id="resp_missing")


@pytest.mark.parametrize("mode", MODES)
def test_responses_bad_input_fails_before_any_request(mode: str, vllm: RunningServer) -> None:
    with pytest.raises(E.InvalidRequestError, match="invalid response id"):
        vllm_call(mode, vllm, "responses.retrieve", response_id="../../v1/models")
    with pytest.raises(E.InvalidRequestError, match="input= is required"):
        vllm_call(mode, vllm, "responses.create", model=VLLM_MODEL)
    with pytest.raises(E.InvalidRequestError, match="unexpected keyword"):
        vllm_call(mode, vllm, "responses.create", model=VLLM_MODEL, input="x", top_k=3)
    assert vllm.requests() == []


@pytest.mark.parametrize("mode", MODES)
def test_responses_unsupported_parameter_follows_the_policy(mode: str, vllm: RunningServer) -> None:
    with pytest.warns(UserWarning, match="prompt= is not supported on vllm"):
        vllm_call(mode, vllm, "responses.create", model=VLLM_MODEL, input="x", prompt={"id": "p"})
    assert bodies(vllm, "/v1/responses") == [{"model": VLLM_MODEL, "input": "x"}]
    vllm.clear()
    with pytest.raises(E.UnsupportedParameterError):
        invoke(
            mode,
            vllm.base_url + "/v1",
            "vllm",
            "responses.create",
            client_args={"unsupported_params": "error"},
            model=VLLM_MODEL,
            input="x",
            prompt={"id": "p"},
        )
    assert vllm.requests() == []


@pytest.mark.parametrize("mode", MODES)
def test_responses_unknown_model_is_not_found(mode: str, vllm: RunningServer) -> None:
    with pytest.raises(E.NotFoundError, match="does not exist"):
        vllm_call(mode, vllm, "responses.create", model="nope", input="x")


@pytest.mark.parametrize("mode", MODES)
def test_responses_on_ollama(mode: str, ollama: RunningServer) -> None:
    result = ollama_call(mode, ollama, "responses.create", model=OLLAMA_MODEL, input="hi there")
    assert isinstance(result, Response) and result.output_text == "You said: hi there"
    events = ollama_call(mode, ollama, "responses.create", model=OLLAMA_MODEL, input="hi", stream=True)
    assert events[-1].type == "response.completed"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ollama_call(
            mode, ollama, "responses.create", model=OLLAMA_MODEL, input="x", previous_response_id="r1"
        )
    assert any("previous_response_id= is not supported on ollama" in str(w.message) for w in caught)
    assert bodies(ollama, "/v1/responses") == [
        {"model": OLLAMA_MODEL, "input": "hi there"},
        {"model": OLLAMA_MODEL, "input": "hi", "stream": True},
        {"model": OLLAMA_MODEL, "input": "x"},
    ]
    with pytest.raises(E.UnsupportedEndpointError, match=r"responses\.retrieve"):
        ollama_call(mode, ollama, "responses.retrieve", response_id="resp_1")


@pytest.mark.parametrize("mode", MODES)
def test_responses_stream_without_completed_event_is_incomplete(mode: str, vllm: RunningServer) -> None:
    vllm.add_fault(path="/v1/responses", after_chunks=2, then="end")
    with pytest.raises(E.IncompleteStreamError):
        vllm_call(mode, vllm, "responses.create", model=VLLM_MODEL, input="a b c d", stream=True)


# ------------------------------------------------------------------ Anthropic Messages


@pytest.mark.parametrize("mode", MODES)
def test_messages_create_sends_anthropic_body_and_returns_a_message(mode: str, vllm: RunningServer) -> None:
    result = vllm_call(
        mode,
        vllm,
        "messages.create",
        model=VLLM_MODEL,
        max_tokens=64,
        messages=USER,
        system="Be brief.",
        temperature=0,
        stop_sequences=["###"],
    )
    assert isinstance(result, Message)
    assert result.content[0].type == "text" and result.content[0].text == "You said: hello there"
    assert (
        result["stop_reason"] == "end_turn" and result.usage is not None and result.usage.output_tokens == 4
    )
    (request,) = [r for r in vllm.requests() if r["path"] == "/v1/messages"]
    assert request["json"] == {
        "model": VLLM_MODEL,
        "messages": USER,
        "max_tokens": 64,
        "system": "Be brief.",
        "temperature": 0,
        "stop_sequences": ["###"],
    }
    assert request["headers"]["anthropic-version"] == "2023-06-01"


@pytest.mark.parametrize("mode", MODES)
def test_messages_max_tokens_sets_the_stop_reason(mode: str, vllm: RunningServer) -> None:
    result = vllm_call(mode, vllm, "messages.create", model=VLLM_MODEL, max_tokens=2, messages=USER)
    assert result.stop_reason == "max_tokens" and result.text == "You said:"


@pytest.mark.parametrize("mode", MODES)
def test_messages_stream_has_anthropic_events(mode: str, vllm: RunningServer) -> None:
    events = vllm_call(
        mode, vllm, "messages.create", model=VLLM_MODEL, max_tokens=64, messages=USER, stream=True
    )
    assert all(isinstance(e, MessageStreamEvent) for e in events)
    kinds = [e.type for e in events]
    assert kinds[:2] == ["message_start", "content_block_start"] and kinds[-2:] == [
        "message_delta",
        "message_stop",
    ]
    assert "".join(e.delta.text or "" for e in events if e.type == "content_block_delta" and e.delta) == (
        "You said: hello there"
    )
    assert events[-2].delta is not None and events[-2].delta.stop_reason == "end_turn"
    assert bodies(vllm, "/v1/messages")[0]["stream"] is True


@pytest.mark.parametrize("mode", MODES)
def test_messages_count_tokens(mode: str, vllm: RunningServer) -> None:
    result = vllm_call(mode, vllm, "messages.count_tokens", model=VLLM_MODEL, messages=USER)
    assert isinstance(result, MessageTokensCount) and result.input_tokens == result["input_tokens"] > 0
    assert bodies(vllm, "/v1/messages/count_tokens") == [{"model": VLLM_MODEL, "messages": USER}]


@pytest.mark.parametrize("mode", MODES)
def test_messages_errors_are_typed(mode: str, vllm: RunningServer) -> None:
    with pytest.raises(E.NotFoundError, match="does not exist"):
        vllm_call(mode, vllm, "messages.create", model="nope", max_tokens=4, messages=USER)
    with pytest.raises(E.InvalidRequestError, match="max_tokens"):
        vllm_call(mode, vllm, "messages.create", model=VLLM_MODEL, max_tokens=0, messages=USER)
    with pytest.raises(E.InvalidRequestError, match="role"):
        vllm_call(mode, vllm, "messages.create", model=VLLM_MODEL, max_tokens=4, messages=[{"content": "x"}])
    assert [r["path"] for r in vllm.requests()] == ["/v1/messages"]


@pytest.mark.parametrize("mode", MODES)
def test_messages_stream_without_message_stop_is_incomplete(mode: str, vllm: RunningServer) -> None:
    vllm.add_fault(path="/v1/messages", after_chunks=2, then="end")
    with pytest.raises(E.IncompleteStreamError):
        vllm_call(mode, vllm, "messages.create", model=VLLM_MODEL, max_tokens=64, messages=USER, stream=True)


@pytest.mark.parametrize("mode", MODES)
def test_messages_on_ollama(mode: str, ollama: RunningServer) -> None:
    result = ollama_call(mode, ollama, "messages.create", model=OLLAMA_MODEL, max_tokens=32, messages=USER)
    assert (
        isinstance(result, Message)
        and result.id.startswith("msg_")
        and result.text == "You said: hello there"
    )
    events = ollama_call(
        mode, ollama, "messages.create", model=OLLAMA_MODEL, max_tokens=32, messages=USER, stream=True
    )
    assert events[-1].type == "message_stop"
    assert bodies(ollama, "/v1/messages") == [
        {"model": OLLAMA_MODEL, "messages": USER, "max_tokens": 32},
        {"model": OLLAMA_MODEL, "messages": USER, "max_tokens": 32, "stream": True},
    ]
    with pytest.raises(E.NotFoundError, match="not found"):
        ollama_call(mode, ollama, "messages.create", model="missing", max_tokens=4, messages=USER)
    with pytest.raises(E.UnsupportedEndpointError, match=r"messages\.count_tokens"):
        ollama_call(mode, ollama, "messages.count_tokens", model=OLLAMA_MODEL, messages=USER)
