"""vLLM's body rules apply to vLLM only, and on vLLM only to the routes whose protocol has the field.

``VLLMOptions`` (sampling defaults, chat template and its kwargs) and the ``guided_*`` rewrite are
vLLM facts: an Ollama client or another OpenAI-style platform sends exactly what the caller gave.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from openai_compatible_client import VLLMOptions
from openai_compatible_client.platforms import Platform, register_platform, unregister_platform
from openai_compatible_client.platforms.openai.inference import OPENAI_STYLE
from tests.contract.conftest import OLLAMA_MODEL, VLLM_MODEL, bodies
from tests.contract.facade import invoke
from tests.support.reference import RunningServer

pytestmark = pytest.mark.contract

MODES = ["sync", "async"]
HELLO = [{"role": "user", "content": "Hello there"}]
DEFAULTS = {
    "vllm": VLLMOptions(
        chat_template="{{ messages }}", chat_template_kwargs={"k": 1}, extra_body={"top_k": 50}
    )
}
CONFIG_KEYS = ("top_k", "chat_template", "chat_template_kwargs")


def _config_keys(body: dict[str, Any]) -> dict[str, Any]:
    return {key: body[key] for key in CONFIG_KEYS if key in body}


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_vllm_chat_gets_every_default(vllm: RunningServer, mode: str, stream: bool) -> None:
    invoke(
        mode,
        vllm.base_url,
        "vllm",
        "chat.completions.create",
        DEFAULTS,
        model=VLLM_MODEL,
        messages=HELLO,
        stream=stream,
    )
    assert _config_keys(bodies(vllm, "/v1/chat/completions")[0]) == {
        "top_k": 50,
        "chat_template": "{{ messages }}",
        "chat_template_kwargs": {"k": 1},
    }


@pytest.mark.parametrize("mode", MODES)
def test_vllm_completions_get_sampling_defaults_but_no_chat_template(vllm: RunningServer, mode: str) -> None:
    answer = invoke(
        mode, vllm.base_url, "vllm", "completions.create", DEFAULTS, model=VLLM_MODEL, prompt="Hi"
    )
    assert answer.choices[0].text
    assert _config_keys(bodies(vllm, "/v1/completions")[0]) == {"top_k": 50}


@pytest.mark.parametrize("mode", MODES)
def test_vllm_embeddings_get_only_what_their_request_type_has(vllm: RunningServer, mode: str) -> None:
    plain = invoke(mode, vllm.base_url, "vllm", "embeddings.create", DEFAULTS, model="embed-model", input="x")
    assert plain.data[0].embedding
    chat_style = invoke(
        mode, vllm.base_url, "vllm", "embeddings.create", DEFAULTS, model="embed-model", messages=HELLO
    )
    assert chat_style.data[0].embedding
    first, second = bodies(vllm, "/v1/embeddings")
    assert _config_keys(first) == {}
    assert _config_keys(second) == {"chat_template": "{{ messages }}", "chat_template_kwargs": {"k": 1}}


@pytest.mark.parametrize("mode", MODES)
def test_ollama_bodies_never_carry_vllm_defaults(ollama: RunningServer, mode: str) -> None:
    url = ollama.base_url
    invoke(mode, url, "ollama", "chat.completions.create", DEFAULTS, model=OLLAMA_MODEL, messages=HELLO)
    invoke(mode, url, "ollama", "completions.create", DEFAULTS, model=OLLAMA_MODEL, prompt="Hi")
    invoke(mode, url, "ollama", "embeddings.create", DEFAULTS, model=OLLAMA_MODEL, input="Hi")
    for request in ollama.requests():
        assert _config_keys(request["json"]) == {}, request["path"]


@pytest.fixture
def other_platform() -> Iterator[str]:
    """An OpenAI-style platform other than vLLM (pointed at the reference server's OpenAI routes)."""
    register_platform(
        Platform(
            name="sglang",
            chat_provider="hosted_vllm",
            completion_provider="hosted_vllm",
            embedding_provider="hosted_vllm",
            inference=OPENAI_STYLE,
        )
    )
    try:
        yield "sglang"
    finally:
        unregister_platform("sglang")


@pytest.mark.parametrize("mode", MODES)
def test_another_openai_style_platform_gets_exactly_what_the_caller_sent(
    vllm: RunningServer, other_platform: str, mode: str
) -> None:
    invoke(
        mode,
        vllm.base_url,
        other_platform,
        "chat.completions.create",
        DEFAULTS,
        model=VLLM_MODEL,
        messages=HELLO,
        extra_body={"guided_choice": ["red", "blue"]},
    )
    invoke(mode, vllm.base_url, other_platform, "embeddings.create", DEFAULTS, model="embed-model", input="x")
    chat = bodies(vllm, "/v1/chat/completions")[0]
    assert chat["guided_choice"] == ["red", "blue"] and "structured_outputs" not in chat
    assert _config_keys(chat) == {}
    assert _config_keys(bodies(vllm, "/v1/embeddings")[0]) == {}


@pytest.mark.parametrize("mode", MODES)
def test_top_logprobs_minus_one_means_all_on_vllm(vllm: RunningServer, mode: str) -> None:
    answer = invoke(
        mode,
        vllm.base_url,
        "vllm",
        "chat.completions.create",
        model=VLLM_MODEL,
        messages=HELLO,
        logprobs=True,
        top_logprobs=-1,
    )
    assert answer.choices[0].logprobs is not None
    sent = bodies(vllm, "/v1/chat/completions")[0]
    assert (sent["logprobs"], sent["top_logprobs"]) == (True, -1)
