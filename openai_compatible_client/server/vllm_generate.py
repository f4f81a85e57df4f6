"""vLLM ``POST /v1/chat/completions`` and ``POST /v1/completions`` (plain JSON and SSE)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .model import (
    Generation,
    ToolCall,
    Turn,
    chat_reply,
    choice_answer,
    generate,
    json_answer,
    json_schema_answer,
    last_user,
    plan_tool_calls,
    reasoning_text,
    stable_hex,
    token_logprob,
    tool_call_tokens,
)
from .tokenizer import split_tokens
from .transport import AnyResponse, Request, Response, json_bytes
from .vllm_common import bad_request, now, parse_body, request_id, validation_failure, value_error
from .vllm_context import VLLMContext, sse_response

_SAMPLING_KINDS = {
    "model": "str",
    "frequency_penalty": "float",
    "presence_penalty": "float",
    "max_tokens": "int",
    "n": "int",
    "seed": "int",
    "stop": "str|list",
    "stream": "bool",
    "stream_options": "dict",
    "temperature": "float",
    "top_p": "float",
    "top_k": "int",
    "min_p": "float",
    "repetition_penalty": "float",
    "user": "str",
    "request_id": "str",
    "response_format": "dict",
    "structured_outputs": "dict",
    "echo": "bool",
    "logit_bias": "dict",
    "ignore_eos": "bool",
    "min_tokens": "int",
}
CHAT_KINDS = {
    **_SAMPLING_KINDS,
    "messages": "list",
    "logprobs": "bool",
    "top_logprobs": "int",
    "max_completion_tokens": "int",
    "tools": "list",
    "parallel_tool_calls": "bool",
    "add_generation_prompt": "bool",
    "continue_final_message": "bool",
    "chat_template_kwargs": "dict",
    "include_reasoning": "bool",
    "reasoning_effort": "str",
}
COMPLETION_KINDS = {**_SAMPLING_KINDS, "prompt": "str|list", "logprobs": "int", "suffix": "str"}
_RESPONSE_FORMATS = ("text", "json_object", "json_schema", "structural_tag")
_CONSTRAINTS = ("json", "regex", "choice", "grammar", "json_object", "structural_tag")


@dataclass
class Output:
    """What one choice says: optional reasoning, then content or tool calls."""

    reasoning: Generation | None
    content: Generation | None
    calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str = "stop"
    stop_reason: str | None = None

    @property
    def tokens(self) -> int:
        """Completion tokens of this choice."""
        total = self.reasoning.tokens if self.reasoning else 0
        total += self.content.tokens if self.content else 0
        return total + sum(tool_call_tokens(c) for c in self.calls)


# --------------------------------------------------------------------------- validation


def _stops(body: dict[str, Any]) -> list[str]:
    stop = body.get("stop")
    stops = [stop] if isinstance(stop, str) else list(stop or [])
    if len(stops) > 4:
        raise bad_request(f"stop must contain at most 4 strings, got {len(stops)}.", "stop")
    if any(not isinstance(s, str) or s == "" for s in stops):
        raise bad_request("stop strings must be non-empty strings.", "stop")
    return stops


def _check_common(body: dict[str, Any]) -> None:
    if body.get("stream_options") is not None and not body.get("stream"):
        raise value_error("Stream options can only be defined when `stream=True`.", "stream_options", body)
    formats = body.get("response_format")
    if isinstance(formats, dict):
        kind = formats.get("type")
        if kind not in _RESPONSE_FORMATS:
            error = {
                "type": "literal_error",
                "loc": ("body", "response_format", "type"),
                "msg": "Input should be 'text', 'json_object', 'json_schema' or 'structural_tag'",
                "input": kind,
            }
            raise validation_failure([error], "body.response_format.type")
        if kind == "json_schema" and not isinstance(formats.get("json_schema"), dict):
            raise value_error(
                "When response_format type is 'json_schema', the 'json_schema' field must be provided.",
                "response_format",
                body,
            )
    outputs = body.get("structured_outputs")
    if isinstance(outputs, dict):
        given = [k for k in _CONSTRAINTS if outputs.get(k) not in (None, False)]
        if len(given) > 1:
            raise bad_request(
                "You can only use one kind of structured outputs constraint but multiple are specified: "
                + ", ".join(given),
                "structured_outputs",
            )


def _check_sampling(body: dict[str, Any], max_tokens_min: int = 1) -> None:
    temperature = body.get("temperature")
    if temperature is not None and not 0 <= temperature <= 2:
        raise bad_request(f"temperature must be in [0, 2], got {temperature}.", "temperature")
    top_p = body.get("top_p")
    if top_p is not None and not 0 < top_p <= 1:
        raise bad_request(f"top_p must be in (0, 1], got {top_p}.", "top_p")
    for name in ("max_tokens", "max_completion_tokens"):
        value = body.get(name)
        if value is not None and value < max_tokens_min:
            raise bad_request(f"max_tokens must be at least {max_tokens_min}, got {value}.", name)
    n = body.get("n")
    if n is not None and n < 1:
        raise bad_request(f"n must be at least 1, got {n}.", "n")
    top_k = body.get("top_k")
    if top_k is not None and top_k < -1:
        raise bad_request(f"top_k must be -1 (disable), or at least 1, got {top_k}.", "top_k")
    if temperature is not None and temperature < 1e-5 and n is not None and n > 1:
        raise bad_request(f"n must be 1 when using greedy sampling, got {n}.")


def _check_tools(body: dict[str, Any]) -> None:
    tools = body.get("tools")
    choice = body.get("tool_choice")
    if tools is not None and len(tools) == 0:
        raise value_error("`tools` cannot be an empty list.", "tools", body)
    if choice is not None and not tools:
        raise value_error("When using `tool_choice`, `tools` must be set.", "tool_choice", body)
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        names = [(t.get("function") or {}).get("name") for t in tools or [] if isinstance(t, dict)]
        if name not in names:
            raise value_error(f"Tool '{name}' has not been passed in `tools`.", "tool_choice", body)
    elif choice is not None and choice not in ("none", "auto", "required"):
        raise value_error(f"Invalid value for `tool_choice`: {choice!r}.", "tool_choice", body)
    if body.get("top_logprobs") and not body.get("logprobs"):
        raise value_error("when using `top_logprobs`, `logprobs` must be set to true.", "top_logprobs", body)
    top = body.get("top_logprobs")
    if top is not None and top > 20:
        raise bad_request(f"Requested top logprobs of {top} exceeds maximum of 20.", "top_logprobs")


# --------------------------------------------------------------------------- the model's answer


def _structured(body: dict[str, Any], reply: str, turns: list[Turn]) -> str:
    user = last_user(turns)
    user_text = user.text if user else ""
    outputs = body.get("structured_outputs")
    if isinstance(outputs, dict):
        if isinstance(outputs.get("choice"), list):
            return choice_answer(outputs["choice"], user_text)
        if outputs.get("json") is not None:
            schema = outputs["json"]
            return json_schema_answer(json.loads(schema) if isinstance(schema, str) else schema)
        if outputs.get("json_object"):
            return json_answer(reply, user_text)
        return reply
    formats = body.get("response_format")
    if isinstance(formats, dict):
        if formats.get("type") == "json_object":
            return json_answer(reply, user_text)
        if formats.get("type") == "json_schema":
            return json_schema_answer((formats.get("json_schema") or {}).get("schema", {}))
    return reply


def _thinking(body: dict[str, Any]) -> bool:
    if body.get("include_reasoning") is False:
        return False
    kwargs = body.get("chat_template_kwargs") or {}
    if isinstance(kwargs, dict) and "enable_thinking" in kwargs:
        return bool(kwargs["enable_thinking"])
    effort = body.get("reasoning_effort")
    return effort is not None and effort != "none"


def _chat_output(body: dict[str, Any], turns: list[Turn]) -> Output:
    budget = body.get("max_completion_tokens") or body.get("max_tokens")
    reasoning = generate(reasoning_text(turns), budget) if _thinking(body) else None
    if reasoning is not None and budget is not None:
        budget -= reasoning.tokens
    tools = body.get("tools") or []
    choice = body.get("tool_choice")
    calls = plan_tool_calls(tools, turns, choice) if tools else []
    if calls:
        if body.get("parallel_tool_calls") is False:
            calls = calls[:1]
        finish = "stop" if isinstance(choice, dict) else "tool_calls"
        return Output(reasoning, None, calls, finish)
    if reasoning is not None and (reasoning.finish_reason == "length" or budget == 0):
        return Output(reasoning, Generation([], "length", None, 0), [], "length")
    text = _structured(body, chat_reply(turns), turns)
    if body.get("echo") and turns and turns[-1].role == "assistant":
        text = turns[-1].text + text
    content = generate(text, budget, _stops(body))
    return Output(reasoning, content, [], content.finish_reason, content.stop_reason)


def _message_content(body: dict[str, Any], output: Output) -> str | None:
    """``message.content``: vLLM sends ``""`` with a forced tool choice, null when a parser found calls."""
    if output.content is not None:
        return output.content.text
    choice = body.get("tool_choice")
    return "" if choice == "required" or isinstance(choice, dict) else None


def _call_id(body: dict[str, Any], index: int) -> str:
    return "chatcmpl-tool-" + stable_hex(body.get("messages"), body.get("tools"), index)


def _logprob_entry(piece: str, top: int) -> dict[str, Any]:
    lp = token_logprob(piece)
    alternatives = [{"token": piece, "logprob": lp, "bytes": list(piece.encode())}]
    for rank in range(1, top):
        alt = f" <alt{rank}>"
        alternatives.append({"token": alt, "logprob": lp - rank, "bytes": list(alt.encode())})
    return {"token": piece, "logprob": lp, "bytes": list(piece.encode()), "top_logprobs": alternatives[:top]}


def _chat_logprobs(body: dict[str, Any], pieces: list[str]) -> dict[str, Any] | None:
    if not body.get("logprobs"):
        return None
    top = int(body.get("top_logprobs") or 0)
    return {"content": [_logprob_entry(p, top) for p in pieces]}


# --------------------------------------------------------------------------- chat


def chat(ctx: VLLMContext, request: Request) -> AnyResponse:
    """``POST /v1/chat/completions``."""
    body = parse_body(request, CHAT_KINDS, required=("messages",))
    _check_common(body)
    _check_tools(body)
    model = ctx.check_model(body.get("model"))
    _check_sampling(body)
    turns = ctx.turns(body["messages"])
    prompt_tokens = ctx.prompt_tokens(turns)
    ctx.check_length(prompt_tokens)
    output = _chat_output(body, turns)
    n = int(body.get("n") or 1)
    cid = "chatcmpl-" + request_id(request, body)
    if body.get("stream"):
        return sse_response(_chat_events(ctx, body, cid, model, output, n, prompt_tokens))
    message: dict[str, Any] = {
        "role": "assistant",
        "content": _message_content(body, output),
        "refusal": None,
        "annotations": None,
        "audio": None,
        "function_call": None,
    }
    if output.calls:
        message["tool_calls"] = [
            {
                "id": _call_id(body, i),
                "type": "function",
                "function": {"name": c.name, "arguments": json.dumps(c.arguments, ensure_ascii=False)},
            }
            for i, c in enumerate(output.calls)
        ]
    message["reasoning"] = output.reasoning.text if output.reasoning is not None else None
    pieces = output.content.pieces if output.content is not None else []
    choice = {
        "index": 0,
        "message": message,
        "logprobs": _chat_logprobs(body, pieces),
        "finish_reason": output.finish_reason,
        "stop_reason": output.stop_reason,
        "token_ids": None,
        "routed_experts": None,
    }
    completion_tokens = output.tokens * n
    result = {
        "id": cid,
        "object": "chat.completion",
        "created": now(),
        "model": model,
        "choices": [{**choice, "index": i} for i in range(n)],
        "service_tier": None,
        "system_fingerprint": ctx.fingerprint,
        "usage": _full_usage(prompt_tokens, completion_tokens),
        "prompt_logprobs": None,
        "prompt_token_ids": None,
        "prompt_text": None,
        "kv_transfer_params": None,
        "ec_transfer_params": None,
        "metrics": None,
    }
    return Response(200, json_bytes(result), "application/json")


def _choice_deltas(body: dict[str, Any], output: Output) -> list[tuple[dict[str, Any], str | None]]:
    """The deltas of one choice, each with the content piece it carries (for logprobs)."""
    deltas: list[tuple[dict[str, Any], str | None]] = [({"role": "assistant", "content": ""}, None)]
    if output.reasoning is not None:
        deltas.extend(({"reasoning": p}, None) for p in output.reasoning.pieces)
    for i, call in enumerate(output.calls):
        head = {"index": i, "id": _call_id(body, i), "type": "function", "function": {"name": call.name}}
        deltas.append(({"tool_calls": [head]}, None))
        arguments = json.dumps(call.arguments, ensure_ascii=False)
        deltas.append(({"tool_calls": [{"index": i, "function": {"arguments": arguments}}]}, None))
    if output.content is not None:
        deltas.extend(({"content": p}, p) for p in output.content.pieces)
    return deltas


def _chat_events(
    ctx: VLLMContext, body: dict[str, Any], cid: str, model: str, output: Output, n: int, prompt_tokens: int
) -> Iterator[dict[str, Any]]:
    created = now()
    options = body.get("stream_options") or {}
    include_usage = bool(options.get("include_usage"))
    continuous = include_usage and bool(options.get("continuous_usage_stats"))
    deltas = _choice_deltas(body, output)
    top = int(body.get("top_logprobs") or 0)
    # the finish reason rides on the last content delta; tool calls get a closing empty delta
    attach_finish = output.content is not None and len(output.content.pieces) > 0
    emitted = 0
    for step, (delta, piece) in enumerate(deltas):
        last = step == len(deltas) - 1
        if step > 0:
            emitted += 1
        for index in range(n):
            choice: dict[str, Any] = {"index": index, "delta": delta}
            choice["logprobs"] = (
                {"content": [_logprob_entry(piece, top)]}
                if body.get("logprobs") and piece is not None
                else None
            )
            choice["finish_reason"] = output.finish_reason if last and attach_finish else None
            if last and attach_finish:
                choice["stop_reason"] = output.stop_reason
            if step > 0:  # the role chunk leaves token_ids unset
                choice["token_ids"] = None
            chunk: dict[str, Any] = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [choice],
            }
            if step == 0:  # set explicitly on the first chunk, so serialised as null
                chunk["prompt_token_ids"] = None
                chunk["prompt_text"] = None
            if last and attach_finish and not include_usage:
                chunk["system_fingerprint"] = ctx.fingerprint
            if continuous:
                chunk["usage"] = _continuous_usage(prompt_tokens, min(emitted, output.tokens))
            yield chunk
    if not attach_finish:
        for index in range(n):
            chunk = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [
                    {
                        "index": index,
                        "delta": {},
                        "logprobs": None,
                        "finish_reason": output.finish_reason,
                        "stop_reason": output.stop_reason,
                        "token_ids": None,
                    }
                ],
            }
            if not include_usage:
                chunk["system_fingerprint"] = ctx.fingerprint
            if continuous:
                chunk["usage"] = _continuous_usage(prompt_tokens, output.tokens)
            yield chunk
    if include_usage:
        yield {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [],
            "usage": _usage(prompt_tokens, output.tokens * n),
            "system_fingerprint": ctx.fingerprint,
        }


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    """Usage as stream chunks carry it (vLLM drops the unset/null detail fields there)."""
    return {
        "prompt_tokens": prompt_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "completion_tokens": completion_tokens,
    }


def _continuous_usage(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    """Per-chunk chat usage (``continuous_usage_stats``): vLLM sets ``completion_tokens_details``."""
    return {**_usage(prompt_tokens, completion_tokens), "completion_tokens_details": None}


def _full_usage(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    """Usage of a plain JSON response: every field, the details null (no server flags set)."""
    return {
        **_usage(prompt_tokens, completion_tokens),
        "prompt_tokens_details": None,
        "completion_tokens_details": None,
    }


# --------------------------------------------------------------------------- completions


@dataclass
class _Prompt:
    text: str
    tokens: int


def _prompts(ctx: VLLMContext, prompt: Any) -> list[_Prompt]:
    if isinstance(prompt, str):
        return [_Prompt(prompt, 1 + len(prompt.split()))]
    if not isinstance(prompt, list) or not prompt:
        raise bad_request("Prompt must be a string, a list of strings or token ids, and not empty.", "prompt")
    if all(isinstance(p, int) and not isinstance(p, bool) for p in prompt):
        return [_Prompt(ctx.tokenizer.decode(prompt), len(prompt))]
    out: list[_Prompt] = []
    for item in prompt:
        if isinstance(item, str):
            out.append(_Prompt(item, 1 + len(item.split())))
        elif isinstance(item, list) and all(isinstance(t, int) for t in item):
            out.append(_Prompt(ctx.tokenizer.decode(item), len(item)))
        else:
            raise bad_request("Each prompt must be a string or a list of token ids.", "prompt")
    return out


def _completion_logprobs(pieces: list[str], top: int, offset: int, first_none: bool) -> dict[str, Any]:
    offsets: list[int] = []
    position = offset
    for piece in pieces:
        offsets.append(position)
        position += len(piece)
    token_lps: list[float | None] = [token_logprob(p) for p in pieces]
    tops: list[dict[str, float] | None] = []
    for piece in pieces:
        entry = {piece: token_logprob(piece)}
        for rank in range(1, top + 1):
            entry[f" <alt{rank}>"] = token_logprob(piece) - rank
        tops.append(entry)
    if first_none and pieces:
        token_lps[0] = None
        tops[0] = None
    return {"text_offset": offsets, "token_logprobs": token_lps, "tokens": pieces, "top_logprobs": tops}


def completions(ctx: VLLMContext, request: Request) -> AnyResponse:
    """``POST /v1/completions``."""
    body = parse_body(request, COMPLETION_KINDS)
    if body.get("prompt") is None and body.get("prompt_embeds") is None:
        error = {
            "type": "value_error",
            "loc": ("body",),
            "msg": "Value error, Either prompt or prompt_embeds must be provided and non-empty.",
            "input": body,
        }
        raise validation_failure([error], "body")
    _check_common(body)
    model = ctx.check_model(body.get("model"))
    echo = bool(body.get("echo"))
    if body.get("max_tokens") is None:
        body["max_tokens"] = 16
    _check_sampling(body, max_tokens_min=0 if echo else 1)
    if body.get("suffix") is not None:
        raise bad_request("suffix is only supported for models with FIM completion rendering", "suffix")
    logprobs = body.get("logprobs")
    if logprobs is not None and logprobs > 20:
        raise bad_request(
            f"Requested sample logprobs of {logprobs}, which is greater than max allowed: 20", "logprobs"
        )
    prompts = _prompts(ctx, body.get("prompt"))
    for prompt in prompts:
        ctx.check_length(prompt.tokens)
    n = int(body.get("n") or 1)
    stops = _stops(body)
    max_tokens = int(body["max_tokens"])
    outputs = [
        generate(_structured(body, "You said: " + p.text, [Turn("user", p.text)]), max_tokens, stops)
        if max_tokens > 0
        else Generation([], "length", None, 0)
        for p in prompts
    ]
    cid = "cmpl-" + request_id(request, body)
    prompt_tokens = sum(p.tokens for p in prompts)
    completion_tokens = sum(o.tokens for o in outputs) * n
    if body.get("stream"):
        events = _completion_events(
            ctx, body, cid, model, prompts, outputs, n, prompt_tokens, completion_tokens
        )
        return sse_response(events)
    choices = []
    for i, (prompt, output) in enumerate(zip(prompts, outputs, strict=True)):
        text = (prompt.text if echo else "") + output.text
        lp = None
        if logprobs is not None:
            pieces = (split_tokens(prompt.text) if echo else []) + output.pieces
            lp = _completion_logprobs(pieces, int(logprobs), 0, echo)
        for j in range(n):
            choices.append(
                {
                    "index": i * n + j,
                    "text": text,
                    "logprobs": lp,
                    "finish_reason": output.finish_reason,
                    "stop_reason": output.stop_reason,
                    "token_ids": None,
                    "prompt_logprobs": None,
                    "prompt_token_ids": None,
                    "routed_experts": None,
                }
            )
    result = {
        "id": cid,
        "object": "text_completion",
        "created": now(),
        "model": model,
        "choices": choices,
        "service_tier": None,
        "system_fingerprint": ctx.fingerprint,
        "usage": _full_usage(prompt_tokens, completion_tokens),
        "kv_transfer_params": None,
        "ec_transfer_params": None,
        "metrics": None,
    }
    return Response(200, json_bytes(result), "application/json")


def _completion_events(
    ctx: VLLMContext,
    body: dict[str, Any],
    cid: str,
    model: str,
    prompts: list[_Prompt],
    outputs: list[Generation],
    n: int,
    prompt_tokens: int,
    completion_tokens: int,
) -> Iterator[dict[str, Any]]:
    created = now()
    options = body.get("stream_options") or {}
    include_usage = bool(options.get("include_usage"))
    continuous = include_usage and bool(options.get("continuous_usage_stats"))
    echo = bool(body.get("echo"))
    logprobs = body.get("logprobs")
    for i, (prompt, output) in enumerate(zip(prompts, outputs, strict=True)):
        pieces = list(output.pieces) or [""]
        if echo:
            pieces[0] = prompt.text + pieces[0]
        offset = 0
        for j in range(n):
            offset = 0
            for step, piece in enumerate(pieces):
                last = step == len(pieces) - 1
                lp = None
                if logprobs is not None and piece:
                    lp = _completion_logprobs([piece], int(logprobs), offset, False)
                offset += len(piece)
                chunk: dict[str, Any] = {
                    "id": cid,
                    "object": "text_completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": i * n + j,
                            "text": piece,
                            "logprobs": lp,
                            "finish_reason": output.finish_reason if last else None,
                            "stop_reason": output.stop_reason if last else None,
                            "prompt_token_ids": None,
                            "token_ids": None,
                        }
                    ],
                }
                if last and not include_usage:
                    chunk["system_fingerprint"] = ctx.fingerprint
                if continuous:
                    chunk["usage"] = _usage(prompt.tokens, min(step + 1, output.tokens))
                yield chunk
    if include_usage:
        yield {
            "id": cid,
            "object": "text_completion",
            "created": created,
            "model": model,
            "choices": [],
            "usage": _usage(prompt_tokens, completion_tokens),
            "system_fingerprint": ctx.fingerprint,
        }
