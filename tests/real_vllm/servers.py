"""Addresses of the real vLLM servers and raw HTTP calls to them (the truth the tests compare with)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import pytest
import requests

ENV_HINT = 'run `scripts/real-vllm.sh start` and `eval "$(scripts/real-vllm.sh env)"` first'
RAW_TIMEOUT = 120.0
# Raw calls go straight to loopback, never through a proxy from the environment.
RAW = requests.Session()
RAW.trust_env = False


@dataclass(frozen=True)
class Server:
    """One real vLLM server: its root URL (no ``/v1``), served model name and API key."""

    root: str
    model: str
    api_key: str | None

    @property
    def v1(self) -> str:
        """The OpenAI-style base URL, as users pass it to the client."""
        return f"{self.root}/v1"

    def headers(self) -> dict[str, str]:
        """Authorization header for raw calls (empty for servers without a key)."""
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def post(self, path: str, body: dict[str, Any], expect: int = 200) -> Any:
        """POST ``body`` to ``path`` with requests; return the decoded JSON."""
        response = RAW.post(self.root + path, json=body, headers=self.headers(), timeout=RAW_TIMEOUT)
        assert response.status_code == expect, (path, response.status_code, response.text)
        return response.json()

    def get(self, path: str) -> Any:
        """GET ``path`` with requests; return the decoded JSON."""
        response = RAW.get(self.root + path, headers=self.headers(), timeout=RAW_TIMEOUT)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()


def server_from_env(kind: str, default_model: str, with_key: bool) -> Server:
    """The server named by ``OCC_REAL_VLLM_<kind>_URL``; skips the test when it is not set."""
    url = os.environ.get(f"OCC_REAL_VLLM_{kind}_URL")
    if not url:
        pytest.skip(f"OCC_REAL_VLLM_{kind}_URL is not set: {ENV_HINT}")
    key = os.environ.get("OCC_REAL_VLLM_API_KEY") if with_key else None
    if with_key and not key:
        pytest.skip(f"OCC_REAL_VLLM_API_KEY is not set: {ENV_HINT}")
    model = os.environ.get(f"OCC_REAL_VLLM_{kind}_MODEL", default_model)
    return Server(root=url.rstrip("/").removesuffix("/v1"), model=model, api_key=key)


def close(a: list[float], b: list[float], tol: float = 1e-5) -> bool:
    """Same length and every element equal within ``tol`` (float32 vectors through JSON)."""
    if len(a) != len(b):
        return False
    return all(math.isclose(x, y, rel_tol=tol, abs_tol=tol) for x, y in zip(a, b, strict=True))


def async_client(server: Server) -> Any:
    """A new async library client for ``server``; the test closes it (it binds to the running loop)."""
    from openai_compatible_client import AsyncOpenAICompatibleClient

    return AsyncOpenAICompatibleClient(base_url=server.v1, api_key=server.api_key or "none", platform="vllm")
