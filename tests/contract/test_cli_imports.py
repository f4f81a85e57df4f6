"""``occ`` commands that build no chat/completion/embedding request never import LiteLLM or openai.

LiteLLM costs seconds to import and the OpenAI SDK half a second; ``occ list`` or ``occ ps``
must not pay for either. Each command runs in a fresh process against the reference server;
what it imported is read from ``python -X importtime`` (as a user would check) or from
``sys.modules`` after it ran. A command that fails may import the SDK (its errors subclass the
SDK's), never LiteLLM. Nor does any of them import the bundled reference server (only ``occ
serve`` does) or the package of a platform other than the one it talks to.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from typing import Any

import pytest

from tests.contract.conftest import OLLAMA_MODEL, VLLM_MODEL
from tests.support.reference import RunningServer

pytestmark = pytest.mark.contract

# Must never be imported by the commands below: LiteLLM, and the integrations that pull it in.
HEAVY = ("litellm", "langchain_core", "openai_compatible_client.integrations")
# Must not be imported by them when they succeed either: the OpenAI SDK.
SDK = ("openai",)

# Runs each argv of a JSON list through occ's main() in this one process, and reports after each
# command which heavy modules are loaded (after joining any thread the command left behind).
_RUNNER = """
import contextlib, io, json, sys, threading
from openai_compatible_client.cli import main
heavy = tuple(json.loads(sys.argv[2]))
for argv in json.loads(sys.argv[1]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            status = main(argv)
        except SystemExit as exc:
            status = exc.code
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and thread.name != "occ-deadline-watchdog":
            thread.join(timeout=30)
    loaded = sorted({m for m in sys.modules for h in heavy if m == h or m.startswith(h + ".")})
    print(json.dumps({"argv": argv, "status": status, "loaded": loaded, "output": out.getvalue()[-300:]}))
"""


def run_in_one_process(
    commands: list[list[str]], watched: tuple[str, ...] = HEAVY + SDK
) -> list[dict[str, Any]]:
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, json.dumps(commands), json.dumps(watched)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


def imported_modules(importtime_stderr: str) -> set[str]:
    """Module names from ``-X importtime`` output."""
    return set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)", importtime_stderr, flags=re.M))


def heavy_in(modules: set[str], heavy: tuple[str, ...] = HEAVY) -> list[str]:
    return sorted(m for m in modules for h in heavy if m == h or m.startswith(h + "."))


def connection(server: RunningServer) -> list[str]:
    suffix = "/v1" if server.platform == "vllm" else ""
    return ["--base-url", server.base_url + suffix, "--platform", server.platform]


def non_inference_commands(ollama: RunningServer, vllm: RunningServer) -> list[list[str]]:
    """Every command that builds no inference request, in an order that works (pull before cp...).

    The one that fails (``missing-model-fails``) comes last.
    """
    on_ollama = [
        ["list"],
        ["ls", "llama"],
        ["show", OLLAMA_MODEL],
        ["show", OLLAMA_MODEL, "--modelfile"],
        ["pull", "llama2:imports-check"],
        ["cp", "llama2:imports-check", "someone/imports-check"],
        ["push", "someone/imports-check"],
        ["ps"],
        ["stop", OLLAMA_MODEL],
        ["rm", "llama2:imports-check", "someone/imports-check"],
        ["version"],
        ["models", "list"],
        ["models", "info", OLLAMA_MODEL],
        ["models", "create", "imports-made", "--from", OLLAMA_MODEL],
        ["models", "copy", "imports-made", "imports-copy"],
        ["models", "delete", "imports-made", "imports-copy"],
        ["models", "ps"],
    ]
    on_vllm = [
        ["tokenize", "Hello world", "--model", VLLM_MODEL],
        ["rerank", "cats", "dogs bark", "cats purr", "--model", "embed-model"],
        ["models", "list"],
        ["version"],
    ]
    return [
        ["--version"],
        ["--help"],
        ["models", "--help"],
        *([*argv, *connection(ollama)] for argv in on_ollama),
        *([*argv, *connection(vllm)] for argv in on_vllm),
        ["models", "pull", "missing-model-fails", *connection(ollama)],  # an error answer: no LiteLLM either
    ]


def fails(argv: list[str]) -> bool:
    return "missing-model-fails" in argv


@pytest.mark.timeout(600)  # some 30 commands and one LiteLLM import in a subprocess: slow on a loaded machine
def test_commands_without_inference_never_import_litellm(ollama: RunningServer, vllm: RunningServer) -> None:
    commands = [
        *non_inference_commands(ollama, vllm),
        ["chat", "hi", "--model", OLLAMA_MODEL, *connection(ollama)],  # the control: chat needs LiteLLM
    ]
    reports = run_in_one_process(commands)
    assert [r["argv"] for r in reports] == commands
    *free, control = reports
    # The successes load neither LiteLLM nor the SDK; the failure (last) may load the SDK only.
    assert [(r["argv"][0:2], r["loaded"]) for r in free if not fails(r["argv"])] == [
        (r["argv"][0:2], []) for r in free if not fails(r["argv"])
    ]
    assert [heavy_in(set(r["loaded"])) for r in free if fails(r["argv"])] == [[]]
    expected = [1 if fails(r["argv"]) else 0 for r in free]
    assert [r["status"] for r in free] == expected, [r["output"] for r in free]
    assert control["status"] == 0 and "litellm" in control["loaded"] and "openai" in control["loaded"]


# Nor, on one platform, the reference server, another platform's package or the generic entry
# (Ollama's and vLLM's resources build on the generic OpenAI-style ones in ``platforms.openai``).
SERVER = ("openai_compatible_client.server",)
PACKAGES = {name: f"openai_compatible_client.platforms.{name}" for name in ("vllm", "ollama", "llamacpp")}
GENERIC_ENTRY = ("openai_compatible_client.platforms.openai.platform",)


def on_platform(argv: list[str], platform: str) -> bool:
    """Whether a command runs against ``platform`` (or against no server at all)."""
    return "--platform" not in argv or argv[argv.index("--platform") + 1] == platform


@pytest.mark.timeout(600)  # some 20 commands per process: slow on a loaded machine
def test_commands_without_inference_import_no_server_nor_other_platform(
    ollama: RunningServer, vllm: RunningServer
) -> None:
    for platform in ("ollama", "vllm"):
        commands = [argv for argv in non_inference_commands(ollama, vllm) if on_platform(argv, platform)]
        others = tuple(package for name, package in PACKAGES.items() if name != platform)
        reports = run_in_one_process(commands, SERVER + others + GENERIC_ENTRY)
        assert [r["argv"] for r in reports] == commands
        assert [(r["argv"][0:2], r["loaded"]) for r in reports] == [(r["argv"][0:2], []) for r in reports]
        expected = [1 if fails(r["argv"]) else 0 for r in reports]
        assert [r["status"] for r in reports] == expected, [r["output"] for r in reports]


OCC_IMPORTTIME = [sys.executable, "-X", "importtime", "-m", "openai_compatible_client.cli"]


@pytest.mark.timeout(900)  # some 25 fresh processes: slow on a loaded machine
def test_importtime_shows_no_litellm_nor_openai_for_each_command_and_serve(
    ollama: RunningServer, vllm: RunningServer
) -> None:
    imported: dict[str, list[str]] = {}
    statuses: dict[str, int] = {}
    expected: dict[str, int] = {}
    for number, argv in enumerate(non_inference_commands(ollama, vllm)):
        done = subprocess.run([*OCC_IMPORTTIME, *argv], capture_output=True, text=True, timeout=120)
        modules = imported_modules(done.stderr)
        assert "openai_compatible_client.cli" in modules, done.stderr[-2000:]
        shown = f"{number}: occ {' '.join(argv[:4])}"
        statuses[shown], expected[shown] = done.returncode, 1 if fails(argv) else 0
        imported[shown] = heavy_in(modules, HEAVY if fails(argv) else HEAVY + SDK)
        if argv[:2] == ["models", "list"] and "ollama" in argv:
            assert f"{OLLAMA_MODEL}:latest" in done.stdout
    assert imported == {shown: [] for shown in imported}
    assert statuses == expected

    with tempfile.TemporaryFile("w+") as log:  # a file, not a pipe: importtime writes a lot
        serve = subprocess.Popen(
            [*OCC_IMPORTTIME, "serve", "--platform", "ollama"],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            assert serve.stdout is not None
            ready = serve.stdout.readline()  # READY <url>, or "" if it died
        finally:
            serve.terminate()
            serve.communicate(timeout=30)
        log.seek(0)
        modules = imported_modules(log.read())
    assert ready.startswith("READY http://127.0.0.1:")
    assert "openai_compatible_client.server" in modules and heavy_in(modules, HEAVY + SDK) == []
