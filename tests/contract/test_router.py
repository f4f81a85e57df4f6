"""The LiteLLM Router client against reference servers: platforms, fallbacks, YAML, platform endpoints."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from openai.types import Completion, CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from openai_compatible_client.config import ClientConfig
from openai_compatible_client.errors import ConfigurationError
from openai_compatible_client.integrations.litellm_router import (
    RouterClient,
    client_from_router,
    load_model_list,
    model_list_from_configs,
)
from tests.support.reference import RunningServer, start_reference_server

pytestmark = pytest.mark.contract

HELLO = [{"role": "user", "content": "hello router"}]


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, RunningServer]]:
    vllm = start_reference_server("vllm", ["reference-chat"])
    try:
        ollama = start_reference_server("ollama", ["llama3.2"])
        try:
            yield {"vllm": vllm, "ollama": ollama}
        finally:
            ollama.stop()
    finally:
        vllm.stop()


@pytest.fixture
def configs(servers: dict[str, RunningServer]) -> dict[str, ClientConfig]:
    for server in servers.values():
        server.clear()
        server.clear_faults()
    return {
        "vllm": ClientConfig(
            base_url=servers["vllm"].base_url + "/v1", platform="vllm", model="reference-chat"
        ),
        "ollama": ClientConfig(base_url=servers["ollama"].base_url, platform="ollama", model="llama3.2"),
    }


@pytest.fixture
def client(configs: dict[str, ClientConfig]) -> Iterator[RouterClient]:
    with client_from_router(
        [("chat", configs["vllm"]), ("chat-fallback", configs["ollama"])],
        fallbacks=[{"chat": ["chat-fallback"]}],
        num_retries=0,
    ) as router_client:
        yield router_client


def paths(server: RunningServer) -> list[str]:
    return [r["path"] for r in server.requests()]


def test_model_list_from_configs_maps_each_platform(configs: dict[str, ClientConfig]) -> None:
    entries = model_list_from_configs([("chat", configs["vllm"]), ("chat", configs["ollama"])])

    assert [e["litellm_params"]["model"] for e in entries] == [
        "hosted_vllm/reference-chat",
        "ollama_chat/llama3.2",
    ]
    assert entries[0]["litellm_params"]["api_base"].endswith("/v1")
    assert not entries[1]["litellm_params"]["api_base"].endswith("/v1")
    assert len({e["model_info"]["id"] for e in entries}) == 2


def test_chat_on_both_platforms_returns_openai_types(
    client: RouterClient, servers: dict[str, RunningServer]
) -> None:
    for alias, model in (("chat", "reference-chat"), ("chat-fallback", "llama3.2")):
        answer = client.chat.completions.create(model=alias, messages=HELLO)
        assert isinstance(answer, ChatCompletion)
        assert answer.choices[0].message.content == "You said: hello router"
        assert answer.model == model
        assert answer.usage is not None and answer.usage.total_tokens > 0
    # LiteLLM never looked the Ollama model up on the side (no /api/show, here or on localhost).
    assert paths(servers["ollama"]) == ["/api/chat"]


def test_stream_completions_and_embeddings(client: RouterClient) -> None:
    for alias in ("chat", "chat-fallback"):
        with client.chat.completions.create(
            model=alias, messages=HELLO, stream=True, stream_options={"include_usage": True}
        ) as stream:
            chunks = list(stream)
        assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
        assert (
            "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "You said: hello router"
        )
        assert chunks[-1].usage is not None

        completion = client.completions.create(model=alias, prompt="finish this")
        assert isinstance(completion, Completion) and completion.choices[0].text

        vectors = client.embeddings.create(model=alias, input=["a", "b"])
        assert isinstance(vectors, CreateEmbeddingResponse)
        assert [d.index for d in vectors.data] == [0, 1] and len(vectors.data[0].embedding) > 0


def test_a_failing_vllm_falls_back_to_ollama(client: RouterClient, servers: dict[str, RunningServer]) -> None:
    servers["vllm"].add_fault(path="/v1/chat/completions", status=500, times=5)

    answer = client.chat.completions.create(model="chat", messages=HELLO)

    assert answer.choices[0].message.content == "You said: hello router"
    assert answer.model == "llama3.2"
    assert paths(servers["vllm"]) == ["/v1/chat/completions"]
    assert paths(servers["ollama"]) == ["/api/chat"]


async def test_async_router_client(
    configs: dict[str, ClientConfig], servers: dict[str, RunningServer]
) -> None:
    servers["vllm"].add_fault(path="/v1/chat/completions", status=503, times=1)
    async with client_from_router(
        [("chat", configs["vllm"]), ("chat-fallback", configs["ollama"])],
        async_=True,
        fallbacks=[{"chat": ["chat-fallback"]}],
        num_retries=0,
    ) as client:
        answer = await client.chat.completions.create(model="chat", messages=HELLO)
        assert answer.model == "llama3.2"
        stream = await client.chat.completions.create(model="chat", messages=HELLO, stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        assert text == "You said: hello router"
        assert (await client.completions.create(model="chat-fallback", prompt="p")).choices[0].text
        assert len((await client.embeddings.create(model="chat", input="x")).data) == 1
        version = await client.deployment(client.deployment_ids[1]).version()
        assert version["version"]


def test_platform_endpoints_go_to_the_chosen_deployment(client: RouterClient) -> None:
    vllm_id, ollama_id = client.deployment_ids

    assert [m.id for m in client.models.list().data] == ["reference-chat"]  # the primary (first) deployment
    assert client.deployment(vllm_id).platform == "vllm"
    tags = client.deployment(ollama_id).models.list()
    assert [m.name for m in tags.models] == ["llama3.2:latest"]
    with pytest.raises(ConfigurationError, match="unknown deployment"):
        client.deployment("nope")


def test_yaml_proxy_config(
    tmp_path: Path, servers: dict[str, RunningServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REF_VLLM_URL", servers["vllm"].base_url + "/v1")
    config = tmp_path / "router.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            model_list:
              - model_name: chat
                litellm_params:
                  model: hosted_vllm/reference-chat
                  api_base: os.environ/REF_VLLM_URL
                model_info: {{id: gpu-1}}
              - model_name: chat-fallback
                litellm_params:
                  model: ollama_chat/llama3.2
                  api_base: {servers["ollama"].base_url}
                  num_ctx: 4096
            router_settings:
              routing_strategy: simple-shuffle
              num_retries: 0
              fallbacks: [{{chat: [chat-fallback]}}]
            """
        )
    )
    entries, settings = load_model_list(config)
    assert [e["model_info"]["id"] for e in entries] == ["gpu-1", "chat-fallback-1"]
    assert settings["fallbacks"] == [{"chat": ["chat-fallback"]}]

    servers["vllm"].add_fault(path="/v1/chat/completions", status=500, times=1)
    with client_from_router(str(config)) as client:
        answer = client.chat.completions.create(model="chat", messages=HELLO)
    assert answer.model == "llama3.2"
    ollama_body = servers["ollama"].requests()[-1]["json"]
    assert ollama_body["options"]["num_ctx"] == 4096


def test_yaml_errors_name_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("model_list:\n  - model_name: chat\n    litellm_params: {model: no-prefix}\n")
    with pytest.raises(ConfigurationError, match="provider prefix"):
        load_model_list(bad)
    missing = tmp_path / "env.yaml"
    missing.write_text(
        "model_list:\n  - model_name: c\n"
        "    litellm_params: {model: hosted_vllm/m, api_base: os.environ/NOPE_X}\n"
    )
    with pytest.raises(ConfigurationError, match="NOPE_X"):
        load_model_list(missing)


def test_the_documented_yaml_example_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "router.md").read_text()
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "router.yaml").write_text(block)
    monkeypatch.setenv("VLLM_API_KEY", "docs-key")

    entries, settings = load_model_list(tmp_path / "router.yaml")

    assert [e["model_info"]["id"] for e in entries] == ["gpu1", "gpu2", "gpu3", "ollama-cpu1"]
    assert {e["model_name"] for e in entries[:3]} == {"chat"}
    assert entries[0]["litellm_params"]["api_key"] == "docs-key"
    assert settings["fallbacks"] == [{"chat": ["chat-fallback"]}]


def test_litellm_proxy_config_file_as_users_write_it(
    servers: dict[str, RunningServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openai

    from openai_compatible_client.errors import InvalidRequestError, NotFoundError

    monkeypatch.delenv("VLLM_KEY", raising=False)
    keyed = start_reference_server("vllm", ["reference-chat"], api_key="sk-router-9d1")
    try:
        config = tmp_path / "config.yaml"
        config.write_text(
            textwrap.dedent(
                f"""\
                environment_variables:
                  VLLM_KEY: sk-router-9d1
                model_list:
                  - model_name: chat
                    litellm_params:
                      model: hosted_vllm/reference-chat
                      api_base: {keyed.base_url}/v1
                      api_key: os.environ/VLLM_KEY
                  - model_name: chat-fallback
                    litellm_params:
                      model: ollama_chat/llama3.2
                      api_base: {servers["ollama"].base_url}
                  - model_name: ghost
                    litellm_params:
                      model: hosted_vllm/ghost
                      api_base: {servers["vllm"].base_url}/v1
                litellm_settings:
                  num_retries: 1
                  request_timeout: 30
                  allowed_fails: 2
                  cooldown_time: 7
                  fallbacks: [{{chat: [chat-fallback]}}]
                  drop_params: true
                  success_callback: [langfuse]
                router_settings:
                  routing_strategy: simple-shuffle
                  allowed_fails: 3
                general_settings:
                  master_key: sk-proxy
                """
            )
        )
        with pytest.warns(UserWarning) as warned:
            client = client_from_router(str(config))
        [message] = [str(w.message) for w in warned if "not applied" in str(w.message)]
        for name in (
            "general_settings:",
            "litellm_settings.drop_params",
            "litellm_settings.success_callback",
        ):
            assert name in message
        with client:
            router = client.router
            # LiteLLM >= 1.110 reads Router settings through Router.settings(); older ones as attributes.
            settings = router.settings() if callable(getattr(router, "settings", None)) else router
            assert (router.num_retries, router.timeout, settings.allowed_fails, settings.cooldown_time) == (
                1,
                30,
                3,
                7,
            )
            assert settings.fallbacks == [{"chat": ["chat-fallback"]}]
            answer = client.chat.completions.create(model="chat", messages=HELLO)
            assert isinstance(answer, ChatCompletion)
            assert [r["headers"]["authorization"] for r in keyed.requests()] == ["Bearer sk-router-9d1"]
            for server in (keyed, servers["ollama"]):
                server.clear()
            with pytest.raises(openai.BadRequestError) as refused:
                client.chat.completions.create(model="chat", messages=[{"role": "wizard", "content": "hi"}])
            assert isinstance(refused.value, InvalidRequestError)
            assert keyed.requests() == [] and servers["ollama"].requests() == []
            with pytest.raises(NotFoundError, match="vllm POST /v1/chat/completions -> 404"):
                client.chat.completions.create(model="ghost", messages=HELLO)
        assert "VLLM_KEY" not in __import__("os").environ
    finally:
        keyed.stop()
