"""The background import of LiteLLM that client construction starts: no deadlock, clean exit.

Every case runs in a fresh interpreter (an import happens once per process), bounded by a timeout:
a deadlock shows as a timeout, a crash at shutdown as a non-zero exit or text on stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.contract.conftest import VLLM_MODEL
from tests.support.reference import RunningServer

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 240  # seconds per child: importing LiteLLM takes several on a loaded 2-core machine


def _run(code: str, *args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    environ = {k: v for k, v in os.environ.items() if k != "OPENAI_COMPATIBLE_CLIENT_PREFETCH"}
    environ.update(env or {})
    environ["PYTHONPATH"] = str(ROOT) + os.pathsep + environ.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=environ,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stderr.strip() == "", out.stderr[-3000:]
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# The main thread imports a module LiteLLM imports (or LiteLLM itself) while the background thread
# is at some point of its own import: right away, or after a pause that lands it mid-import.
RACE = """
import builtins, json, sys, threading, time
from openai_compatible_client import OpenAICompatibleClient
from openai_compatible_client import _litellm_loader

client = OpenAICompatibleClient(base_url="http://127.0.0.1:9/v1", platform="vllm", api_key="k")
time.sleep(float(sys.argv[2]))
started_alive = _litellm_loader._thread is not None and _litellm_loader._thread.is_alive()
if sys.argv[1] == "litellm":
    import litellm
    complete = callable(litellm.completion) and callable(litellm.acompletion)
elif sys.argv[1] == "openai":
    from openai import AsyncOpenAI, OpenAI
    from openai.types.chat import ChatCompletion
    complete = OpenAI is not None and AsyncOpenAI is not None and ChatCompletion is not None
else:
    from litellm.types.utils import LlmProviders
    from litellm.utils import ProviderConfigManager
    complete = LlmProviders("hosted_vllm") is not None and ProviderConfigManager is not None
loaded = _litellm_loader.load()
import litellm
print(json.dumps({
    "complete": complete,
    "same_module": loaded is litellm,
    "started_alive": started_alive,
    # the transport's deadline watchdog lives for the process; the import thread must be gone
    "threads": sum(t.name != "occ-deadline-watchdog" for t in threading.enumerate()),
    "import_hook_removed": builtins.__import__.__module__ == "builtins",
}))
"""


@pytest.mark.parametrize("delay", ["0", "0.05", "0.4", "1.0"])
@pytest.mark.parametrize("main_imports", ["litellm", "openai", "litellm-submodules"])
def test_main_thread_import_during_background_import_does_not_deadlock(main_imports: str, delay: str) -> None:
    result = _run(RACE, main_imports, delay)
    assert result["complete"] is True
    assert result["same_module"] is True
    assert result["threads"] == 1  # the background thread finished; nothing left running
    assert result["import_hook_removed"] is True


EXIT_NOW = """
import json
from openai_compatible_client import OpenAICompatibleClient
from openai_compatible_client import _litellm_loader

OpenAICompatibleClient(base_url="http://127.0.0.1:9/v1", platform="vllm", api_key="k")
print(json.dumps({"import_running_at_exit": _litellm_loader._thread.is_alive()}))
"""


@pytest.mark.parametrize("attempt", range(4))
def test_exit_right_after_construction_is_clean_and_does_not_wait(attempt: int) -> None:
    result = _run(EXIT_NOW)
    # The import was still running when the script ended: the exit did not wait for it, and
    # stopping the thread mid-import printed nothing and exited 0 (checked by _run).
    assert result["import_running_at_exit"] is True


IMPORT_ONLY = """
import json, sys, threading
import openai_compatible_client
from openai_compatible_client import AsyncOpenAICompatibleClient, OpenAICompatibleClient
print(json.dumps({"threads": threading.active_count(), "litellm": "litellm" in sys.modules}))
"""


def test_importing_the_package_starts_nothing() -> None:
    assert _run(IMPORT_ONLY) == {"threads": 1, "litellm": False}


FIRST_CALL = """
import json, sys, threading
from openai_compatible_client import OpenAICompatibleClient
from openai_compatible_client import _litellm_loader

client = OpenAICompatibleClient(base_url=sys.argv[1] + "/v1", platform="vllm", api_key="k")
prefetching = _litellm_loader._thread is not None
answer = client.chat.completions.create(model=sys.argv[2], messages=[{"role": "user", "content": "Hi"}])
print(json.dumps({
    "prefetching": prefetching,
    "text": answer.choices[0].message.content,
    "litellm": "litellm" in sys.modules,
    # the transport's deadline watchdog lives for the process; the import thread must be gone
    "threads": sum(t.name != "occ-deadline-watchdog" for t in threading.enumerate()),
}))
"""


def test_first_request_uses_the_background_import(vllm: RunningServer) -> None:
    result = _run(FIRST_CALL, vllm.base_url, VLLM_MODEL)
    assert result["prefetching"] is True
    assert result["text"]
    assert result["threads"] == 1
    (request,) = vllm.requests()
    assert request["path"] == "/v1/chat/completions"
    assert request["json"]["messages"] == [{"role": "user", "content": "Hi"}]


def test_prefetch_can_be_switched_off(vllm: RunningServer) -> None:
    result = _run(FIRST_CALL, vllm.base_url, VLLM_MODEL, env={"OPENAI_COMPATIBLE_CLIENT_PREFETCH": "0"})
    assert result["prefetching"] is False
    assert result["text"]
    assert result["litellm"] is True  # loaded by the request itself


BROKEN = """
import json, sys
sys.modules["litellm"] = None  # an installation whose LiteLLM cannot be imported
from openai_compatible_client import OpenAICompatibleClient

client = OpenAICompatibleClient(base_url="http://127.0.0.1:9/v1", platform="vllm", api_key="k")
try:
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "Hi"}])
except ImportError as exc:
    print(json.dumps({"error": type(exc).__name__, "name": exc.name}))
"""


def test_a_failed_background_import_raises_in_the_caller() -> None:
    assert _run(BROKEN) == {"error": "ModuleNotFoundError", "name": "litellm"}
