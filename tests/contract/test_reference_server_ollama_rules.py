"""The reference server refuses what Ollama refuses: the official ``ollama`` client gets Ollama's errors.

Each rule is ported from Ollama's own source (``api/types.go`` ``Options.FromMap`` and ``ThinkValue``;
``server/routes.go`` handlers, ``scheduleRunner`` and ``handleScheduleError``; ``server/images.go``
``CheckCapabilities``; ``PullModel``/``PushModel``), so status and text are Ollama's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import ollama
import pytest

from tests.support.reference import RunningServer

pytestmark = pytest.mark.contract

MODELS = ["llama3.2", "llama2", "qwen3", "qwen2.5-coder", "gemma3", "nomic-embed-text"]
USER = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    from tests.support.reference import start_reference_server

    with start_reference_server("ollama", MODELS) as running:
        yield running


@pytest.fixture
def client(server: RunningServer) -> ollama.Client:
    return ollama.Client(host=server.base_url)


def refused(call: Callable[[], Any]) -> tuple[int, str]:
    """The status and ``error`` text of the ``ollama.ResponseError`` the call raises."""
    with pytest.raises(ollama.ResponseError) as info:
        result = call()
        if isinstance(result, Iterator):
            list(result)
    return info.value.status_code, info.value.error


# ----------------------------------------------------------------------------- options (FromMap)


@pytest.mark.parametrize("route", ["chat", "generate", "embed"])
def test_a_string_stop_is_refused_with_ollamas_500(client: ollama.Client, route: str) -> None:
    calls: dict[str, Callable[[], Any]] = {
        "chat": lambda: client.chat(model="llama3.2", messages=USER, options={"stop": "END"}),
        "generate": lambda: client.generate(model="llama3.2", prompt="hi", options={"stop": "END"}),
        "embed": lambda: client.embed(model="llama3.2", input="hi", options={"stop": "END"}),
    }
    assert refused(calls[route]) == (500, 'option "stop" must be of type array')


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"stop": ["a", 1]}, 'option "stop" must be of an array of strings'),
        ({"num_predict": "8"}, 'option "num_predict" must be of type integer'),
        ({"temperature": "hot"}, 'option "temperature" must be of type float32'),
        ({"use_mmap": 1}, 'option "use_mmap" must be of type boolean'),
        ({"main_gpu": "0"}, 'option "main_gpu" must be of type integer'),
    ],
)
def test_every_option_has_its_go_type(client: ollama.Client, options: dict[str, Any], error: str) -> None:
    assert refused(lambda: client.chat(model="llama3.2", messages=USER, options=options)) == (500, error)


def test_what_fromMap_accepts(client: ollama.Client) -> None:
    """Integers may arrive as JSON floats, unknown keys are ignored, a stop list goes through."""
    options = {"num_predict": 3.0, "temperature": 1, "no_such_option": "x", "stop": ["three"]}
    reply = client.generate(model="llama3.2", prompt="one two three four", options=options)
    assert reply.response == "You said: one"


# ----------------------------------------------------------------------------- pull / push / create


def test_pulling_a_model_the_registry_does_not_have(client: ollama.Client) -> None:
    steps: list[Any] = []
    with pytest.raises(ollama.ResponseError) as streamed:
        for step in client.pull("no-such-model", stream=True):
            steps.append(step.status)
    assert steps == ["pulling manifest"]
    assert streamed.value.error == "pull model manifest: file does not exist"
    assert refused(lambda: client.pull("no-such-model")) == (500, "pull model manifest: file does not exist")
    assert "no-such-model:latest" not in [m.model for m in client.list().models]


def test_a_pushed_model_can_be_pulled_back(client: ollama.Client) -> None:
    client.copy("llama3.2", "me/mine:v1")
    assert refused(lambda: client.pull("me/mine:v1")) == (500, "pull model manifest: file does not exist")
    assert client.push("me/mine:v1").status == "success"
    client.delete("me/mine:v1")
    assert client.pull("me/mine:v1").status == "success"
    assert "me/mine:v1" in [m.model for m in client.list().models]


def test_a_library_model_is_pulled_with_its_capabilities(client: ollama.Client) -> None:
    assert client.pull("llava:7b").status == "success"
    assert client.show("llava:7b").capabilities == ["completion", "vision"]


def test_push_and_create_need_an_existing_model(client: ollama.Client) -> None:
    status, error = refused(lambda: client.push("me/absent:1"))
    assert status == 500 and error.endswith(
        "manifests/registry.ollama.ai/me/absent/1: no such file or directory"
    )
    assert refused(lambda: client.create(model="derived", from_="no-such-base")) == (
        500,
        "pull model manifest: file does not exist",
    )


# ----------------------------------------------------------------------------- capabilities


def test_suffix_on_a_model_without_an_insert_template(client: ollama.Client) -> None:
    assert refused(lambda: client.generate(model="llama2", prompt="def f(", suffix="return 1")) == (
        400,
        "registry.ollama.ai/library/llama2:latest does not support insert",
    )
    assert client.generate(model="qwen2.5-coder", prompt="def f(", suffix="return 1").done


@pytest.mark.parametrize("think", [True, "high"])
def test_think_on_a_model_without_thinking(client: ollama.Client, think: Any) -> None:
    assert refused(lambda: client.chat(model="llama2", messages=USER, think=think)) == (
        400,
        '"llama2" does not support thinking',
    )
    assert refused(lambda: client.generate(model="gemma3", prompt="hi", think=think)) == (
        400,
        '"gemma3" does not support thinking',
    )
    assert client.chat(model="llama2", messages=USER, think=False).message.content == "You said: hi"
    assert client.chat(model="qwen3", messages=USER, think=think).message.thinking == "Thinking about: hi"


def test_an_invalid_think_value(client: ollama.Client) -> None:
    assert refused(lambda: client.chat(model="qwen3", messages=USER, think="extreme")) == (
        400,
        'invalid think value: "extreme" (must be "high", "medium", "low", "max", true, or false)',
    )


def test_tools_on_a_model_without_tools(client: ollama.Client) -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    assert refused(lambda: client.chat(model="gemma3", messages=USER, tools=[tool])) == (
        400,
        "registry.ollama.ai/library/gemma3:latest does not support tools",
    )


def test_chat_and_generate_on_an_embedding_model(client: ollama.Client) -> None:
    assert refused(lambda: client.chat(model="nomic-embed-text", messages=USER)) == (
        400,
        '"nomic-embed-text" does not support chat',
    )
    assert refused(lambda: client.generate(model="nomic-embed-text", prompt="hi")) == (
        400,
        '"nomic-embed-text" does not support generate',
    )
    assert len(client.embed(model="nomic-embed-text", input="hi").embeddings) == 1


def test_capabilities_are_listed_as_ollama_lists_them(client: ollama.Client) -> None:
    shown = {m: client.show(m).capabilities for m in MODELS}
    assert shown == {
        "llama3.2": ["completion", "tools", "thinking", "vision", "insert"],
        "llama2": ["completion"],
        "qwen3": ["completion", "tools", "thinking"],
        "qwen2.5-coder": ["completion", "tools", "insert"],
        "gemma3": ["completion", "vision"],
        "nomic-embed-text": ["embedding"],
    }
