"""Ollama's option map: each OpenAI parameter reaches ``/api/chat``/``/api/generate`` as Ollama reads it.

Every case checks the exact body the reference server recorded and the ``openai.types`` object that
came back, through the sync and the async client, streamed and not.
"""

from __future__ import annotations

import base64
import struct
import warnings
from typing import Any

import openai
import pytest
from openai.types import Completion, CreateEmbeddingResponse
from openai.types.chat import ChatCompletion

from openai_compatible_client.errors import InvalidRequestError, UnsupportedParameterError
from tests.contract.conftest import OLLAMA_MODEL, bodies
from tests.contract.facade import invoke
from tests.support.reference import RunningServer

pytestmark = pytest.mark.contract

MODES = ["sync", "async"]
HELLO = [{"role": "user", "content": "Hello there"}]
ROUTES = {
    "chat": ("chat.completions.create", "/api/chat"),
    "completion": ("completions.create", "/api/generate"),
}


def create(server: RunningServer, mode: str, kind: str, **kwargs: Any) -> Any:
    """One chat or completion call with the conversation/prompt filled in."""
    method, _ = ROUTES[kind]
    text = {"messages": HELLO} if kind == "chat" else {"prompt": "Hello there"}
    return invoke(mode, server.base_url, "ollama", method, model=OLLAMA_MODEL, **text, **kwargs)


def sent(server: RunningServer, kind: str) -> dict[str, Any]:
    [body] = bodies(server, ROUTES[kind][1])
    return body


def text_of(kind: str, answer: Any, stream: bool) -> str:
    if not stream:
        choice = answer.choices[0]
        return str(choice.message.content if kind == "chat" else choice.text)
    parts = [c.choices[0] for c in answer if c.choices]
    return "".join((p.delta.content or "") if kind == "chat" else p.text for p in parts)


# ----------------------------------------------------------------------------- bug 1: stop


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("kind", ["chat", "completion"])
@pytest.mark.parametrize("mode", MODES)
def test_a_string_stop_is_sent_as_a_list(ollama: RunningServer, mode: str, kind: str, stream: bool) -> None:
    answer = create(ollama, mode, kind, stop="there", stream=stream)
    assert sent(ollama, kind)["options"]["stop"] == ["there"]
    assert text_of(kind, answer, stream) == "You said: Hello "


@pytest.mark.parametrize("mode", MODES)
def test_a_string_stop_in_options_is_sent_as_a_list(ollama: RunningServer, mode: str) -> None:
    answer = create(ollama, mode, "chat", options={"stop": "there", "num_ctx": 2048})
    assert sent(ollama, "chat")["options"] == {"stop": ["there"], "num_ctx": 2048}
    assert answer.choices[0].message.content == "You said: Hello "


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"num_predict": "8"}, 'option "num_predict" must be of type integer'),
        ({"temperature": "hot"}, 'option "temperature" must be of type float32'),
        ({"use_mmap": 1}, 'option "use_mmap" must be of type boolean'),
        ({"stop": ["a", 1]}, 'option "stop" must be of an array of strings'),
    ],
)
def test_a_wrongly_typed_option_is_refused_before_any_request(
    ollama: RunningServer, options: dict[str, Any], error: str
) -> None:
    with pytest.raises(InvalidRequestError, match=error):
        create(ollama, "sync", "chat", options=options)
    assert ollama.requests() == []


# ----------------------------------------------------------------------------- bug 2: reasoning_effort

EFFORTS = [
    ("none", False),
    ("minimal", "low"),
    ("low", "low"),
    ("medium", "medium"),
    ("high", "high"),
    ("max", "max"),
    ("xhigh", "max"),
]


@pytest.mark.parametrize(("effort", "think"), EFFORTS)
@pytest.mark.parametrize("kind", ["chat"])
def test_reasoning_effort_follows_ollamas_table(
    ollama: RunningServer, kind: str, effort: str, think: Any
) -> None:
    answer = create(ollama, "sync", kind, reasoning_effort=effort)
    assert sent(ollama, kind)["think"] == think
    choice = answer.choices[0]
    reasoning = getattr(choice.message if kind == "chat" else choice, "reasoning_content", None)
    assert reasoning == ("Thinking about: Hello there" if think else None)


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_reasoning_effort_streamed_and_async(ollama: RunningServer, mode: str, stream: bool) -> None:
    answer = create(ollama, mode, "chat", reasoning_effort="xhigh", stream=stream)
    assert sent(ollama, "chat")["think"] == "max"
    if stream:
        thought = "".join(
            getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in answer if c.choices
        )
    else:
        thought = answer.choices[0].message.reasoning_content
    assert thought == "Thinking about: Hello there"


@pytest.mark.parametrize("mode", MODES)
def test_an_invalid_reasoning_effort_is_a_local_bad_request(ollama: RunningServer, mode: str) -> None:
    with pytest.raises(InvalidRequestError, match='invalid reasoning value: "extreme"'):
        create(ollama, mode, "chat", reasoning_effort="extreme")
    assert ollama.requests() == []


# ----------------------------------------------------------------------------- bug 3: log probabilities


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_chat_logprobs_reach_ollama_and_come_back(ollama: RunningServer, mode: str, stream: bool) -> None:
    answer = create(ollama, mode, "chat", logprobs=True, top_logprobs=2, stream=stream)
    body = sent(ollama, "chat")
    assert (body["logprobs"], body["top_logprobs"]) == (True, 2)
    if stream:
        content = [c.choices[0] for c in answer if c.choices and c.choices[0].delta.content]
        assert content and all(c.logprobs is not None and c.logprobs.content for c in content)
        tokens = [t for c in content for t in c.logprobs.content]  # type: ignore[union-attr]
    else:
        assert isinstance(answer, ChatCompletion) and answer.choices[0].logprobs is not None
        tokens = answer.choices[0].logprobs.content or []
    assert "".join(t.token for t in tokens) == "You said: Hello there"
    assert all(len(t.top_logprobs) == 2 and t.top_logprobs[0].token == t.token for t in tokens)


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_completion_logprobs_reach_ollama_and_come_back(
    ollama: RunningServer, mode: str, stream: bool
) -> None:
    answer = create(ollama, mode, "completion", logprobs=2, stream=stream)
    body = sent(ollama, "completion")
    assert (body["logprobs"], body["top_logprobs"]) == (True, 2)
    choices = [c.choices[0] for c in answer if c.choices and c.choices[0].text] if stream else answer.choices
    tokens: list[str] = []
    for choice in choices:
        assert choice.logprobs is not None and choice.logprobs.top_logprobs is not None
        tokens += choice.logprobs.tokens or []
        assert len(choice.logprobs.token_logprobs or []) == len(choice.logprobs.tokens or [])
        assert all(len(top) == 2 for top in choice.logprobs.top_logprobs)
    assert "".join(tokens) == "You said: Hello there"


def test_top_logprobs_without_logprobs_is_refused(ollama: RunningServer) -> None:
    with pytest.raises(InvalidRequestError, match="top_logprobs needs logprobs=True"):
        create(ollama, "sync", "chat", top_logprobs=2)
    with pytest.raises(InvalidRequestError, match="top_logprobs"):
        create(ollama, "sync", "chat", logprobs=True, top_logprobs=-1)  # vLLM's "all" is not Ollama's
    assert ollama.requests() == []


def test_no_parameter_is_dropped_without_a_word(ollama: RunningServer) -> None:
    """Every OpenAI chat parameter either changes the body or goes through the policy."""
    from openai_compatible_client import OpenAICompatibleClient

    baseline = None
    samples: dict[str, Any] = {
        "frequency_penalty": 0.5,
        "logprobs": True,
        "max_completion_tokens": 5,
        "max_tokens": 5,
        "presence_penalty": 0.5,
        "reasoning_effort": "low",
        "response_format": {"type": "json_object"},
        "seed": 3,
        "stop": ["x"],
        "temperature": 0.5,
        "top_p": 0.5,
        "logit_bias": {"1": 1},
        "parallel_tool_calls": False,
        "service_tier": "auto",
        "prediction": {"type": "content", "content": "x"},
        "modalities": ["text"],
        "audio": {"voice": "x", "format": "wav"},
        "store": True,
        "metadata": {"a": "b"},
        "web_search_options": {},
    }
    with OpenAICompatibleClient(
        base_url=ollama.base_url, platform="ollama", unsupported_params="error", max_retries=0
    ) as client:
        client.chat.completions.create(model=OLLAMA_MODEL, messages=HELLO)
        baseline = sent(ollama, "chat")
        for name, value in samples.items():
            ollama.clear()
            try:
                client.chat.completions.create(model=OLLAMA_MODEL, messages=HELLO, **{name: value})
            except UnsupportedParameterError as exc:
                assert exc.parameter == name
                assert ollama.requests() == []
                continue
            assert sent(ollama, "chat") != baseline, name


# ----------------------------------------------------------------------------- bug 4: base64 embeddings


@pytest.mark.parametrize("mode", MODES)
def test_base64_embeddings_are_encoded_locally(ollama: RunningServer, mode: str) -> None:
    floats = invoke(
        mode, ollama.base_url, "ollama", "embeddings.create", model=OLLAMA_MODEL, input=["a", "b"]
    )
    ollama.clear()
    packed = invoke(
        mode,
        ollama.base_url,
        "ollama",
        "embeddings.create",
        model=OLLAMA_MODEL,
        input=["a", "b"],
        encoding_format="base64",
    )
    assert "encoding_format" not in bodies(ollama, "/api/embed")[0]
    assert isinstance(packed, CreateEmbeddingResponse) and len(packed.data) == 2
    for plain, encoded in zip(floats.data, packed.data, strict=True):
        assert isinstance(encoded.embedding, str)
        raw = base64.b64decode(encoded.embedding)
        expected = struct.pack(f"<{len(plain.embedding)}f", *plain.embedding)
        assert raw == expected


# ----------------------------------------------------------------------------- bug 5: suffix


@pytest.fixture(scope="module")
def fim_models(ollama_ref: RunningServer) -> None:
    from openai_compatible_client import OpenAICompatibleClient

    with OpenAICompatibleClient(base_url=ollama_ref.base_url, platform="ollama") as client:
        for name in ("llama2", "qwen2.5-coder"):  # no insert template / an insert template
            client.models.pull(name)


@pytest.mark.parametrize("mode", MODES)
def test_suffix_is_sent_and_a_refusal_is_a_typed_bad_request(
    ollama: RunningServer, fim_models: None, mode: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        answer = invoke(
            mode,
            ollama.base_url,
            "ollama",
            "completions.create",
            model="qwen2.5-coder",
            prompt="def f(",
            suffix="1",
        )
    assert isinstance(answer, Completion) and answer.choices[0].finish_reason == "stop"
    assert bodies(ollama, "/api/generate")[0]["suffix"] == "1"
    with pytest.raises(openai.BadRequestError) as info:
        invoke(
            mode, ollama.base_url, "ollama", "completions.create", model="llama2", prompt="def f(", suffix="1"
        )
    assert "llama2:latest does not support insert" in str(info.value)
    assert "Fix:" in str(info.value) and "insert" in str(info.value).split("Fix:")[1]


@pytest.mark.parametrize("mode", MODES)
def test_suffix_reaches_vllm_and_its_refusal_is_typed(vllm: RunningServer, mode: str) -> None:
    from tests.contract.conftest import VLLM_MODEL

    with pytest.raises(openai.BadRequestError) as info:
        invoke(mode, vllm.base_url, "vllm", "completions.create", model=VLLM_MODEL, prompt="x", suffix="y")
    assert bodies(vllm, "/v1/completions")[0]["suffix"] == "y"
    assert "suffix" in str(info.value) and "Fix:" in str(info.value)


# ----------------------------------------------------------------------------- bug 6: n with a seed


@pytest.mark.parametrize("mode", MODES)
def test_n_copies_get_seed_plus_i(ollama: RunningServer, mode: str) -> None:
    answer = create(ollama, mode, "chat", n=3, seed=40)
    assert [c.index for c in answer.choices] == [0, 1, 2]
    assert sorted(b["options"]["seed"] for b in bodies(ollama, "/api/chat")) == [40, 41, 42]
    ollama.clear()
    create(ollama, mode, "completion", n=2)
    assert all("seed" not in b.get("options", {}) for b in bodies(ollama, "/api/generate"))


# ----------------------------------------------------------------------------- issue 13: non-answers


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"foo": 1},
        {"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {"content": "hi"}}]},
        {"model": OLLAMA_MODEL, "message": {"role": "assistant", "content": "half"}, "done": False},
    ],
    ids=["empty", "foreign", "vllm-shaped", "not-done"],
)
@pytest.mark.parametrize("kind", ["chat", "completion"])
@pytest.mark.parametrize("mode", MODES)
def test_a_body_that_is_not_an_answer_is_refused(
    ollama: RunningServer, mode: str, kind: str, payload: dict[str, Any]
) -> None:
    if kind == "completion" and "message" in payload:
        payload = {"model": OLLAMA_MODEL, "response": "half", "done": False}
    ollama.add_fault(path=ROUTES[kind][1], status=200, body=payload)
    with pytest.raises(openai.APIResponseValidationError):
        create(ollama, mode, kind)
