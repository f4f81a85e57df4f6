"""llama.cpp platform, pure parts: the entry, the builders, the sync/async twins, the answer mappings."""

from __future__ import annotations

import inspect

import pytest

from openai_compatible_client import errors as E
from openai_compatible_client.platforms import get_platform
from openai_compatible_client.platforms.llamacpp import endpoints as ep
from openai_compatible_client.platforms.llamacpp.inference import completion_logprobs
from openai_compatible_client.platforms.llamacpp.types import Metrics

pytestmark = pytest.mark.unit

ENTRY = get_platform("llamacpp")


def test_entry_routes_every_kind_through_litellms_llamafile_provider() -> None:
    assert ENTRY.providers == ("llamafile",)
    assert ENTRY.probe is not None and ENTRY.probe.path == "/props"
    assert "suffix" in ENTRY.unsupported


@pytest.mark.parametrize(("sync_cls", "async_cls"), list(ENTRY.resources.values()), ids=list(ENTRY.resources))
def test_async_twins_have_the_same_methods_and_parameters(sync_cls: type, async_cls: type) -> None:
    def public(cls: type) -> dict[str, list[tuple[str, object]]]:
        return {
            name: [(p.name, p.default) for p in inspect.signature(member).parameters.values()]
            for name, member in inspect.getmembers(cls, inspect.isfunction)
            if not name.startswith("_")
        }

    assert public(sync_cls) == public(async_cls)
    for name, member in inspect.getmembers(async_cls, inspect.isfunction):
        if not name.startswith("_"):
            assert inspect.iscoroutinefunction(member), name


def test_builders_make_the_documented_bodies() -> None:
    assert ep.tokenize_call("hi", add_special=True).json == {"content": "hi", "add_special": True}
    assert ep.detokenize_call([1, 2]).json == {"tokens": [1, 2]}
    assert ep.completion_call("p", stop="x", n_predict=3, extra_body={"mirostat": 2}).json == {
        "prompt": "p",
        "n_predict": 3,
        "stream": False,
        "stop": ["x"],
        "mirostat": 2,
    }
    streamed = ep.completion_call("p", stream=True)
    assert (streamed.path, streamed.framing, streamed.json) == (
        "/completion",
        "sse",
        {"prompt": "p", "stream": True},
    )
    assert ep.infill_call("a", "b").json == {
        "input_prefix": "a",
        "input_suffix": "b",
        "prompt": "",
        "stream": False,
    }
    assert ep.reranking_call("q", ["d"], top_n=1).json == {"query": "q", "documents": ["d"], "top_n": 1}
    assert ep.metrics_call().framing == "bytes"
    assert ep.set_lora_adapters_call([{"id": 1, "scale": 0.5}]).json == [{"id": 1, "scale": 0.5}]


@pytest.mark.parametrize(
    "build",
    [
        lambda: ep.tokenize_call(3),  # type: ignore[arg-type]
        lambda: ep.detokenize_call(["a"]),  # type: ignore[list-item]
        lambda: ep.apply_template_call([]),
        lambda: ep.completion_call("p", n_predict=-2),
        lambda: ep.reranking_call("q", "one document"),
        lambda: ep.reranking_call("q", []),
        lambda: ep.set_lora_adapters_call({"id": 0, "scale": 1}),  # type: ignore[arg-type]
        lambda: ep.set_lora_adapters_call([{"id": -1, "scale": 1}]),
    ],
)
def test_bad_input_is_a_typed_error_before_any_io(build: object) -> None:
    with pytest.raises(E.InvalidRequestError):
        build()  # type: ignore[operator]


def test_completion_logprobs_in_the_completions_form() -> None:
    content = [
        {
            "id": 1,
            "token": "Hi",
            "bytes": [72, 105],
            "logprob": -0.5,
            "top_logprobs": [{"token": "Hi", "logprob": -0.5}],
        },
        {"id": 2, "token": " you", "bytes": [], "logprob": -1.5, "top_logprobs": []},
    ]

    assert completion_logprobs({"content": content}) == {
        "tokens": ["Hi", " you"],
        "token_logprobs": [-0.5, -1.5],
        "top_logprobs": [{"Hi": -0.5}, {}],
        "text_offset": [0, 2],
    }
    assert completion_logprobs(None) is None


def test_metrics_parse_prometheus_text() -> None:
    text = (
        "# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.\n"
        "# TYPE llamacpp:prompt_tokens_total counter\n"
        "llamacpp:prompt_tokens_total 12\n"
        "llamacpp:requests_processing 0\n"
    )
    metrics = Metrics.parse(text)

    assert metrics["llamacpp:prompt_tokens_total"] == 12.0
    assert metrics.samples == {"llamacpp:prompt_tokens_total": 12.0, "llamacpp:requests_processing": 0.0}
    assert metrics["text"] == text
