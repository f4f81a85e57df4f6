"""Progress display for ``occ models pull|push|create``: a live bar on a terminal, plain lines otherwise.

Fed with Ollama's progress objects (``status``, and while a layer moves ``digest``, ``total``,
``completed``). On a terminal one line is redrawn in place with the bytes moved, the rate and
the time left; in a log (not a TTY) each status is printed once, and a transfer at most every
few seconds and when it finishes, so CI output stays short.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from openai_compatible_client.types import SubscriptableModel

__all__ = ["ProgressDisplay", "format_bytes", "format_duration", "render_bar"]

_BAR_WIDTH = 24
_REDRAW_EVERY = 0.1
_LOG_EVERY = 5.0
_SMOOTHING = 0.3


def format_bytes(count: float) -> str:
    """Decimal units, as Ollama prints them.

    >>> format_bytes(999), format_bytes(1_500), format_bytes(4_683_073_184)
    ('999 B', '1.5 KB', '4.7 GB')
    """
    value = float(count)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(value) < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def format_duration(seconds: float) -> str:
    """A short duration for the time left.

    >>> format_duration(5.2), format_duration(185), format_duration(3725)
    ('5s', '3m05s', '1h02m')
    """
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def render_bar(status: str, completed: int, total: int, rate: float | None, width: int = _BAR_WIDTH) -> str:
    """One progress line: status, percent, bar, bytes, rate and time left.

    >>> render_bar("pulling 6a0746a1ec1a", 500, 1000, 100.0, width=10)
    'pulling 6a0746a1ec1a   50% [#####     ] 500 B/1.0 KB  100 B/s  5s left'
    """
    fraction = min(1.0, completed / total) if total > 0 else 0.0
    filled = int(fraction * width)
    line = f"{status}  {fraction * 100:3.0f}% [{'#' * filled}{' ' * (width - filled)}] "
    line += f"{format_bytes(completed)}/{format_bytes(total)}"
    if rate is not None and rate > 0:
        line += f"  {format_bytes(rate)}/s"
        if completed < total:
            line += f"  {format_duration((total - completed) / rate)} left"
    return line


@dataclass
class _Transfer:
    total: int
    completed: int
    seen_at: float
    rate: float | None = None
    shown_at: float = float("-inf")


class ProgressDisplay:
    """Shows a stream of progress objects.

    Args:
        stream: Where to write (standard error by default).
        tty: Redraw in place; by default when ``stream`` is a terminal.
        clock: The time source (seconds), replaceable in tests.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._out = stream if stream is not None else sys.stderr
        self._tty = self._out.isatty() if tty is None else tty
        self._clock = clock
        self._transfers: dict[str, _Transfer] = {}
        self._status: str | None = None
        self._open_line = False

    def update(self, event: Mapping[str, Any] | SubscriptableModel) -> None:
        """Take one progress object (``status``, and ``digest``/``total``/``completed`` while bytes move)."""
        status = str(event.get("status") or "")
        total = event.get("total")
        if isinstance(total, int) and total > 0:
            self._transfer(
                status, str(event.get("digest") or status), total, int(event.get("completed") or 0)
            )
        elif status and status != self._status:
            self._line(status)
        self._status = status

    def close(self) -> None:
        """End the display (finishes a line left open on a terminal)."""
        if self._open_line:
            self._out.write("\n")
            self._open_line = False
        self._out.flush()

    def __enter__(self) -> ProgressDisplay:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _transfer(self, status: str, key: str, total: int, completed: int) -> None:
        now = self._clock()
        transfer = self._transfers.get(key)
        if transfer is None:
            transfer = self._transfers[key] = _Transfer(total, completed, now)
            if self._open_line and self._tty:
                self._out.write("\n")
                self._open_line = False
        elif now > transfer.seen_at and completed >= transfer.completed:
            speed = (completed - transfer.completed) / (now - transfer.seen_at)
            transfer.rate = (
                speed if transfer.rate is None else _SMOOTHING * speed + (1 - _SMOOTHING) * transfer.rate
            )
            transfer.completed, transfer.seen_at, transfer.total = completed, now, total
        done = completed >= total
        every = _REDRAW_EVERY if self._tty else _LOG_EVERY
        if not done and now - transfer.shown_at < every:
            return
        if done and transfer.shown_at == float("inf"):
            return  # already shown as finished
        transfer.shown_at = float("inf") if done else now
        text = render_bar(status, completed, total, transfer.rate)
        if self._tty:
            self._out.write("\r" + text + "\x1b[K")
            self._open_line = not done
            if done:
                self._out.write("\n")
        else:
            self._out.write(text + "\n")
        self._out.flush()

    def _line(self, text: str) -> None:
        if self._open_line:
            self._out.write("\n")
            self._open_line = False
        self._out.write(text + "\n")
        self._out.flush()
