"""Response models of the platform endpoints share one base: subscriptable, lenient pydantic."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["SubscriptableModel"]


class SubscriptableModel(BaseModel):
    """A pydantic model that also reads like a dict, as the official Ollama client's do.

    Fields the server adds later are kept (``extra="allow"``), never dropped.

    >>> class Tag(SubscriptableModel):
    ...     name: str
    >>> tag = Tag.model_validate({"name": "llama3.2:latest", "size": 1})
    >>> tag["name"], tag.name, tag["size"], "name" in tag, tag.get("missing", 0)
    ('llama3.2:latest', 'llama3.2:latest', 1, True, 0)
    >>> tag["missing"]
    Traceback (most recent call last):
    ...
    KeyError: 'missing'
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=())

    def __getitem__(self, key: str) -> Any:
        if key in type(self).model_fields:
            return getattr(self, key)
        extra = self.__pydantic_extra__ or {}
        if key in extra:
            return extra[key]
        for name, info in type(self).model_fields.items():
            if info.alias == key:
                return getattr(self, name)
        raise KeyError(key)

    def __setitem__(self, key: str, value: Any) -> None:
        setattr(self, key, value)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        try:
            self[key]
        except KeyError:
            return False
        return True

    def get(self, key: str, default: Any = None) -> Any:
        """The value of a field, or ``default``."""
        try:
            return self[key]
        except KeyError:
            return default

    def keys(self) -> Iterator[str]:
        """The field names that are set, as a dict's keys."""
        return iter(self.model_dump(exclude_none=True, by_alias=True))
