"""State shared by the vLLM routes: served names, tokenizer, conversation parsing, SSE framing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .model import Turn
from .tokenizer import WordTokenizer
from .transport import JSONValue, StreamResponse, json_bytes
from .vllm_common import MAX_MODEL_LEN, VLLMError, bad_request

_TEXT_PARTS = {"text", "input_text", "output_text", "refusal"}
_IMAGE_PARTS = {"image_url", "input_image", "image_embeds", "image_pil"}
_OTHER_PARTS = {
    "audio_url",
    "input_audio",
    "audio_embeds",
    "video_url",
    "video_embeds",
    "prompt_embeds",
    "thinking",
    "tool_reference",
    "file",
}


@dataclass
class VLLMContext:
    """The served model (one or more aliases) and its helpers."""

    names: list[str]
    embedding_dim: int = 16
    tokenizer: WordTokenizer = field(default_factory=WordTokenizer)
    adapters: dict[str, str] = field(default_factory=dict)
    """LoRA adapters loaded at run time: name -> path (usable as ``model``)."""

    @property
    def first(self) -> str:
        """The first served name (vLLM reports it as ``model`` in every response)."""
        return self.names[0]

    @property
    def fingerprint(self) -> str:
        """``system_fingerprint`` as vLLM's default fingerprint mode builds it."""
        digest = hashlib.sha256("|".join(self.names).encode()).hexdigest()[:8]
        return f"vllm-0.33.0-{digest}"

    def check_model(self, name: Any, pooling: bool = False) -> str:
        """Return the name to report, or raise vLLM's 404 for an unknown model.

        Generation, tokenizer and audio routes name the valid aliases and ``param: "model"``;
        the pooling routes (embeddings, pooling, classify, score, rerank) fail later in vLLM,
        with the bare message and ``param: null``.
        """
        if name is None or name == "" or name in self.names:
            return self.first
        if name in self.adapters:
            return str(name)
        if pooling:
            raise VLLMError(404, "NotFoundError", f"The model `{name}` does not exist.", None)
        aliases = ", ".join(self.names)
        raise VLLMError(
            404, "NotFoundError", f"The model `{name}` does not exist. Valid aliases: {aliases}.", "model"
        )

    def check_length(self, prompt_tokens: int) -> None:
        """Refuse prompts longer than the context window."""
        if prompt_tokens > MAX_MODEL_LEN:
            raise bad_request(
                f"This model's maximum context length is {MAX_MODEL_LEN} tokens. However, your request "
                f"has {prompt_tokens} input tokens. Please reduce the length of the input messages.",
                "input_tokens",
            )

    def turns(self, messages: list[Any]) -> list[Turn]:
        """Reduce OpenAI-style messages to turns (text parts joined by a space, images counted)."""
        out: list[Turn] = []
        for message in messages:
            if not isinstance(message, dict):
                raise bad_request("Each message must be an object with a 'role'.", "messages")
            text, images = content_text(message.get("content"))
            out.append(Turn(str(message.get("role", "user")), text, images))
        return out

    def prompt_tokens(self, turns: list[Turn]) -> int:
        """Prompt size of a conversation: its words plus 3 per message."""
        return len(self.tokenizer.chat_pieces([(t.role, t.text) for t in turns]))


def content_text(content: Any) -> tuple[str, int]:
    """Text (parts joined by a space) and image count of a message ``content``."""
    if content is None:
        return "", 0
    if isinstance(content, str):
        return content, 0
    if not isinstance(content, list):
        raise bad_request("Message content must be a string or a list of content parts.", "messages")
    texts: list[str] = []
    images = 0
    for part in content:
        if isinstance(part, str):
            texts.append(part)
            continue
        if not isinstance(part, dict):
            raise bad_request("Each content part must be an object.", "messages")
        kind = part.get("type")
        if kind is None and "image_url" in part:
            kind = "image_url"
        if kind in _TEXT_PARTS:
            texts.append(str(part.get("text", part.get(kind, "")) or ""))
        elif kind in _IMAGE_PARTS:
            images += 1
        elif kind not in _OTHER_PARTS:
            raise bad_request(f"Unknown part type: {kind}")
    return " ".join(texts), images


def sse(events: Iterator[JSONValue]) -> Iterator[bytes]:
    """Frame JSON events as ``data: <json>\\n\\n`` and finish with ``data: [DONE]``."""
    for event in events:
        yield b"data: " + json_bytes(event) + b"\n\n"
    yield b"data: [DONE]\n\n"


def sse_error_frame(message: str) -> bytes:
    """A mid-stream error as vLLM sends it, followed by ``[DONE]``."""
    body = {"error": {"message": message, "type": "InternalServerError", "param": None, "code": 500}}
    return b"data: " + json_bytes(body) + b"\n\ndata: [DONE]\n\n"


def sse_response(events: Iterator[JSONValue]) -> StreamResponse:
    """A 200 ``text/event-stream`` response."""
    return StreamResponse(200, "text/event-stream; charset=utf-8", sse(events), error_chunk=sse_error_frame)
