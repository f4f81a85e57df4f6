"""Exact vLLM framing, status codes and error bodies, and the vLLM-only routes, over raw HTTP."""

from __future__ import annotations

import json
import struct
from typing import Any

import pytest
import requests

from tests.support.reference import VLLM_MODEL, RunningServer

pytestmark = pytest.mark.contract
CHAT = [{"role": "user", "content": "hi there"}]


def post(server: RunningServer, path: str, body: Any, **kwargs: Any) -> requests.Response:
    return requests.post(server.base_url + path, json=body, timeout=10, **kwargs)


def test_sse_framing_and_done(vllm_server: RunningServer) -> None:
    r = post(vllm_server, "/v1/chat/completions", {"model": VLLM_MODEL, "messages": CHAT, "stream": True})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    events = r.text.split("\n\n")
    assert events[-1] == "" and events[-2] == "data: [DONE]"
    payloads = [json.loads(e[len("data: ") :]) for e in events[:-2]]
    assert all(e.startswith("data: ") for e in events[:-1])
    assert payloads[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert payloads[0]["choices"][0]["finish_reason"] is None and "logprobs" in payloads[0]["choices"][0]
    last = payloads[-1]["choices"][0]
    assert (last["finish_reason"], last["stop_reason"]) == ("stop", None)
    assert "system_fingerprint" in payloads[-1] and "system_fingerprint" not in payloads[1]


def test_continuous_usage_and_request_id(vllm_server: RunningServer) -> None:
    body = {
        "model": VLLM_MODEL,
        "messages": CHAT,
        "stream": True,
        "stream_options": {"include_usage": True, "continuous_usage_stats": True},
    }
    r = post(vllm_server, "/v1/chat/completions", body, headers={"X-Request-Id": "abc"})
    payloads = [json.loads(e[6:]) for e in r.text.split("\n\n") if e.startswith("data: {")]
    assert {p["id"] for p in payloads} == {"chatcmpl-abc"}
    assert all("usage" in p for p in payloads)
    assert payloads[-1]["choices"] == [] and payloads[-1]["usage"]["completion_tokens"] == 4
    assert "x-request-id" not in r.headers


def test_non_stream_keeps_null_keys(vllm_server: RunningServer) -> None:
    body = post(vllm_server, "/v1/chat/completions", {"messages": CHAT}).json()
    assert body["model"] == VLLM_MODEL  # model is optional on vLLM
    message = body["choices"][0]["message"]
    assert message["refusal"] is None and message["reasoning"] is None and "tool_calls" not in message
    assert body["service_tier"] is None and body["choices"][0]["stop_reason"] is None


def test_non_stream_null_fields_as_real_vllm_sends_them(vllm_server: RunningServer) -> None:
    chat = post(vllm_server, "/v1/chat/completions", {"messages": CHAT}).json()
    for key in ("prompt_text", "ec_transfer_params", "metrics", "kv_transfer_params", "prompt_token_ids"):
        assert chat[key] is None, key
    assert chat["choices"][0]["token_ids"] is None and chat["choices"][0]["routed_experts"] is None
    assert (
        chat["usage"]["prompt_tokens_details"] is None and chat["usage"]["completion_tokens_details"] is None
    )
    text = post(vllm_server, "/v1/completions", {"prompt": "hi"}).json()
    assert text["metrics"] is None and text["ec_transfer_params"] is None
    assert text["choices"][0]["routed_experts"] is None
    assert text["usage"]["completion_tokens_details"] is None
    embedded = post(vllm_server, "/v1/embeddings", {"input": "hi"}).json()
    assert embedded["usage"]["completion_tokens_details"] is None


def test_forced_tool_choice_sends_empty_content(vllm_server: RunningServer) -> None:
    tool = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}
    body = {"messages": CHAT, "tools": [tool], "tool_choice": "required"}
    message = post(vllm_server, "/v1/chat/completions", body).json()["choices"][0]["message"]
    assert message["content"] == "" and message["tool_calls"][0]["function"]["name"] == "get_time"
    named = {**body, "tool_choice": {"type": "function", "function": {"name": "get_time"}}}
    assert post(vllm_server, "/v1/chat/completions", named).json()["choices"][0]["message"]["content"] == ""
    auto = {"messages": [{"role": "user", "content": "get_time please"}], "tools": [tool]}
    assert post(vllm_server, "/v1/chat/completions", auto).json()["choices"][0]["message"]["content"] is None


def test_stream_chunk_fields(vllm_server: RunningServer) -> None:
    body = {"messages": CHAT, "stream": True, "stream_options": {"include_usage": True}}
    chat = [
        json.loads(e[6:]) for e in post(vllm_server, "/v1/chat/completions", body).text.split("\n\n")[:-2]
    ]
    assert chat[0]["prompt_token_ids"] is None and chat[0]["prompt_text"] is None
    assert "token_ids" not in chat[0]["choices"][0]
    assert all(c["choices"][0]["token_ids"] is None for c in chat[1:-1])
    assert set(chat[-1]["usage"]) == {"prompt_tokens", "total_tokens", "completion_tokens"}
    text = [
        json.loads(e[6:])
        for e in post(vllm_server, "/v1/completions", {**body, "prompt": "hi"}).text.split("\n\n")[:-2]
    ]
    choice = text[0]["choices"][0]
    assert choice["prompt_token_ids"] is None and choice["token_ids"] is None


def test_error_bodies(vllm_server: RunningServer) -> None:
    r = post(vllm_server, "/v1/chat/completions", {"model": "ghost", "messages": CHAT})
    assert r.status_code == 404
    assert r.json() == {
        "error": {
            "message": f"The model `ghost` does not exist. Valid aliases: {VLLM_MODEL}.",
            "type": "NotFoundError",
            "param": "model",
            "code": 404,
        }
    }
    pooled = post(vllm_server, "/v1/embeddings", {"model": "ghost", "input": "x"})
    assert pooled.status_code == 404
    assert pooled.json() == {
        "error": {
            "message": "The model `ghost` does not exist.",
            "type": "NotFoundError",
            "param": None,
            "code": 404,
        }
    }
    missing = post(vllm_server, "/v1/chat/completions", {"model": VLLM_MODEL})
    assert missing.status_code == 400
    error = missing.json()["error"]
    assert (error["type"], error["param"], error["code"]) == ("Bad Request", "body.messages", 400)
    assert error["message"].startswith("1 validation error:\n  {'type': 'missing'")
    wrong_type = requests.post(
        vllm_server.base_url + "/v1/chat/completions",
        data="{}",
        headers={"Content-Type": "text/plain"},
        timeout=10,
    )
    assert wrong_type.status_code == 400
    assert "Unsupported Media Type" in wrong_type.json()["error"]["message"]
    empty_tools = post(vllm_server, "/v1/chat/completions", {"messages": CHAT, "tools": []})
    assert empty_tools.status_code == 400
    choice_alone = post(vllm_server, "/v1/chat/completions", {"messages": CHAT, "tool_choice": "auto"})
    assert choice_alone.status_code == 400 and choice_alone.json()["error"]["param"] == "tool_choice"


def test_unknown_route_and_method(vllm_server: RunningServer) -> None:
    r = requests.get(vllm_server.base_url + "/v1/nothing", timeout=10)
    assert (r.status_code, r.json()) == (404, {"detail": "Not Found"})
    r = requests.get(vllm_server.base_url + "/v1/chat/completions", timeout=10)
    assert (r.status_code, r.json()) == (405, {"detail": "Method Not Allowed"})


def test_api_key_only_guards_v1_prefixes(reference_server_factory) -> None:  # type: ignore[no-untyped-def]
    server = reference_server_factory("vllm", api_key="k1")
    r = requests.get(server.base_url + "/v1/models", timeout=10)
    assert (r.status_code, r.json()) == (401, {"error": "Unauthorized"})
    assert requests.get(server.base_url + "/v1/models", headers={"Authorization": "bearer k1"}, timeout=10).ok
    assert requests.get(server.base_url + "/health", timeout=10).status_code == 200
    assert requests.post(server.base_url + "/tokenize", json={"prompt": "a"}, timeout=10).ok


def test_info_routes(vllm_server: RunningServer) -> None:
    base = vllm_server.base_url
    assert requests.get(base + "/version", timeout=10).json() == {"version": "0.33.0"}
    health = requests.get(base + "/health", timeout=10)
    assert (health.status_code, health.content) == (200, b"")
    assert requests.post(base + "/ping", timeout=10).status_code == 200
    assert "vllm:" in requests.get(base + "/metrics", timeout=10).text
    card = requests.get(base + "/v1/models", timeout=10).json()["data"][0]
    assert card["max_model_len"] > 0 and card["permission"][0]["object"] == "model_permission"


def test_tokenize_detokenize_agree_with_usage(vllm_server: RunningServer) -> None:
    tok = post(
        vllm_server,
        "/tokenize",
        {"model": VLLM_MODEL, "prompt": "hello big world", "return_token_strs": True},
    )
    body = tok.json()
    assert body["count"] == 4 and body["token_strs"] == ["<s>", "hello", " big", " world"]
    assert post(vllm_server, "/detokenize", {"tokens": body["tokens"][1:]}).json() == {
        "prompt": "hello big world"
    }
    chat_tokens = post(vllm_server, "/tokenize", {"messages": CHAT}).json()
    usage = post(vllm_server, "/v1/chat/completions", {"messages": CHAT}).json()["usage"]
    assert chat_tokens["count"] == usage["prompt_tokens"] and chat_tokens["token_strs"] is None
    bad = post(vllm_server, "/detokenize", {"tokens": [-1]})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "body.tokens.0"


def test_pooling_classify_score_rerank(vllm_server: RunningServer) -> None:
    pooled = post(vllm_server, "/pooling", {"input": ["a", "b"]}).json()
    assert pooled["id"].startswith("pooling-") and len(pooled["data"][1]["data"]) == 16
    classified = post(vllm_server, "/classify", {"input": "great"}).json()["data"][0]
    assert classified["label"] in ("negative", "positive") and classified["num_classes"] == 2
    assert abs(sum(classified["probs"]) - 1) < 1e-6
    for path, body in (
        ("/score", {"queries": "cats", "documents": ["cats", "dogs"]}),
        ("/v1/score", {"text_1": "cats", "text_2": ["cats", "dogs"]}),
    ):
        data = post(vllm_server, path, body).json()["data"]
        assert [d["index"] for d in data] == [0, 1] and data[0]["score"] > data[1]["score"]
    for path in ("/rerank", "/v1/rerank", "/v2/rerank"):
        reranked = post(
            vllm_server, path, {"query": "cats", "documents": ["dogs", "cats", "fish"], "top_n": 2}
        ).json()
        assert reranked["results"][0]["index"] == 1 and len(reranked["results"]) == 2
        assert reranked["results"][0]["document"] == {"text": "cats", "multi_modal": None}


def test_audio_transcription_and_translation(vllm_server: RunningServer) -> None:
    audio = b"RIFF" + bytes(64000)
    url = vllm_server.base_url + "/v1/audio/transcriptions"
    r = requests.post(url, files={"file": ("a.wav", audio)}, data={"model": VLLM_MODEL}, timeout=10)
    body = r.json()
    assert body["text"].startswith("Reference transcript ") and body["usage"] == {
        "type": "duration",
        "seconds": 3,
    }
    verbose = requests.post(
        url, files={"file": ("a.wav", audio)}, data={"response_format": "verbose_json"}, timeout=10
    )
    assert verbose.json()["language"] == "en" and verbose.json()["segments"][0]["text"] == body["text"]
    streamed = requests.post(url, files={"file": ("a.wav", audio)}, data={"stream": "true"}, timeout=10)
    events = [e for e in streamed.text.split("\n\n") if e]
    assert events[-1] == "data: [DONE]"
    text = "".join(json.loads(e[6:])["choices"][0]["delta"]["content"] for e in events[:-1])
    assert text == body["text"]
    srt = requests.post(url, files={"file": ("a.wav", audio)}, data={"response_format": "srt"}, timeout=10)
    assert srt.status_code == 400
    translated = requests.post(
        vllm_server.base_url + "/v1/audio/translations", files={"file": ("a.wav", audio)}, timeout=10
    ).json()
    assert translated["text"].startswith("Reference translation ") and "usage" not in translated


def test_fault_injection(vllm_server: RunningServer) -> None:
    vllm_server.add_fault(
        path="/v1/models", status=429, headers={"Retry-After": "2"}, body={"error": "slow down"}
    )
    r = requests.get(vllm_server.base_url + "/v1/models", timeout=10)
    assert (r.status_code, r.headers["retry-after"]) == (429, "2")
    assert requests.get(vllm_server.base_url + "/v1/models", timeout=10).ok
    vllm_server.add_fault(path="/v1/chat/completions", after_chunks=2, then="error", message="boom")
    r = post(vllm_server, "/v1/chat/completions", {"messages": CHAT, "stream": True})
    events = [e for e in r.text.split("\n\n") if e]
    assert json.loads(events[-2][6:])["error"]["message"] == "boom" and events[-1] == "data: [DONE]"
    vllm_server.add_fault(path="/v1/chat/completions", after_chunks=1, then="close")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        post(vllm_server, "/v1/chat/completions", {"messages": CHAT, "stream": True})


def test_embedding_bytes_follow_endianness(vllm_server: RunningServer) -> None:
    floats = post(vllm_server, "/v1/embeddings", {"input": "alpha"}).json()["data"][0]["embedding"]
    big = post(
        vllm_server, "/v1/embeddings", {"input": "alpha", "encoding_format": "bytes", "endianness": "big"}
    )
    meta = json.loads(big.headers["metadata"])
    assert meta["data"][0]["endianness"] == "big" and set(meta["usage"]) == {"prompt_tokens", "total_tokens"}
    assert list(struct.unpack(f">{len(floats)}f", big.content)) == floats
    default = post(vllm_server, "/v1/embeddings", {"input": "alpha", "encoding_format": "bytes"})
    assert json.loads(default.headers["metadata"])["data"][0]["endianness"] == "native"
    wrong = post(vllm_server, "/v1/embeddings", {"input": "alpha", "endianness": "middle"})
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "body.endianness"


def test_greedy_sampling_allows_one_choice(vllm_server: RunningServer) -> None:
    greedy = post(vllm_server, "/v1/completions", {"prompt": "hi", "n": 2, "temperature": 0})
    assert greedy.status_code == 400
    assert greedy.json()["error"]["message"] == "n must be 1 when using greedy sampling, got 2."
    sampled = post(vllm_server, "/v1/chat/completions", {"messages": CHAT, "n": 2, "temperature": 0.5})
    assert len(sampled.json()["choices"]) == 2
