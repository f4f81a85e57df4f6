"""Secrets and trust: the API key never leaks; the client refuses what would redirect a request.

Every place a key could surface is scanned for it: ``repr``/``str`` of clients and configs,
every log record at DEBUG (the library's, urllib3's, httpx's), exception messages and reprs,
pickles and JSON dumps of the config, LangChain serialisation.
"""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
from typing import Any

import pytest

from openai_compatible_client import AsyncOpenAICompatibleClient, ClientConfig, OpenAICompatibleClient
from openai_compatible_client import errors as E
from tests.reliability.conftest import API_KEY
from tests.support.faults import FaultServer, closed_port_url

MESSAGES = [{"role": "user", "content": "hi there"}]


def _scan(*texts: Any) -> None:
    for text in texts:
        assert API_KEY not in str(text), f"the key leaked into: {str(text)[:200]}"


def _exercise_sync(url: str, platform: str) -> list[BaseException]:
    """Successful and failing calls of several kinds; returns the errors raised."""
    errors: list[BaseException] = []
    with OpenAICompatibleClient(
        base_url=url, api_key=API_KEY, platform=platform, max_retries=1, timeout=1
    ) as c:
        _scan(
            repr(c), str(c), repr(c.config), str(c.config), c.config.model_dump(), c.config.model_dump_json()
        )
        for call in (
            lambda: c.chat.completions.create(model="m", messages=MESSAGES),
            lambda: list(c.chat.completions.create(model="m", messages=MESSAGES, stream=True)),
            lambda: c.embeddings.create(model="m", input="x"),
        ):
            try:
                call()
            except Exception as exc:
                errors.append(exc)
    return errors


@pytest.mark.parametrize("platform", ["vllm", "ollama"])
def test_key_not_in_logs_errors_reprs(
    faults: FaultServer, platform: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "httpx", "httpcore", "openai_compatible_client", "LiteLLM", "requests"):
        caplog.set_level(logging.DEBUG, logger=name)  # restored after the test
    chat = "/v1/chat/completions" if platform == "vllm" else "/api/chat"
    errors = _exercise_sync(faults.url, platform)  # correct answers
    faults.plan(chat, "status", status=401)
    errors += _exercise_sync(faults.url, platform)  # 401s
    faults.plan(chat, "cut", after=1)
    errors += _exercise_sync(faults.url, platform)  # broken streams
    errors += _exercise_sync(closed_port_url(), platform)  # refused

    async def run_async() -> None:
        async with AsyncOpenAICompatibleClient(
            base_url=faults.url, api_key=API_KEY, platform=platform, max_retries=0
        ) as client:
            _scan(repr(client))
            try:
                await client.chat.completions.create(model="m", messages=MESSAGES)
            except Exception as exc:
                errors.append(exc)

    asyncio.run(run_async())
    assert errors and all(isinstance(e, E.OpenAICompatibleError) for e in errors), errors
    for error in errors:
        chain: BaseException | None = error
        while chain is not None:  # the error and every cause behind it
            _scan(str(chain), repr(chain), getattr(chain, "body", None), getattr(chain, "message", None))
            request = getattr(chain, "request", None)
            if request is not None and isinstance(chain, E.OpenAICompatibleError):
                _scan(dict(request.headers))
            chain = chain.__cause__ or chain.__context__
    assert caplog.records, "DEBUG logging was captured"
    _scan(caplog.text, *(r.getMessage() for r in caplog.records), *(r.args for r in caplog.records))
    assert faults.stats()["auth"][0] is True, "the key was sent to the server itself"


def test_config_serialisation_hides_the_key() -> None:
    config = ClientConfig(base_url="http://127.0.0.1:9", api_key=API_KEY, platform="vllm")
    assert config.secret() == API_KEY
    _scan(
        repr(config),
        str(config),
        config.model_dump(),
        config.model_dump_json(),
        json.dumps(config.model_dump(), default=str),
    )
    try:
        data = pickle.dumps(config)
    except (TypeError, pickle.PicklingError):
        return  # refusing to pickle is fine too
    _scan(data.decode("latin-1"))


def test_client_cannot_be_pickled_with_its_key() -> None:
    client = OpenAICompatibleClient(base_url="http://127.0.0.1:9", api_key=API_KEY, platform="vllm")
    with client, pytest.raises(TypeError):
        pickle.dumps(client)


def test_langchain_serialisation_hides_the_key() -> None:
    langchain = pytest.importorskip("openai_compatible_client.integrations.langchain")
    from langchain_core.load import dumpd, dumps

    for cls in (langchain.ChatOpenAICompatible, langchain.OpenAICompatibleEmbeddings):
        try:
            model = cls(base_url="http://127.0.0.1:9", api_key=API_KEY, platform="vllm", model="m")
        except TypeError:
            model = cls(base_url="http://127.0.0.1:9", api_key=API_KEY, platform="vllm")
        _scan(repr(model), str(model))
        if getattr(model, "is_lc_serializable", lambda: False)():
            _scan(dumpd(model), dumps(model))
        _scan(model.model_dump(), model.model_dump_json())


def test_tls_verification_on_by_default_off_only_explicitly() -> None:
    assert ClientConfig(base_url="https://example.invalid").verify_tls is True
    assert ClientConfig(base_url="https://example.invalid", verify_tls=False).verify_tls is False
    with OpenAICompatibleClient(base_url="https://127.0.0.1:9", platform="vllm") as client:
        assert client.config.verify_tls is True
        assert client._context.transport._session.verify is True


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("platform", ["vllm", "ollama"])
def test_authorization_not_forwarded_on_redirect_to_another_host(
    faults: FaultServer, mode: str, platform: str
) -> None:
    path = "/v1/chat/completions" if platform == "vllm" else "/api/chat"
    faults.plan(path, "redirect")
    if mode == "sync":
        with OpenAICompatibleClient(
            base_url=faults.url, api_key=API_KEY, platform=platform, max_retries=0
        ) as c:
            c.chat.completions.create(model="m", messages=MESSAGES)
    else:

        async def run() -> None:
            async with AsyncOpenAICompatibleClient(
                base_url=faults.url, api_key=API_KEY, platform=platform, max_retries=0
            ) as c:
                await c.chat.completions.create(model="m", messages=MESSAGES)

        asyncio.run(run())
    assert faults.stats()["auth"] == [True]
    assert faults.stats(other=True)["auth"] == [False]


BAD_NAMES = ["../api/delete", "a?b=c", "a#frag", "a b", "a\nb", "a\x00b", "/abs", "a/../../x", "%2e%2e/x"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_names_that_would_change_the_url_are_refused_before_any_request(
    faults: FaultServer, name: str
) -> None:
    """Model names and digests become URL path parts or fields of platform routes: refused locally."""
    with OpenAICompatibleClient(base_url=faults.url, platform="ollama", max_retries=0) as ollama:
        calls = (
            lambda: ollama.models.info(name),
            lambda: ollama.models.delete(name),
            lambda: ollama.models.copy(name, "dest"),
            lambda: ollama.models.pull(name),
            lambda: ollama.blobs.check("sha256:" + name),
        )
        for call in calls:
            with pytest.raises(E.InvalidRequestError):
                call()
    assert sum(faults.stats()["counts"].values()) == 0, faults.stats()["counts"]
