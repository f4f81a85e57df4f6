"""Measurements that need a fresh process: import time, and memory over many calls.

``python -m bench.probes memory --url URL --calls N --client facade|openai`` prints one JSON line.
The import probe is a ``python -c`` snippet (``IMPORT_SNIPPET``), so nothing but the module under
test is imported inside the timed region.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

IMPORT_SNIPPET = """
import sys, time
t0 = time.perf_counter()
exec(sys.argv[1])
t1 = time.perf_counter()
if len(sys.argv) > 2:
    URL, M, MSG = sys.argv[3], "bench-model", [{"role": "user", "content": "Why is the sky blue?"}]
    exec(sys.argv[2])
    t2 = time.perf_counter()
import json
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
out = {"seconds": t1 - t0, "peak_rss_mib": int(hwm.split()[1]) / 1024}
out["litellm_loaded"] = "litellm" in sys.modules
if len(sys.argv) > 2:
    out["first_call_seconds"] = t2 - t0
print(json.dumps(out))
"""

# The import statement a user writes (the package's public names are loaded lazily, so a bare
# ``import openai_compatible_client`` would time almost nothing).
IMPORTS = {
    "openai_compatible_client": "from openai_compatible_client import OpenAICompatibleClient",
    "openai": "from openai import OpenAI",
    "litellm": "import litellm",
}

# Cold start: the code a new user runs after the import, timed together with it.
FIRST_CALL = {
    "openai_compatible_client": (
        "c = OpenAICompatibleClient(base_url=URL + '/v1', platform='vllm', api_key='k')\n"
        "c.chat.completions.create(model=M, messages=MSG)"
    ),
    "openai": ("OpenAI(base_url=URL + '/v1', api_key='k').chat.completions.create(model=M, messages=MSG)"),
    "litellm": (
        "litellm.suppress_debug_info = True\n"
        "litellm.completion(model='hosted_vllm/' + M, messages=MSG, api_base=URL + '/v1', api_key='k')"
    ),
}

# The first call of a client built earlier (an agent builds its client at start-up and calls it
# later): import and construct, wait ``sys.argv[2]`` seconds, then time the first call alone.
LATER_SNIPPET = """
import sys, time
URL, M, MSG = sys.argv[3], "bench-model", [{"role": "user", "content": "Why is the sky blue?"}]
exec(sys.argv[1])
time.sleep(float(sys.argv[2]))
t0 = time.perf_counter()
exec(sys.argv[4])
t1 = time.perf_counter()
import json
print(json.dumps({"first_call_seconds": t1 - t0, "litellm_loaded": "litellm" in sys.modules}))
"""

# (import and construct, then the call) for LATER_SNIPPET.
LATER = {
    "openai_compatible_client": (
        "from openai_compatible_client import OpenAICompatibleClient\n"
        "c = OpenAICompatibleClient(base_url=URL + '/v1', platform='vllm', api_key='k')",
        "c.chat.completions.create(model=M, messages=MSG)",
    ),
    "openai": (
        "from openai import OpenAI\nc = OpenAI(base_url=URL + '/v1', api_key='k')",
        "c.chat.completions.create(model=M, messages=MSG)",
    ),
}

# A cold command-line listing of the Ollama models: ``occ models list`` against the official
# ``ollama`` client's ``list()``, each a whole fresh process (argv templates; {url} is the server).
LIST_COMMANDS = {
    "occ models list": [
        sys.executable,
        "-m",
        "openai_compatible_client",
        "models",
        "list",
        "--platform",
        "ollama",
        "--base-url",
        "{url}",
    ],
    "ollama.list()": [
        sys.executable,
        "-c",
        "import ollama, sys; ollama.Client(host=sys.argv[1]).list()",
        "{url}",
    ],
}

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    """Current resident set size of this process in MiB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE / 2**20


def _peak_mib() -> float:
    # VmHWM, not ru_maxrss: ru_maxrss survives exec, so a child forked from a big parent inherits it.
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def _facade_calls(url: str) -> list[Callable[[], Any]]:
    from bench.cases import API_KEY, MESSAGES
    from bench.payloads import CHAT_MODEL
    from openai_compatible_client import OpenAICompatibleClient

    v = OpenAICompatibleClient(base_url=url + "/v1", platform="vllm", api_key=API_KEY)
    o = OpenAICompatibleClient(base_url=url, platform="ollama", api_key=API_KEY)
    return [
        lambda: v.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES),
        lambda: o.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES),
    ]


def _openai_calls(url: str) -> list[Callable[[], Any]]:
    from openai import OpenAI

    from bench.cases import API_KEY, MESSAGES
    from bench.payloads import CHAT_MODEL

    c = OpenAI(base_url=url + "/v1", api_key=API_KEY)
    return [lambda: c.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES)]


def memory(url: str, calls: int, client: str) -> dict[str, Any]:
    """Make ``calls`` calls (the first tenth is warm-up); RSS after warm-up, at checkpoints, at the end."""
    if client == "facade":
        from bench.cases import prepare_litellm

        prepare_litellm()
        fns = _facade_calls(url)
    else:
        fns = _openai_calls(url)
    warm = max(calls // 10, 1)
    checkpoints = 8
    step = max((calls - warm) // checkpoints, 1)
    t0 = time.perf_counter()
    for i in range(warm):
        fns[i % len(fns)]()
    gc.collect()
    after_warm = rss_mib()
    trace = [after_warm]
    for i in range(calls - warm):
        fns[i % len(fns)]()
        if (i + 1) % step == 0:
            gc.collect()
            trace.append(rss_mib())
    gc.collect()
    end = rss_mib()
    return {
        "client": client,
        "calls": calls,
        "warmup_calls": warm,
        "rss_after_warmup_mib": after_warm,
        "rss_end_mib": end,
        "growth_mib": end - after_warm,
        "peak_rss_mib": _peak_mib(),
        "rss_trace_mib": trace,
        "seconds": time.perf_counter() - t0,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="benchmark probes that need a fresh process")
    sub = parser.add_subparsers(dest="probe", required=True)
    mem = sub.add_parser("memory")
    mem.add_argument("--url", required=True)
    mem.add_argument("--calls", type=int, default=10_000)
    mem.add_argument("--client", choices=("facade", "openai"), default="facade")
    args = parser.parse_args(argv)
    result = memory(args.url, args.calls, args.client)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
