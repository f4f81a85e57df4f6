"""Text arguments of ``occ``: ``-`` stands for standard input, as in most Unix tools."""

from __future__ import annotations

import sys
from typing import TextIO

__all__ = ["read_text", "read_texts"]


def read_text(value: str, stdin: TextIO | None = None) -> str:
    """``value`` itself, or all of standard input when it is ``-`` (one final newline dropped).

    >>> import io
    >>> read_text("hello"), read_text("-", io.StringIO("from a pipe\\n"))
    ('hello', 'from a pipe')
    """
    if value != "-":
        return value
    text = (stdin or sys.stdin).read()
    return text[:-1] if text.endswith("\n") else text


def read_texts(values: list[str], stdin: TextIO | None = None) -> list[str]:
    """Each value, with a ``-`` replaced by standard input (which can be read only once).

    >>> import io
    >>> read_texts(["a", "-", "b"], io.StringIO("piped"))
    ['a', 'piped', 'b']
    """
    if values.count("-") > 1:
        raise SystemExit("occ: '-' (standard input) can be given only once")
    return [read_text(value, stdin) for value in values]
