"""The registry of platform entries, by name."""

from __future__ import annotations

import importlib

from openai_compatible_client import errors
from openai_compatible_client.platforms.entry import Platform

__all__ = [
    "declare_builtin",
    "get_platform",
    "platform_names",
    "platforms",
    "platforms_with",
    "register_platform",
    "unregister_platform",
]

# An entry, or for a built-in platform not used yet the module that defines its ``PLATFORM``.
_REGISTRY: dict[str, Platform | str] = {}


def declare_builtin(name: str) -> None:
    """Add a built-in platform by name; its package (``platforms/<name>/``) is imported on first use."""
    _REGISTRY[name] = f"{__package__}.{name}.platform"


def _entry(name: str) -> Platform:
    """The entry of a registered name, importing a built-in platform's package the first time."""
    entry = _REGISTRY[name]
    if isinstance(entry, str):
        loaded: Platform = importlib.import_module(entry).PLATFORM
        if loaded.name != name:
            raise RuntimeError(f"{entry} defines the platform {loaded.name!r}, not {name!r}")
        register_platform(loaded)
        return loaded
    return entry


def _load_hints(name: str) -> None:
    if name in _REGISTRY:
        _entry(name)


errors.set_hints_loader(_load_hints)


def register_platform(platform: Platform) -> None:
    """Add (or replace) a platform; ``OpenAICompatibleClient(platform=name)`` then uses it."""
    if not platform.name or platform.name == "auto" or not platform.name.isidentifier():
        raise errors.ConfigurationError(f"invalid platform name {platform.name!r}: use a short identifier")
    _REGISTRY[platform.name] = platform
    errors.set_hints(platform.name, platform.hints, platform.start_hint)


def unregister_platform(name: str) -> None:
    """Remove a platform added with :func:`register_platform` (the built-in ones stay)."""
    entry = _entry(name) if name in _REGISTRY else None
    if entry is not None and entry.builtin:
        raise errors.ConfigurationError(f"the built-in platform {name!r} cannot be removed")
    _REGISTRY.pop(name, None)
    errors.set_hints(name, {}, None)


def platform_names() -> tuple[str, ...]:
    """The registered platform names."""
    return tuple(_REGISTRY)


def platforms() -> tuple[Platform, ...]:
    """The registered entries, in registration order."""
    return tuple(_entry(name) for name in tuple(_REGISTRY))


def get_platform(name: str) -> Platform:
    """The registry entry of a platform name.

    Raises:
        ConfigurationError: the name is not registered (naming the accepted values).
    """
    try:
        return _entry(name)
    except KeyError:
        raise errors.ConfigurationError(
            f"unknown platform {name!r}; accepted values: {', '.join((*_REGISTRY, 'auto'))}"
        ) from None


def platforms_with(resource: str) -> tuple[str, ...]:
    """The platforms that have a platform-only resource (for UnsupportedEndpointError)."""
    return tuple(p.name for p in platforms() if resource in p.resource_table())
