"""Resource tables: sync/async twins agree, and a method of another platform is refused locally."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from openai_compatible_client.config import ClientConfig
from openai_compatible_client.errors import UnsupportedEndpointError
from openai_compatible_client.platforms import get_platform
from openai_compatible_client.platforms.base import ClientContext
from openai_compatible_client.platforms.ollama import resources as ollama
from openai_compatible_client.platforms.openai import resources as openai_style
from openai_compatible_client.platforms.vllm import resources as vllm
from openai_compatible_client.transport.http import Transport, TransportSettings

pytestmark = pytest.mark.unit

TABLES = {"vllm": vllm.RESOURCES, "ollama": ollama.RESOURCES, "openai_style": openai_style.RESOURCES}
PAIRS = [
    (f"{table}.{name}", sync, async_)
    for table, resources in TABLES.items()
    for name, (sync, async_) in resources.items()
] + [
    ("vllm.audio.transcriptions", vllm.Transcriptions, vllm.AsyncTranscriptions),
    ("vllm.audio.translations", vllm.Translations, vllm.AsyncTranslations),
]


def _public(cls: type[Any]) -> dict[str, Any]:
    return {
        name: member
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and (inspect.isfunction(member) or isinstance(member, property))
    }


def _cached(cls: type[Any]) -> set[str]:
    return {
        name
        for name in dir(cls)
        if not name.startswith("_") and type(getattr(cls, name)).__name__ == "cached_property"
    }


@pytest.mark.parametrize(("label", "sync", "async_"), PAIRS, ids=[p[0] for p in PAIRS])
def test_async_twin_has_the_same_methods_and_parameters(
    label: str, sync: type[Any], async_: type[Any]
) -> None:
    sync_methods, async_methods = _public(sync), _public(async_)
    assert set(sync_methods) == set(async_methods), label
    assert _cached(sync) == _cached(async_), label
    for name, method in sync_methods.items():
        twin = async_methods[name]
        assert inspect.iscoroutinefunction(twin), f"{label}.{name} must be async"
        assert not inspect.iscoroutinefunction(method)
        ours = list(inspect.signature(method).parameters.values())
        theirs = list(inspect.signature(twin).parameters.values())
        assert [(p.name, p.kind, p.default, p.annotation) for p in ours] == [
            (p.name, p.kind, p.default, p.annotation) for p in theirs
        ], f"{label}.{name}"
        assert method.__doc__ and twin.__doc__, f"{label}.{name} needs a docstring"


def test_tables_name_the_resources_the_facade_exposes() -> None:
    assert set(vllm.RESOURCES) == {
        "models",
        "tokenizer",
        "pooling",
        "classification",
        "score",
        "rerank",
        "audio",
        "server",
        "lora",
        "responses",
        "messages",
    }
    assert set(ollama.RESOURCES) == {
        "models",
        "blobs",
        "server",
        "embeddings_legacy",
        "responses",
        "messages",
    }
    assert set(openai_style.RESOURCES) == {"models", "server"}


def _context(platform: str) -> ClientContext[Transport]:
    config = ClientConfig(base_url="http://127.0.0.1:9", platform=platform)
    settings = TransportSettings(root_url=config.root_url, platform=platform)
    return ClientContext(config, get_platform(platform), Transport(settings))


@pytest.mark.parametrize(
    ("platform", "resource", "method", "available_on"),
    [
        ("vllm", "models", "pull", ("ollama",)),
        ("vllm", "models", "create", ("ollama",)),
        ("vllm", "models", "running", ("ollama",)),
        ("vllm", "models", "unload", ("ollama",)),
        ("ollama", "server", "health", None),  # both have it: no refusal
    ],
)
def test_a_shared_resource_refuses_another_platforms_method(
    platform: str, resource: str, method: str, available_on: tuple[str, ...] | None
) -> None:
    context = _context(platform)
    sync_cls, async_cls = get_platform(platform).resource_table()[resource]
    for cls in (sync_cls, async_cls):
        instance = cls(context)
        if available_on is None:
            assert callable(getattr(instance, method))
            continue
        with pytest.raises(UnsupportedEndpointError) as info:
            getattr(instance, method)("llama3.2")
        error = info.value
        assert (error.method, error.platform, error.available_on) == (
            f"{resource}.{method}",
            platform,
            available_on,
        )
        assert f"{resource}.{method}()" in str(error) and "ollama" in str(error) and "'vllm'" in str(error)


def test_unknown_attributes_stay_attribute_errors() -> None:
    models = vllm.RESOURCES["models"][0](_context("vllm"))
    with pytest.raises(AttributeError):
        models.no_such_method  # noqa: B018
    with pytest.raises(AttributeError):
        models._private  # noqa: B018


def test_platforms_with_method() -> None:
    # Other platforms may be registered too (the registry is open), so check membership.
    assert {"vllm", "ollama"} <= set(openai_style.platforms_with_method("models", "list"))
    assert {"vllm", "ollama"} <= set(openai_style.platforms_with_method("server", "version"))
    assert "vllm" not in openai_style.platforms_with_method("blobs", "push")
    assert "ollama" in openai_style.platforms_with_method("blobs", "push")
    assert openai_style.platforms_with_method("models", "_send") == ()


def test_a_platform_bound_endpoint_hides_the_platform_and_keeps_the_methods_text() -> None:
    for cls in (openai_style.Models, openai_style.AsyncModels):
        assert str(inspect.signature(cls.list)) == "(self) -> 'ModelList'"
        assert str(inspect.signature(cls.retrieve)) == "(self, model: 'str') -> 'ModelCard'"
        assert (
            cls.list.__doc__ == 'List the served models (``GET /v1/models``); ``r["data"][0]["id"]`` works.'
        )
    for native in (ollama.Models, ollama.AsyncModels):
        assert str(inspect.signature(native.load)) == (
            "(self, model: 'str', *, keep_alive: 'KeepAlive | None' = None) -> 'GenerateResponse'"
        )
    assert openai_style.Server.health.__qualname__ == "_ServerEndpoints.health"
    assert inspect.iscoroutinefunction(openai_style.AsyncServer.health)
