"""``scripts/reliability-under-load.sh`` interrupted mid-run leaves no process it started.

An earlier version stopped only the pytest it started: the xdist workers died without their
teardowns, and the reference servers they had started ran on, orphaned. The script now runs
each pass in its own process group, sends it SIGINT (teardowns run) and then SIGKILL. It also
resets SIGINT for its runs: started with SIGINT ignored, its runs ignored the interrupt and
finished, or were killed without their teardowns.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "reliability-under-load.sh"
IGNORING_SIGINT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "os.execvp(sys.argv[1], sys.argv[1:])"
)
"""Runs its arguments as a command with SIGINT ignored."""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(360),
    pytest.mark.skipif(
        os.environ.get("OCC_UNDER_LOAD_SCRIPT") == "1", reason="the script's own runs do not start the script"
    ),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]


def _process_table() -> dict[int, tuple[int, int, str]]:
    """Every live process: pid -> (parent pid, process group, command line)."""
    table: dict[int, tuple[int, int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        state, parent, group = stat[stat.rindex(")") + 2 :].split()[:3]
        if state != "Z":
            table[int(entry.name)] = (int(parent), int(group), command)
    return table


def _descendants(root: int, table: dict[int, tuple[int, int, str]]) -> dict[int, tuple[int, int, str]]:
    found: dict[int, tuple[int, int, str]] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, row in table.items():
            if row[0] == parent and pid not in found:
                found[pid] = row
                frontier.append(pid)
    return found


def test_an_interrupted_run_leaves_no_pytest_worker_or_server(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "OCC_PYTHON": sys.executable,
        "TMPDIR": str(tmp_path),
        "WORKERS": "1",
        "PYTHONPATH": str(ROOT),
        # The SIGINT-first stop must finish by itself (about 7 s on a loaded 2-core machine): ample
        # grace, so a slow teardown is not cut short by the SIGKILL fallback.
        "GRACE": "90",
    }
    out = (tmp_path / "stdout").open("wb")
    # Started as a CI runner's background job or under nohup would start it: with SIGINT ignored,
    # which every process it starts inherits unless the script undoes it for its runs.
    script = subprocess.Popen(
        [sys.executable, "-c", IGNORING_SIGINT, "bash", str(SCRIPT), "3", "-k", "test_soak"],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    seen: dict[int, tuple[int, int, str]] = {}
    try:
        deadline = time.monotonic() + 150  # a loaded machine took 50 s to start the nested run
        while time.monotonic() < deadline and script.poll() is None:
            seen.update(_descendants(script.pid, _process_table()))
            if any("openai_compatible_client.server" in row[2] for row in seen.values()):
                break
            time.sleep(0.2)
        servers = [pid for pid, row in seen.items() if "openai_compatible_client.server" in row[2]]
        assert servers, f"the soak test's reference server never started: {(tmp_path / 'stdout').read_text()}"
        run_groups = {row[1] for row in seen.values() if "pytest" in row[2]}
        assert run_groups and script.pid not in run_groups, "each run is its own process group"

        script.send_signal(signal.SIGTERM)
        assert script.wait(timeout=150) == 130

        left = {pid: row for pid, row in _process_table().items() if pid in seen or row[1] in run_groups}
        assert left == {}, f"left running after the interrupt: {left}"
        log = (tmp_path / "occ-reliability-run-1.log").read_text()
        assert "KeyboardInterrupt" in log, f"the run was not interrupted with SIGINT:\n{log[-2000:]}"
        assert not (tmp_path / "occ-reliability-run-2.log").exists(), "the remaining runs are not started"
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
            script.wait(timeout=10)
        for pid in _process_table().keys() & seen.keys():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        out.close()
