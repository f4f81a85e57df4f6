"""The OpenAI SDK's "not given" sentinels mean "not passed", as in the SDK itself.

Code written for the SDK (the OpenAI Agents SDK, for one) passes ``NOT_GIVEN`` or ``omit`` for
every argument it leaves unset; none of them may reach the server or be refused.
"""

from __future__ import annotations

import openai
import pytest
from openai.types import Completion
from openai.types.chat import ChatCompletion

from tests.contract.conftest import OLLAMA_MODEL, VLLM_MODEL, bodies
from tests.contract.facade import invoke
from tests.support.reference import RunningServer

MODES = ["sync", "async"]
HELLO = [{"role": "user", "content": "Hello there"}]
UNSET = {
    "temperature": openai.NOT_GIVEN,
    "top_p": openai.omit,
    "tools": openai.NOT_GIVEN,
    "tool_choice": openai.omit,
    "stream_options": openai.NOT_GIVEN,
    "max_tokens": openai.omit,
}


@pytest.mark.parametrize("mode", MODES)
def test_chat_with_sentinels_sends_only_what_was_given(vllm: RunningServer, mode: str) -> None:
    answer = invoke(
        mode,
        vllm.base_url,
        "vllm",
        "chat.completions.create",
        model=VLLM_MODEL,
        messages=HELLO,
        stream=openai.NOT_GIVEN,
        seed=3,
        **UNSET,
    )
    assert isinstance(answer, ChatCompletion)
    assert answer.choices[0].message.content == "You said: Hello there"
    [sent] = bodies(vllm, "/v1/chat/completions")
    assert sent["seed"] == 3
    assert not set(UNSET) & set(sent)
    assert "stream" not in sent


@pytest.mark.parametrize("mode", MODES)
def test_completion_with_sentinels_on_ollama(ollama: RunningServer, mode: str) -> None:
    answer = invoke(
        mode,
        ollama.base_url,
        "ollama",
        "completions.create",
        model=OLLAMA_MODEL,
        prompt="Why is the sky blue?",
        stream=openai.omit,
        temperature=openai.NOT_GIVEN,
        max_tokens=openai.omit,
    )
    assert isinstance(answer, Completion)
    [sent] = bodies(ollama, "/api/generate")
    assert "temperature" not in sent.get("options", {}) and "num_predict" not in sent.get("options", {})
    assert sent["stream"] is False
