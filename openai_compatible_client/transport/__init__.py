"""The bottom layer: request descriptions, retry policy, stream decoders and the two executors.

Nothing here knows about platforms, LiteLLM or the facade; everything above builds on it.
"""

from openai_compatible_client.transport.http import (
    AsyncTransport,
    BodyFactory,
    Call,
    Framing,
    Reply,
    Transport,
    TransportSettings,
    encode_json,
)
from openai_compatible_client.transport.retry import RetryPolicy
from openai_compatible_client.transport.streams import StreamReader, Terminator

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
