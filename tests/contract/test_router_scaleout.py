"""Scale-out: three reference vLLM servers behind one Router.

300 requests spread over all three, one server stopped mid-run with no failed request, and a
server answering 500 cooled down. Loopback only; every loop is bounded; servers are stopped by pid.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from openai_compatible_client.config import ClientConfig
from openai_compatible_client.integrations.litellm_router import (
    AsyncRouterClient,
    RouterClient,
    client_from_router,
)
from tests.support.reference import RunningServer, start_reference_server

pytestmark = [pytest.mark.contract, pytest.mark.slow, pytest.mark.timeout(300)]

MODEL = "reference-chat"
CHAT = "/v1/chat/completions"
CONCURRENCY = 16


@pytest.fixture
def servers() -> Iterator[list[RunningServer]]:
    started: list[RunningServer] = []
    try:
        for _ in range(3):
            started.append(start_reference_server("vllm", [MODEL]))
        yield started
    finally:
        for server in started:
            server.stop()


def deployments(servers: list[RunningServer]) -> list[tuple[str, ClientConfig]]:
    return [
        ("chat", ClientConfig(base_url=s.base_url + "/v1", platform="vllm", model=MODEL, timeout=10))
        for s in servers
    ]


def chat_requests(server: RunningServer) -> int:
    return sum(1 for r in server.requests() if r["path"] == CHAT)


async def send(client: AsyncRouterClient, count: int, tag: str) -> list[str]:
    """``count`` chat calls, at most CONCURRENCY in flight; returns every answer's text."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> str:
        async with gate:
            answer = await client.chat.completions.create(
                model="chat", messages=[{"role": "user", "content": f"{tag} {i}"}], max_tokens=8
            )
            return answer.choices[0].message.content or ""

    return await asyncio.gather(*(one(i) for i in range(count)))


@pytest.mark.parametrize("strategy", ["simple-shuffle", "least-busy"])
async def test_300_requests_spread_over_three_servers(servers: list[RunningServer], strategy: str) -> None:
    async with client_from_router(deployments(servers), async_=True, routing_strategy=strategy) as client:
        answers = await asyncio.wait_for(send(client, 300, "spread"), timeout=120)

    assert answers == [f"You said: spread {i}" for i in range(300)]
    counts = [chat_requests(s) for s in servers]
    assert sum(counts) == 300
    assert all(count >= 60 for count in counts), counts  # each at least 20%


async def test_a_server_stopped_mid_run_loses_no_request(servers: list[RunningServer]) -> None:
    async with client_from_router(
        deployments(servers), async_=True, num_retries=3, allowed_fails=1, cooldown_time=60
    ) as client:
        before = await asyncio.wait_for(send(client, 60, "before"), timeout=60)
        survivors_before = sum(chat_requests(s) for s in servers[:2])
        servers[2].stop()  # by its pid
        after = await asyncio.wait_for(send(client, 120, "after"), timeout=120)
        cooled = client.cooldown_deployments()

    assert before == [f"You said: before {i}" for i in range(60)]
    assert after == [f"You said: after {i}" for i in range(120)]
    assert client.deployment_ids[2] in cooled
    # Every request after the stop was answered by one of the two servers left.
    assert sum(chat_requests(s) for s in servers[:2]) - survivors_before == 120


def test_a_server_answering_500_is_cooled_down(servers: list[RunningServer]) -> None:
    faulty = servers[1]
    faulty.add_fault(path=CHAT, status=500, body={"error": {"message": "boom"}}, times=1000)
    with client_from_router(
        deployments(servers),
        routing_strategy="simple-shuffle",
        num_retries=3,
        allowed_fails=1,
        cooldown_time=60,
    ) as client:
        assert isinstance(client, RouterClient)
        answers = [
            client.chat.completions.create(model="chat", messages=[{"role": "user", "content": f"c {i}"}])
            for i in range(60)
        ]
        cooled = client.cooldown_deployments()

    assert [a.choices[0].message.content for a in answers] == [f"You said: c {i}" for i in range(60)]
    assert cooled == [client.deployment_ids[1]]
    # allowed_fails=1: the second failure puts it in cooldown; after that it gets no traffic.
    assert chat_requests(faulty) <= 2
    assert chat_requests(servers[0]) + chat_requests(servers[2]) == 60
