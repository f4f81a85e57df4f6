"""LiteLLM, imported once: in a background thread from client construction, or on first need.

Importing LiteLLM takes seconds. A client only needs it when it builds its first chat, completion
or embedding request, so constructing a client starts the import in a daemon thread
(:func:`prefetch`) and the first request waits for whatever is left of it (:func:`load`).

Why this is safe:

- The thread imports with the ordinary ``import`` statement, so Python's per-module import locks
  order it with an ``import openai`` or ``import litellm`` the main thread makes at the same
  moment: the second importer waits for the first and gets the finished module.
- LiteLLM's own modules import each other in cycles (``litellm.types.utils`` imports ``litellm``).
  Another thread that imported such a submodule directly while the background import is running
  would hold one module lock of a cycle while the background thread holds the other; Python then
  hands one of them a half-initialised module and the import fails. So while the background import
  runs, ``import litellm...`` statements in other threads first wait for it to finish (a
  pass-through wrapper of ``__import__``, removed when the import is done).
- The background thread swallows any failure; :func:`load` then imports in the caller's thread,
  which raises the real error there.
- The thread is a daemon: a process that exits before the import is done does not wait for it.
- Nothing starts at ``import openai_compatible_client``: the package's import time is unchanged.

``OPENAI_COMPATIBLE_CLIENT_PREFETCH=0`` turns the background import off (then the first request
imports LiteLLM, as before); :func:`disable_prefetch` does the same from code (the ``occ`` commands
that never build such a request use it, so they never load LiteLLM).
"""

from __future__ import annotations

import builtins
import os
import threading
from types import ModuleType
from typing import Any

from openai_compatible_client._logging import quiet_litellm

__all__ = ["disable_prefetch", "load", "prefetch"]

PREFETCH_ENV = "OPENAI_COMPATIBLE_CLIENT_PREFETCH"

_lock = threading.Lock()
_thread: threading.Thread | None = None
_module: ModuleType | None = None
_disabled = False


def _prepare_environment() -> None:
    # The price list is read from the copy LiteLLM ships, never downloaded (the call's own thread
    # sets this, before any thread imports LiteLLM: os.environ is not written from two threads).
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    quiet_litellm()


def _import() -> ModuleType:
    global _module
    import litellm

    quiet_litellm()
    litellm.suppress_debug_info = True
    # The Router sends with LiteLLM's own clients: httpx, not aiohttp, which leaves unclosed
    # sessions behind at exit (BerriAI/litellm#13251).
    litellm.disable_aiohttp_transport = True
    _module = litellm
    return litellm


def _background() -> None:
    try:
        _import()
    except Exception:  # load() imports again in the caller's thread and raises there
        return
    finally:
        if builtins.__import__ is _guarded_import:
            builtins.__import__ = _original_import


_original_import = builtins.__import__


def _guarded_import(
    name: str,
    globals: Any = None,
    locals: Any = None,
    fromlist: Any = (),
    level: int = 0,
) -> Any:
    """``__import__`` that makes a ``litellm`` import wait for the background import to finish."""
    thread = _thread
    if (
        level == 0
        and name.startswith("litellm")
        and (len(name) == 7 or name[7] == ".")
        and thread is not None
        and thread is not threading.current_thread()
        and thread.is_alive()
    ):
        thread.join()
    return _original_import(name, globals, locals, fromlist, level)


def disable_prefetch() -> None:
    """Never start the background import in this process (LiteLLM loads on first need)."""
    global _disabled
    _disabled = True


def prefetch() -> None:
    """Start importing LiteLLM in a daemon thread, unless it is loaded, loading, or switched off."""
    global _thread
    if _module is not None or _thread is not None or _disabled:
        return
    if os.environ.get(PREFETCH_ENV, "").strip().lower() in ("0", "false", "no", "off"):
        return
    with _lock:
        if _thread is not None:
            return
        _prepare_environment()
        thread = threading.Thread(target=_background, name="litellm-import", daemon=True)
        _thread = thread
        if builtins.__import__ is _original_import:
            builtins.__import__ = _guarded_import
    thread.start()


def load() -> ModuleType:
    """LiteLLM, imported once, quietly: no price-list download, no banner on stdout.

    Waits for a background import in progress; imports in this thread when there is none (or when
    it failed, so its error is raised here). This is the only place that sets LiteLLM's
    process-wide switches.
    """
    if _module is not None:
        return _module
    thread = _thread
    if thread is not None and thread is not threading.current_thread():
        thread.join()
        if _module is not None:
            return _module
    _prepare_environment()
    return _import()
