"""When to retry a request and how long to wait: one pure policy for every path."""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["RetryPolicy"]

# 429 and 503 mean the server refused before doing any work: safe to resend whatever the call.
_ALWAYS_RETRY = frozenset({429, 503})
# These may come after the server did (part of) the work: resend only idempotent calls.
_IDEMPOTENT_RETRY = frozenset({408, 409, 500, 502, 504})
# A Retry-After beyond this (or negative, NaN, unparsable) is nonsense, not advice: it is ignored.
_ABSURD_RETRY_AFTER = 86400.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry decisions and delays, after the OpenAI SDK's semantics.

    Attributes:
        max_retries: Retries after the first attempt.
        initial_delay: First backoff delay in seconds.
        max_delay: Cap of the exponential backoff.
        max_retry_after: A ``Retry-After`` longer than this is not waited for (the error is raised).

    A ``Retry-After`` (or ``retry-after-ms``) that cannot be read, is negative, not finite or
    longer than a day is treated as absent: the capped backoff applies.

    >>> policy = RetryPolicy(max_retries=2)
    >>> policy.should_retry(503, {}, idempotent=False), policy.should_retry(500, {}, idempotent=False)
    (True, False)
    >>> policy.should_retry(500, {}, idempotent=True), policy.should_retry(400, {}, idempotent=True)
    (True, False)
    >>> policy.delay(0, {"retry-after": "3"})
    3.0
    >>> policy.should_retry(429, {"retry-after": "3600"}, idempotent=True)
    False
    >>> 0.375 <= policy.delay(1, {}) <= 1.0
    True
    >>> 0.375 <= policy.delay(0, {"retry-after": "Mon, 01 Jan 99999 00:00:00 GMT"}) <= 0.5
    True
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def should_retry(self, status: int, headers: Mapping[str, str], *, idempotent: bool) -> bool:
        """Whether an error answer with this status deserves another attempt."""
        forced = _header(headers, "x-should-retry")
        if forced == "true":
            return True
        if forced == "false":
            return False
        retry_after = self._retry_after(headers)
        if retry_after is not None and retry_after > self.max_retry_after:
            return False
        if status in _ALWAYS_RETRY:
            return True
        return idempotent and status in _IDEMPOTENT_RETRY

    def delay(self, attempt: int, headers: Mapping[str, str] | None = None) -> float:
        """Seconds to wait before retry number ``attempt + 1`` (``attempt`` counts from 0)."""
        retry_after = self._retry_after(headers or {})
        if retry_after is not None and 0 <= retry_after <= self.max_retry_after:
            return retry_after
        backoff = min(self.initial_delay * (2.0**attempt), self.max_delay)
        return backoff * (1.0 - 0.25 * random.random())

    @staticmethod
    def _retry_after(headers: Mapping[str, str]) -> float | None:
        """Seconds the server asked to wait, or ``None`` when it did not (or talked nonsense)."""
        millis = _header(headers, "retry-after-ms")
        if millis is not None:
            seconds = _number(millis)
            if seconds is not None:
                return _sane(seconds / 1000.0)
        value = _header(headers, "retry-after")
        if value is None:
            return None
        seconds = _number(value)
        if seconds is not None:
            return _sane(seconds)
        try:
            parsed = email.utils.parsedate_tz(value)
            if parsed is None:
                return None
            return _sane(float(email.utils.mktime_tz(parsed)) - time.time())
        except (ValueError, OverflowError, TypeError, IndexError):
            return None


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _sane(seconds: float) -> float | None:
    return seconds if math.isfinite(seconds) and 0 <= seconds <= _ABSURD_RETRY_AFTER else None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        for key, item in headers.items():
            if key.lower() == name:
                return item.strip().lower() if name == "x-should-retry" else item.strip()
        return None
    return value.strip().lower() if name == "x-should-retry" else value.strip()
