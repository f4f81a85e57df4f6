"""llama-server's generation routes: OpenAI chat and completions, native ``/completion`` and ``/infill``.

Streams are SSE ``data:`` events; the OpenAI routes end with ``data: [DONE]``, the native ones
do not. Request ``model`` names are not checked (one model per server): every answer reports
the server's alias.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .llamacpp_common import (
    BUILD_INFO,
    LlamaCppContext,
    Timings,
    completion_id,
    error_body,
    generation_settings,
    int_field,
    invalid,
    message_turns,
    missing_key,
    parse_object,
    render_chat,
    sse_frame,
    stop_list,
)
from .model import Generation, chat_reply, generate, token_logprob
from .transport import AnyResponse, JSONValue, Request, Response, StreamResponse, json_bytes

_RESPONSE_TYPES = ("text", "json_object", "json_schema")


@dataclass
class Task:
    """One generation: what was asked and what the model emitted."""

    prompt_text: str
    prompt_tokens: int
    output: Generation
    n_predict: int
    n_probs: int
    stream: bool

    @property
    def finish_reason(self) -> str:
        """OpenAI's ``finish_reason``: ``length`` when ``n_predict`` cut the text."""
        return "length" if self.output.finish_reason == "length" else "stop"

    @property
    def stop_type(self) -> str:
        """The native ``stop_type``: ``limit``, ``word`` or ``eos``."""
        if self.output.finish_reason == "length":
            return "limit"
        return "word" if self.output.stop_reason else "eos"


def _n_predict(body: dict[str, Any]) -> int:
    for name in ("n_predict", "max_completion_tokens", "max_tokens"):
        if body.get(name) is not None:
            value = body[name]
            if isinstance(value, bool) or not isinstance(value, int) or value < -1:
                raise invalid(
                    f"Field '{name}': Value must be between -1 <= value <= 2147483647, but got {value}"
                )
            return int(value)
    return -1


def _n_cmpl(body: dict[str, Any]) -> int:
    for name in ("n_cmpl", "n"):
        if body.get(name) is not None:
            value = body[name]
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
                raise invalid(f"Field '{name}': Value must be between 1 <= value <= 4, but got {value}")
            return int(value)
    return 1


def _task(ctx: LlamaCppContext, body: dict[str, Any], text: str, prompt_tokens: int, n_probs: int) -> Task:
    ctx.check_context(prompt_tokens)
    n_predict = _n_predict(body)
    output = generate(text, None if n_predict < 0 else n_predict, stop_list(body))
    ctx.count(prompt_tokens, output.tokens)
    return Task(text, prompt_tokens, output, n_predict, n_probs, bool(body.get("stream")))


def _probs(ctx: LlamaCppContext, piece: str, n_probs: int) -> dict[str, Any]:
    """One token's ``logprobs.content`` entry, llama.cpp style (ids, bytes, top list)."""
    entry = {
        "id": ctx.tokenizer.token_id(piece),
        "token": piece,
        "bytes": list(piece.encode()),
        "logprob": token_logprob(piece),
    }
    top = [entry] + [
        {"id": 1000 + i, "token": f"<alt{i}>", "bytes": list(f"<alt{i}>".encode()), "logprob": -5.0 - i}
        for i in range(1, n_probs)
    ]
    return {**entry, "top_logprobs": [dict(t) for t in top[:n_probs]]}


def _usage(task: Task, n: int = 1) -> dict[str, Any]:
    completion = task.output.tokens * n
    return {
        "completion_tokens": completion,
        "prompt_tokens": task.prompt_tokens,
        "total_tokens": completion + task.prompt_tokens,
        "prompt_tokens_details": {"cached_tokens": 0},
    }


def _envelope(ctx: LlamaCppContext, cid: str, obj: str, choices: list[Any]) -> dict[str, Any]:
    return {
        "choices": choices,
        "created": int(time.time()),
        "model": ctx.alias,
        "system_fingerprint": BUILD_INFO,
        "object": obj,
        "id": cid,
    }


def _sse_stream(events: Iterator[JSONValue], done: bool) -> StreamResponse:
    def frames() -> Iterator[bytes]:
        for event in events:
            yield sse_frame(event)
        if done:
            yield b"data: [DONE]\n\n"

    return StreamResponse(200, "text/event-stream", frames(), error_chunk=_error_frame)


def _error_frame(message: str) -> bytes:
    return sse_frame({"error": error_body("server_error", message)})


def _check_logprobs(body: dict[str, Any]) -> int:
    if body.get("logprobs"):
        top = body.get("top_logprobs")
        return int(top) if isinstance(top, int) and not isinstance(top, bool) else 20
    if body.get("top_logprobs") is not None:
        raise invalid("top_logprobs requires logprobs to be set to true")
    return 0


def chat(ctx: LlamaCppContext, request: Request) -> AnyResponse:
    """``POST /v1/chat/completions`` (also ``/chat/completions``)."""
    body = parse_object(request)
    response_format = body.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type", "") not in ("", *_RESPONSE_TYPES):
        raise invalid(
            'response_format type must be one of "text" or "json_object", but got: '
            + str(response_format["type"])
        )
    turns = message_turns(body.get("messages"))
    n_probs = _check_logprobs(body)
    prompt_tokens = len(ctx.tokenizer.chat_pieces([(t.role, t.text) for t in turns])) + 2
    task = _task(ctx, body, chat_reply(turns), prompt_tokens, n_probs)
    n = _n_cmpl(body)
    cid = completion_id()
    if task.stream:
        options = body.get("stream_options")
        usage = isinstance(options, dict) and bool(options.get("include_usage"))
        return _sse_stream(_chat_events(ctx, cid, task, usage), done=True)
    choices = []
    for index in range(n):
        choice: dict[str, Any] = {
            "finish_reason": task.finish_reason,
            "index": index,
            "message": {"role": "assistant", "content": task.output.text},
        }
        if n_probs:
            choice["logprobs"] = {"content": [_probs(ctx, p, n_probs) for p in task.output.pieces]}
        choices.append(choice)
    result = _envelope(ctx, cid, "chat.completion", choices)
    result["usage"] = _usage(task, n)
    result["timings"] = Timings(task.prompt_tokens, task.output.tokens).to_json()
    return Response(200, json_bytes(result), "application/json; charset=utf-8")


def _chat_events(ctx: LlamaCppContext, cid: str, task: Task, usage: bool) -> Iterator[JSONValue]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return _envelope(
            ctx, cid, "chat.completion.chunk", [{"finish_reason": finish, "index": 0, "delta": delta}]
        )

    yield chunk({"role": "assistant", "content": None})
    for piece in task.output.pieces:
        event = chunk({"content": piece})
        if task.n_probs:
            event["choices"][0]["logprobs"] = {"content": [_probs(ctx, piece, task.n_probs)]}
        yield event
    last = chunk({}, task.finish_reason)
    if usage:
        yield last
        last = _envelope(ctx, cid, "chat.completion.chunk", [])
        last["usage"] = _usage(task)
    last["timings"] = Timings(task.prompt_tokens, task.output.tokens).to_json()
    yield last


def _prompt_text(ctx: LlamaCppContext, prompt: Any) -> tuple[str, int]:
    """A completion prompt's text and token count (a string, token ids, or one-element lists)."""
    if isinstance(prompt, list) and len(prompt) == 1 and not isinstance(prompt[0], int):
        prompt = prompt[0]
    if isinstance(prompt, str):
        return prompt, len(ctx.tokenizer.pieces(prompt, add_special_tokens=True))
    if (
        isinstance(prompt, list)
        and prompt
        and all(isinstance(t, int) and not isinstance(t, bool) for t in prompt)
    ):
        return ctx.tokenizer.decode(prompt), len(prompt) + 1
    if isinstance(prompt, list) and not prompt:
        raise invalid('"prompt" must not be empty')
    raise invalid(
        '"prompt" elements must be a string, a list of tokens, a JSON object containing a prompt string, '
        "or a list of mixed strings & tokens."
    )


def completions(ctx: LlamaCppContext, request: Request) -> AnyResponse:
    """``POST /v1/completions``."""
    body = parse_object(request)
    if "prompt" not in body:
        raise missing_key("prompt")
    text, prompt_tokens = _prompt_text(ctx, body["prompt"])
    n_probs = int_field(body, "logprobs", 0) if body.get("logprobs") is not None else 0
    task = _task(ctx, body, "You said: " + text, prompt_tokens, n_probs)
    n = _n_cmpl(body)
    cid = completion_id()
    if task.stream:
        options = body.get("stream_options")
        usage = isinstance(options, dict) and bool(options.get("include_usage"))
        return _sse_stream(_completion_events(ctx, cid, task, usage), done=True)
    logprobs = {"content": [_probs(ctx, p, n_probs) for p in task.output.pieces]} if n_probs else None
    choices = [
        {"text": task.output.text, "index": i, "logprobs": logprobs, "finish_reason": task.finish_reason}
        for i in range(n)
    ]
    result = _envelope(ctx, cid, "text_completion", choices)
    result["usage"] = _usage(task, n)
    result["timings"] = Timings(task.prompt_tokens, task.output.tokens).to_json()
    return Response(200, json_bytes(result), "application/json; charset=utf-8")


def _completion_events(ctx: LlamaCppContext, cid: str, task: Task, usage: bool) -> Iterator[JSONValue]:
    for piece in task.output.pieces:
        logprobs = {"content": [_probs(ctx, piece, task.n_probs)]} if task.n_probs else None
        choice = {"text": piece, "index": 0, "logprobs": logprobs, "finish_reason": None}
        yield _envelope(ctx, cid, "text_completion", [choice])
    final = _envelope(
        ctx,
        cid,
        "text_completion",
        [{"text": "", "index": 0, "logprobs": None, "finish_reason": task.finish_reason}],
    )
    final["usage"] = _usage(task)
    final["timings"] = Timings(task.prompt_tokens, task.output.tokens).to_json()
    yield final


def _native_final(ctx: LlamaCppContext, body: dict[str, Any], task: Task, content: str) -> dict[str, Any]:
    result: dict[str, Any] = {
        "index": 0,
        "content": content,
        "tokens": ctx.tokenizer.ids(task.output.pieces)
        if body.get("return_tokens") and not task.stream
        else [],
        "id_slot": 0,
        "stop": True,
        "model": ctx.alias,
        "tokens_predicted": task.output.tokens,
        "tokens_evaluated": task.prompt_tokens,
        "generation_settings": generation_settings(body, task.n_predict, task.stream),
        "prompt": task.prompt_text,
        "has_new_line": "\n" in task.output.text,
        "truncated": False,
        "stop_type": task.stop_type,
        "stopping_word": task.output.stop_reason or "",
        "tokens_cached": task.prompt_tokens + task.output.tokens - 1,
        "timings": Timings(task.prompt_tokens, task.output.tokens).to_json(),
    }
    if task.n_probs and not task.stream:
        result["completion_probabilities"] = [_probs(ctx, p, task.n_probs) for p in task.output.pieces]
    fields = body.get("response_fields")
    if isinstance(fields, list) and fields:
        return _pick(result, [str(f) for f in fields])
    return result


def _pick(result: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """``response_fields``: keep the listed fields; ``a/b`` moves ``result[a][b]`` to the top as ``b``."""
    picked: dict[str, Any] = {}
    for name in fields:
        value: Any = result
        for part in name.split("/"):
            if not isinstance(value, dict) or part not in value:
                break
            value = value[part]
        else:
            picked[name.split("/")[-1]] = value
    return picked


def _native(ctx: LlamaCppContext, body: dict[str, Any], prompt_text: str, prompt_tokens: int) -> AnyResponse:
    task = _task(ctx, body, "You said: " + prompt_text, prompt_tokens, int_field(body, "n_probs", 0))
    if not task.stream:
        result = _native_final(ctx, body, task, task.output.text)
        return Response(200, json_bytes(result), "application/json; charset=utf-8")
    return _sse_stream(_native_events(ctx, body, task), done=False)


def _native_events(ctx: LlamaCppContext, body: dict[str, Any], task: Task) -> Iterator[JSONValue]:
    for count, piece in enumerate(task.output.pieces, 1):
        event: dict[str, Any] = {
            "index": 0,
            "content": piece,
            "tokens": [ctx.tokenizer.token_id(piece)],
            "stop": False,
            "id_slot": 0,
            "tokens_predicted": count,
            "tokens_evaluated": task.prompt_tokens,
        }
        if task.n_probs:
            event["completion_probabilities"] = [_probs(ctx, piece, task.n_probs)]
        yield event
    yield _native_final(ctx, body, task, "")


def completion(ctx: LlamaCppContext, request: Request) -> AnyResponse:
    """``POST /completion`` (also ``/completions``): llama.cpp's own completion API."""
    body = parse_object(request)
    if "prompt" not in body:
        raise missing_key("prompt")
    text, prompt_tokens = _prompt_text(ctx, body["prompt"])
    return _native(ctx, body, text, prompt_tokens)


def infill(ctx: LlamaCppContext, request: Request) -> AnyResponse:
    """``POST /infill``: fill in between ``input_prefix`` and ``input_suffix``.

    The reference model answers ``"You said: " + input_prefix + prompt``.
    """
    body = parse_object(request)
    prompt = body.get("prompt", "")
    if not isinstance(prompt, str):
        raise invalid('"prompt" must be a string')
    for name in ("input_prefix", "input_suffix"):
        if name not in body:
            raise invalid(f'"{name}" is required')
    extra = body.get("input_extra", [])
    if not isinstance(extra, list):
        raise invalid('"input_extra" must be an array of {"filename": string, "text": string}')
    for chunk in extra:
        if not isinstance(chunk, dict) or not isinstance(chunk.get("text"), str):
            raise invalid('extra_context chunk must contain a "text" field with a string value')
    prefix, suffix = str(body["input_prefix"]), str(body["input_suffix"])
    # <FIM_PRE>prefix<FIM_SUF>suffix<FIM_MID>prompt: the words plus the three FIM tokens.
    prompt_tokens = len(ctx.tokenizer.pieces(f"{prefix} {suffix} {prompt}")) + 3
    return _native(ctx, body, prefix + prompt, prompt_tokens)


def apply_template(ctx: LlamaCppContext, request: Request) -> Response:
    """``POST /apply-template``: the rendered chat prompt, no inference."""
    body = parse_object(request)
    turns = message_turns(body.get("messages"))
    prompt = render_chat(turns, bool(body.get("add_generation_prompt", True)))
    return Response(200, json_bytes({"prompt": prompt}), "application/json; charset=utf-8")
