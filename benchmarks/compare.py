"""lambda_durable (compiled and pure) against aws-durable-execution-sdk-python 3.0.0, end to end.

Runs the scenarios of performance.md (shared/reference), each figure (implementation x
scenario) in its own process, and prints one table with medians, per-operation costs,
checkpoint calls, peak traced memory and ratios, then the scaling check and the targets.
It never fails: problems are reported in the table and the script exits 0.

    pip install '.[bench]'        # pulls aws-durable-execution-sdk-python==3.0.0
    python benchmarks/compare.py [--quick] [--scenarios S0,S1-100,...] [--impls compiled,pure]

The scenarios themselves (the in-memory service client, events, handlers, the one-figure
worker) are in ``_scenarios.py`` beside this file.
"""
from __future__ import annotations

import argparse
import glob
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "_scenarios.py")
SRC = os.path.join(os.path.dirname(HERE), "src")
sys.path.insert(0, HERE)
from _scenarios import COLD_IMPORT, IMPLS  # noqa: E402

ALL_SCENARIOS = ["S0", "S1-100", "S1-1000", "S1-10000", "S2-1000", "S2-10000", "S3-100",
                 "S3-1000", "S4", "S5", "S1L-100", "S1L-100-BATCHED", "S1L-100-OPTIMISTIC"]
#: checkpoint strategies a scenario name may end with (S1L-100-BATCHED; lambda_durable only)
STRATEGIES = ("BATCHED", "OPTIMISTIC")
IMPL_ORDER = ["compiled", "pure", "official"]
#: the official SDK's wall time in performance.md (ms), to tell this machine from that one
REFERENCE_MS = {"S0": 101.8, "S1-100": 241, "S1-1000": 1489, "S1-10000": 14283, "S2-1000": 120,
                "S2-10000": 559, "S3-100": 175, "S3-1000": 831, "S4": 137, "S5": 280,
                "S1L-100": 779}
OFFICIAL_MODULE = IMPLS["official"][0]


# -- running figures --------------------------------------------------------------------------


def worker_env(impl: str, use_src: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("LAMBDA_DURABLE_NO_EXTENSIONS", None)
    env.update(IMPLS[impl][1])
    if use_src:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [SRC, env.get("PYTHONPATH")]))
    return env


def run_worker(spec: dict, env: dict[str, str], timeout: float) -> dict:
    """One process, one figure: the worker's ``RESULT`` line, or an error record."""
    try:
        proc = subprocess.run([sys.executable, WORKER, json.dumps(spec)], env=env, cwd=HERE,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    return parse_result(proc)


def parse_result(proc: subprocess.CompletedProcess) -> dict:
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    return {"error": f"exit {proc.returncode}: {tail[0][:300]}"}


def cold_import(impl: str, runs: int, use_src: bool) -> dict:
    """S5: ``import <sdk>`` in fresh processes (one warm-up, then ``runs``)."""
    code = COLD_IMPORT.format(module=IMPLS[impl][0])
    results = []
    for i in range(runs + 1):
        env = worker_env(impl, use_src)
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # the warm-up leaves the bytecode cache
        proc = subprocess.run([sys.executable, "-c", code], env=env,
                              cwd=HERE, capture_output=True, text=True, timeout=120)
        result = parse_result(proc)
        if "error" in result:
            return result
        if i:
            results.append(result)
    return {"median_ms": statistics.median(r["ms"] for r in results),
            "runs_ms": [r["ms"] for r in results], "boto3": any(r["boto3"] for r in results),
            "rss_mb": statistics.median(r["rss_kb"] for r in results) / 1024}


def split(scenario: str) -> tuple[str, int]:
    base, _, n = scenario.partition("-")
    return base, int(n.partition("-")[0] or 0)


def strategy_of(scenario: str) -> str:
    """The checkpoint strategy a scenario name ends with (S1L-100-BATCHED), or ""."""
    return scenario.partition("-")[2].partition("-")[2]


def measure_all(scenarios: list[str], impls: list[str], opts: argparse.Namespace) -> dict:
    """figures[(scenario, impl)] -> result dict; extra keys for the floor and the state check."""
    runs = opts.runs or (3 if opts.quick else 5)
    budget = 2.0 if opts.quick else 1e9
    timeout = 300 if opts.quick else 1200
    figures: dict[tuple[str, str], dict] = {}
    for scenario in scenarios:
        base, n = split(scenario)
        strategy = strategy_of(scenario)
        for impl in impls:
            if strategy and impl == "official":
                continue
            progress(f"{scenario:<18} {impl:<9}")
            started = time.perf_counter()
            if base == "S5":
                result = cold_import(impl, runs, opts.src)
            else:
                spec = {"impl": impl, "scenario": base, "n": n, "runs": runs, "budget": budget,
                        "warmup_n": min(n, 100) if opts.quick else 0, "strategy": strategy}
                result = run_worker(spec, worker_env(impl, opts.src), timeout)
            figures[(scenario, impl)] = result
            progress(f" {describe(result)} ({time.perf_counter() - started:.1f} s)\n")
        if base == "S2":
            spec = {"kind": "floor", "n": n, "runs": runs}
            figures[(scenario, "floor")] = run_worker(spec, worker_env("compiled", opts.src), timeout)
            if "official" in impls:
                spec = {"kind": "states", "n": n}
                figures[(scenario, "states")] = run_worker(spec, worker_env("compiled", opts.src),
                                                           timeout)
    return figures


def progress(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def describe(result: dict) -> str:
    return result["error"] if "error" in result else f"{result['median_ms']:.2f} ms"


# -- the table --------------------------------------------------------------------------------


def fmt_ms(ms: float | None) -> str:
    if ms is None:
        return ""
    return f"{ms:,.0f} ms" if ms >= 100 else f"{ms:.2f} ms" if ms < 10 else f"{ms:.1f} ms"


def fmt_us(us: float | None) -> str:
    if us is None:
        return ""
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.1f} us"


def fmt_bytes(n: float | None) -> str:
    if n is None:
        return ""
    return f"{n / 2**20:.2f} MiB" if n >= 2**20 else f"{n / 1024:.0f} KiB"


def fmt_ratio(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:,.0f}x" if x >= 100 else f"{x:.1f}x" if x >= 10 else f"{x:.2f}x"


def per_op_us(figures: dict, scenario: str, impl: str) -> float | None:
    """(median - S0 median of the same implementation) / operations, in microseconds."""
    r = figures.get((scenario, impl)) or {}
    if "median_ms" not in r or not r.get("ops"):
        return None
    base = (figures.get(("S0", impl)) or {}).get("median_ms", 0.0)
    return max(r["median_ms"] - base, 0.0) * 1000 / r["ops"]


def ratio(figures: dict, scenario: str, num: str, den: str, key: str = "median_ms") -> float | None:
    a = (figures.get((scenario, num)) or {}).get(key)
    b = (figures.get((scenario, den)) or {}).get(key)
    return a / b if a and b else None


def table_rows(figures: dict, scenarios: list[str], impls: list[str]) -> list[list[str]]:
    rows = []
    for scenario in scenarios:
        for impl in impls:
            r = figures.get((scenario, impl))
            if r is None:
                continue
            name = scenario if impl == impls[0] else ""
            if "error" in r:
                rows.append([name, impl, "ERROR: " + r["error"]])
                continue
            if split(scenario)[0] == "S5":
                rows.append([name, impl, fmt_ms(r["median_ms"]), spread(r), "", "", "",
                             f"{r['rss_mb']:.0f} MB RSS",
                             "", fmt_ratio(ratio(figures, scenario, "official", impl)), "",
                             "; ".join(filter(None, ["boto3 imported" if r["boto3"] else "no boto3",
                                                     ref_note(scenario, impl)]))])
                continue
            fake = r["fake_ms"] / r["median_ms"] * 100 if r["median_ms"] else 0
            calls = f"{r['calls']} / {r['updates']}" + (f" +{r['state_calls']}p" if r["state_calls"] else "")
            mem = ratio(figures, scenario, impl, "official", "peak_bytes")
            rows.append([name, impl, fmt_ms(r["median_ms"]), spread(r), fmt_ms(r["cpu_ms"]),
                         fmt_us(per_op_us(figures, scenario, impl)),
                         calls, fmt_bytes(r["peak_bytes"]), f"{fake:.0f}%",
                         fmt_ratio(ratio(figures, scenario, "official", impl)),
                         fmt_ratio(mem) if impl != "official" else "",
                         ref_note(scenario, impl)])
        floor = figures.get((scenario, "floor"))
        if floor and "median_ms" in floor:
            rows.append(["", "floor", fmt_ms(floor["median_ms"]), spread(floor), "", "", "", "", "", "", "",
                         f"parse {floor['doc_bytes'] / 1e6:.2f} MB ({fmt_ms(floor['parse_ms'])}) + index + json-decode results"])
    return rows


def spread(result: dict) -> str:
    """Half the range of the timed runs, relative to the median (how noisy the figure is)."""
    runs = result.get("runs_ms") or []
    if len(runs) < 2 or not result.get("median_ms"):
        return ""
    return f"+-{(max(runs) - min(runs)) / 2 / result['median_ms'] * 100:.0f}%"


def ref_note(scenario: str, impl: str) -> str:
    if impl != "official" or scenario not in REFERENCE_MS:
        return ""
    return f"performance.md: {fmt_ms(REFERENCE_MS[scenario])}"


def render(header: list[str], rows: list[list[str]], right: set[int]) -> str:
    sized = [header] + [r for r in rows if not is_error_row(r)]
    widths = [max(len(r[i]) if i < len(r) else 0 for r in (sized if i > 1 else [header] + rows))
              for i in range(len(header))]
    lines = []
    for k, row in enumerate([header] + rows):
        if is_error_row(row):  # an error spans the row
            lines.append(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}")
            continue
        cells = [(c.rjust(w) if i in right else c.ljust(w)) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def is_error_row(row: list[str]) -> bool:
    return len(row) == 3 and row[2].startswith("ERROR")


def scaling_rows(figures: dict, impls: list[str]) -> list[list[str]]:
    rows = []
    for impl in impls:
        costs = [per_op_us(figures, f"S1-{n}", impl) for n in (100, 1000, 10000)]
        drift = costs[2] / costs[0] if costs[0] and costs[2] else None
        rows.append([impl] + [fmt_us(c) for c in costs] + [fmt_ratio(drift)])
    return rows


# -- targets ----------------------------------------------------------------------------------


def verdict(ok: bool | None, text: str) -> str:
    return f"{'n/a   ' if ok is None else 'MET   ' if ok else 'MISSED'} {text}"


def speedup_target(figures: dict, scenario: str, need: float, limit_ms: float) -> str:
    r = figures.get((scenario, "compiled")) or {}
    if "median_ms" not in r:
        return verdict(None, f"{scenario}: not measured")
    got = ratio(figures, scenario, "official", "compiled")
    abs_part = f"{fmt_ms(r['median_ms'])} (performance.md machine: <= {limit_ms:g} ms)"
    if got is None:
        return verdict(None, f"{scenario}: {abs_part}; no official figure for the ratio")
    short = f"; needs {need / got:.2f}x faster" if got < need else ""
    return verdict(got >= need, f"{scenario}: {fmt_ratio(got)} faster than official, target >= {need:g}x; {abs_part}{short}")


def targets(figures: dict, scenarios: list[str]) -> list[str]:
    out = []

    def get(scenario: str, impl: str = "compiled") -> dict:
        return figures.get((scenario, impl)) or {}

    if "median_ms" in get("S0"):
        ms = get("S0")["median_ms"]
        out.append(verdict(ms <= 1.0, f"S0: {fmt_ms(ms)}, target <= 1 ms"
                           + (f" ({ms:.1f}x over)" if ms > 1 else "")))
    for scenario, need, limit in (("S1-10000", 45, 300), ("S3-1000", 10, 80), ("S4", 13, 10)):
        if scenario in scenarios:
            out.append(speedup_target(figures, scenario, need, limit))
    if "S2-10000" in scenarios:
        out.append(speedup_target(figures, "S2-10000", 9, 60))
        s2, floor = get("S2-10000"), get("S2-10000", "floor")
        if "median_ms" in s2 and "median_ms" in floor:
            x = s2["median_ms"] / floor["median_ms"]
            rest = floor["median_ms"] - floor["parse_ms"]
            out.append(verdict(x <= 1.5, f"S2-10000: {x:.2f}x the floor ({fmt_ms(floor['median_ms'])}), target <= 1.5x"
                               + (f"; {fmt_ms(s2['median_ms'] - 1.5 * floor['median_ms'])} too slow" if x > 1.5 else "")
                               + f" (the floor includes {fmt_ms(floor['parse_ms'])} of JSON parsing that Lambda does"
                               f" before the handler; without it: {s2['median_ms'] / rest:.2f}x of {fmt_ms(rest)})"))
        x = ratio(figures, "S2-10000", "pure", "compiled")
        if x is not None:
            out.append(verdict(x >= 1.5, f"Cython: S2-10000 compiled {fmt_ratio(x)} faster than pure, target >= 1.5x"))
    if "median_ms" in get("S5"):
        r = get("S5")
        ok = r["median_ms"] <= 30 and not r["boto3"]
        out.append(verdict(ok, f"S5: import {fmt_ms(r['median_ms'])}, {'boto3 imported' if r['boto3'] else 'no boto3'}; target <= 30 ms, no boto3"))
    if "median_ms" in get("S1L-100"):
        x = ratio(figures, "S1L-100", "official", "compiled")
        ms = get("S1L-100")["median_ms"]
        out.append(verdict(None if x is None else x >= 1.0,
                           f"S1L-100 EAGER (the default): {fmt_ms(ms)}, {fmt_ratio(x)} vs official, target <= official"))
    for strategy, limit in (("BATCHED", 60), ("OPTIMISTIC", 30)):
        scenario = f"S1L-100-{strategy}"
        if scenario in scenarios:
            r = get(scenario)
            ms = r.get("median_ms")
            out.append(verdict(None if ms is None else ms <= limit,
                               f"{scenario}: {fmt_ms(ms) or 'not measured'}"
                               + (f" ({r['calls']} CheckpointDurableExecution calls)" if ms is not None else "")
                               + f", target <= {limit} ms"))
    out.append(memory_target(figures, scenarios))
    out.append(scaling_target(figures))
    out.append(verdict(None, "Cython: each core function >= 3x compiled vs pure: see pytest benchmarks/"))
    return out


def memory_target(figures: dict, scenarios: list[str]) -> str:
    worse = []
    compared = 0
    for scenario in scenarios:
        x = ratio(figures, scenario, "compiled", "official", "peak_bytes")
        if x is not None:
            compared += 1
            if x > 1.0:
                worse.append(f"{scenario} {x:.2f}x")
    if not compared:
        return verdict(None, "memory: no official figures to compare")
    return verdict(not worse, "memory: compiled peak <= official in "
                   f"{compared - len(worse)} of {compared} scenarios" + (f"; above in {', '.join(worse)}" if worse else ""))


def scaling_target(figures: dict) -> str:
    a, b = per_op_us(figures, "S1-100", "compiled"), per_op_us(figures, "S1-10000", "compiled")
    if not a or not b:
        return verdict(None, "scaling: needs S1-100 and S1-10000")
    return verdict(b / a <= 1.25, f"scaling: S1 per op {fmt_us(a)} at 100 -> {fmt_us(b)} at 10000 "
                   f"({b / a:.2f}x; flat = within 1.25x)")


# -- main -------------------------------------------------------------------------------------


def compiled_twins(use_src: bool) -> tuple[str, list[str]]:
    """Where lambda_durable is imported from and which ``*_c`` extension modules it holds."""
    if use_src:
        sys.path.insert(0, SRC)
    spec = importlib.util.find_spec("lambda_durable")
    if spec is None or not spec.submodule_search_locations:
        return "not importable", []
    folder = list(spec.submodule_search_locations)[0]
    names = sorted({os.path.basename(p).split(".")[0] for p in glob.glob(os.path.join(folder, "_*_c.*"))
                    if p.endswith((".so", ".pyd"))})
    return folder, names


def notes(figures: dict, where: str, have_official: bool) -> list[str]:
    out = []
    if where == "not importable":
        out.append("lambda_durable is not importable: pip install '.[bench]', or pass --src.")
    if not have_official:
        out.append(f"{OFFICIAL_MODULE} is not installed: official figures skipped "
                   "(pip install '.[bench]' brings aws-durable-execution-sdk-python==3.0.0).")
    for (scenario, impl), r in figures.items():
        if impl == "compiled" and r.get("extensions") is False:
            out.append("the compiled core did not load: 'compiled' figures ran on the pure twins.")
            break
    for (scenario, impl), r in figures.items():
        if impl == "states" and "identical" in r:
            out.append(f"{scenario} state: both SDKs write it byte-identically ({r['doc_bytes'] / 1e6:.2f} MB)"
                       if r["identical"] else f"{scenario} state: the SDKs' documents DIFFER")
    return out


LEGEND = """\
spread = half the range of the timed runs / median.  cpu = median process CPU time (all
threads; wall - cpu = waiting).  per op = (median - S0 median of the same
implementation) / operations.  calls / updates = CheckpointDurableExecution calls / updates sent
(+Np = GetDurableExecutionState pages).  fake = share of the median spent in the in-memory client
(timed alone afterwards).  vs official = official median / this median.  mem vs off = this peak
traced memory / the official SDK's (the event itself is not counted: Lambda parses it)."""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 runs within ~2 s per figure, small warm-ups (< 2 min in all)")
    parser.add_argument("--scenarios", default=",".join(ALL_SCENARIOS),
                        help="comma-separated, e.g. S0,S1-100,S2-10000,S5 (default: all)")
    parser.add_argument("--impls", default=",".join(IMPL_ORDER), help="compiled,pure,official")
    parser.add_argument("--runs", type=int, default=0, help="timed runs per figure (default 5, quick 3)")
    parser.add_argument("--profile", metavar="SCENARIO",
                        help="instead of the table: cProfile one run of SCENARIO (e.g. S2-10000) "
                             "on the first of --impls, top 30 functions by own time")
    parser.add_argument("--src", action="store_true",
                        help="import lambda_durable from this checkout's src/ (not the installed one)")
    return parser.parse_args()


def main() -> int:
    opts = parse_args()
    requested = [s.strip() for s in opts.scenarios.split(",") if s.strip()]
    scenarios = [s for s in requested if split_ok(s)]
    have_official = importlib.util.find_spec(OFFICIAL_MODULE) is not None
    impls = [i for i in IMPL_ORDER if i in opts.impls.split(",") and (i != "official" or have_official)]
    if opts.profile:
        return profile(opts.profile, impls[0] if impls else "compiled", opts.src)
    where, twins = compiled_twins(opts.src)
    started = time.perf_counter()
    figures = measure_all(scenarios, impls, opts)

    print(f"\nlambda_durable vs {OFFICIAL_MODULE}: {platform.python_implementation()} "
          f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
          f"{cpu_name()}{', quick' if opts.quick else ''}")
    print(f"lambda_durable from {where}; compiled twins: {', '.join(twins) or 'none'}")
    print(f"medians of {opts.runs or (3 if opts.quick else 5)} runs after a warm-up, one process per "
          f"figure; total {time.perf_counter() - started:.0f} s\n")
    header = ["scenario", "impl", "median", "spread", "cpu", "per op", "calls / updates",
              "peak traced", "fake", "vs official", "mem vs off", "notes"]
    print(render(header, table_rows(figures, scenarios, impls), {2, 3, 4, 5, 7, 8, 9, 10}))
    print("\n" + LEGEND)
    print("\nScaling: S1 cost per new operation\n")
    print(render(["impl", "N=100", "N=1000", "N=10000", "10000/100"], scaling_rows(figures, impls),
                 {1, 2, 3, 4}))
    print("\nTargets (performance.md; lambda_durable compiled unless said)\n")
    for line in targets(figures, scenarios):
        print("  " + line)
    ignored = [f"unknown scenario {s} ignored" for s in requested if s not in scenarios]
    for line in notes(figures, where, have_official) + ignored:
        print("note: " + line)
    return 0


def profile(scenario: str, impl: str, use_src: bool) -> int:
    if not split_ok(scenario) or scenario == "S5":
        print(f"cannot profile {scenario}: one of S0, S1-N, S2-N, S3-N, S4, S1L-N[-BATCHED|-OPTIMISTIC]")
        return 0
    base, n = split(scenario)
    spec = {"kind": "profile", "impl": impl, "scenario": base, "n": n, "strategy": strategy_of(scenario)}
    result = run_worker(spec, worker_env(impl, use_src), 1200)
    print(f"{scenario} on {impl}:\n" + result.get("text", result.get("error", "")))
    return 0


def split_ok(scenario: str) -> bool:
    try:
        base, n = split(scenario)
    except ValueError:
        return False
    strategy = strategy_of(scenario)
    if strategy:
        return base == "S1L" and n > 0 and strategy in STRATEGIES
    return base in ("S0", "S4", "S5") and n == 0 or base in ("S1", "S2", "S3", "S1L") and n > 0


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # noqa: BLE001 - the script reports, it never fails
        print(f"compare.py failed: {type(error).__name__}: {error}")
    sys.exit(0)
