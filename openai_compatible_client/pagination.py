"""Pages as the OpenAI SDK returns them: ``for model in client.models.list()`` and ``.data``.

vLLM's and Ollama's model lists come in one answer, so a page is the only page
(``has_next_page()`` is False), as with the SDK's ``SyncPage``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

__all__ = ["PageMixin", "unix_time"]


class PageMixin:
    """Iteration over a page's items (mixed into a pydantic response model before ``BaseModel``)."""

    def _page_items(self) -> list[Any]:
        raise NotImplementedError

    def __iter__(self) -> Iterator[Any]:
        return iter(self._page_items())

    async def __aiter__(self) -> AsyncIterator[Any]:
        for item in self._page_items():
            yield item

    def has_next_page(self) -> bool:
        """Always False: the server answers the whole list at once."""
        return False

    def next_page_info(self) -> None:
        """None: there is no next page."""
        return None

    def get_next_page(self) -> Any:
        """Raises ``RuntimeError``, as the SDK does when there is no next page."""
        raise RuntimeError("No more pages to fetch (the server answers the whole list at once).")

    def iter_pages(self) -> Iterator[Any]:
        """This page (the only one)."""
        yield self


def unix_time(stamp: str | None) -> int:
    """Seconds since the epoch of an RFC 3339 time as Ollama writes it (nanoseconds, any offset).

    >>> unix_time("2024-05-01T12:00:00.123456789-07:00")
    1714590000
    >>> unix_time("2024-05-01T19:00:00Z"), unix_time(None), unix_time("not a time")
    (1714590000, 0, 0)
    """
    if not stamp:
        return 0
    text = stamp.strip().replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"
    try:
        return int(datetime.fromisoformat(text).timestamp())
    except ValueError:
        return 0
