"""A small ``multipart/form-data`` parser for the audio upload routes."""

from __future__ import annotations

import re
from dataclasses import dataclass

_BOUNDARY_RE = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_PARAM_RE = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@dataclass
class Part:
    """One form field: its name, optional filename and raw content."""

    name: str
    filename: str | None
    content: bytes

    @property
    def text(self) -> str:
        """The content decoded as UTF-8."""
        return self.content.decode("utf-8", "replace")


def parse_form(content_type: str, body: bytes) -> dict[str, Part] | None:
    """Parse a multipart body; ``None`` when the request is not multipart.

    >>> body = b'--b\\r\\nContent-Disposition: form-data; name="a"\\r\\n\\r\\nhi\\r\\n--b--\\r\\n'
    >>> parse_form('multipart/form-data; boundary=b', body)['a'].text
    'hi'
    """
    if not content_type.lower().startswith("multipart/form-data"):
        return None
    found = _BOUNDARY_RE.search(content_type)
    if not found:
        return None
    delimiter = b"--" + found.group(1).encode()
    parts: dict[str, Part] = {}
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, content = chunk.partition(b"\r\n\r\n")
        if content.endswith(b"\r\n"):
            content = content[:-2]
        params: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if line.lower().startswith("content-disposition:"):
                params = dict(_PARAM_RE.findall(line))
        name = params.get("name")
        if name is not None:
            parts[name] = Part(name, params.get("filename"), content)
    return parts
