"""Anthropic Messages shapes (``/v1/messages``) as subscriptable pydantic models.

They follow Anthropic's API reference without depending on the ``anthropic`` package: a
``Message`` has ``content`` blocks, ``stop_reason`` and ``usage``; a stream yields
``MessageStreamEvent`` objects from ``message_start`` to ``message_stop``. Unknown fields and
block types are kept (``extra="allow"``), so newer servers do not break parsing.
"""

from __future__ import annotations

from typing import Any

from openai_compatible_client.types import SubscriptableModel

__all__ = [
    "ContentBlock",
    "Message",
    "MessageDelta",
    "MessageStreamEvent",
    "MessageTokensCount",
    "Usage",
]


class Usage(SubscriptableModel):
    """Token counts: ``input_tokens``, ``output_tokens`` and the prompt-cache counters."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None


class ContentBlock(SubscriptableModel):
    """One content block: ``text`` (``text``), ``tool_use`` (``id``, ``name``, ``input``),
    ``thinking`` (``thinking``, ``signature``) or any newer type (its fields are kept)."""

    type: str
    text: str | None = None
    id: str | None = None
    name: str | None = None
    input: dict[str, Any] | None = None
    thinking: str | None = None
    signature: str | None = None


class Message(SubscriptableModel):
    """The answer of ``POST /v1/messages``.

    >>> m = Message.model_validate({"id": "msg_1", "type": "message", "role": "assistant",
    ...     "model": "m", "content": [{"type": "text", "text": "Hi"}], "stop_reason": "end_turn",
    ...     "usage": {"input_tokens": 3, "output_tokens": 1}})
    >>> m.content[0].text, m["stop_reason"], m.usage.output_tokens, m.text
    ('Hi', 'end_turn', 1, 'Hi')
    """

    id: str
    type: str = "message"
    role: str = "assistant"
    model: str | None = None
    content: list[ContentBlock]
    stop_reason: str | None = None
    stop_sequence: str | None = None
    usage: Usage | None = None

    @property
    def text(self) -> str:
        """The text of every ``text`` block, joined (a convenience; not a field of the wire shape)."""
        return "".join(block.text or "" for block in self.content if block.type == "text")


class MessageDelta(SubscriptableModel):
    """The ``delta`` of a stream event: ``text_delta`` (``text``), ``input_json_delta``
    (``partial_json``), ``thinking_delta``, or the message delta (``stop_reason``)."""

    type: str | None = None
    text: str | None = None
    partial_json: str | None = None
    thinking: str | None = None
    signature: str | None = None
    stop_reason: str | None = None
    stop_sequence: str | None = None


class MessageStreamEvent(SubscriptableModel):
    """One event of a streamed message (``event.type`` says which).

    ``message_start`` carries ``message``; ``content_block_start`` carries ``index`` and
    ``content_block``; ``content_block_delta`` carries ``index`` and ``delta``;
    ``content_block_stop`` carries ``index``; ``message_delta`` carries ``delta`` (stop reason)
    and ``usage``; ``message_stop`` ends the stream; ``ping`` may come at any time.
    """

    type: str
    message: Message | None = None
    index: int | None = None
    content_block: ContentBlock | None = None
    delta: MessageDelta | None = None
    usage: Usage | None = None


class MessageTokensCount(SubscriptableModel):
    """The answer of ``POST /v1/messages/count_tokens``: ``input_tokens``."""

    input_tokens: int
