"""The official ``ollama`` Python package against the reference server's Ollama side."""

from __future__ import annotations

import hashlib
import math
import uuid
from pathlib import Path

import ollama
import pytest

from tests.support.reference import OLLAMA_MODEL, RunningServer

pytestmark = pytest.mark.contract
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def client(ollama_server: RunningServer) -> ollama.Client:
    return ollama.Client(host=ollama_server.base_url)


def test_chat_reply_and_counters(client: ollama.Client) -> None:
    r = client.chat(model=OLLAMA_MODEL, messages=[{"role": "user", "content": "Why is the sky blue?"}])
    assert r.message.role == "assistant" and r.message.content == "You said: Why is the sky blue?"
    assert r.done and r.done_reason == "stop"
    assert (r.prompt_eval_count, r.eval_count) == (8, 7)
    assert all(
        (x or 0) > 0 for x in (r.total_duration, r.load_duration, r.prompt_eval_duration, r.eval_duration)
    )
    assert r.created_at and r.created_at.endswith("Z")


def test_chat_stream_images_options(client: ollama.Client) -> None:
    parts = list(
        client.chat(
            model=OLLAMA_MODEL,
            messages=[{"role": "user", "content": "one two three", "images": [PNG]}],
            stream=True,
            options={"num_predict": 4},
        )
    )
    assert "".join(p.message.content for p in parts) == "You said: one two"
    assert [p.done for p in parts].count(True) == 1 and parts[-1].done_reason == "length"
    stopped = client.chat(
        model=OLLAMA_MODEL,
        messages=[{"role": "user", "content": "see", "images": [PNG, PNG]}],
        options={"stop": ["[images"]},
    )
    assert stopped.message.content == "You said: see "
    full = client.chat(model=OLLAMA_MODEL, messages=[{"role": "user", "content": "see", "images": [PNG]}])
    assert full.message.content == "You said: see [images: 1]"


def test_chat_tools_think_and_format(client: ollama.Client) -> None:
    def get_weather(city: str, days: int) -> str:
        """Weather.

        Args:
            city: the city
            days: how many days
        """
        return "sunny"

    r = client.chat(
        model=OLLAMA_MODEL,
        messages=[{"role": "user", "content": "get_weather city=Oslo"}],
        tools=[get_weather],
    )
    assert r.message.tool_calls is not None
    call = r.message.tool_calls[0]
    assert call.function.name == "get_weather" and dict(call.function.arguments) == {
        "city": "Oslo",
        "days": 1,
    }
    assert r.done_reason == "stop"
    followup = client.chat(
        model=OLLAMA_MODEL,
        messages=[
            {"role": "user", "content": "get_weather city=Oslo"},
            {"role": "assistant", "content": "", "tool_calls": [call]},
            {"role": "tool", "content": "3C", "tool_name": "get_weather"},
        ],
        tools=[get_weather],
    )
    assert followup.message.content == "Tool results: 3C"
    thought = client.chat(model=OLLAMA_MODEL, messages=[{"role": "user", "content": "hmm"}], think=True)
    assert thought.message.thinking == "Thinking about: hmm" and thought.message.content == "You said: hmm"
    as_json = client.chat(model=OLLAMA_MODEL, messages=[{"role": "user", "content": "x"}], format="json")
    assert as_json.message.content == '{"answer": "You said: x"}'
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
    assert (
        client.chat(
            model=OLLAMA_MODEL, messages=[{"role": "user", "content": "x"}], format=schema
        ).message.content
        == '{"ok": true}'
    )


def test_generate(client: ollama.Client) -> None:
    r = client.generate(model=OLLAMA_MODEL, prompt="Why is the sky blue?", options={"seed": 123})
    assert r.response == "You said: Why is the sky blue?" and r.done_reason == "stop"
    assert r.context and r.eval_count == 7
    streamed = list(client.generate(model=OLLAMA_MODEL, prompt="a b", stream=True))
    assert "".join(p.response for p in streamed) == "You said: a b"
    assert streamed[-1].done and streamed[-1].context
    raw = client.generate(model=OLLAMA_MODEL, prompt="r", raw=True)
    assert raw.context is None
    thinking = client.generate(model=OLLAMA_MODEL, prompt="q", think=True)
    assert thinking.thinking == "Thinking about: q"


def test_embed_and_legacy_embeddings(client: ollama.Client) -> None:
    r = client.embed(model=OLLAMA_MODEL, input=["first", "second"])
    assert len(r.embeddings) == 2 and all(len(v) == 16 for v in r.embeddings)
    assert all(abs(math.fsum(x * x for x in v) - 1) < 1e-5 for v in r.embeddings)
    assert r.prompt_eval_count == 2 and (r.total_duration or 0) > 0
    single = client.embed(model=OLLAMA_MODEL, input="first")
    assert single.embeddings[0] == r.embeddings[0]
    short = client.embed(model=OLLAMA_MODEL, input="first", dimensions=4)
    assert len(short.embeddings[0]) == 4
    legacy = client.embeddings(model=OLLAMA_MODEL, prompt="first")
    assert [round(x, 6) for x in legacy.embedding] == [round(x, 6) for x in r.embeddings[0]]


def test_list_show_ps_version(client: ollama.Client, ollama_server: RunningServer) -> None:
    listed = client.list()
    assert OLLAMA_MODEL + ":latest" in [m.model for m in listed.models]
    info = client.show(OLLAMA_MODEL)
    assert info.modelinfo is not None and "general.architecture" in info.modelinfo
    assert info.details is not None and info.details.family == "llama"
    assert info.capabilities and "completion" in info.capabilities
    client.generate(model=OLLAMA_MODEL, prompt="load me")
    running = client.ps()
    assert OLLAMA_MODEL + ":latest" in [m.model for m in running.models]
    client.generate(model=OLLAMA_MODEL, keep_alive=0)
    assert OLLAMA_MODEL + ":latest" not in [m.model for m in client.ps().models]
    import requests

    assert requests.get(ollama_server.base_url + "/api/version", timeout=10).json() == {"version": "0.33.0"}


def test_create_copy_delete_change_tags(client: ollama.Client) -> None:
    name = unique("custom")
    assert (
        client.create(
            model=name, from_=OLLAMA_MODEL, system="Be terse.", parameters={"temperature": 0.2}
        ).status
        == "success"
    )
    assert f"{name}:latest" in [m.model for m in client.list().models]
    shown = client.show(name)
    assert shown.modelfile and 'SYSTEM """Be terse."""' in shown.modelfile
    assert shown.parameters and "temperature" in shown.parameters
    copy = unique("copy")
    assert client.copy(name, copy).status == "success"
    assert f"{copy}:latest" in [m.model for m in client.list().models]
    assert client.delete(copy).status == "success"
    assert client.delete(name).status == "success"
    names = [m.model for m in client.list().models]
    assert f"{copy}:latest" not in names and f"{name}:latest" not in names
    with pytest.raises(ollama.ResponseError) as gone:
        client.delete(name)
    assert gone.value.status_code == 404


def test_create_progress_stream_from_blob(client: ollama.Client, tmp_path: Path) -> None:
    blob = tmp_path / "model.gguf"
    blob.write_bytes(b"GGUF" + bytes(1000))
    digest = client.create_blob(blob)
    assert digest == "sha256:" + hashlib.sha256(blob.read_bytes()).hexdigest()
    name = unique("fromfile")
    steps = list(client.create(model=name, files={"model.gguf": digest}, quantize="q4_K_M", stream=True))
    statuses = [s.status for s in steps]
    assert statuses[0] == "parsing GGUF" and statuses[-2:] == ["writing manifest", "success"]
    assert any(s and s.startswith("quantizing F16 model to Q4_K_M") for s in statuses)
    assert client.show(name).details.quantization_level == "Q4_K_M"  # type: ignore[union-attr]


def test_pull_and_push_streams(client: ollama.Client) -> None:
    name = "llava:" + unique("pulled")  # a model the simulated registry has, under a fresh tag
    steps = list(client.pull(name, stream=True))
    assert steps[0].status == "pulling manifest" and steps[-1].status == "success"
    layer_steps = [s for s in steps if s.digest]
    assert layer_steps and all(s.total for s in layer_steps)
    assert any(s.completed == s.total for s in layer_steps)
    assert name in [m.model for m in client.list().models]
    assert client.pull(name).status == "success"
    pushed = list(client.push(name, stream=True))
    assert pushed[0].status == "retrieving manifest" and pushed[-1].status == "success"
    assert client.push(name, insecure=True).status == "success"
    with pytest.raises(ollama.ResponseError) as missing:
        list(client.pull("missing-model", stream=True))
    assert "file does not exist" in str(missing.value)
    with pytest.raises(ollama.ResponseError) as failed:
        client.pull("missing-model")
    assert failed.value.status_code == 500


def test_errors(client: ollama.Client) -> None:
    with pytest.raises(ollama.ResponseError) as chat_missing:
        client.chat(model="ghost", messages=[{"role": "user", "content": "x"}])
    assert (chat_missing.value.status_code, chat_missing.value.error) == (404, "model 'ghost' not found")
    with pytest.raises(ollama.ResponseError) as embed_missing:
        client.embed(model="ghost", input="x")
    assert embed_missing.value.error == 'model "ghost" not found, try pulling it first'
    with pytest.raises(ollama.ResponseError) as show_missing:
        client.show("ghost")
    assert show_missing.value.error == "model 'ghost:latest' not found"
    with pytest.raises(ollama.ResponseError) as copy_missing:
        client.copy("ghost", "other")
    assert copy_missing.value.error == 'model "ghost" not found'


async def test_async_client(ollama_server: RunningServer) -> None:
    client = ollama.AsyncClient(host=ollama_server.base_url)
    r = await client.chat(model=OLLAMA_MODEL, messages=[{"role": "user", "content": "async"}])
    assert r.message.content == "You said: async"
    parts = [p.response async for p in await client.generate(model=OLLAMA_MODEL, prompt="x", stream=True)]
    assert "".join(parts) == "You said: x"
