"""Chat messages: validate OpenAI (and Anthropic-style image) shapes locally, then convert.

Everything here is pure: a malformed message raises
:class:`~openai_compatible_client.errors.InvalidRequestError` before any request is sent.
Images are checked (decodable base64, a known image type by its magic bytes, a size limit)
and emitted as ``image_url`` parts with ``data:`` URLs; :func:`ollama_images` then moves them
into Ollama's ``images`` list of bare base64 strings.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from openai_compatible_client import errors as E

__all__ = ["detect_image_type", "ollama_images", "prepare_messages", "validate_tools"]

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_DATA_URL = re.compile(
    r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[\w=.+-]+)*);base64,(?P<data>.*)$", re.S
)
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"BM", 0, "image/bmp"),
)
_ASSISTANT_META = frozenset({"tool_call", "tool_call_chunk", "reasoning", "thinking"})
# Part types vLLM understands besides text and images; passed through to vLLM untouched.
_VLLM_PASSTHROUGH_PARTS = frozenset({"input_audio", "audio_url", "video_url", "file", "image_embeds"})


def detect_image_type(data: bytes) -> str | None:
    """The MIME type of image bytes by their magic number, or ``None``.

    >>> detect_image_type(b"\\x89PNG\\r\\n\\x1a\\n....")
    'image/png'
    >>> detect_image_type(b"RIFF\\x00\\x00\\x00\\x00WEBPVP8 ")
    'image/webp'
    >>> detect_image_type(b"hello") is None
    True
    """
    for magic, offset, mime in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            if mime == "image/webp" and not data.startswith(b"RIFF"):
                continue
            return mime
    return None


def _fail(where: str, problem: str) -> E.InvalidRequestError:
    return E.InvalidRequestError(f"{where}: {problem}")


def _decode_image(encoded: str, where: str, max_bytes: int) -> tuple[str, str]:
    """Validate base64 image data; return (mime, canonical base64)."""
    if len(encoded) > (max_bytes * 4) // 3 + 8:
        raise _fail(where, f"image is larger than the {max_bytes}-byte limit (max_image_bytes)")
    compact = "".join(encoded.split())
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _fail(where, f"image data is not valid base64 ({exc})") from None
    if not raw:
        raise _fail(where, "image data is empty")
    if len(raw) > max_bytes:
        raise _fail(where, f"image is {len(raw)} bytes, over the {max_bytes}-byte limit (max_image_bytes)")
    mime = detect_image_type(raw)
    if mime is None:
        raise _fail(where, "data is not a PNG, JPEG, GIF, WEBP or BMP image (unknown magic bytes)")
    return mime, compact


def _image_part(url: Any, detail: Any, where: str, platform: str, max_bytes: int) -> dict[str, Any]:
    if not isinstance(url, str) or not url:
        raise _fail(where, "image_url.url must be a non-empty string")
    if url.startswith("data:"):
        match = _DATA_URL.match(url)
        if match is None:
            raise _fail(where, "a data: image URL must look like data:image/png;base64,<data>")
        mime, data = _decode_image(match.group("data"), where, max_bytes)
        url = f"data:{mime};base64,{data}"
    elif url.startswith(("http://", "https://")):
        if platform == "ollama":
            raise _fail(
                where,
                "Ollama takes image bytes, not URLs; download the image and pass it as a "
                "data:image/...;base64,... URL (this client never fetches from hosts you did not configure)",
            )
        if any(c.isspace() for c in url):
            raise _fail(where, "image URL contains whitespace")
    else:
        # Bare base64 is accepted for convenience (what Ollama's own API takes).
        mime, data = _decode_image(url, where, max_bytes)
        url = f"data:{mime};base64,{data}"
    image: dict[str, Any] = {"url": url}
    if detail is not None:
        if detail not in ("auto", "low", "high"):
            raise _fail(where, f"image_url.detail must be 'auto', 'low' or 'high', got {detail!r}")
        image["detail"] = detail
    return {"type": "image_url", "image_url": image}


def _part(part: Any, where: str, platform: str, max_bytes: int) -> dict[str, Any]:
    if isinstance(part, str):
        return {"type": "text", "text": part}
    if not isinstance(part, Mapping):
        raise _fail(where, f"a content part must be an object, got {type(part).__name__}")
    kind = part.get("type")
    if not isinstance(kind, str):
        raise _fail(where, "a content part needs a string 'type'")
    if kind == "text":
        text = part.get("text")
        if not isinstance(text, str):
            raise _fail(where, "a text part needs a string 'text'")
        return {"type": "text", "text": text}
    if kind == "image_url":
        image = part.get("image_url")
        if isinstance(image, str):
            return _image_part(image, None, where, platform, max_bytes)
        if not isinstance(image, Mapping):
            raise _fail(where, "an image_url part needs an 'image_url' object with a 'url'")
        return _image_part(image.get("url"), image.get("detail"), where, platform, max_bytes)
    if kind == "image":
        # Anthropic-style block, as FLE's visual agent sends it.
        source = part.get("source")
        if not isinstance(source, Mapping):
            raise _fail(where, "an image part needs a 'source' object")
        if source.get("type") == "base64":
            data = source.get("data")
            if not isinstance(data, str):
                raise _fail(where, "an image source of type base64 needs string 'data'")
            mime, clean = _decode_image(data, where, max_bytes)
            declared = source.get("media_type")
            if (
                declared is not None
                and declared != mime
                and not (declared, mime) == ("image/jpg", "image/jpeg")
            ):
                raise _fail(where, f"media_type says {declared!r} but the bytes are {mime}")
            return {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{clean}"}}
        if source.get("type") == "url":
            return _image_part(source.get("url"), None, where, platform, max_bytes)
        raise _fail(where, "an image source must be of type 'base64' or 'url'")
    if platform != "ollama" and kind in _VLLM_PASSTHROUGH_PARTS:
        return dict(part)
    raise _fail(where, f"unsupported content part type {kind!r} on {platform}")


def _is_meta(kind: Any) -> bool:
    return isinstance(kind, str) and kind in _ASSISTANT_META


def _content(
    content: Any, where: str, platform: str, max_bytes: int, role: str
) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence) and not isinstance(content, (bytes, bytearray)):
        if role == "assistant":
            # An assistant's history may carry its tool calls and reasoning as content blocks
            # (LangChain does); they travel in tool_calls / are not sent back, so skip them here.
            content = [p for p in content if not (isinstance(p, Mapping) and _is_meta(p.get("type")))]
        return [_part(p, f"{where}.content[{i}]", platform, max_bytes) for i, p in enumerate(content)]
    raise _fail(where, f"content must be a string or a list of parts, got {type(content).__name__}")


def _tool_calls(calls: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(calls, Sequence) or isinstance(calls, (str, bytes)):
        raise _fail(where, "tool_calls must be a list")
    out = []
    for i, call in enumerate(calls):
        here = f"{where}.tool_calls[{i}]"
        if not isinstance(call, Mapping) or not isinstance(call.get("function"), Mapping):
            raise _fail(here, "a tool call needs a 'function' object")
        function = call["function"]
        name = function.get("name")
        if not isinstance(name, str) or not name:
            raise _fail(here, "a tool call needs a function name")
        arguments = function.get("arguments", "{}")
        if isinstance(arguments, Mapping):
            arguments = json.dumps(arguments)
        if not isinstance(arguments, str):
            raise _fail(here, "function.arguments must be a JSON string")
        call_id = call.get("id")
        if call_id is not None and not isinstance(call_id, str):
            raise _fail(here, "a tool call id must be a string")
        item: dict[str, Any] = {"type": "function", "function": {"name": name, "arguments": arguments}}
        if call_id is not None:
            item["id"] = call_id
        out.append(item)
    return out


def prepare_messages(messages: Any, *, platform: str, max_image_bytes: int) -> list[dict[str, Any]]:
    """Validate OpenAI-style messages and return clean copies (the caller's are not changed).

    Args:
        messages: A list of message objects (``role`` + ``content``...).
        platform: The client's platform (Ollama refuses image URLs; vLLM passes audio/video parts).
        max_image_bytes: The largest decoded image accepted.

    Returns:
        New message dicts: ``developer`` becomes ``system``, every image an ``image_url`` part
        with a checked ``data:`` URL (or an http(s) URL for vLLM, which fetches it itself).

    Raises:
        InvalidRequestError: naming the message, part and problem.

    >>> prepare_messages([{"role": "developer", "content": "be brief"}], platform="vllm", max_image_bytes=10)
    [{'role': 'system', 'content': 'be brief'}]
    >>> prepare_messages([], platform="vllm", max_image_bytes=10)
    Traceback (most recent call last):
    ...
    openai_compatible_client.errors.InvalidRequestError: messages: must be a non-empty list of message objects
    """
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence) or not messages:
        raise _fail("messages", "must be a non-empty list of message objects")
    out: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, Mapping):
            raise _fail(where, f"must be an object with 'role' and 'content', got {type(message).__name__}")
        role = message.get("role")
        if not isinstance(role, str) or role not in _ROLES:
            raise _fail(where, f"role must be one of {', '.join(sorted(_ROLES))}, got {role!r}")
        clean: dict[str, Any] = {"role": "system" if role == "developer" else role}
        content = message.get("content")
        tool_calls = message.get("tool_calls")
        if content is None:
            if role != "assistant" or not tool_calls:
                raise _fail(where, "content is required (it may be null only for an assistant's tool calls)")
            clean["content"] = None
        else:
            clean["content"] = _content(content, where, platform, max_image_bytes, role)
        if tool_calls:
            if role != "assistant":
                raise _fail(where, "only assistant messages carry tool_calls")
            clean["tool_calls"] = _tool_calls(tool_calls, where)
        if role == "tool":
            call_id = message.get("tool_call_id")
            if not isinstance(call_id, str) or not call_id:
                raise _fail(where, "a tool message needs the tool_call_id it answers")
            clean["tool_call_id"] = call_id
        name = message.get("name")
        if name is not None:
            if not isinstance(name, str):
                raise _fail(where, "name must be a string")
            clean["name"] = name
        for key in ("reasoning_content", "reasoning", "thinking"):
            value = message.get(key)
            if isinstance(value, str) and role == "assistant":
                clean["reasoning_content"] = value
        out.append(clean)
    return out


def ollama_images(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Move image parts into Ollama's ``images`` (bare base64) and flatten text parts.

    >>> ollama_images([{"role": "user", "content": [{"type": "text", "text": "hi"},
    ...     {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}}]}])
    [{'role': 'user', 'content': 'hi', 'images': ['iVBO']}]
    """
    out = []
    for message in messages:
        content = message.get("content")
        if not isinstance(content, list):
            out.append(message)
            continue
        texts: list[str] = []
        images: list[str] = []
        for part in content:
            if part["type"] == "text":
                texts.append(part["text"])
            else:
                images.append(part["image_url"]["url"].split(",", 1)[1])
        converted = dict(message, content="\n".join(texts))
        if images:
            converted["images"] = images
        out.append(converted)
    return out


def validate_tools(tools: Any) -> list[dict[str, Any]]:
    """Check OpenAI tool definitions locally; return them as plain dicts.

    >>> validate_tools([{"type": "function", "function": {"parameters": {}}}])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    openai_compatible_client.errors.InvalidRequestError: tools[0]: a function tool needs a 'name' ...
    """
    if isinstance(tools, (str, bytes)) or not isinstance(tools, Sequence) or not tools:
        raise _fail("tools", "must be a non-empty list of tool objects")
    out = []
    for i, tool in enumerate(tools):
        where = f"tools[{i}]"
        if not isinstance(tool, Mapping):
            raise _fail(where, "a tool must be an object")
        if tool.get("type", "function") != "function":
            raise _fail(where, f"only function tools are supported, got type {tool.get('type')!r}")
        function = tool.get("function")
        if not isinstance(function, Mapping):
            raise _fail(where, "a tool needs a 'function' object")
        name = function.get("name")
        if not isinstance(name, str) or not _TOOL_NAME.match(name):
            raise _fail(where, "a function tool needs a 'name' (letters, digits, _ . : -; at most 128)")
        parameters = function.get("parameters")
        if parameters is not None and not isinstance(parameters, Mapping):
            raise _fail(where, "function.parameters must be a JSON Schema object")
        out.append({"type": "function", "function": dict(function)})
    return out
