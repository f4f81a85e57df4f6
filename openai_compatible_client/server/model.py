"""The deterministic "model" both platforms serve (see the package docstring for the rules)."""

from __future__ import annotations

import hashlib
import json
import math
import re
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

from .tokenizer import count_tokens, split_tokens

TYPE_DEFAULTS: dict[str, Any] = {
    "string": "reference",
    "integer": 1,
    "number": 1.0,
    "boolean": True,
    "array": [],
    "object": {},
    "null": None,
}


@dataclass
class Turn:
    """One conversation message reduced to what the model looks at."""

    role: str
    text: str
    images: int = 0


@dataclass
class Generation:
    """Tokens emitted for one output text after ``max_tokens`` and ``stop`` are applied."""

    pieces: list[str]
    finish_reason: str
    stop_reason: str | None
    tokens: int

    @property
    def text(self) -> str:
        """The emitted text."""
        return "".join(self.pieces)


@dataclass
class ToolCall:
    """A planned tool call: the function name and its arguments object."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


def generate(text: str, max_tokens: int | None = None, stops: list[str] | None = None) -> Generation:
    """Emit ``text`` token by token, stopping at ``max_tokens`` or at the first stop string.

    >>> g = generate("You said: a b c", max_tokens=3)
    >>> (g.text, g.finish_reason, g.tokens)
    ('You said: a', 'length', 3)
    >>> g = generate("You said: a b c", stops=[" b"])
    >>> (g.text, g.finish_reason, g.stop_reason, g.tokens)
    ('You said: a', 'stop', ' b', 4)
    """
    pieces: list[str] = []
    emitted = ""
    for index, token in enumerate(split_tokens(text)):
        if max_tokens is not None and index >= max_tokens:
            return Generation(pieces, "length", None, index)
        candidate = emitted + token
        hits = [(candidate.find(s, max(0, len(emitted) - len(s))), s) for s in stops or [] if s]
        hits = [(pos, s) for pos, s in hits if pos >= 0]
        if hits:
            pos, stop = min(hits)
            return Generation(_cut([*pieces, token], pos), "stop", stop, index + 1)
        pieces.append(token)
        emitted = candidate
    return Generation(pieces, "stop", None, len(pieces))


def _cut(pieces: list[str], length: int) -> list[str]:
    """Trim ``pieces`` so that their concatenation is ``length`` characters long."""
    out: list[str] = []
    used = 0
    for piece in pieces:
        if used + len(piece) >= length:
            if length > used:
                out.append(piece[: length - used])
            break
        out.append(piece)
        used += len(piece)
    return out


def chat_reply(turns: list[Turn]) -> str:
    """The reply to a conversation.

    >>> chat_reply([Turn("user", "hi there", images=2)])
    'You said: hi there [images: 2]'
    >>> chat_reply([Turn("user", "x"), Turn("assistant", ""), Turn("tool", "12C"), Turn("tool", "sun")])
    'Tool results: 12C; sun'
    """
    if turns and turns[-1].role == "tool":
        results: list[str] = []
        for turn in reversed(turns):
            if turn.role != "tool":
                break
            results.insert(0, turn.text)
        return "Tool results: " + "; ".join(results)
    user = last_user(turns)
    if user is None:
        return "You said: "
    reply = "You said: " + user.text
    if user.images:
        reply += f" [images: {user.images}]"
    return reply


def last_user(turns: list[Turn]) -> Turn | None:
    """The last message with role ``user``, if any."""
    for turn in reversed(turns):
        if turn.role == "user":
            return turn
    return None


def reasoning_text(turns: list[Turn]) -> str:
    """The reasoning emitted before the answer when thinking is on."""
    user = last_user(turns)
    return "Thinking about: " + (user.text if user else "")


def plan_tool_calls(tools: list[dict[str, Any]], turns: list[Turn], choice: Any) -> list[ToolCall]:
    """Decide which tools to call for the last user message.

    ``choice`` is the OpenAI ``tool_choice`` value (``None``/``"auto"``/``"none"``/
    ``"required"``/``{"type":"function","function":{"name":...}}``).
    """
    if not tools or not turns or turns[-1].role != "user" or choice == "none":
        return []
    functions = [t.get("function", t) for t in tools if isinstance(t, dict)]
    by_name = {str(f.get("name")): f for f in functions if isinstance(f, dict) and f.get("name")}
    text = turns[-1].text
    forced = _forced_name(choice)
    if forced is not None:
        chosen = [forced] if forced in by_name else []
    else:
        chosen = _mentioned(list(by_name), text)
        if not chosen and choice == "required" and by_name:
            chosen = [next(iter(by_name))]
    return [
        ToolCall(name, arguments_for(by_name[name].get("parameters"), text, positional_arguments(name, text)))
        for name in chosen
    ]


def _mentioned(names: list[str], text: str) -> list[str]:
    """Tools named in the text (whole name), else tools a word of whose name (4+ letters) appears.

    >>> _mentioned(["get_weather", "lookup"], "What is the weather in Paris?")
    ['get_weather']
    """
    exact = []
    for name in names:
        found = re.search(r"(?<![\w])" + re.escape(name) + r"(?![\w])", text)
        if found:
            exact.append((found.start(), name))
    if exact:
        return [name for _, name in sorted(exact)]
    partial = []
    for name in names:
        words = [w for w in re.split(r"[_\-\s.]+|(?<=[a-z])(?=[A-Z])", name) if len(w) >= 4]
        hits = [
            m.start()
            for w in words
            for m in [re.search(r"\b" + re.escape(w) + r"\b", text, re.IGNORECASE)]
            if m
        ]
        if hits:
            partial.append((min(hits), name))
    return [name for _, name in sorted(partial)]


def positional_arguments(name: str, text: str) -> list[Any]:
    """Values written as a call in the text: ``name(3, "x")`` -> ``[3, "x"]``.

    >>> positional_arguments("magic_function", "What is magic_function(3)?")
    [3]
    """
    found = re.search(r"(?<![\w])" + re.escape(name) + r"\(([^()]*)\)", text)
    if not found or not found.group(1).strip():
        return []
    values: list[Any] = []
    for raw in found.group(1).split(","):
        raw = raw.strip()
        try:
            values.append(json.loads(raw))
        except ValueError:
            values.append(raw.strip("'\""))
    return values


_QUOTED_RE = re.compile(r"(?:^|(?<=[\s(\[{:,]))(['\"])(.+?)\1(?=$|[\s).,;:!?\]}-])")


def quoted_strings(text: str) -> list[str]:
    """Strings quoted in the text (quotes at word boundaries, so apostrophes do not count).

    >>> quoted_strings("it's the 'setup' and 'punchline' keys")
    ['setup', 'punchline']
    """
    return [m.group(2) for m in _QUOTED_RE.finditer(text)]


def _forced_name(choice: Any) -> str | None:
    if isinstance(choice, dict):
        function = choice.get("function")
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            return str(function["name"])
        if isinstance(choice.get("name"), str):
            return str(choice["name"])
    return None


def user_assignments(text: str) -> dict[str, Any]:
    """``name=value`` tokens of a text (values parsed as JSON when possible).

    >>> user_assignments('weather city=Paris days=3 ok')
    {'city': 'Paris', 'days': 3}
    """
    found: dict[str, Any] = {}
    for word in text.split():
        name, sep, raw = word.partition("=")
        if sep and name:
            try:
                found[name] = json.loads(raw)
            except ValueError:
                found[name] = raw
    return found


def arguments_for(schema: Any, text: str, positional: list[Any] | None = None) -> dict[str, Any]:
    """Arguments for a function from its parameters schema and the user's text.

    Each property takes, in this order: a ``name=value`` word, the next positional value of a
    ``tool(...)`` call in the text, the first quoted string of the text (string properties
    only), else the schema default.
    """
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return {}
    given = user_assignments(text)
    quoted = quoted_strings(text)
    out: dict[str, Any] = {}
    for index, (name, prop) in enumerate(properties.items()):
        if name in given:
            out[name] = given[name]
        elif positional and index < len(positional):
            out[name] = positional[index]
        elif quoted and isinstance(prop, dict) and prop.get("type") == "string" and "enum" not in prop:
            out[name] = quoted[0]
        else:
            out[name] = schema_instance(prop, schema)
    return out


def schema_instance(schema: Any, root: Any = None, depth: int = 0) -> Any:
    """A JSON instance of ``schema`` built from the type defaults.

    >>> schema_instance({"type": "object", "properties": {"a": {"type": "integer"}, "b": {"enum": ["x"]}}})
    {'a': 1, 'b': 'x'}
    """
    root = schema if root is None else root
    if not isinstance(schema, dict) or depth > 16:
        return {}
    if "$ref" in schema and isinstance(schema["$ref"], str):
        return schema_instance(_resolve_ref(root, schema["$ref"]), root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            non_null = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
            return schema_instance((non_null or options)[0], root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else "object")
    if kind is None and "properties" in schema:
        kind = "object"
    if kind == "object":
        properties = schema.get("properties")
        if isinstance(properties, dict):
            return {k: schema_instance(v, root, depth + 1) for k, v in properties.items()}
        return {}
    if kind == "array":
        return []
    return TYPE_DEFAULTS.get(str(kind), {})


def _resolve_ref(root: Any, ref: str) -> Any:
    node = root
    for part in ref.lstrip("#/").split("/"):
        if not isinstance(node, dict) or part not in node:
            return {}
        node = node[part]
    return node


def json_answer(reply: str, user_text: str = "") -> str:
    """The JSON-mode output: ``{"answer": reply}``, or the keys quoted in the user's text.

    >>> json_answer("You said: hi")
    '{"answer": "You said: hi"}'
    >>> json_answer("r", "JSON with 'setup' and 'punchline' keys")
    '{"setup": "r", "punchline": "r"}'
    """
    keys = [k for k in quoted_strings(user_text) if re.fullmatch(r"[A-Za-z_]\w*", k)]
    return json.dumps({k: reply for k in keys} if keys else {"answer": reply}, ensure_ascii=False)


def json_schema_answer(schema: Any) -> str:
    """The structured output for a JSON schema."""
    return json.dumps(schema_instance(schema), ensure_ascii=False)


def choice_answer(choices: list[Any], text: str) -> str:
    """The first choice that appears in ``text``, else the first choice.

    >>> choice_answer(["red", "blue"], "I like blue")
    'blue'
    """
    options = [str(c) for c in choices]
    for option in options:
        if option and option in text:
            return option
    return options[0] if options else ""


def token_logprob(piece: str) -> float:
    """A deterministic log-probability in (-1, 0] for a token."""
    return -((zlib.crc32(piece.encode()) % 1000) / 1000.0)


def embedding(text: str, dim: int) -> list[float]:
    """A deterministic unit-length vector of length ``dim`` derived from sha256 of ``text``."""
    values: list[float] = []
    counter = 0
    while len(values) < dim:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        for offset in range(0, 32, 4):
            raw = int.from_bytes(digest[offset : offset + 4], "big")
            values.append(raw / 2**31 - 1.0)
        counter += 1
    values = values[:dim]
    return normalize(values)


def normalize(values: list[float]) -> list[float]:
    """Scale a vector to unit L2 length (zero vectors are returned as is)."""
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values] if norm else values


def to_float32(value: float) -> float:
    """The float32 nearest to ``value`` (as numpy's ``float32(...).item()`` gives it)."""
    result: float = struct.unpack("<f", struct.pack("<f", value))[0]
    return result


def shortest_float32(value: float) -> float:
    """The float whose repr is the shortest decimal that reads back as the same float32.

    This is what Go's ``encoding/json`` prints for a ``float32``.

    >>> shortest_float32(0.1)
    0.1
    """
    target = struct.pack("<f", value)
    for digits in range(1, 10):
        candidate = float(f"{value:.{digits}g}")
        if struct.pack("<f", candidate) == target:
            return candidate
    return to_float32(value)


def stable_hex(*parts: Any, length: int = 32) -> str:
    """A hex digest of the JSON of ``parts`` (for deterministic ids)."""
    blob = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:length]


def tool_call_tokens(call: ToolCall) -> int:
    """Completion tokens charged for one tool call (name + argument words)."""
    return 1 + count_tokens(json.dumps(call.arguments, ensure_ascii=False))
