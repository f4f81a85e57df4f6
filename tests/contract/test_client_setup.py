"""Construction, platform detection, settings and the command line, against the reference server."""

from __future__ import annotations

import subprocess
import sys

import pytest

from openai_compatible_client import AsyncOpenAICompatibleClient, ClientConfig, OpenAICompatibleClient
from openai_compatible_client.errors import APIConnectionError, ConfigurationError
from tests.contract.conftest import OLLAMA_MODEL, VLLM_MODEL
from tests.support.reference import RunningServer

HELLO = [{"role": "user", "content": "Hello"}]


def test_auto_detects_each_platform(vllm: RunningServer, ollama: RunningServer) -> None:
    with OpenAICompatibleClient(base_url=vllm.base_url + "/v1", platform="auto") as client:
        assert client.platform == "vllm"
        assert client.chat.completions.create(model=VLLM_MODEL, messages=HELLO).choices[0].message.content
    with OpenAICompatibleClient(base_url=ollama.base_url, platform="auto") as client:
        assert client.platform == "ollama"
        assert client.chat.completions.create(model=OLLAMA_MODEL, messages=HELLO).choices[0].message.content


def test_auto_names_the_unreachable_server() -> None:
    with pytest.raises(APIConnectionError, match=r"cannot connect to http://127\.0\.0\.1:9/api/version"):
        OpenAICompatibleClient(base_url="http://127.0.0.1:9", platform="auto", connect_timeout=1)


def test_request_id_header_is_opt_in(vllm: RunningServer) -> None:
    with OpenAICompatibleClient(base_url=vllm.base_url, platform="vllm") as plain:
        plain.chat.completions.create(model=VLLM_MODEL, messages=HELLO)
        with plain.with_options(request_id_header=True) as tagged:
            tagged.chat.completions.create(model=VLLM_MODEL, messages=HELLO)
            tagged.chat.completions.create(model=VLLM_MODEL, messages=HELLO)
    ids = [r["headers"].get("x-request-id") for r in vllm.requests()]
    assert ids[0] is None
    assert ids[1] and ids[2] and ids[1] != ids[2]


def test_connections_are_reused(vllm: RunningServer) -> None:
    with OpenAICompatibleClient(base_url=vllm.base_url, platform="vllm") as client:
        for _ in range(5):
            client.chat.completions.create(model=VLLM_MODEL, messages=HELLO)
    ports = {r["peer"] for r in vllm.requests()}
    assert len(ports) == 1


async def test_async_client_context_and_concurrency(vllm: RunningServer) -> None:
    import asyncio

    async with AsyncOpenAICompatibleClient(base_url=vllm.base_url, platform="vllm") as client:
        answers = await asyncio.gather(
            *(
                client.chat.completions.create(
                    model=VLLM_MODEL, messages=[{"role": "user", "content": f"n{i}"}]
                )
                for i in range(20)
            )
        )
    assert [a.choices[0].message.content for a in answers] == [f"You said: n{i}" for i in range(20)]


def test_settings_from_environment_and_secrets() -> None:
    config = ClientConfig.from_env(
        environ={"VLLM_BASE_URL": "http://gpu:8000/v1", "VLLM_API_KEY": "sk-secret-1"}
    )
    assert (config.platform, config.root_url, config.secret()) == ("vllm", "http://gpu:8000", "sk-secret-1")
    ollama = ClientConfig.from_env(
        environ={"OLLAMA_HOST": "127.0.0.1:11500", "OPENAI_API_KEY": "sk-secret-2"}
    )
    assert (ollama.platform, ollama.base_url) == ("ollama", "http://127.0.0.1:11500")
    client = OpenAICompatibleClient(config=config)
    for text in (repr(config), str(config), repr(client), config.model_dump_json()):
        assert "sk-secret-1" not in text
    client.close()


def test_with_options_validates() -> None:
    with OpenAICompatibleClient(base_url="http://127.0.0.1:9", platform="ollama") as client:
        assert client.with_options(timeout=3).config.timeout == 3
        with pytest.raises(ConfigurationError, match="timeout"):
            client.with_options(timeout=-1)


def test_module_entry_point_and_console_script() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "openai_compatible_client", "--help"],
        capture_output=True,
        text=True,
        timeout=300,  # a hang guard: a cold start imports LiteLLM, slow on a loaded machine
        check=True,
    ).stdout
    for command in ("chat", "complete", "embed", "serve", "tour"):
        assert command in out


def test_cli_chat_streams_against_the_server(vllm: RunningServer) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openai_compatible_client",
            "chat",
            "hi from the cli",
            "--model",
            VLLM_MODEL,
            "--base-url",
            vllm.base_url + "/v1",
            "--platform",
            "vllm",
        ],
        capture_output=True,
        text=True,
        timeout=300,  # a hang guard: a cold start imports LiteLLM, slow on a loaded machine
        check=True,
    )
    assert result.stdout.strip() == "You said: hi from the cli"


def test_cli_reports_errors_in_one_line(vllm: RunningServer) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openai_compatible_client",
            "complete",
            "x",
            "--model",
            "nope",
            "--base-url",
            vllm.base_url,
            "--platform",
            "vllm",
        ],
        capture_output=True,
        text=True,
        timeout=300,  # a hang guard: a cold start imports LiteLLM, slow on a loaded machine
    )
    assert result.returncode == 1
    assert result.stderr.startswith("occ: NotFoundError: vllm POST /v1/completions -> 404")
