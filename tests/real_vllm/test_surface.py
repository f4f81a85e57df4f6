"""Responses, Anthropic Messages, LoRA adapters and the serving-admin routes on real vLLM.

Each result is compared with what the official ``openai`` SDK or raw HTTP gets from the same
server (greedy decoding, so the texts must be equal).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from .servers import ENV_HINT, RAW, RAW_TIMEOUT, Server, async_client

pytestmark = pytest.mark.real_vllm

QUESTION = "What is 2+2?"
USER = [{"role": "user", "content": QUESTION}]


@pytest.fixture(scope="module")
def sdk(chat_server: Server) -> Iterator[Any]:
    import openai

    client = openai.OpenAI(base_url=chat_server.v1, api_key=chat_server.api_key, max_retries=0)
    yield client
    client.close()


@pytest.fixture(scope="module")
def lora_path() -> str:
    path = os.environ.get("OCC_REAL_VLLM_LORA_PATH")
    if not path:
        pytest.skip(f"OCC_REAL_VLLM_LORA_PATH is not set: {ENV_HINT}")
    return path


def raw_events(server: Server, path: str, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``(event name, data)`` pairs of a named-event SSE stream, read with requests."""
    response = RAW.post(
        server.root + path, json=body, headers=server.headers(), timeout=RAW_TIMEOUT, stream=True
    )
    with response:
        assert response.status_code == 200, response.text
        events, name = [], ""
        for line in response.iter_lines(decode_unicode=True):
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[len("data: ") :])))
    return events


# ------------------------------------------------------------------ Responses


def test_responses_create_matches_the_openai_sdk(chat: Any, sdk: Any, chat_server: Server) -> None:
    from openai.types.responses import Response

    args = {"model": chat_server.model, "input": QUESTION, "max_output_tokens": 16, "temperature": 0}
    ours = chat.responses.create(**args)
    theirs = sdk.responses.create(**args)
    assert isinstance(ours, Response)
    assert ours.output_text == theirs.output_text and "4" in ours.output_text
    assert ours.status == theirs.status == "completed"
    assert ours.usage is not None and theirs.usage is not None
    assert ours.usage.input_tokens == theirs.usage.input_tokens
    assert ours.usage.output_tokens == theirs.usage.output_tokens


def test_responses_stream_matches_the_openai_sdk(chat: Any, sdk: Any, chat_server: Server) -> None:
    args = {"model": chat_server.model, "input": QUESTION, "max_output_tokens": 16, "temperature": 0}
    ours = list(chat.responses.create(stream=True, **args))
    theirs = list(sdk.responses.create(stream=True, **args))
    assert [type(e).__name__ for e in ours] == [type(e).__name__ for e in theirs]
    assert ours[-1].type == "response.completed"
    deltas = "".join(e.delta for e in ours if e.type == "response.output_text.delta")
    assert deltas == ours[-1].response.output_text == theirs[-1].response.output_text
    raw = raw_events(chat_server, "/v1/responses", {**args, "stream": True})
    assert [name for name, _ in raw] == [e.type for e in ours]  # every SSE event, none invented


def test_responses_structured_output(chat: Any, sdk: Any, chat_server: Server) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "integer"}},
        "required": ["answer"],
        "additionalProperties": False,
    }
    args = {
        "model": chat_server.model,
        "input": QUESTION + " Reply in JSON.",
        "max_output_tokens": 30,
        "temperature": 0,
        "text": {"format": {"type": "json_schema", "name": "answer", "schema": schema, "strict": True}},
    }
    ours = chat.responses.create(**args)
    parsed = json.loads(ours.output_text)
    assert set(parsed) == {"answer"} and isinstance(parsed["answer"], int)
    assert ours.output_text == sdk.responses.create(**args).output_text


def test_responses_retrieve_and_cancel(chat: Any, sdk: Any, chat_server: Server) -> None:
    import openai

    created = chat.responses.create(model=chat_server.model, input=QUESTION, max_output_tokens=8)
    assert chat.responses.retrieve(created.id).output_text == sdk.responses.retrieve(created.id).output_text
    queued = chat.responses.create(
        model=chat_server.model, input="Count to fifty.", max_output_tokens=300, background=True
    )
    assert queued.status in ("queued", "in_progress")
    assert chat.responses.cancel(queued.id).status == "cancelled"
    assert sdk.responses.retrieve(queued.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError, match="Cannot cancel a synchronous response"):
        chat.responses.cancel(created.id)
    with pytest.raises(openai.NotFoundError, match="not found"):
        chat.responses.retrieve("resp_does_not_exist")


# ------------------------------------------------------------------ Anthropic Messages


def test_messages_create_matches_raw_http(chat: Any, chat_server: Server) -> None:
    body = {"model": chat_server.model, "max_tokens": 16, "messages": USER, "temperature": 0}
    ours = chat.messages.create(**body)
    raw = chat_server.post("/v1/messages", body)
    assert ours.model_dump(exclude_none=True, exclude={"id"}) == {k: v for k, v in raw.items() if k != "id"}
    assert ours.content[0].text == raw["content"][0]["text"] and ours.stop_reason == "end_turn"
    short = chat.messages.create(**{**body, "max_tokens": 2})
    assert short.stop_reason == "max_tokens" and short.usage is not None and short.usage.output_tokens == 2


def test_messages_stream_matches_raw_http(chat: Any, chat_server: Server) -> None:
    body = {"model": chat_server.model, "max_tokens": 16, "messages": USER, "temperature": 0}
    ours = list(chat.messages.create(stream=True, **body))
    raw = raw_events(chat_server, "/v1/messages", {**body, "stream": True})
    assert [e.type for e in ours] == [name for name, _ in raw] == [data["type"] for _, data in raw]
    assert ours[0].type == "message_start" and ours[-1].type == "message_stop"
    text = "".join(e.delta.text or "" for e in ours if e.type == "content_block_delta" and e.delta)
    assert text == chat.messages.create(**body).text


def test_messages_count_tokens_matches_raw_http_and_tokenize(chat: Any, chat_server: Server) -> None:
    body = {"model": chat_server.model, "messages": USER}
    ours = chat.messages.count_tokens(**body)
    assert ours.input_tokens == chat_server.post("/v1/messages/count_tokens", body)["input_tokens"]
    assert ours.input_tokens == chat.messages.create(max_tokens=1, **body).usage.input_tokens


# ------------------------------------------------------------------ LoRA


def test_lora_load_chat_unload(chat: Any, sdk: Any, chat_server: Server, lora_path: str) -> None:
    import openai

    name = "occ-random-lora"
    assert (
        chat.lora.load(lora_name=name, lora_path=lora_path)
        == f"Success: LoRA adapter '{name}' added successfully."
    )
    try:
        card = next(m for m in chat.models.list().data if m.id == name)
        assert card["parent"] == chat_server.model and card["root"] == lora_path
        args = {"model": name, "messages": USER, "max_tokens": 12, "temperature": 0}
        ours = chat.chat.completions.create(**args)
        assert ours.model == name
        assert (
            ours.choices[0].message.content == sdk.chat.completions.create(**args).choices[0].message.content
        )
        completion = chat.completions.create(model=name, prompt="The sky is", max_tokens=4, temperature=0)
        assert completion.model == name and completion.choices[0].text
        with pytest.raises(openai.BadRequestError, match="has already been loaded"):
            chat.lora.load(lora_name=name, lora_path=lora_path)
    finally:
        assert chat.lora.unload(lora_name=name) == f"Success: LoRA adapter '{name}' removed successfully."
    with pytest.raises(openai.NotFoundError, match="cannot be found"):
        chat.lora.unload(lora_name=name)
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        chat.chat.completions.create(model=name, messages=USER, max_tokens=2)
    with pytest.raises(openai.NotFoundError, match="No adapter found"):
        chat.lora.load(lora_name="occ-missing", lora_path=lora_path + "-missing")


# ------------------------------------------------------------------ serving admin


def test_tokenizer_info_matches_raw_http(chat: Any, chat_server: Server) -> None:
    ours = chat.tokenizer.info()
    raw = chat_server.get("/tokenizer_info")
    assert ours.model_dump() == raw
    assert ours.tokenizer_class == raw["tokenizer_class"] and "<|im_start|>" in (ours.chat_template or "")


def test_ping_and_load(chat: Any, chat_server: Server) -> None:
    assert chat.ping() is True
    assert RAW.get(chat_server.root + "/ping", timeout=RAW_TIMEOUT).status_code == 200
    load = chat.load()
    assert load.server_load == chat_server.get("/load")["server_load"] == 0  # nothing in flight now


def test_metrics_match_the_prometheus_text(chat: Any, chat_server: Server) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    chat.chat.completions.create(model=chat_server.model, messages=USER, max_tokens=2)
    ours = chat.metrics()
    text = RAW.get(chat_server.root + "/metrics", timeout=RAW_TIMEOUT).text
    names = {family.name for family in text_string_to_metric_families(text)}
    assert set(ours.families) == names and len(names) > 20
    assert ours.value("vllm:num_requests_running", model_name=chat_server.model) == 0.0
    finished = ours["vllm:request_success_total"]
    assert sum(s.value for s in finished) >= 1 and {s.labels["model_name"] for s in finished} == {
        chat_server.model
    }


def test_sleep_mode_on_the_cpu_build(chat: Any, chat_server: Server) -> None:
    """Dev mode serves the routes; the CPU worker logs that it ignores sleep (no memory is freed),
    but the engine does pause and report it, and wakes up again."""
    assert chat.is_sleeping().is_sleeping is False
    try:
        assert chat.sleep(level=1).model_dump() == {"status": "sleeping", "level": 1}
        assert chat.is_sleeping().is_sleeping is True
        assert chat.metrics().value("vllm:engine_sleep_state", sleep_state="weights_offloaded") == 1.0
    finally:
        woke = chat.wake_up()
    assert woke.status == "awake" and chat.is_sleeping().is_sleeping is False
    reply = chat.chat.completions.create(model=chat_server.model, messages=USER, max_tokens=4, temperature=0)
    assert reply.choices[0].message.content


def test_async_client_responses_messages_lora(chat_server: Server, lora_path: str) -> None:
    async def run() -> None:
        client = async_client(chat_server)
        try:
            response = await client.responses.create(
                model=chat_server.model, input=QUESTION, max_output_tokens=16, temperature=0
            )
            events = [
                e
                async for e in await client.responses.create(
                    model=chat_server.model, input=QUESTION, max_output_tokens=16, temperature=0, stream=True
                )
            ]
            assert events[-1].response.output_text == response.output_text
            message = await client.messages.create(
                model=chat_server.model, max_tokens=16, messages=USER, temperature=0
            )
            assert message.text == response.output_text
            await client.lora.load(lora_name="occ-async-lora", lora_path=lora_path)
            try:
                chat = await client.chat.completions.create(
                    model="occ-async-lora", messages=USER, max_tokens=4
                )
                assert chat.model == "occ-async-lora"
            finally:
                await client.lora.unload(lora_name="occ-async-lora")
            assert (await client.tokenizer.info()).tokenizer_class
            assert await client.ping() is True
        finally:
            await client.close()

    asyncio.run(run())
