"""Terminal output in the ``ollama`` CLI's formats: padded tables, relative times, processor split.

Pure functions (no I/O besides :func:`print_table`), so the formats are tested without a server.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Sequence
from typing import TextIO

__all__ = ["human_duration", "human_time", "print_table", "processor", "render_table"]

_PADDING = "    "
_FRACTION = re.compile(r"(\.\d{6})\d+")


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by four spaces, as ``ollama list`` prints them.

    >>> print(render_table(("NAME", "SIZE"), [("llama3.2:latest", "2.0 GB")]))
    NAME               SIZE
    llama3.2:latest    2.0 GB
    """
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = (
        _PADDING.join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    )
    return "\n".join(lines)


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO | None = None) -> None:
    """Print :func:`render_table`'s output."""
    print(render_table(header, rows), file=out or sys.stdout)


def human_duration(seconds: float) -> str:
    """An approximate duration in ``ollama``'s words.

    >>> [human_duration(s) for s in (0.5, 1, 42, 60, 600)]
    ['Less than a second', '1 second', '42 seconds', 'About a minute', '10 minutes']
    >>> [human_duration(s) for s in (3600, 7 * 3600, 3 * 86400, 20 * 86400)]
    ['About an hour', '7 hours', '3 days', '2 weeks']
    >>> human_duration(90 * 86400), human_duration(800 * 86400)
    ('3 months', '2 years')
    """
    whole = int(seconds)
    if whole < 1:
        return "Less than a second"
    if whole == 1:
        return "1 second"
    if whole < 60:
        return f"{whole} seconds"
    minutes = whole // 60
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = round(seconds / 3600)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{hours // 24 // 365} years"


def _parse(timestamp: str) -> dt.datetime | None:
    text = _FRACTION.sub(r"\1", timestamp.strip()).replace("Z", "+00:00")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def human_time(timestamp: str | None, zero: str = "Never", now: dt.datetime | None = None) -> str:
    """``"2 weeks ago"`` / ``"4 minutes from now"`` for a server timestamp, as ``ollama`` shows it.

    A missing or zero timestamp gives ``zero``; an unreadable one is shown as it is.

    >>> now = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.timezone.utc)
    >>> human_time("2026-01-01T12:00:00.123456789Z", now=now)
    '2 weeks ago'
    >>> human_time("2026-01-15T12:04:30+00:00", now=now)
    '4 minutes from now'
    >>> human_time("0001-01-01T00:00:00Z", now=now), human_time(None, now=now)
    ('Never', 'Never')
    """
    if not timestamp:
        return zero
    moment = _parse(timestamp)
    if moment is None:
        return timestamp
    if moment.year <= 1:
        return zero
    delta = ((now or dt.datetime.now(dt.timezone.utc)) - moment).total_seconds()
    if delta < -20 * 365 * 86400:
        return "Forever"
    if delta < 0:
        return human_duration(-delta) + " from now"
    return human_duration(delta) + " ago"


def processor(size: int | None, size_vram: int | None) -> str:
    """Where a loaded model sits, in ``ollama ps``'s PROCESSOR column.

    >>> processor(100, 0), processor(100, 100), processor(100, 25), processor(0, 5)
    ('100% CPU', '100% GPU', '75%/25% CPU/GPU', 'Unknown')
    """
    total, vram = size or 0, size_vram or 0
    if vram == 0:
        return "100% CPU"
    if vram == total:
        return "100% GPU"
    if vram > total or total == 0:
        return "Unknown"
    cpu = round((total - vram) / total * 100)
    return f"{cpu}%/{100 - cpu}% CPU/GPU"
