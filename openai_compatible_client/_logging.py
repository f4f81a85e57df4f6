"""The library's logger, ``openai_compatible_client``, and ``OPENAI_LOG`` as the OpenAI SDK reads it.

DEBUG: each request line, its status and time, retry decisions. INFO: retries. Never the API
key, headers or message contents. LiteLLM logs on its own loggers (``LiteLLM``, ``LiteLLM
Router``...); their import-time chatter is kept from the user's handlers unless the user has
configured those loggers (:func:`quiet_litellm`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping

__all__ = ["LITELLM_LOGGERS", "logger", "quiet_litellm", "setup_from_env"]

logger = logging.getLogger("openai_compatible_client")

LITELLM_LOGGERS = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy")

_SETUP = threading.Lock()
_done = False


def setup_from_env(environ: Mapping[str, str] | None = None) -> None:
    """Honour ``OPENAI_LOG=debug|info`` once per process, as ``openai`` does for its logger.

    Like the SDK, it calls ``logging.basicConfig`` (a no-op when the root logger has handlers)
    and sets this library's logger to the level; other values are ignored.
    """
    global _done
    if _done:
        return
    with _SETUP:
        if _done:
            return
        _done = True
        level = {"debug": logging.DEBUG, "info": logging.INFO}.get(
            (os.environ if environ is None else environ).get("OPENAI_LOG", "").lower()
        )
        if level is None:
            return
        logging.basicConfig(
            format="[%(asctime)s - %(name)s:%(lineno)d - %(levelname)s] %(message)s",
            datefmt="%Y-%m-%d %H:%M:%S",
        )
        logger.setLevel(level)


def quiet_litellm() -> None:
    """Keep LiteLLM's loggers from propagating to the user's handlers, unless the user set them up.

    A LiteLLM logger the user configured (a level or a handler of their own) is left alone;
    otherwise its records stop at WARNING, so ``logging.basicConfig(level=DEBUG)`` shows this
    library's lines and not LiteLLM's import and per-call chatter.
    """
    for name in LITELLM_LOGGERS:
        log = logging.getLogger(name)
        if log.level == logging.NOTSET and not _user_handlers(log):
            log.setLevel(logging.WARNING)


def _user_handlers(log: logging.Logger) -> bool:
    # LiteLLM attaches its own StreamHandler to "LiteLLM" at import; any other handler is the user's.
    return any(type(handler) is not logging.StreamHandler for handler in log.handlers)
