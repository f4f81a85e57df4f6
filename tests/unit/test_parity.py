"""The async twins keep the sync classes' methods and signatures, so they cannot drift apart."""

from __future__ import annotations

import inspect

import pytest

from openai_compatible_client import client as facade
from openai_compatible_client.platforms import get_platform

PAIRS = [
    (facade.OpenAICompatibleClient, facade.AsyncOpenAICompatibleClient),
    (facade.ChatCompletions, facade.AsyncChatCompletions),
    (facade.Completions, facade.AsyncCompletions),
    (facade.Embeddings, facade.AsyncEmbeddings),
]
for _platform in ("vllm", "ollama", "llamacpp", "openai"):
    PAIRS.extend(get_platform(_platform).resource_table().values())


def _public(cls: type) -> dict[str, inspect.Signature]:
    methods = {}
    for name, member in inspect.getmembers(cls):
        if name.startswith("_") or not callable(member) or isinstance(member, type):
            continue
        methods[name] = inspect.signature(member)
    return methods


@pytest.mark.parametrize(("sync_cls", "async_cls"), PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_async_twin_has_identical_methods(sync_cls: type, async_cls: type) -> None:
    sync_methods, async_methods = _public(sync_cls), _public(async_cls)
    assert sorted(sync_methods) == sorted(async_methods)
    for name, signature in sync_methods.items():
        assert [p.name for p in signature.parameters.values()] == [
            p.name for p in async_methods[name].parameters.values()
        ], name
        assert [p.default for p in signature.parameters.values()] == [
            p.default for p in async_methods[name].parameters.values()
        ], name


def test_async_methods_are_coroutines() -> None:
    for _, async_cls in PAIRS:
        for name, member in inspect.getmembers(async_cls):
            if name.startswith("_") or not inspect.isfunction(member):
                continue
            if name in ("with_options", "copy"):
                continue
            assert inspect.iscoroutinefunction(member) or inspect.isasyncgenfunction(member), (
                f"{async_cls.__name__}.{name}"
            )
