"""The bottom layer: request descriptions, retry policy, stream decoders and the two executors.

Nothing here knows about platforms, LiteLLM or the facade; everything above builds on it.
``call`` (pure data), ``retry`` (the policy), ``streams`` (decoders), ``base`` (what both
executors share), ``sync`` (requests) and ``aio`` (aiohttp by default, in ``aio_pool``; httpx for a
user's ``httpx.AsyncClient``, a proxy or trio).
"""

from openai_compatible_client.transport.aio import AsyncTransport
from openai_compatible_client.transport.call import (
    BodyFactory,
    Call,
    Framing,
    Reply,
    TransportSettings,
    encode_json,
)
from openai_compatible_client.transport.retry import RetryPolicy
from openai_compatible_client.transport.streams import StreamReader, Terminator
from openai_compatible_client.transport.sync import Transport

__all__ = [
    "AsyncTransport",
    "BodyFactory",
    "Call",
    "Framing",
    "Reply",
    "RetryPolicy",
    "StreamReader",
    "Terminator",
    "Transport",
    "TransportSettings",
    "encode_json",
]
