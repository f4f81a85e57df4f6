"""One OpenAI Agents SDK turn on a self-hosted vLLM or Ollama server.

The Agents SDK takes any ``AsyncOpenAI``-shaped client for its models. ``OpenAIResponsesModel``
calls ``client.responses.create(...)``, which ``AsyncOpenAICompatibleClient`` sends to the
server's own ``/v1/responses`` (vLLM, and Ollama's ``/v1`` layer) and answers with the SDK's
``Response`` objects. Needs ``pip install openai-agents``.

Run against your server::

    python examples/agents_sdk.py --base-url http://localhost:8000/v1 --platform vllm --model MODEL

or against the bundled reference server (no model needed)::

    python examples/agents_sdk.py --reference vllm
"""

from __future__ import annotations

import argparse
import asyncio

from agents import Agent, OpenAIResponsesModel, Runner, set_tracing_disabled

from openai_compatible_client import AsyncOpenAICompatibleClient


async def one_turn(client: AsyncOpenAICompatibleClient, model: str, question: str) -> str:
    """Run one agent turn with ``client`` as the Agents SDK's model provider; return its answer."""
    agent = Agent(
        name="assistant",
        instructions="Answer in one short sentence.",
        model=OpenAIResponsesModel(model=model, openai_client=client),  # type: ignore[arg-type]
    )
    result = await Runner.run(agent, question)
    return str(result.final_output)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://localhost:8000/v1")
    parser.add_argument("--platform", default="vllm", choices=["vllm", "ollama"])
    parser.add_argument("--model", default="reference-chat")
    parser.add_argument("--api-key", default="none")
    parser.add_argument("--reference", choices=["vllm", "ollama"], help="use the bundled reference server")
    parser.add_argument("question", nargs="?", default="What is 2+2?")
    args = parser.parse_args()
    set_tracing_disabled(True)  # tracing would upload to api.openai.com
    if args.reference:
        from openai_compatible_client.server import ReferenceServer

        model = "llama3.2" if args.reference == "ollama" else "reference-chat"
        with ReferenceServer(args.reference, models=[model]) as server:
            base = server.base_url + ("/v1" if args.reference == "vllm" else "")
            async with AsyncOpenAICompatibleClient(base_url=base, platform=args.reference) as client:
                print(await one_turn(client, model, args.question))
        return
    async with AsyncOpenAICompatibleClient(
        base_url=args.base_url, api_key=args.api_key, platform=args.platform
    ) as client:
        print(await one_turn(client, args.model, args.question))


if __name__ == "__main__":
    asyncio.run(main())
