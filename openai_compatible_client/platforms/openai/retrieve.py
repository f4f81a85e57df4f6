"""``client.models.retrieve(id)`` on both platforms (builders and parsers, no I/O).

Ollama serves ``GET /v1/models/{model}``. vLLM has no such route (a 404 on vLLM 0.32), so
the answer comes from ``GET /v1/models``, and an id the server does not serve raises
``openai.NotFoundError`` as the route would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote

from openai_compatible_client import errors as E
from openai_compatible_client.normalize import sdk_types
from openai_compatible_client.platforms.openai.types import ModelCard, ModelList
from openai_compatible_client.platforms.validation import check_model, reply_parser
from openai_compatible_client.transport.http import Call, Reply

if TYPE_CHECKING:
    from openai.types import Model

__all__ = ["from_list", "retrieve_call", "retrieved"]


def retrieve_call(model: str) -> Call:
    """``GET /v1/models/{model}``: one local model as ``openai.types.Model`` (Ollama)."""
    path = "/v1/models/" + quote(check_model(model), safe=":")
    return Call("ollama", "GET /v1/models/{model}", "GET", path)


def retrieved() -> Callable[[Reply], Model]:
    """Parser of Ollama's answer into ``openai.types.Model`` (the SDK is imported on the first answer)."""

    def parse(reply: Reply) -> Model:
        return reply_parser(sdk_types().model)(reply)

    return parse


def from_list(model: str) -> Callable[[Reply], ModelCard]:
    """Parser of ``GET /v1/models`` that picks ``model``; an unknown id raises ``NotFoundError``."""
    wanted = check_model(model)
    parse_list = reply_parser(ModelList)

    def pick(reply: Reply) -> ModelCard:
        page = parse_list(reply)
        for card in page.data:
            if card.id == wanted:
                return card
        served = ", ".join(card.id for card in page.data) or "none"
        message = f"The model `{wanted}` does not exist (served: {served})."
        body = {"error": {"message": message, "type": "NotFoundError", "param": None, "code": 404}}
        raise E.error_from_response(
            platform=reply.call.platform,
            endpoint="GET /v1/models/{model}",
            url=reply.url.rstrip("/") + "/" + quote(wanted, safe=":"),
            status=404,
            content=json.dumps(body).encode(),
        )

    return pick
