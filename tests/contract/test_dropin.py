"""Drop-in parity with ``openai.OpenAI``: constructor, environment, proxies, pages, raw responses,
copies, local refusals as ``openai.BadRequestError``, and logging, against the reference server."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import httpx
import openai
import pytest
import requests
from openai.types import Model
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from openai_compatible_client import AsyncOpenAICompatibleClient, OpenAICompatibleClient
from openai_compatible_client.errors import ConfigurationError, InvalidRequestError, sdk_http
from tests.contract.conftest import OLLAMA_MODEL, VLLM_MODEL
from tests.support.proxy import RecordingProxy
from tests.support.reference import RunningServer, start_reference_server

pytestmark = pytest.mark.contract

HELLO = [{"role": "user", "content": "Hello"}]
KEY = "sk-env-7f3a9c"
_ENV = (
    "OPENAI_API_KEY",
    "VLLM_API_KEY",
    "OLLAMA_API_KEY",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "OPENAI_LOG",
    *(f"{n}_proxy" for n in ("http", "https", "all", "no")),
    *(f"{n}_PROXY" for n in ("HTTP", "HTTPS", "ALL", "NO")),
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def keyed() -> Iterator[RunningServer]:
    server = start_reference_server("vllm", [VLLM_MODEL], api_key=KEY)
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------- constructor and environment


def test_api_key_falls_back_to_openai_api_key(keyed: RunningServer, monkeypatch: pytest.MonkeyPatch) -> None:
    keyed.clear()
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with OpenAICompatibleClient(base_url=keyed.base_url + "/v1", platform="vllm") as client:
        assert client.chat.completions.create(model=VLLM_MODEL, messages=HELLO).choices
    assert [r["headers"]["authorization"] for r in keyed.requests()] == [f"Bearer {KEY}"]


def test_vllm_api_key_wins_on_vllm_and_an_explicit_key_wins_over_both(
    keyed: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyed.clear()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong")
    monkeypatch.setenv("VLLM_API_KEY", KEY)
    with OpenAICompatibleClient(base_url=keyed.base_url, platform="vllm") as client:
        client.models.list()
    explicit = OpenAICompatibleClient(base_url=keyed.base_url, platform="vllm", api_key="sk-explicit")
    with explicit, pytest.raises(openai.AuthenticationError):
        explicit.models.list()
    assert [r["headers"]["authorization"] for r in keyed.requests()] == [
        f"Bearer {KEY}",
        "Bearer sk-explicit",
    ]


def test_organization_project_and_default_query_reach_the_server(
    vllm: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-env")
    with OpenAICompatibleClient(
        base_url=vllm.base_url, platform="vllm", organization="org-1", default_query={"tenant": "a"}
    ) as client:
        client.chat.completions.create(model=VLLM_MODEL, messages=HELLO)
        client.models.list()
    for record in vllm.requests():
        assert record["headers"]["openai-organization"] == "org-1"
        assert record["headers"]["openai-project"] == "proj-env"
        assert record["query"] == {"tenant": "a"}


def test_timeout_object_http_client_and_sdk_only_arguments(vllm: RunningServer) -> None:
    timeout = sdk_http().Timeout(30.0, connect=2.0)
    with OpenAICompatibleClient(base_url=vllm.base_url, platform="vllm", timeout=timeout) as client:
        assert (client.config.timeout, client.config.connect_timeout) == (30.0, 2.0)
    session = requests.Session()
    session.headers["X-From-Session"] = "yes"
    with OpenAICompatibleClient(base_url=vllm.base_url, platform="vllm", http_client=session) as client:
        client.models.list()
    assert vllm.requests()[-1]["headers"]["x-from-session"] == "yes"
    with pytest.raises(ConfigurationError, match=r"pass a requests\.Session"):
        OpenAICompatibleClient(base_url=vllm.base_url, platform="vllm", http_client=httpx.Client())
    with pytest.raises(ConfigurationError, match=r"pass an httpx\.AsyncClient"):
        AsyncOpenAICompatibleClient(base_url=vllm.base_url, platform="vllm", http_client=requests.Session())
    with pytest.raises(ConfigurationError, match="websocket_base_url= is not supported"):
        OpenAICompatibleClient(base_url=vllm.base_url, platform="vllm", websocket_base_url="ws://x")
    OpenAICompatibleClient(base_url=vllm.base_url, platform="vllm", websocket_base_url=None).close()


# ---------------------------------------------------------------- proxies


@pytest.mark.parametrize("platform", ["vllm", "ollama"])
def test_http_proxy_from_the_environment_carries_every_request(
    platform: str, vllm: RunningServer, ollama: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = vllm if platform == "vllm" else ollama
    model = VLLM_MODEL if platform == "vllm" else OLLAMA_MODEL
    with RecordingProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        with OpenAICompatibleClient(base_url=server.base_url, platform=platform, api_key="sk-p") as client:
            client.chat.completions.create(model=model, messages=HELLO)
            client.models.list()
    paths = [r["path"] for r in server.requests()]
    assert [r["url"] for r in proxy.seen] == [server.base_url + p for p in paths]
    assert all(r["headers"]["Authorization"] == "Bearer sk-p" for r in proxy.seen)


async def test_async_client_uses_the_proxy_and_no_proxy_bypasses_it(
    vllm: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with RecordingProxy() as proxy:
        monkeypatch.setenv("http_proxy", proxy.url)
        async with AsyncOpenAICompatibleClient(base_url=vllm.base_url, platform="vllm") as client:
            await client.chat.completions.create(model=VLLM_MODEL, messages=HELLO)
        assert [r["url"] for r in proxy.seen] == [vllm.base_url + "/v1/chat/completions"]
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with AsyncOpenAICompatibleClient(base_url=vllm.base_url, platform="vllm") as client:
            await client.chat.completions.create(model=VLLM_MODEL, messages=HELLO)
        with OpenAICompatibleClient(base_url=vllm.base_url, platform="vllm") as sync_client:
            sync_client.models.list()
        with OpenAICompatibleClient(base_url=vllm.base_url, platform="vllm", trust_env=False) as sync_client:
            monkeypatch.delenv("NO_PROXY")
            sync_client.models.list()
    assert len(proxy.seen) == 1
    assert len(vllm.requests()) == 4


# ---------------------------------------------------------------- pages and models.retrieve


def test_model_pages_iterate_openai_models_on_both_platforms(
    vllm: RunningServer, ollama: RunningServer
) -> None:
    with OpenAICompatibleClient(base_url=vllm.base_url, platform="vllm") as client:
        page = client.models.list()
        ids = [m.id for m in page]
        assert ids == [m.id for m in page.data] == [VLLM_MODEL, "embed-model"]
        assert all(m.object == "model" and m.owned_by == "vllm" for m in page)
        assert not page.has_next_page() and list(page.iter_pages()) == [page]
    with OpenAICompatibleClient(base_url=ollama.base_url, platform="ollama") as client:
        page = client.models.list()
        assert client.models.list()["models"][0]["name"] == page.models[0].name
        models = list(page)
        assert all(isinstance(m, Model) for m in models) and models == page.data
        assert [m.id for m in models] == [m["name"] for m in page["models"]]
        assert {m.owned_by for m in models} == {"library"} and all(m.created > 1_600_000_000 for m in models)


async def test_async_pages_and_retrieve(vllm: RunningServer, ollama: RunningServer) -> None:
    async with AsyncOpenAICompatibleClient(base_url=ollama.base_url, platform="ollama") as client:
        page = await client.models.list()
        assert [m.id async for m in page] == [m.id for m in page.data]
        assert (await client.models.retrieve(OLLAMA_MODEL)).id.startswith(OLLAMA_MODEL)
    async with AsyncOpenAICompatibleClient(base_url=vllm.base_url, platform="vllm") as client:
        assert (await client.models.retrieve(VLLM_MODEL)).id == VLLM_MODEL


def test_models_retrieve_on_both_platforms(vllm: RunningServer, ollama: RunningServer) -> None:
    with OpenAICompatibleClient(base_url=vllm.base_url, platform="vllm") as client:
        card = client.models.retrieve(VLLM_MODEL)
        assert (card.id, card.object) == (VLLM_MODEL, "model")
        with pytest.raises(openai.NotFoundError, match="`nope` does not exist") as caught:
            client.models.retrieve("nope")
        assert caught.value.status_code == 404
    assert [r["path"] for r in vllm.requests()] == ["/v1/models", "/v1/models"]
    with OpenAICompatibleClient(base_url=ollama.base_url, platform="ollama") as client:
        model = client.models.retrieve("llama3.2:latest")
        assert isinstance(model, Model) and model.id == "llama3.2:latest" and model.owned_by == "library"
        with pytest.raises(openai.NotFoundError, match='model "nope" not found'):
            client.models.retrieve("nope")
    assert [r["path"] for r in ollama.requests()] == ["/v1/models/llama3.2:latest", "/v1/models/nope"]


# ---------------------------------------------------------------- raw responses


def _completion_body() -> dict[str, object]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": VLLM_MODEL,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
    }


def test_with_raw_response_gives_headers_status_and_the_parsed_result(vllm: RunningServer) -> None:
    vllm.add_fault(
        path="/v1/chat/completions",
        status=200,
        headers={"x-request-id": "req-42", "x-ratelimit-remaining-requests": "99"},
        body=_completion_body(),
    )
    with OpenAICompatibleClient(base_url=vllm.base_url, platform="vllm", api_key="sk-raw") as client:
        raw = client.chat.completions.with_raw_response.create(model=VLLM_MODEL, messages=HELLO)
        assert raw.status_code == 200
        assert raw.headers["X-Request-Id"] == "req-42"
        assert raw.headers.get("x-ratelimit-remaining-requests") == "99"
        assert isinstance(raw.headers, sdk_http().Headers)
        completion = raw.parse()
        assert isinstance(completion, ChatCompletion) and completion.choices[0].message.content == "hi"
        assert raw.http_request.method == "POST"
        assert str(raw.http_request.url) == vllm.base_url + "/v1/chat/completions"
        assert raw.json()["id"] == "chatcmpl-1"
        models = client.models.with_raw_response.list()
        assert models.status_code == 200 and "application/json" in models.headers["content-type"]
        assert [m.id for m in models.parse()] == [VLLM_MODEL, "embed-model"]
        embeddings = client.embeddings.with_raw_response.create(model="embed-model", input="a")
        assert len(embeddings.parse().data) == 1
        completions = client.completions.with_raw_response.create(model=VLLM_MODEL, prompt="a", max_tokens=2)
        assert completions.parse().choices


def test_with_streaming_response_is_a_context_manager_over_the_stream(ollama: RunningServer) -> None:
    with OpenAICompatibleClient(base_url=ollama.base_url, platform="ollama") as client:
        with client.chat.completions.with_streaming_response.create(
            model=OLLAMA_MODEL, messages=HELLO, stream=True
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("application/x-ndjson")
            chunks = list(response.parse())
        assert chunks and all(isinstance(c, ChatCompletionChunk) for c in chunks)
        raw = client.chat.completions.with_raw_response.create(
            model=OLLAMA_MODEL, messages=HELLO, stream=True
        )
        with raw.parse() as stream:
            assert next(iter(stream)).choices[0].delta.role == "assistant"


async def test_async_raw_and_streaming_responses(vllm: RunningServer) -> None:
    async with AsyncOpenAICompatibleClient(base_url=vllm.base_url, platform="vllm") as client:
        raw = await client.chat.completions.with_raw_response.create(model=VLLM_MODEL, messages=HELLO)
        assert raw.status_code == 200 and raw.parse().choices
        async with client.chat.completions.with_streaming_response.create(
            model=VLLM_MODEL, messages=HELLO, stream=True
        ) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            stream = await response.parse()
            assert [c async for c in stream]
        page = (await client.models.with_raw_response.list()).parse()
        assert [m.id for m in page] == [VLLM_MODEL, "embed-model"]


# ---------------------------------------------------------------- copies


def test_with_options_and_copy_share_nothing_and_do_not_reread_the_environment(
    keyed: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyed.clear()
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    client = OpenAICompatibleClient(base_url=keyed.base_url, platform="vllm", default_headers={"X-A": "1"})
    monkeypatch.setenv("OPENAI_API_KEY", "sk-changed")
    fast = client.with_options(timeout=5, max_retries=0, default_headers={"X-B": "2"})
    assert (fast.config.timeout, fast.config.max_retries) == (5, 0)
    assert (client.config.timeout, client.config.max_retries) == (600, 2)
    assert fast._context.transport is not client._context.transport
    assert fast.config.default_headers == {"X-A": "1", "X-B": "2"}
    assert client.copy(set_default_headers={"X-C": "3"}).config.default_headers == {"X-C": "3"}
    fast.models.list()
    assert keyed.requests()[-1]["headers"]["authorization"] == f"Bearer {KEY}"
    assert keyed.requests()[-1]["headers"]["x-b"] == "2"
    client.close()
    fast.close()


# ---------------------------------------------------------------- local refusals


@pytest.mark.parametrize(
    "bad",
    [{"temperature": 5}, {"top_p": 1.5}, {"presence_penalty": 3}, {"n": 0}, {"max_tokens": 0}],
    ids=lambda bad: next(iter(bad)),
)
def test_local_refusal_is_caught_by_except_openai_bad_request_error(
    bad: dict[str, float], vllm: RunningServer
) -> None:
    with OpenAICompatibleClient(base_url=vllm.base_url, platform="vllm") as client:
        try:
            client.chat.completions.create(model=VLLM_MODEL, messages=HELLO, **bad)  # type: ignore[arg-type]
        except openai.BadRequestError as exc:
            caught = exc
        else:  # pragma: no cover - the test fails here
            pytest.fail("no BadRequestError")
    assert isinstance(caught, InvalidRequestError) and isinstance(caught, ValueError)
    assert caught.status_code == 400 and caught.type == "invalid_request_error"
    assert next(iter(bad)) in caught.message
    assert str(caught.response.request.url) == "http://request-not-sent.invalid/"
    assert vllm.requests() == []


def test_error_responses_have_the_sdks_own_http_types(vllm: RunningServer) -> None:
    sdk = openai.OpenAI(base_url=vllm.base_url + "/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.NotFoundError) as theirs:
        sdk.chat.completions.create(model="missing", messages=HELLO)  # type: ignore[arg-type]
    sdk.close()
    with OpenAICompatibleClient(base_url=vllm.base_url, platform="vllm") as client:
        with pytest.raises(openai.NotFoundError) as ours:
            client.chat.completions.create(model="missing", messages=HELLO)
        with pytest.raises(openai.BadRequestError) as local:
            client.chat.completions.create(model=VLLM_MODEL, messages=HELLO, temperature=5)
    assert type(ours.value.response) is type(theirs.value.response)
    assert type(ours.value.request) is type(theirs.value.request)
    assert type(local.value.response) is type(theirs.value.response)


# ---------------------------------------------------------------- logging


def test_debug_log_has_request_status_and_retries_but_never_the_key(
    vllm: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    vllm.add_fault(path="/v1/chat/completions", status=503, headers={"Retry-After": "0"})
    secret = "sk-log-5e2b81"
    client = OpenAICompatibleClient(base_url=vllm.base_url, platform="vllm", api_key=secret)
    with caplog.at_level(logging.DEBUG, logger="openai_compatible_client"), client:
        client.chat.completions.create(
            model=VLLM_MODEL, messages=[{"role": "user", "content": "tell-no-one"}]
        )
    ours = [r for r in caplog.records if r.name.startswith("openai_compatible_client")]
    lines = [r.getMessage() for r in ours]
    url = vllm.base_url + "/v1/chat/completions"
    assert lines.count(f"request: POST {url}") == 2
    assert any(
        r.levelno == logging.INFO and "retrying" in r.getMessage() and "503" in r.getMessage() for r in ours
    )
    assert any(line.startswith(f"POST {url} -> 200 (") for line in lines)
    text = "\n".join(lines)
    assert secret not in text and "tell-no-one" not in text


_SCRIPT = textwrap.dedent(
    """
    import logging, sys
    from openai_compatible_client import OpenAICompatibleClient
    {setup}
    with OpenAICompatibleClient(base_url=sys.argv[1], platform="ollama", api_key="sk-sub-31") as client:
        client.chat.completions.create(model="llama3.2", messages=[{{"role": "user", "content": "hi"}}])
    """
)


def _run(setup: str, base_url: str, **env: str) -> str:
    import os

    environ = {k: v for k, v in os.environ.items() if k not in _ENV} | env
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT.format(setup=setup), base_url],
        capture_output=True,
        text=True,
        timeout=280,
        env=environ,
        check=True,
    )
    return done.stderr


# Each run imports LiteLLM in a fresh interpreter: tens of seconds on a loaded 2-core machine.
@pytest.mark.timeout(600)
def test_openai_log_debug_turns_on_our_logger(ollama: RunningServer) -> None:
    logged = _run("", ollama.base_url, OPENAI_LOG="debug")
    assert "openai_compatible_client" in logged and "POST " + ollama.base_url + "/api/chat -> 200" in logged
    assert "sk-sub-31" not in logged


@pytest.mark.timeout(600)
def test_litellm_stays_quiet_at_debug_unless_its_loggers_are_asked_for(ollama: RunningServer) -> None:
    rooted = _run("logging.basicConfig(level=logging.DEBUG)", ollama.base_url)
    names = {line.split(":")[1] for line in rooted.splitlines() if line.startswith("DEBUG:")}
    assert "openai_compatible_client" in names
    assert not {n for n in names if n.startswith("LiteLLM")}
    asked = _run(
        "logging.basicConfig(level=logging.DEBUG); logging.getLogger('LiteLLM').setLevel(logging.DEBUG)",
        ollama.base_url,
    )
    assert "LiteLLM" in asked
