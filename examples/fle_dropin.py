"""FLE's ``APIFactory.acall`` on a self-hosted vLLM or Ollama server.

The Factorio Learning Environment (FLE) calls every model through ``APIFactory.acall``, which
builds an ``openai.AsyncOpenAI`` client with ``max_retries=0`` and reads
``response.choices[i].message.content`` and ``response.usage``. This file is that method with one
change: ``AsyncOpenAI`` becomes ``AsyncOpenAICompatibleClient`` (plus ``platform=``). The
keyword arguments, their defaults and the ``None`` filtering are FLE's.

Run against your server::

    python examples/fle_dropin.py --base-url http://localhost:11434 --platform ollama --model llama3.2

or against the bundled reference server (no model needed)::

    python examples/fle_dropin.py --reference vllm
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import struct
import zlib
from typing import Any

from openai_compatible_client import AsyncOpenAICompatibleClient


class APIFactory:
    """FLE's factory, reduced to one self-hosted provider."""

    def __init__(self, model: str, base_url: str, platform: str, api_key: str | None = None) -> None:
        self.model = model
        self.base_url = base_url
        self.platform = platform
        self.api_key = api_key

    async def acall(self, **kwargs: Any) -> Any:
        """FLE's ``acall``: the same keyword arguments, defaults and ``None`` filtering."""
        model_to_use = kwargs.get("model", self.model)
        messages = kwargs.get("messages", [])
        # was: client = AsyncOpenAI(base_url=provider_config["base_url"], api_key=api_key, max_retries=0)
        async with AsyncOpenAICompatibleClient(
            base_url=self.base_url, api_key=self.api_key, platform=self.platform, max_retries=0
        ) as client:
            api_params = {
                "model": model_to_use,
                "messages": messages,
                "max_tokens": kwargs.get("max_tokens", 256),
                "temperature": kwargs.get("temperature", 0.3),
                "logit_bias": kwargs.get("logit_bias"),
                "n": kwargs.get("n_samples"),
                "stop": kwargs.get("stop_sequences"),
                "presence_penalty": kwargs.get("presence_penalty"),
                "frequency_penalty": kwargs.get("frequency_penalty"),
                "stream": False,
            }
            api_params = {k: v for k, v in api_params.items() if v is not None}
            return await client.chat.completions.create(**api_params)


def tiny_png_base64() -> str:
    """A valid 2x2 PNG (FLE sends base64 PNG renders of the map)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x20\x80\x20" * 2 for _ in range(2))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return base64.b64encode(png).decode()


def visual_agent_messages(observation: str) -> list[dict[str, Any]]:
    """Messages shaped like FLE's VisualAgent: an Anthropic-style image part in the last user turn."""
    return [
        {"role": "system", "content": "You write Python programs that play Factorio."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": observation},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": tiny_png_base64()},
                },
                {"type": "text", "text": "[Current map view (radius: 20)]"},
            ],
        },
    ]


async def run(factory: APIFactory) -> None:
    """One GymAgent-style call and one MCTS-style call, printing what FLE reads."""
    response = await factory.acall(
        messages=visual_agent_messages("Inventory: 10 iron plates"),
        n_samples=1,
        temperature=0.5,
        max_tokens=128,
    )
    usage = response.usage
    print("content:", response.choices[0].message.content)
    print("usage:", usage.prompt_tokens, usage.completion_tokens, usage.total_tokens)
    response = await factory.acall(
        messages=[{"role": "user", "content": "Place a burner mining drill"}],
        n_samples=2,
        temperature=0.7,
        max_tokens=64,
        stop_sequences=["```END"],
        presence_penalty=0.1,
        frequency_penalty=0.1,
    )
    for index, choice in enumerate(response.choices):
        print(f"choice {index}:", choice.message.content)


def main() -> None:
    """Command line: ``--base-url/--platform/--model``, or ``--reference vllm|ollama``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url")
    parser.add_argument("--platform", choices=["vllm", "ollama"], default="vllm")
    parser.add_argument("--model")
    parser.add_argument("--api-key")
    parser.add_argument("--reference", choices=["vllm", "ollama"], help="use the bundled reference server")
    args = parser.parse_args()
    if args.reference:
        from openai_compatible_client.server import ReferenceServer

        with ReferenceServer(args.reference) as server:
            model = "reference-chat" if args.reference == "vllm" else "llama3.2"
            asyncio.run(run(APIFactory(model, server.base_url, args.reference)))
        return
    if not args.base_url or not args.model:
        parser.error("--base-url and --model are required (or use --reference vllm|ollama)")
    asyncio.run(run(APIFactory(args.model, args.base_url, args.platform, args.api_key)))


if __name__ == "__main__":
    main()
