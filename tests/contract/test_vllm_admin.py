"""vLLM's serving-admin endpoints (LoRA, tokenizer info, ping, load, metrics, sleep mode) against the
reference server, sync and async: the request that arrived and what came back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openai_compatible_client import errors as E
from openai_compatible_client.platforms.vllm.admin_types import (
    IsSleepingResponse,
    Metrics,
    ServerLoadResponse,
    SleepResponse,
    TokenizerInfoResponse,
    WakeUpResponse,
)
from tests.contract.conftest import OLLAMA_MODEL, VLLM_MODEL
from tests.contract.facade import invoke
from tests.support.reference import RunningServer

pytestmark = pytest.mark.contract

MODES = ["sync", "async"]
USER = [{"role": "user", "content": "hi"}]


def call(mode: str, server: RunningServer, path: str, **kwargs: Any) -> Any:
    return invoke(mode, server.base_url + "/v1", "vllm", path, **kwargs)


def seen(server: RunningServer) -> list[tuple[str, str, Any]]:
    return [(r["method"], r["path"], r["json"]) for r in server.requests()]


@pytest.mark.parametrize("mode", MODES)
def test_lora_load_use_unload(mode: str, vllm: RunningServer, tmp_path: Path) -> None:
    name = f"adapter-{mode}"
    loaded = call(mode, vllm, "lora.load", lora_name=name, lora_path=str(tmp_path))
    assert loaded == f"Success: LoRA adapter '{name}' added successfully."
    listed = call(mode, vllm, "models.list")
    card = next(m for m in listed.data if m.id == name)
    assert card["parent"] == VLLM_MODEL and card["root"] == str(tmp_path)
    chat = call(mode, vllm, "chat.completions.create", model=name, messages=USER)
    assert chat.model == name
    with pytest.raises(E.BadRequestError, match="has already been loaded"):
        call(mode, vllm, "lora.load", lora_name=name, lora_path=str(tmp_path))
    unloaded = call(mode, vllm, "lora.unload", lora_name=name)
    assert unloaded == f"Success: LoRA adapter '{name}' removed successfully."
    with pytest.raises(E.NotFoundError, match="cannot be found"):
        call(mode, vllm, "lora.unload", lora_name=name)
    with pytest.raises(E.NotFoundError, match="does not exist"):
        call(mode, vllm, "chat.completions.create", model=name, messages=USER)
    lora = [(m, p, j) for m, p, j in seen(vllm) if "lora" in p]
    assert lora == [
        ("POST", "/v1/load_lora_adapter", {"lora_name": name, "lora_path": str(tmp_path)}),
        ("POST", "/v1/load_lora_adapter", {"lora_name": name, "lora_path": str(tmp_path)}),
        ("POST", "/v1/unload_lora_adapter", {"lora_name": name}),
        ("POST", "/v1/unload_lora_adapter", {"lora_name": name}),
    ]


@pytest.mark.parametrize("mode", MODES)
def test_lora_bad_path_and_bad_input(mode: str, vllm: RunningServer, tmp_path: Path) -> None:
    with pytest.raises(E.NotFoundError, match="No adapter found"):
        call(mode, vllm, "lora.load", lora_name="x", lora_path=str(tmp_path / "missing"))
    vllm.clear()
    with pytest.raises(E.InvalidRequestError, match="lora_name"):
        call(mode, vllm, "lora.load", lora_name="", lora_path=str(tmp_path))
    assert vllm.requests() == []


@pytest.mark.parametrize("mode", MODES)
def test_tokenizer_info(mode: str, vllm: RunningServer) -> None:
    info = call(mode, vllm, "tokenizer.info")
    assert isinstance(info, TokenizerInfoResponse)
    assert info.tokenizer_class and info.chat_template and info["eos_token"] == "<|im_end|>"
    assert seen(vllm) == [("GET", "/tokenizer_info", None)]


@pytest.mark.parametrize("mode", MODES)
def test_ping_and_load(mode: str, vllm: RunningServer) -> None:
    assert call(mode, vllm, "ping") is True
    load = call(mode, vllm, "load")
    assert isinstance(load, ServerLoadResponse) and load.server_load == 0
    assert seen(vllm) == [("GET", "/ping", None), ("GET", "/load", None)]


@pytest.mark.parametrize("mode", MODES)
def test_metrics_are_parsed(mode: str, vllm: RunningServer) -> None:
    metrics = call(mode, vllm, "metrics")
    assert isinstance(metrics, Metrics)
    assert metrics.value("vllm:num_requests_running", model_name=VLLM_MODEL) == 0.0
    success = metrics["vllm:request_success_total"]
    assert {s.labels["finished_reason"] for s in success} >= {"stop", "length"}
    assert metrics.families["vllm:request_success"].type == "counter"
    assert "vllm:nothing_like_this" not in metrics
    assert seen(vllm) == [("GET", "/metrics", None)]


@pytest.mark.parametrize("mode", MODES)
def test_sleep_wake_up_is_sleeping(mode: str, vllm: RunningServer) -> None:
    assert call(mode, vllm, "is_sleeping") == IsSleepingResponse(is_sleeping=False)
    slept = call(mode, vllm, "sleep", level=2)
    assert isinstance(slept, SleepResponse) and slept.status == "sleeping" and slept.level == 2
    assert call(mode, vllm, "is_sleeping").is_sleeping is True
    woke = call(mode, vllm, "wake_up")
    assert isinstance(woke, WakeUpResponse) and woke.status == "awake"
    assert call(mode, vllm, "is_sleeping").is_sleeping is False
    requests = [(r["method"], r["path"], r["query"]) for r in vllm.requests()]
    assert requests == [
        ("GET", "/is_sleeping", {}),
        ("POST", "/sleep", {"level": "2"}),
        ("GET", "/is_sleeping", {}),
        ("POST", "/wake_up", {}),
        ("GET", "/is_sleeping", {}),
    ]
    with pytest.raises(E.InvalidRequestError, match="level"):
        call(mode, vllm, "sleep", level=3)


@pytest.mark.parametrize("mode", MODES)
def test_admin_calls_on_ollama_are_refused_before_any_request(mode: str, ollama: RunningServer) -> None:
    for path, kwargs in (("ping", {}), ("metrics", {}), ("sleep", {"level": 1}), ("tokenizer.info", {})):
        with pytest.raises(E.UnsupportedEndpointError, match="vllm"):
            invoke(mode, ollama.base_url, "ollama", path, **kwargs)
    with pytest.raises(E.UnsupportedEndpointError):
        invoke(mode, ollama.base_url, "ollama", "lora.load", lora_name="a", lora_path="/x")
    assert ollama.requests() == []


@pytest.mark.parametrize("mode", MODES)
def test_ollama_create_sends_the_new_fields(mode: str, ollama: RunningServer) -> None:
    name = f"renderer-{mode}"
    result = invoke(
        mode,
        ollama.base_url,
        "ollama",
        "models.create",
        model=name,
        from_=OLLAMA_MODEL,
        renderer="qwen3-coder",
        parser="qwen3-coder",
        requires="0.12.0",
        info={"family": "test"},
        extra_body={"future_field": 1},
    )
    assert result.status == "success"
    body = next(r["json"] for r in ollama.requests() if r["path"] == "/api/create")
    assert body == {
        "model": name,
        "stream": False,
        "renderer": "qwen3-coder",
        "parser": "qwen3-coder",
        "requires": "0.12.0",
        "info": {"family": "test"},
        "from": OLLAMA_MODEL,
        "future_field": 1,
    }
    invoke(mode, ollama.base_url, "ollama", "models.delete", model=name, extra_body={"x": True})
    delete = next(r["json"] for r in ollama.requests() if r["path"] == "/api/delete")
    assert delete == {"model": name, "x": True}
