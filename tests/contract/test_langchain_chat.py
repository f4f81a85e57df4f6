"""ChatOpenAICompatible and OpenAICompatibleEmbeddings against the reference server, both platforms.

What a LangChain user sees: images, reasoning, tool-call chunks, structured output mapped to each
platform's native feature, metadata, embeddings batching, and an agent finishing a two-tool task.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from openai_compatible_client.integrations.langchain import ChatOpenAICompatible, OpenAICompatibleEmbeddings
from tests.support.reference import RunningServer, start_reference_server

pytestmark = pytest.mark.contract

MODELS = {"vllm": ["reference-chat"], "ollama": ["llama3.2", "qwen3:8b"]}
CHAT_PATH = {"vllm": "/v1/chat/completions", "ollama": "/api/chat"}


@pytest.fixture(scope="module", params=["vllm", "ollama"])
def server(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    running = start_reference_server(request.param, MODELS[request.param])
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def llm(server: RunningServer) -> ChatOpenAICompatible:
    server.clear()
    return ChatOpenAICompatible(
        model=MODELS[server.platform][0], base_url=server.base_url, platform=server.platform, max_retries=0
    )


def sent(server: RunningServer, path: str | None = None) -> list[dict[str, Any]]:
    """The JSON bodies the server received on the chat route (or ``path``)."""
    wanted = path or CHAT_PATH[server.platform]
    return [r["json"] for r in server.requests() if r["path"] == wanted]


def png_base64() -> str:
    """A valid 1x1 PNG, built here (no files, no downloads)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
    return base64.b64encode(png + chunk(b"IEND", b"")).decode()


@tool
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"sunny in {city}"


@tool
def convert_temperature(celsius: float) -> str:
    """Convert a temperature from Celsius to Fahrenheit."""
    return f"{celsius * 9 / 5 + 32:.1f}F"


def test_invoke_metadata_and_usage(llm: ChatOpenAICompatible, server: RunningServer) -> None:
    message = llm.invoke("hello there")

    assert message.content == "You said: hello there"
    assert message.usage_metadata is not None and message.usage_metadata["input_tokens"] > 0
    meta = message.response_metadata
    assert meta["model_name"] == MODELS[server.platform][0]
    assert meta["finish_reason"] == "stop"
    assert meta["platform"] == server.platform
    if server.platform == "ollama":
        assert meta["total_duration"] > 0 and meta["eval_duration"] >= 0


def test_stream_adds_up_to_invoke_with_usage(llm: ChatOpenAICompatible, server: RunningServer) -> None:
    chunks = list(llm.stream("count these words please"))
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk

    assert full.content == llm.invoke("count these words please").content
    assert full.usage_metadata is not None and full.usage_metadata["output_tokens"] > 0
    assert full.response_metadata["finish_reason"] == "stop"
    assert full.response_metadata["model_name"] == MODELS[server.platform][0]
    assert sent(server)[0].get("stream") is True
    if server.platform == "vllm":
        assert sent(server)[0]["stream_options"] == {"include_usage": True}
    else:
        assert full.response_metadata["total_duration"] > 0


async def test_async_stream_and_invoke(llm: ChatOpenAICompatible) -> None:
    text = "".join([str(chunk.content) async for chunk in llm.astream("async words")])
    assert text == "You said: async words"
    assert (await llm.ainvoke("again")).content == "You said: again"
    assert [m.content for m in await llm.abatch(["a", "b"])] == ["You said: a", "You said: b"]


def test_image_blocks_reach_the_server(llm: ChatOpenAICompatible, server: RunningServer) -> None:
    data = png_base64()
    message = HumanMessage(
        content=[
            {"type": "text", "text": "describe"},
            {"type": "image", "base64": data, "mime_type": "image/png"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}},
        ]
    )

    reply = llm.invoke([message])

    assert reply.content == "You said: describe [images: 2]"
    body = sent(server)[0]["messages"][0]
    if server.platform == "ollama":
        assert body["images"] == [data, data]
    else:
        urls = [part["image_url"]["url"] for part in body["content"] if part["type"] == "image_url"]
        assert urls == [f"data:image/png;base64,{data}"] * 2


def test_reasoning_is_returned_in_additional_kwargs(server: RunningServer) -> None:
    extra: dict[str, Any] = (
        {"think": True}
        if server.platform == "ollama"
        else {"extra_body": {"chat_template_kwargs": {"enable_thinking": True}}}
    )
    llm = ChatOpenAICompatible(
        model=MODELS[server.platform][0], base_url=server.base_url, platform=server.platform, **extra
    )

    message = llm.invoke("why is the sky blue")
    streamed = list(llm.stream("why is the sky blue"))
    joined = "".join(c.additional_kwargs.get("reasoning_content", "") for c in streamed)

    assert message.additional_kwargs["reasoning_content"] == "Thinking about: why is the sky blue"
    assert joined == "Thinking about: why is the sky blue"
    assert message.content == "You said: why is the sky blue"


def test_streamed_tool_call_chunks_assemble_into_tool_calls(llm: ChatOpenAICompatible) -> None:
    bound = llm.bind_tools([get_weather])

    chunks = list(bound.stream("get_weather city=Paris"))
    full: BaseMessage = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk  # type: ignore[operator]

    assert any(isinstance(c, AIMessageChunk) and c.tool_call_chunks for c in chunks)
    assert isinstance(full, AIMessageChunk)
    assert [(c["name"], c["args"]) for c in full.tool_calls] == [("get_weather", {"city": "Paris"})]
    assert full.response_metadata["finish_reason"] == "tool_calls"
    whole = bound.invoke("get_weather city=Paris")
    assert [(c["name"], c["args"]) for c in whole.tool_calls] == [("get_weather", {"city": "Paris"})]


def test_bind_tools_accepts_every_tool_form(llm: ChatOpenAICompatible, server: RunningServer) -> None:
    class Lookup(BaseModel):
        """Look a word up."""

        word: str

    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    openai_tool = {"type": "function", "function": {"name": "ping", "parameters": {"type": "object"}}}
    llm.bind_tools([get_weather, Lookup, add, openai_tool]).invoke("Lookup word=cat")

    names = [t["function"]["name"] for t in sent(server)[0]["tools"]]
    assert names == ["get_weather", "Lookup", "add", "ping"]


def test_tool_choice_is_sent_on_vllm_and_warned_on_ollama(
    llm: ChatOpenAICompatible, server: RunningServer
) -> None:
    bound = llm.bind_tools([get_weather, convert_temperature], tool_choice="convert_temperature")
    if server.platform == "vllm":
        message = bound.invoke("hello")
        assert sent(server)[0]["tool_choice"] == {
            "type": "function",
            "function": {"name": "convert_temperature"},
        }
        assert [c["name"] for c in message.tool_calls] == ["convert_temperature"]
    else:
        with pytest.warns(UserWarning, match="tool_choice"):
            bound.invoke("hello")
        assert "tool_choice" not in sent(server)[0]


class Person(BaseModel):
    name: str
    age: int


def test_structured_output_json_schema_uses_the_native_feature(
    llm: ChatOpenAICompatible, server: RunningServer
) -> None:
    person = llm.with_structured_output(Person).invoke("invent a person")

    assert isinstance(person, Person)
    body = sent(server)[0]
    if server.platform == "vllm":
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"]["schema"]["properties"].keys() == {"name", "age"}
    else:
        assert body["format"]["properties"].keys() == {"name", "age"}


def test_structured_output_methods_and_include_raw(llm: ChatOpenAICompatible, server: RunningServer) -> None:
    typed_dict_schema = {"title": "Pet", "type": "object", "properties": {"kind": {"type": "string"}}}
    raw = llm.with_structured_output(typed_dict_schema, include_raw=True).invoke("a pet")
    assert isinstance(raw, dict)
    assert isinstance(raw["raw"], AIMessage) and raw["parsed"] == {"kind": "reference"}
    assert raw["parsing_error"] is None

    json_mode = llm.with_structured_output(None, method="json_mode").invoke("say hi")
    assert json_mode == {"answer": "You said: say hi"}
    body = sent(server)[-1]
    assert (
        body.get("format") == "json"
        if server.platform == "ollama"
        else body["response_format"] == {"type": "json_object"}
    )

    if server.platform == "vllm":
        called = llm.with_structured_output(Person, method="function_calling").invoke("anything")
        assert called == Person(name="reference", age=1)
        assert sent(server)[-1]["tool_choice"]["function"]["name"] == "Person"


def test_per_call_model_override_is_sent(llm: ChatOpenAICompatible, server: RunningServer) -> None:
    other = "reference-chat" if server.platform == "vllm" else "qwen3:8b"
    llm.invoke("hi", model=other)
    assert sent(server)[0]["model"] == other


def test_tool_loop_completes_a_two_tool_task(llm: ChatOpenAICompatible) -> None:
    """A hand-written agent loop over bind_tools: call tools until the model answers in text."""
    tools = {t.name: t for t in (get_weather, convert_temperature)}
    bound = llm.bind_tools(list(tools.values()))
    messages: list[BaseMessage] = [HumanMessage("get_weather city=Paris then convert_temperature celsius=21")]
    for _ in range(4):  # bounded
        reply = bound.invoke(messages)
        messages.append(reply)
        if not reply.tool_calls:
            break
        for call in reply.tool_calls:
            messages.append(tools[call["name"]].invoke(call))
    tool_results = [m.content for m in messages if isinstance(m, ToolMessage)]
    assert tool_results == ["sunny in Paris", "69.8F"]
    assert messages[-1].content == "Tool results: sunny in Paris; 69.8F"


@pytest.mark.filterwarnings("ignore:create_react_agent has been moved")
def test_langgraph_react_agent_completes_a_two_tool_task(llm: ChatOpenAICompatible) -> None:
    prebuilt = pytest.importorskip("langgraph.prebuilt")
    agent = prebuilt.create_react_agent(llm, [get_weather, convert_temperature])

    state = agent.invoke(
        {"messages": [HumanMessage("get_weather city=Oslo then convert_temperature celsius=-5")]},
        {"recursion_limit": 8},
    )

    tool_results = [m.content for m in state["messages"] if isinstance(m, ToolMessage)]
    assert tool_results == ["sunny in Oslo", "23.0F"]
    assert state["messages"][-1].content == "Tool results: sunny in Oslo; 23.0F"


def test_embeddings_batches_by_chunk_size_and_sends_dimensions(server: RunningServer) -> None:
    path = "/v1/embeddings" if server.platform == "vllm" else "/api/embed"
    embedder = OpenAICompatibleEmbeddings(
        model=MODELS[server.platform][0], base_url=server.base_url, platform=server.platform, chunk_size=2
    )
    server.clear()
    texts = ["one", "two", "three", "four", "five"]

    vectors = embedder.embed_documents(texts)

    assert [len(body["input"]) for body in sent(server, path)] == [2, 2, 1]
    assert len(vectors) == 5 and vectors[0] == embedder.embed_query("one")
    assert vectors[0] != vectors[1]
    shorter = OpenAICompatibleEmbeddings(
        model=MODELS[server.platform][0], base_url=server.base_url, platform=server.platform, dimensions=8
    )
    assert len(shorter.embed_query("one")) == 8
    assert sent(server, path)[-1]["dimensions"] == 8


async def test_async_embeddings(server: RunningServer) -> None:
    embedder = OpenAICompatibleEmbeddings(
        model=MODELS[server.platform][0], base_url=server.base_url, platform=server.platform, chunk_size=2
    )
    vectors = await embedder.aembed_documents(["a", "b", "c"])
    assert vectors == embedder.embed_documents(["a", "b", "c"])
    assert await embedder.aembed_query("a") == vectors[0]


def test_reasoning_history_goes_back_to_the_server(llm: ChatOpenAICompatible, server: RunningServer) -> None:
    history = [
        HumanMessage("first"),
        AIMessage("You said: first", additional_kwargs={"reasoning_content": "pondering"}),
        HumanMessage("second"),
    ]
    llm.invoke(history)
    assistant = sent(server)[0]["messages"][1]
    key = "thinking" if server.platform == "ollama" else "reasoning_content"
    assert assistant.get(key) == "pondering", json.dumps(assistant)
