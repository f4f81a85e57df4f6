"""Summaries, the one table (with ratios to the ``openai`` SDK and to the raw floor), and the goals."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.cases import ADAPTER, BURST, BURST256, BURSTS, CHAT, EMBED, FACADE, OPENAI, STREAM, Case

MEMORY_GROWTH_LIMIT_MIB = 2.0
FACADE_IMPORT, SDK_IMPORT = "openai_compatible_client", "openai"

# section -> (title, metric A, label A, scale A, metric B, label B, scale B, B higher is better)
SECTIONS: dict[str, tuple[str, str, str, float, str, str, float, bool]] = {
    CHAT: ("non-streaming chat", "cpu", "CPU ms/call", 1e3, "wall", "wall ms/call", 1e3, False),
    STREAM: (
        "streaming chat, 256 chunks",
        "cpu_per_chunk",
        "CPU us/chunk",
        1e6,
        "ttfc",
        "first chunk ms",
        1e3,
        False,
    ),
    EMBED: ("embeddings, 64 inputs", "cpu", "CPU ms/call", 1e3, "wall", "wall ms/call", 1e3, False),
    BURST: ("async, 64 concurrent", "cpu_per_req", "CPU ms/req", 1e3, "rps", "req/s", 1.0, True),
    BURST256: ("async, 256 concurrent", "cpu_per_req", "CPU ms/req", 1e3, "rps", "req/s", 1.0, True),
    ADAPTER: ("platform adapters", "cpu", "CPU ms/call", 1e3, "wall", "wall ms/call", 1e3, False),
}


def stats(values: Sequence[float]) -> dict[str, float]:
    """Median, mean, spread and count of one metric's samples."""
    if not values:
        return {}
    ordered = sorted(values)
    n = len(ordered)
    return {
        "median": statistics.median(ordered),
        "mean": statistics.fmean(ordered),
        "p10": ordered[int(0.1 * (n - 1))],
        "p90": ordered[int(0.9 * (n - 1))],
        "min": ordered[0],
        "n": n,
    }


def floor_name(case: Case) -> str | None:
    """The raw-HTTP row a case is compared with."""
    if case.floor:
        return case.floor
    if case.section == ADAPTER:
        if "tokeniz" in case.name:
            return "raw requests tokenize (vllm)"
        return "raw requests tags (ollama)" if case.shape == "ollama" else "raw requests models (vllm)"
    if case.section in BURSTS or (case.is_async and case.shape == "vllm"):
        return "raw httpx async (vllm)"
    return f"raw httpx ({case.shape})"


@dataclass
class Row:
    section: str
    name: str
    a: float | None
    b: float | None
    a_vs_openai: float | None
    b_vs_openai: float | None
    a_vs_floor: float | None
    b_vs_floor: float | None
    note: str = ""


def _ratio(x: float | None, ref: float | None) -> float | None:
    if x is None or ref is None or ref == 0:
        return None
    return x / ref


def build_rows(cases: list[Case], medians: dict[str, dict[str, float]]) -> list[Row]:
    """One row per case, with values scaled to the section's units and the two ratios."""
    by_key = {c.key: c for c in cases}
    rows: list[Row] = []
    for section, (_t, ma, _la, sa, mb, _lb, sb, _hb) in SECTIONS.items():
        ref = next((c for c in cases if c.section == section and c.role == OPENAI), None)
        ref_m = medians.get(ref.key, {}) if ref else {}
        for case in (c for c in cases if c.section == section):
            m = medians.get(case.key, {})
            floor = by_key.get(f"{section}/{floor_name(case)}")
            floor_m = medians.get(floor.key, {}) if floor else {}
            a, b = m.get(ma), m.get(mb)
            note = case.unavailable or ""
            rows.append(
                Row(
                    section,
                    case.name,
                    None if a is None else a * sa,
                    None if b is None else b * sb,
                    _ratio(a, ref_m.get(ma)),
                    _ratio(b, ref_m.get(mb)),
                    _ratio(a, floor_m.get(ma)),
                    _ratio(b, floor_m.get(mb)),
                    note,
                )
            )
    return rows


def _num(v: float | None) -> str:
    if v is None:
        return "-"
    if v >= 1000:
        return f"{v:,.0f}"
    if v >= 100:
        return f"{v:.1f}"
    if v >= 10:
        return f"{v:.2f}"
    return f"{v:.3f}"


def _x(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}x"


_W = 40


def _line(
    name: str,
    a: str = "",
    a_openai: str = "",
    a_floor: str = "",
    b: str = "",
    b_openai: str = "",
    b_floor: str = "",
    extra: str = "",
) -> str:
    return (
        f"  {name:<{_W - 2}} {a:>10} {a_openai:>8} {a_floor:>8} {b:>10} {b_openai:>8} {b_floor:>8}{extra}"
    ).rstrip()


def render_table(
    rows: list[Row],
    imports: dict[str, Any],
    memory: dict[str, Any],
    later: dict[str, Any] | None = None,
    commands: dict[str, Any] | None = None,
) -> str:
    """The one table: every section, each figure with its ratio to the openai SDK and to the floor."""
    head = f"{'client':<{_W}} {'A':>10} {'/openai':>8} {'/floor':>8} {'B':>10} {'/openai':>8} {'/floor':>8}"
    lines = [head, "-" * len(head)]
    for section, (title, _ma, la, _sa, _mb, lb, _sb, higher) in SECTIONS.items():
        sec_rows = [r for r in rows if r.section == section]
        if not sec_rows:
            continue
        better = " (higher is better)" if higher else ""
        lines.append(f"[{title}]  A = {la}, B = {lb}{better}")
        for r in sec_rows:
            if r.a is None and r.b is None:
                lines.append(f"  {r.name:<{_W - 2}} {r.note or 'no data'}")
                continue
            lines.append(
                _line(
                    r.name,
                    _num(r.a),
                    _x(r.a_vs_openai),
                    _x(r.a_vs_floor),
                    _num(r.b),
                    _x(r.b_vs_openai),
                    _x(r.b_vs_floor),
                )
            )
    if imports:
        lines.append("[cold start, fresh process, median]  A = import s, B = import + client + first call s")
        ref = imports.get("openai", {})
        for mod, res in imports.items():
            if "error" in res:
                lines.append(f"  {'import ' + mod:<{_W - 2}} {res['error']}")
                continue
            sec, first = res["seconds"], res["first_call_seconds"]
            loads = ", loads litellm" if res.get("litellm_loaded") else ""
            lines.append(
                _line(
                    "import " + mod,
                    _num(sec),
                    _x(_ratio(sec, ref.get("seconds"))),
                    "",
                    _num(first),
                    _x(_ratio(first, ref.get("first_call_seconds"))),
                    "",
                    f"  (peak RSS {res['peak_rss_mib']:.0f} MiB{loads})",
                )
            )
    lines += _fresh_process_lines(imports, later or {}, commands or {})
    if memory:
        lines.append("[memory, fresh process]  A = RSS growth MiB after warm-up, B = peak RSS MiB")
        for client, res in memory.items():
            label = f"{res.get('calls', '?')} calls, {client}"
            if "error" in res:
                lines.append(f"  {label:<{_W - 2}} {res['error']}")
                continue
            lines.append(_line(label, f"{res['growth_mib']:.2f}", "", "", _num(res["peak_rss_mib"])))
    return "\n".join(lines)


def _fresh_process_lines(
    imports: dict[str, Any], later: dict[str, Any], commands: dict[str, Any]
) -> list[str]:
    """The first call after construction, peak RSS of construct + one call, the cold CLI listing."""
    lines: list[str] = []
    if later or imports:
        lines.append(
            "[first call, fresh process, median]  A = first chat 2 s after construction s, "
            "B = peak RSS MiB (import + construct + one chat)"
        )
        for mod, label in ((FACADE_IMPORT, "facade (vllm)"), (SDK_IMPORT, "openai SDK")):
            lat, imp = later.get(mod, {}), imports.get(mod, {})
            a, b = lat.get("first_call_seconds"), imp.get("peak_rss_mib")
            ref_a = later.get(SDK_IMPORT, {}).get("first_call_seconds")
            ref_b = imports.get(SDK_IMPORT, {}).get("peak_rss_mib")
            note = lat.get("error") or imp.get("error") or ""
            if a is None and b is None:
                lines.append(f"  {label:<{_W - 2}} {note or 'no data'}")
                continue
            lines.append(_line(label, _num(a), _x(_ratio(a, ref_a)), "", _num(b), _x(_ratio(b, ref_b)), ""))
    if commands:
        ref = commands.get("ollama.list()", {}).get("seconds")
        lines.append(
            "[cold command, fresh process, median]  A = wall s of the whole process (/ollama.list())"
        )
        for name, res in commands.items():
            if "error" in res:
                lines.append(f"  {name:<{_W - 2}} {res['error']}")
                continue
            lines.append(_line(name, _num(res["seconds"]), _x(_ratio(res["seconds"], ref))))
    return lines


@dataclass
class Goal:
    text: str
    value: float | None
    limit: float
    higher_is_better: bool
    why_missing: str = ""

    @property
    def status(self) -> str:
        if self.value is None:
            return "SKIP"
        ok = self.value >= self.limit if self.higher_is_better else self.value <= self.limit
        return "PASS" if ok else "FAIL"


def evaluate_goals(
    cases: list[Case],
    medians: dict[str, dict[str, float]],
    imports: dict[str, Any],
    memory: dict[str, Any],
    later: dict[str, Any] | None = None,
    commands: dict[str, Any] | None = None,
) -> list[Goal]:
    """The goals of the performance issue, each as a measured ratio against its limit."""
    by_key = {c.key: c for c in cases}

    def ratio(section: str, name: str, ref: str, metric: str) -> tuple[float | None, str]:
        case = by_key.get(f"{section}/{name}")
        if case is None or case.unavailable:
            return None, case.unavailable if case and case.unavailable else f"{name}: no such row"
        a = medians.get(f"{section}/{name}", {}).get(metric)
        b = medians.get(f"{section}/{ref}", {}).get(metric)
        return _ratio(a, b), "" if a is not None and b is not None else "no data"

    goals: list[Goal] = []

    def add(
        text: str, section: str, name: str, ref: str, metric: str, limit: float, higher: bool = False
    ) -> None:
        value, why = ratio(section, name, ref, metric)
        goals.append(Goal(text, value, limit, higher, why))

    for shape in ("vllm", "ollama"):
        add(
            f"chat CPU: facade ({shape}) / openai SDK <= 1.25",
            CHAT,
            f"facade ({shape})",
            "openai SDK",
            "cpu",
            1.25,
        )
        add(
            f"chat CPU: facade async ({shape}) / AsyncOpenAI <= 1.25",
            CHAT,
            f"facade async (sequential) ({shape})",
            "AsyncOpenAI (sequential)",
            "cpu",
            1.25,
        )
        add(
            f"chat CPU: facade ({shape}) / litellm.completion ({shape}) <= 0.5",
            CHAT,
            f"facade ({shape})",
            f"litellm.completion ({shape})",
            "cpu",
            0.5,
        )
    for shape in ("vllm", "ollama"):
        add(
            f"stream CPU/chunk: facade ({shape}) / openai SDK <= 1.25",
            STREAM,
            f"facade ({shape})",
            "openai SDK",
            "cpu_per_chunk",
            1.25,
        )
        add(
            f"stream CPU/chunk: facade async ({shape}) / AsyncOpenAI <= 1.25",
            STREAM,
            f"facade async ({shape})",
            "AsyncOpenAI",
            "cpu_per_chunk",
            1.25,
        )
    for shape in ("vllm", "ollama"):
        add(
            f"async64 req/s: facade async ({shape}) / AsyncOpenAI >= 1.5",
            BURST,
            f"facade async ({shape})",
            "AsyncOpenAI",
            "rps",
            1.5,
            higher=True,
        )
        add(
            f"async64 CPU/req: facade async ({shape}) / AsyncOpenAI <= 0.6",
            BURST,
            f"facade async ({shape})",
            "AsyncOpenAI",
            "cpu_per_req",
            0.6,
        )
    for name, floor in (
        ("facade models.list (vllm)", "raw requests models (vllm)"),
        ("facade tokenizer.encode (vllm)", "raw requests tokenize (vllm)"),
        ("facade models.list (ollama)", "raw requests tags (ollama)"),
    ):
        add(f"adapter CPU: {name} / raw requests <= 1.2", ADAPTER, name, floor, "cpu", 1.2)

    pkg, ref = imports.get("openai_compatible_client", {}), imports.get("openai", {})
    goals.append(
        Goal(
            "import openai_compatible_client / import openai <= 1.5",
            _ratio(pkg.get("seconds"), ref.get("seconds")),
            1.5,
            False,
            pkg.get("error", ""),
        )
    )
    later = later or {}
    goals.append(
        Goal(
            "first chat 2 s after construction: facade / openai SDK <= 1.5",
            _ratio(
                later.get(FACADE_IMPORT, {}).get("first_call_seconds"),
                later.get(SDK_IMPORT, {}).get("first_call_seconds"),
            ),
            1.5,
            False,
            later.get(FACADE_IMPORT, {}).get("error", "") or ("not measured" if not later else ""),
        )
    )
    commands = commands or {}
    goals.append(
        Goal(
            "cold `occ models list` / `ollama.list()` <= 1.5",
            _ratio(
                commands.get("occ models list", {}).get("seconds"),
                commands.get("ollama.list()", {}).get("seconds"),
            ),
            1.5,
            False,
            commands.get("occ models list", {}).get("error", "") or ("not measured" if not commands else ""),
        )
    )
    mem = memory.get("facade", {})
    goals.append(
        Goal(
            f"memory: RSS growth over {mem.get('calls', '?')} facade calls <= {MEMORY_GROWTH_LIMIT_MIB} MiB",
            mem.get("growth_mib"),
            MEMORY_GROWTH_LIMIT_MIB,
            False,
            mem.get("error", "") or ("not measured" if not mem else ""),
        )
    )
    return goals


def render_goals(goals: list[Goal]) -> str:
    lines = ["Goals (client CPU, same run, medians):"]
    for g in goals:
        value = "-" if g.value is None else f"{g.value:.2f}"
        why = f"  ({g.why_missing})" if g.status == "SKIP" and g.why_missing else ""
        lines.append(f"  {g.status:<4}  {g.text:<66} measured {value}{why}")
    return "\n".join(lines)


def has_facade(cases: list[Case]) -> bool:
    return any(c.role == FACADE and c.fn is not None for c in cases)
