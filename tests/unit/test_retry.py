"""RetryPolicy: which answers are retried, and how long to wait."""

from __future__ import annotations

import email.utils
import time

import pytest

from openai_compatible_client.transport.retry import RetryPolicy

POLICY = RetryPolicy(max_retries=3)


@pytest.mark.parametrize(
    ("status", "idempotent", "retry"),
    [
        (429, False, True), (503, False, True), (500, False, False), (502, False, False), (504, False, False),
        (408, True, True), (409, True, True), (500, True, True), (502, True, True), (504, True, True),
        (400, True, False), (401, True, False), (404, True, False), (422, True, False), (501, True, False),
    ],
)  # fmt: skip
def test_should_retry(status: int, idempotent: bool, retry: bool) -> None:
    assert POLICY.should_retry(status, {}, idempotent=idempotent) is retry


def test_server_can_force_or_forbid() -> None:
    assert POLICY.should_retry(400, {"X-Should-Retry": "true"}, idempotent=False)
    assert not POLICY.should_retry(503, {"x-should-retry": "false"}, idempotent=True)


def test_retry_after_forms() -> None:
    assert POLICY.delay(0, {"Retry-After": "2"}) == 2.0
    assert POLICY.delay(0, {"retry-after-ms": "250"}) == 0.25
    date = email.utils.formatdate(time.time() + 5, usegmt=True)
    assert 3.5 <= POLICY.delay(0, {"retry-after": date}) <= 5.0
    assert not POLICY.should_retry(429, {"retry-after": "3600"}, idempotent=True)  # too long to wait


@pytest.mark.parametrize("bad", ["soon", "", "-1", "nan"])
def test_bad_retry_after_falls_back_to_backoff(bad: str) -> None:
    assert 0.375 <= POLICY.delay(0, {"retry-after": bad}) <= 0.5


def test_backoff_is_exponential_capped_with_jitter() -> None:
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 8.0)]:
        for _ in range(50):
            assert 0.75 * ceiling <= POLICY.delay(attempt) <= ceiling
