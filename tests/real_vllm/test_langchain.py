"""The LangChain wrappers against the real servers, checked against raw HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from .servers import Server, close

pytestmark = pytest.mark.real_vllm

QUESTION = "What is 2+2?"


def chat_model(server: Server, **kwargs: Any) -> Any:
    from openai_compatible_client.integrations.langchain import ChatOpenAICompatible

    return ChatOpenAICompatible(
        model=server.model, base_url=server.v1, api_key=server.api_key, platform="vllm", **kwargs
    )


def embeddings_model(server: Server) -> Any:
    from openai_compatible_client.integrations.langchain import OpenAICompatibleEmbeddings

    return OpenAICompatibleEmbeddings(model=server.model, base_url=server.v1, api_key="none", platform="vllm")


def greedy_text(server: Server, max_tokens: int) -> str:
    raw = server.post(
        "/v1/chat/completions",
        {
            "model": server.model,
            "messages": [{"role": "user", "content": QUESTION}],
            "temperature": 0,
            "max_tokens": max_tokens,
        },
    )
    text: str = raw["choices"][0]["message"]["content"]
    return text


def test_invoke_matches_raw(chat_server: Server) -> None:
    from langchain_core.messages import AIMessage

    message = chat_model(chat_server, temperature=0, max_tokens=16).invoke(QUESTION)

    assert isinstance(message, AIMessage)
    assert message.content == greedy_text(chat_server, 16)
    assert message.usage_metadata is not None and message.usage_metadata["input_tokens"] > 0
    assert message.response_metadata.get("finish_reason") in {"stop", "length"}


def test_stream_matches_raw(chat_server: Server) -> None:
    chunks = list(chat_model(chat_server, temperature=0, max_tokens=16).stream(QUESTION))

    assert "".join(str(chunk.content) for chunk in chunks) == greedy_text(chat_server, 16)


async def test_ainvoke_and_abatch(chat_server: Server) -> None:
    model = chat_model(chat_server, temperature=0, max_tokens=16)
    expected = greedy_text(chat_server, 16)

    assert (await model.ainvoke(QUESTION)).content == expected
    assert [m.content for m in await model.abatch([QUESTION, QUESTION])] == [expected, expected]


async def test_astream(chat_server: Server) -> None:
    model = chat_model(chat_server, temperature=0, max_tokens=16)
    text = "".join([str(chunk.content) async for chunk in model.astream(QUESTION)])
    assert text == greedy_text(chat_server, 16)


def test_with_structured_output_json_schema(chat_server: Server) -> None:
    from pydantic import BaseModel

    class Person(BaseModel):
        name: str
        age: int

    model = chat_model(chat_server, temperature=0, max_tokens=60).with_structured_output(
        Person, method="json_schema"
    )
    person = model.invoke("Give a person with a name and an age.")
    assert isinstance(person, Person)


def test_bind_tools_required(chat_server: Server) -> None:
    from langchain_core.tools import tool

    @tool
    def get_weather(city: str) -> str:
        """Current weather of a city."""
        return f"sunny in {city}"

    model = chat_model(chat_server, temperature=0, max_tokens=60).bind_tools(
        [get_weather], tool_choice="required"
    )
    message = model.invoke("What is the weather in Paris?")
    # The tiny model may fill the arguments with a bare string, which LangChain files under
    # invalid_tool_calls; either way the call to get_weather must come through.
    names = [call["name"] for call in [*message.tool_calls, *message.invalid_tool_calls]]
    assert names and names[0] == "get_weather"


def test_embeddings_match_raw(pooling_server: Server) -> None:
    texts = ["first document", "second document"]
    model = embeddings_model(pooling_server)

    vectors = model.embed_documents(texts)
    query = model.embed_query("first document")

    raw = pooling_server.post("/v1/embeddings", {"model": pooling_server.model, "input": texts})
    for vector, item in zip(vectors, raw["data"], strict=True):
        assert close(vector, item["embedding"])
    assert close(query, raw["data"][0]["embedding"])


async def test_async_embeddings(pooling_server: Server) -> None:
    model = embeddings_model(pooling_server)
    vectors = await model.aembed_documents(["a", "b", "c"])
    assert len(vectors) == 3 and all(len(v) == 384 for v in vectors)
