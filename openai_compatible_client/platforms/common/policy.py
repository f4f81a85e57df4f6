"""The ``unsupported_params`` policy for the direct-HTTP endpoints (Responses, Messages).

The LiteLLM-routed calls apply the same policy in ``routing``; this is its twin for bodies this
library builds itself, so a parameter a platform would silently ignore warns, raises or is
dropped exactly as it would for chat.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from openai_compatible_client import errors as E
from openai_compatible_client.config import ClientConfig

__all__ = ["apply_policy"]


def apply_policy(
    method: str,
    platform: str,
    config: ClientConfig,
    unsupported: Mapping[str, str],
    given: dict[str, Any],
) -> dict[str, Any]:
    """Warn about, refuse or drop (per ``config.unsupported_params``) each given parameter in ``unsupported``.

    Returns ``given`` without the parameters that were not sent. ``None`` values count as not given.

    >>> from openai_compatible_client.config import ClientConfig
    >>> cfg = ClientConfig(base_url="http://h:1", platform="ollama", unsupported_params="drop")
    >>> apply_policy("responses.create", "ollama", cfg, {"store": "no store"}, {"store": True, "input": "x"})
    {'input': 'x'}
    """
    for name in [n for n, v in given.items() if n in unsupported and v is not None]:
        message = f"{method}: {name}= is not supported on {platform} ({unsupported[name]})"
        if config.unsupported_params == "error":
            raise E.UnsupportedParameterError(
                message + "; remove it or set unsupported_params='warn'", parameter=name, platform=platform
            )
        if config.unsupported_params == "warn":
            warnings.warn(message + "; it was not sent", UserWarning, stacklevel=4)
        del given[name]
    return given
