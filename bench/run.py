"""Benchmark the facade against raw HTTP, the openai SDK, LiteLLM and the ollama client, in one run.

Usage: ``python -m bench [--quick] [--out bench/results.json]`` (or ``python bench/run.py``).

It starts ``bench.server`` in a separate process on loopback, pins the server and this client
process to different CPUs when there are two or more, warms every client up, then measures in
interleaved rounds (every client takes a turn in every round, in rotating order) and reports
medians. Import time and memory are measured in fresh processes. The server is stopped by its pid.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from bench import cases as cases_mod
from bench import probes, report
from bench.cases import ADAPTER, BURST, BURST256, BURSTS, CHAT, EMBED, STREAM, Case
from bench.timing import Batch, Runner

ROOT = Path(__file__).resolve().parent.parent
SECTION_ORDER = (CHAT, STREAM, EMBED, ADAPTER, BURST, BURST256)
# Seconds of measurement per section over all rounds, full run; --quick scales them down. Each
# case's batch in a round gets an equal share, so the run time holds even on a busy machine.
BUDGET = {CHAT: 15.0, STREAM: 16.0, EMBED: 7.0, ADAPTER: 5.0, BURST: 14.0, BURST256: 10.0}
# (min, max) samples per case per round.
LIMITS = {
    CHAT: (10, 3000),
    STREAM: (1, 300),
    EMBED: (5, 1000),
    ADAPTER: (10, 3000),
    BURST: (1, 4),
    BURST256: (1, 3),
}
MIN_PER_WORKER = 2  # sequential calls per concurrent worker in a burst, at least
WARMUP = {CHAT: 20, STREAM: 3, EMBED: 5, ADAPTER: 20, BURST: 1, BURST256: 1}
IMPORT_MODULES = ("openai_compatible_client", "openai", "litellm")
FIRST_CALL_REPEATS = 5  # fresh processes for each first-call and cold-command median
LATER_DELAY = 2.0  # seconds between constructing a client and its first call
PACKAGES = (
    "openai-compatible-client",
    "openai",
    "litellm",
    "httpx",
    "httpx2",
    "langchain-core",
    "requests",
    "ollama",
    "pydantic",
    "pydantic-core",
    "aiohttp",
)


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class Server:
    """The benchmark server in its own process; stopped by the pid it was started with."""

    def __init__(self, cpu: int | None) -> None:
        cmd = [sys.executable, "-m", "bench.server", "--port", "0"]
        if cpu is not None:
            cmd += ["--cpu", str(cpu)]
        env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # "PORT <n>", printed once it listens
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"benchmark server did not start: {line!r}")
        self.port = int(line.split()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def stats(self) -> dict[str, Any]:
        self._conn.request("GET", "/__stats")
        return json.loads(self._conn.getresponse().read())  # type: ignore[no-any-return]

    def stop(self) -> None:
        self._conn_close()
        if self.proc.poll() is None:
            os.kill(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, 9)
                self.proc.wait(timeout=5)

    def _conn_close(self) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None:
            conn.close()


def machine_facts(pinned: bool) -> dict[str, Any]:
    cpu_model = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu_model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu_model": cpu_model,
        "cpu_count": os.cpu_count(),
        "pinned_client_cpu0_server_cpu1": pinned,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": versions,
    }


def _calibrate(runner: Runner, case: Case, quick: bool) -> float:
    """Check one result, warm the case up; the wall seconds of one sample (call, stream, 64-call burst)."""
    wrong = cases_mod.check(case, runner.one(case))
    if wrong:
        raise ValueError(wrong)
    n = max(WARMUP[case.section] // (4 if quick else 1), 1)
    metrics, _ = runner.run(case, Batch(n, n, 0.0))
    if case.section in BURSTS:
        return BURSTS[case.section] / statistics.median(metrics["rps"])
    return min(metrics["wall"])


def measure(server: Server, all_cases: list[Case], rounds: int, scale: float) -> dict[str, Any]:
    """Warm up, size each case's batch to the time budget, then run interleaved rounds."""
    runner = Runner()
    live = [c for c in all_cases if c.fn is not None]
    plan: dict[str, Batch] = {}
    for case in live:
        try:
            cost = _calibrate(runner, case, scale < 0.5)
        except Exception as exc:
            case.unavailable = (
                f"error: {type(exc).__name__}: {str(exc).splitlines()[0][:100] if str(exc) else ''}"
            )
            case.fn = None
            _log(f"  {case.key}: {case.unavailable}")
            continue
        in_section = sum(1 for c in live if c.section == case.section)
        seconds = BUDGET[case.section] * scale / (in_section * rounds)
        lo, hi = LIMITS[case.section]
        # Bursts are steady state: a single wave of 64 (one call per worker) mostly measures how a
        # pool hands out 64 connections at once, where httpx's pool spends ~9 ms CPU per request.
        per_worker = int(min(max(seconds / cost, MIN_PER_WORKER), 16)) if case.section in BURSTS else 1
        plan[case.key] = Batch(lo, hi, seconds, per_worker)
        _log(f"  warm {case.key}: {cost * 1e3:.2f} ms/sample; {seconds:.2f} s/round, {per_worker} per worker")
    live = [c for c in live if c.fn is not None]
    gc.collect()
    gc.freeze()  # import-time objects are not rescanned by every client's collections

    samples: dict[str, dict[str, list[float]]] = {c.key: {} for c in live}
    per_round: dict[str, list[dict[str, float]]] = {c.key: [] for c in live}
    chunks: dict[str, int] = {}
    server_use: dict[str, dict[str, float]] = {}
    paths: dict[str, dict[str, int]] = {}
    for r in range(rounds):
        t_round = time.perf_counter()
        for section in SECTION_ORDER:
            sec = [c for c in live if c.section == section and c.fn is not None]
            if not sec:
                continue
            k = r % len(sec)
            for case in sec[k:] + sec[:k]:
                before = server.stats()
                w0 = time.perf_counter()
                try:
                    metrics, seen = runner.run(case, plan[case.key])
                except Exception as exc:
                    first = (str(exc).splitlines() or [""])[0][:100]
                    case.unavailable = f"error: {type(exc).__name__}: {first}"
                    case.fn = None
                    _log(f"  {case.key}: {case.unavailable}")
                    continue
                wall = time.perf_counter() - w0
                after = server.stats()
                for name, values in metrics.items():
                    samples[case.key].setdefault(name, []).extend(values)
                per_round[case.key].append({name: statistics.median(v) for name, v in metrics.items()})
                if seen:
                    chunks[case.key] = seen
                use = server_use.setdefault(case.key, {"cpu_s": 0.0, "wall_s": 0.0, "requests": 0})
                use["cpu_s"] += after["cpu_seconds"] - before["cpu_seconds"]
                use["wall_s"] += wall
                seen_paths = paths.setdefault(case.key, {})
                for path, count in after["counts"].items():
                    delta = count - before["counts"].get(path, 0) - (1 if path == "GET /__stats" else 0)
                    if delta:
                        seen_paths[path] = seen_paths.get(path, 0) + delta
                        if path != "GET /__stats":
                            use["requests"] += delta
        _log(f"round {r + 1}/{rounds}: {time.perf_counter() - t_round:.1f} s")
    runner.close()
    gc.unfreeze()
    return {
        "samples": samples,
        "per_round": per_round,
        "chunks_seen": chunks,
        "server": server_use,
        "paths": paths,
        "plan": {k: b.__dict__ for k, b in plan.items()},
    }


def measure_imports(repeats: int, url: str, modules: tuple[str, ...] = IMPORT_MODULES) -> dict[str, Any]:
    """Import time (median of ``repeats``), import + first call (median of up to 5), peak RSS.

    Each run is a fresh interpreter; the modules take turns. LiteLLM, the slowest, is imported
    at most 3 times: it is the reference, not the subject.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in modules}
    errors: dict[str, str] = {}
    for i in range(repeats):
        for mod in modules:
            if mod in errors or (mod == "litellm" and i >= 3):
                continue
            cmd = [sys.executable, "-c", probes.IMPORT_SNIPPET, probes.IMPORTS[mod]]
            if i < FIRST_CALL_REPEATS:
                cmd += [probes.FIRST_CALL[mod], url]
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
            if out.returncode != 0:
                last = (out.stderr.strip().splitlines() or ["failed"])[-1]
                errors[mod] = f"not available: {last[:100]}"
                continue
            runs[mod].append(json.loads(out.stdout.strip().splitlines()[-1]))
    result: dict[str, Any] = {}
    for mod in modules:
        if mod in errors:
            result[mod] = {"error": errors[mod]}
            continue
        cold = [r for r in runs[mod] if "first_call_seconds" in r]
        result[mod] = {
            "seconds": statistics.median(r["seconds"] for r in runs[mod]),
            "first_call_seconds": statistics.median(r["first_call_seconds"] for r in cold),
            "peak_rss_mib": statistics.median(r["peak_rss_mib"] for r in cold),
            "litellm_loaded": any(r["litellm_loaded"] for r in cold),
            "runs_seconds": [r["seconds"] for r in runs[mod]],
            "runs_first_call_seconds": [r["first_call_seconds"] for r in cold],
        }
    return result


def _fresh(cmd: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def _failure(out: subprocess.CompletedProcess[str]) -> str:
    return f"not available: {(out.stderr.strip().splitlines() or ['failed'])[-1][:100]}"


def measure_later(repeats: int, url: str) -> dict[str, Any]:
    """A client built, then its first chat ``LATER_DELAY`` s later: that call alone (median, fresh runs)."""
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in probes.LATER}
    result: dict[str, Any] = {}
    for _ in range(repeats):
        for mod, (setup, call) in probes.LATER.items():
            if mod in result:
                continue
            out = _fresh([sys.executable, "-c", probes.LATER_SNIPPET, setup, str(LATER_DELAY), url, call])
            if out.returncode != 0:
                result[mod] = {"error": _failure(out)}
                continue
            runs[mod].append(json.loads(out.stdout.strip().splitlines()[-1]))
    for mod, got in runs.items():
        if mod not in result:
            result[mod] = {
                "delay_seconds": LATER_DELAY,
                "first_call_seconds": statistics.median(r["first_call_seconds"] for r in got),
                "runs_first_call_seconds": [r["first_call_seconds"] for r in got],
                "litellm_loaded": any(r["litellm_loaded"] for r in got),
            }
    return result


def measure_cold_commands(repeats: int, url: str) -> dict[str, Any]:
    """Wall time of whole fresh processes listing the Ollama models (median), the two taking turns."""
    runs: dict[str, list[float]] = {name: [] for name in probes.LIST_COMMANDS}
    result: dict[str, Any] = {}
    for _ in range(repeats):
        for name, template in probes.LIST_COMMANDS.items():
            if name in result:
                continue
            t0 = time.perf_counter()
            out = _fresh([part.replace("{url}", url) for part in template])
            wall = time.perf_counter() - t0
            if out.returncode != 0:
                result[name] = {"error": _failure(out)}
                continue
            runs[name].append(wall)
    for name, walls in runs.items():
        if name not in result:
            result[name] = {"seconds": statistics.median(walls), "runs_seconds": walls}
    return result


def measure_memory(url: str, calls: int, clients: list[str]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result: dict[str, Any] = {}
    for client in clients:
        cmd = [sys.executable, "-m", "bench.probes", "memory", "--url", url, "--calls", str(calls)]
        out = subprocess.run(
            [*cmd, "--client", client],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if out.returncode != 0:
            last = (out.stderr.strip().splitlines() or ["failed"])[-1]
            result[client] = {"calls": calls, "error": f"not available: {last[:100]}"}
            continue
        result[client] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a ~30 s smoke run (fewer rounds and calls)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"), help="where to write the JSON")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 5, quick 2)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin client and server to separate CPUs")
    parser.add_argument("--skip", default="", help="comma list of parts to skip: calls,imports,memory")
    parser.add_argument("--samples", action="store_true", help="also write every per-call sample to the JSON")
    args = parser.parse_args(argv)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    rounds = args.rounds or (1 if args.quick else 5)
    scale = 0.1 if args.quick else 1.0
    import_repeats = 1 if args.quick else 10
    fresh_repeats = 1 if args.quick else FIRST_CALL_REPEATS
    memory_calls = 500 if args.quick else 10_000
    t_start = time.perf_counter()

    pinned = not args.no_pin and hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2
    all_cpus = os.sched_getaffinity(0) if pinned else set()
    if pinned:
        os.sched_setaffinity(0, {0})
    server = Server(cpu=1 if pinned else None)
    _log(f"server pid {server.proc.pid} on {server.url}")
    measured: dict[str, Any] = {}
    imports: dict[str, Any] = {}
    later: dict[str, Any] = {}
    commands: dict[str, Any] = {}
    memory: dict[str, Any] = {}
    all_cases: list[Case] = []
    try:
        all_cases = cases_mod.build(server.url)
        if "calls" not in skip:
            measured = measure(server, all_cases, rounds, scale)
        if pinned:  # the fresh-process probes may use every CPU
            os.sched_setaffinity(0, all_cpus)
        if "imports" not in skip:
            _log(f"imports: {import_repeats} fresh processes per module")
            modules = IMPORT_MODULES[:2] if args.quick else IMPORT_MODULES  # quick: no litellm reference
            imports = measure_imports(import_repeats, server.url, modules)
            _log(f"first call {LATER_DELAY:.0f} s after construction, cold commands: {fresh_repeats} each")
            later = measure_later(fresh_repeats, server.url)
            commands = measure_cold_commands(fresh_repeats, server.url)
        if "memory" not in skip:
            clients = ["facade"]
            _log(f"memory: {memory_calls} calls per client in a fresh process ({', '.join(clients)})")
            memory = measure_memory(server.url, memory_calls, clients)
        server_total = server.stats()
    finally:
        server.stop()

    medians = {
        key: {name: statistics.median(values) for name, values in metrics.items() if values}
        for key, metrics in measured.get("samples", {}).items()
    }
    rows = report.build_rows(all_cases, medians)
    goals = report.evaluate_goals(all_cases, medians, imports, memory, later, commands)
    machine = machine_facts(pinned)
    elapsed = time.perf_counter() - t_start

    print()
    print(
        f"Machine: {machine['cpu_model']}, {machine['cpu_count']} CPUs, Python {machine['python']}; "
        + ", ".join(f"{k} {v}" for k, v in machine["packages"].items() if v)
    )
    print(report.render_table(rows, imports, memory, later, commands))
    print()
    print(report.render_goals(goals))
    server_lines = _server_summary(measured)
    if server_lines:
        print()
        print(server_lines)
    print(f"\nTotal {elapsed:.0f} s; raw numbers in {args.out}")

    out: dict[str, Any] = {
        "machine": machine,
        "config": {
            "quick": args.quick,
            "rounds": rounds,
            "budget_seconds": {k: v * scale for k, v in BUDGET.items()},
            "concurrency": BURSTS,
            "import_repeats": import_repeats,
            "fresh_process_repeats": fresh_repeats,
            "memory_calls": memory_calls,
            "elapsed_seconds": elapsed,
        },
        "units": "seconds per call / per chunk / per request; rps in requests per second",
        "cases": {
            c.key: {
                "section": c.section,
                "name": c.name,
                "shape": c.shape,
                "role": c.role,
                "async": c.is_async,
                "unavailable": c.unavailable,
                "floor": report.floor_name(c),
                "summary": {
                    n: report.stats(v) for n, v in measured.get("samples", {}).get(c.key, {}).items()
                },
                "round_medians": measured.get("per_round", {}).get(c.key, []),
                "plan": measured.get("plan", {}).get(c.key),
                "chunks_seen": measured.get("chunks_seen", {}).get(c.key),
                "server": measured.get("server", {}).get(c.key),
                "paths": measured.get("paths", {}).get(c.key),
                **({"samples": measured.get("samples", {}).get(c.key, {})} if args.samples else {}),
            }
            for c in all_cases
        },
        "table": [r.__dict__ for r in rows],
        "imports": imports,
        "first_call_later": later,
        "cold_commands": commands,
        "memory": memory,
        "goals": [{"goal": g.text, "value": g.value, "limit": g.limit, "status": g.status} for g in goals],
        "server_totals": server_total,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    broken = [c for c in all_cases if (c.unavailable or "").startswith("error")]
    if broken or (not measured.get("samples") and "calls" not in skip):
        print(f"\n{len(broken)} client(s) failed: " + "; ".join(f"{c.key}: {c.unavailable}" for c in broken))
        return 1
    return 0


def _server_summary(measured: dict[str, Any]) -> str:
    """Server CPU per request and utilisation, and any request to a path the server does not serve."""
    use = measured.get("server", {})
    if not use:
        return ""
    per_req = [u["cpu_s"] / u["requests"] for u in use.values() if u["requests"]]
    busiest_key, busiest = max(use.items(), key=lambda kv: kv[1]["cpu_s"] / max(kv[1]["wall_s"], 1e-9))
    lines = [
        f"Server: median {statistics.median(per_req) * 1e6:.0f} us CPU/request; busiest during "
        f"{busiest_key} at {busiest['cpu_s'] / busiest['wall_s']:.0%} of one CPU "
        "(below 100%, the client is the bottleneck)."
    ]
    floor = measured.get("samples", {}).get(f"{CHAT}/raw httpx (vllm)", {}).get("wall")
    if floor:
        lines.append(
            f"Floor: raw httpx non-streaming chat, {statistics.median(floor) * 1e3:.3f} ms wall per call."
        )
    served = {"POST /v1/chat/completions", "POST /v1/embeddings", "GET /v1/models", "POST /tokenize"}
    served |= {"POST /api/chat", "POST /api/embed", "GET /api/tags", "GET /__stats"}
    for key, hits in measured.get("paths", {}).items():
        odd = {p: n for p, n in hits.items() if p not in served}
        if odd:
            lines.append(f"  {key} also requested {odd}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
