"""The real llama-server's address, and raw HTTP calls to it (the truth the tests compare with)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import pytest
import requests

ENV_HINT = 'run `scripts/real-llamacpp.sh start` and `eval "$(scripts/real-llamacpp.sh env)"` first'
RAW_TIMEOUT = 120.0
# Raw calls go straight to loopback, never through a proxy from the environment.
RAW = requests.Session()
RAW.trust_env = False


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, decoded JSON body (a list of events for streams), stream end marker."""

    status: int
    body: Any
    done: bool = False


@dataclass(frozen=True)
class Server:
    """A llama-server (or the reference server's llama.cpp side): root URL (no ``/v1``) and alias."""

    root: str
    model: str

    @property
    def v1(self) -> str:
        """The OpenAI-style base URL, as users pass it to the client."""
        return f"{self.root}/v1"

    def call(
        self, method: str, path: str, body: Any = None, stream: bool = False, raw: bytes | None = None
    ) -> Answer:
        """Send one request; SSE answers are decoded into their ``data:`` events."""
        headers = {"Content-Type": "application/json"} if raw is not None else {}
        response = RAW.request(
            method,
            self.root + path,
            json=body if raw is None else None,
            data=raw,
            headers=headers,
            timeout=RAW_TIMEOUT,
            stream=stream,
        )
        with response:
            if stream and response.status_code == 200:
                events: list[Any] = []
                done = False
                for line in response.iter_lines(decode_unicode=True):
                    if not line or not line.startswith("data: "):
                        continue
                    data = line[len("data: ") :]
                    if data == "[DONE]":
                        done = True
                        break
                    events.append(json.loads(data))
                return Answer(response.status_code, events, done)
            text = response.text
        try:
            body_json = json.loads(text) if text.strip() else None
        except ValueError:
            body_json = text
        return Answer(response.status_code, body_json)


def server_from_env() -> Server:
    """The server named by ``OCC_REAL_LLAMACPP_URL``; skips the test when it is not set."""
    url = os.environ.get("OCC_REAL_LLAMACPP_URL")
    if not url:
        pytest.skip(f"OCC_REAL_LLAMACPP_URL is not set: {ENV_HINT}")
    model = os.environ.get("OCC_REAL_LLAMACPP_MODEL", "smollm2")
    return Server(root=url.rstrip("/").removesuffix("/v1"), model=model)
