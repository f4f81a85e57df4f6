"""The transport's names at their former address (``transport.http``), for existing imports.

New code imports from :mod:`openai_compatible_client.transport`.
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
from openai_compatible_client.transport.sync import Transport

__all__ = [
    "AsyncTransport",
    "BodyFactory",
    "Call",
    "Framing",
    "Reply",
    "Transport",
    "TransportSettings",
    "encode_json",
]
