"""The scenarios of performance.md for ``benchmarks/compare.py``.

Holds the in-memory service client both SDKs talk to, the Lambda-style events, the scenario
handlers and the worker that measures ONE figure (one implementation x one scenario) in its own
process::

    python benchmarks/_scenarios.py '{"impl": "compiled", "scenario": "S1", "n": 1000, ...}'

The worker prints one line ``RESULT <json>``. ``compare.py`` starts one such process per figure
(``LAMBDA_DURABLE_NO_EXTENSIONS=1`` for the pure-Python figures) and prints the table.
"""
from __future__ import annotations

import datetime
import gc
import json
import os
import statistics
import sys
import threading
import time
import tracemalloc
from types import SimpleNamespace
from typing import Any, Callable

try:
    import orjson
except ImportError:  # pragma: no cover - orjson comes with lambda_durable
    orjson = None

ARN = "arn:aws:lambda:us-east-1:123456789012:function:bench:$LATEST/durable-execution/bench/0a1b2c3d"
EXECUTION_ID = "0a1b2c3d"
START_MS = 1_769_481_309_631
#: what boto3 hands back for a timestamp in an API response: an aware datetime
NOW = datetime.datetime(2026, 1, 27, tzinfo=datetime.timezone.utc)
INPUT = {"order": 1}

#: implementation -> (module, extra environment)
IMPLS: dict[str, tuple[str, dict[str, str]]] = {
    "compiled": ("lambda_durable", {}),
    "pure": ("lambda_durable", {"LAMBDA_DURABLE_NO_EXTENSIONS": "1"}),
    "official": ("aws_durable_execution_sdk_python", {}),
}

_DETAILS = {
    "STEP": "StepDetails",
    "CONTEXT": "ContextDetails",
    "WAIT": "WaitDetails",
    "CALLBACK": "CallbackDetails",
    "CHAINED_INVOKE": "ChainedInvokeDetails",
}


# -- the in-memory service --------------------------------------------------------------------


class FakeLambdaClient:
    """boto3 ``lambda`` client look-alike answering like the durable service: each checkpoint
    consumes the current token and returns a new one plus the operations it changed (API form,
    datetimes); ``get_durable_execution_state`` pages the stored operations (``MaxItems``,
    default 100, at most 1000). ``latency`` seconds are slept in every call (a network round
    trip). Every call is recorded so :meth:`cost` can time the fake alone afterwards."""

    def __init__(self, operations: list[dict] = (), latency: float = 0.0) -> None:
        self.latency = latency
        self._initial = [_api_form(op) for op in operations]
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.operations = {op["Id"]: op for op in self._initial}
        self.serial = 0
        self.token = "dG9rZW4w"
        self.calls = 0
        self.updates = 0
        self.state_calls = 0
        self.log: list[tuple[str, Any]] = []

    # the API --------------------------------------------------------------------------------
    def checkpoint_durable_execution(self, *, DurableExecutionArn, CheckpointToken, Updates=(),
                                     ClientToken=None):
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            if CheckpointToken != self.token:
                raise RuntimeError(f"Invalid checkpoint token {CheckpointToken!r}")
            self.log.append(("checkpoint", Updates))
            self.calls += 1
            self.updates += len(Updates)
            changed: dict[str, dict] = {}
            for update in Updates:
                if update["Type"] != "EXECUTION":
                    self._apply(update, changed)
            self.serial += 1
            self.token = f"dG9rZW4{self.serial}"
            return {"CheckpointToken": self.token,
                    "NewExecutionState": {"Operations": list(changed.values())}}

    def get_durable_execution_state(self, *, DurableExecutionArn, CheckpointToken, Marker=None,
                                    MaxItems=None):
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            self.log.append(("state", (Marker, MaxItems)))
            self.state_calls += 1
            size = min(MaxItems or 100, 1000)
            start = int(Marker or 0)
            ops = list(self.operations.values())
            out: dict[str, Any] = {"Operations": ops[start:start + size]}
            if start + size < len(ops):
                out["NextMarker"] = str(start + size)
            return out

    # state transitions (protocol.md 3.6, the kinds the scenarios use) -----------------------
    def _apply(self, u: dict, changed: dict[str, dict]) -> None:
        """Apply one update; the changed record (copied once per call) lands in ``changed``."""
        oid = u["Id"]
        op = changed.get(oid)
        if op is None:
            old = self.operations.get(oid)
            if old is None:
                op = {"Id": oid, "Type": u["Type"], "StartTimestamp": NOW}
                for field in ("ParentId", "Name", "SubType"):
                    if field in u:
                        op[field] = u[field]
            else:
                op = old.copy()
            changed[oid] = self.operations[oid] = op
        action = u["Action"]
        if action == "START":
            op["Status"] = "STARTED"
            return
        if action != "SUCCEED" and action != "FAIL":
            raise RuntimeError(f"the benchmark fake does not model {u['Type']} {action}")
        kind = u["Type"]
        key = _DETAILS[kind]
        details = op.get(key)
        details = {} if details is None else details.copy()
        op[key] = details
        op["Status"] = "SUCCEEDED" if action == "SUCCEED" else "FAILED"
        op["EndTimestamp"] = NOW
        if kind == "STEP":
            details["Attempt"] = details.get("Attempt", 0) + 1
        if "Payload" in u:
            details["Result"] = u["Payload"]
        if "Error" in u:
            details["Error"] = u["Error"]
        if kind == "CONTEXT":
            details["ReplayChildren"] = (u.get("ContextOptions") or {}).get("ReplayChildren", False)

    # cost of the fake alone -----------------------------------------------------------------
    def cost(self) -> float:
        """Seconds a fresh copy of this fake needs to answer the recorded calls again."""
        twin = FakeLambdaClient(latency=0.0)
        twin._initial = self._initial
        twin.reset()
        log = list(self.log)
        t0 = time.perf_counter()
        for kind, args in log:
            if kind == "checkpoint":
                twin.checkpoint_durable_execution(DurableExecutionArn=ARN,
                                                  CheckpointToken=twin.token, Updates=args)
            else:
                twin.get_durable_execution_state(DurableExecutionArn=ARN,
                                                 CheckpointToken=twin.token, Marker=args[0],
                                                 MaxItems=args[1])
        return time.perf_counter() - t0


def _api_form(op: dict) -> dict:
    """An event (epoch-ms) operation as GetDurableExecutionState returns it through boto3."""
    out = dict(op)
    for field in ("StartTimestamp", "EndTimestamp"):
        if isinstance(out.get(field), int):
            out[field] = datetime.datetime.fromtimestamp(out[field] / 1000, datetime.timezone.utc)
    return out


# -- SDK adapters -----------------------------------------------------------------------------


def load_sdk(impl: str) -> SimpleNamespace:
    """What the scenarios need from one SDK: the decorator, the batch configs, and its own ID
    and serdes functions (to write the S2 state in its own checkpoint format)."""
    if IMPLS[impl][0] == "lambda_durable":
        import lambda_durable as m
        from lambda_durable._ids import operation_id
        from lambda_durable.config import CheckpointStrategy, MapConfig, ParallelConfig
        from lambda_durable.serdes import serialize

        def op_id(n: int) -> str:
            return operation_id(None, n)

        extensions = m.EXTENSIONS
    else:
        import aws_durable_execution_sdk_python as m
        from aws_durable_execution_sdk_python.config import MapConfig, ParallelConfig
        from aws_durable_execution_sdk_python.identifier import OperationIdNamespace
        from aws_durable_execution_sdk_python.serdes import serialize

        op_id = OperationIdNamespace(None).create_id_for_step
        extensions = CheckpointStrategy = None
    return SimpleNamespace(
        durable_execution=m.durable_execution, MapConfig=MapConfig,
        ParallelConfig=ParallelConfig, op_id=op_id, CheckpointStrategy=CheckpointStrategy,
        payload=lambda value, oid: serialize(None, value, oid, ARN), extensions=extensions,
    )


# -- events and stored state ------------------------------------------------------------------


def execution_op() -> dict:
    return {"Id": EXECUTION_ID, "Type": "EXECUTION", "Status": "STARTED",
            "StartTimestamp": START_MS, "ExecutionDetails": {"InputPayload": json.dumps(INPUT)}}


def step_value(i: int) -> dict:
    """What every trivial step returns: a small dict."""
    return {"i": i, "ok": True}


def replay_state(sdk: SimpleNamespace, n: int) -> list[dict]:
    """The stored operations after S1-n (n root steps SUCCEEDED), written with ``sdk``'s own
    operation IDs and serdes, in the event's wire form (epoch milliseconds)."""
    ops = []
    for i in range(n):
        oid = sdk.op_id(i + 1)
        ops.append({"Id": oid, "Type": "STEP", "SubType": "Step", "Status": "SUCCEEDED",
                    "StartTimestamp": START_MS + i, "EndTimestamp": START_MS + i + 1,
                    "StepDetails": {"Attempt": 1, "Result": sdk.payload(step_value(i), oid)}})
    return ops


def event_document(history: list[dict]) -> bytes:
    """The invocation event as Lambda receives it (JSON), every operation in the first page."""
    event = {"DurableExecutionArn": ARN, "CheckpointToken": "dG9rZW4w",
             "InitialExecutionState": {"Operations": [execution_op()] + history,
                                       "NextMarker": ""}}
    return json.dumps(event).encode()


def parse(document: bytes) -> Any:
    return orjson.loads(document) if orjson is not None else json.loads(document)


# -- handlers ---------------------------------------------------------------------------------

#: step bodies run in the current process (a replay must run none)
BODIES = [0]
#: peak traced memory of the last traced invocation
PEAK = [0]


def _step(i: int) -> Callable[[Any], dict]:
    def body(_step_context: Any) -> dict:
        BODIES[0] += 1
        return step_value(i)

    return body


def empty_handler(n: int, sdk: SimpleNamespace) -> tuple[Callable, Any]:
    def handler(event: Any, context: Any) -> str:
        return "done"

    return handler, "done"


def sequential_handler(n: int, sdk: SimpleNamespace) -> tuple[Callable, Any]:
    def handler(event: Any, context: Any) -> int:
        total = 0
        for i in range(n):
            total += context.step(_step(i))["i"]
        return total

    return handler, sum(range(n))


def map_handler(n: int, sdk: SimpleNamespace) -> tuple[Callable, Any]:
    def item(ctx: Any, x: int, index: int, items: Any) -> int:
        return ctx.step(_step(x))["i"]

    def handler(event: Any, context: Any) -> int:
        batch = context.map(list(range(n)), item, config=sdk.MapConfig(max_concurrency=10))
        return sum(batch.get_results())

    return handler, sum(range(n))


def parallel_handler(n: int, sdk: SimpleNamespace) -> tuple[Callable, Any]:
    def branch(b: int) -> Callable[[Any], int]:
        def run(ctx: Any) -> int:
            return sum(ctx.step(_step(b * 10 + k))["i"] for k in range(10))

        return run

    def handler(event: Any, context: Any) -> int:
        return sum(context.parallel([branch(b) for b in range(10)]).get_results())

    return handler, sum(range(100))


#: scenario -> (handler factory, replay?, operations per run given n, API latency in seconds)
SCENARIOS: dict[str, tuple[Callable, bool, Callable[[int], int], float]] = {
    "S0": (empty_handler, False, lambda n: 0, 0.0),
    "S1": (sequential_handler, False, lambda n: n, 0.0),
    "S2": (sequential_handler, True, lambda n: n, 0.0),
    "S3": (map_handler, False, lambda n: n, 0.0),
    "S4": (parallel_handler, False, lambda n: 100, 0.0),
    "S1L": (sequential_handler, False, lambda n: n, 0.005),
}


# -- one figure -------------------------------------------------------------------------------


def decorator(sdk: SimpleNamespace, spec: dict, fake: FakeLambdaClient) -> Callable:
    """``sdk.durable_execution`` on the fake client, under the spec's checkpoint strategy
    (``"strategy": "BATCHED"``; lambda_durable only) if it names one."""
    options: dict[str, Any] = {"boto3_client": fake}
    if spec.get("strategy"):
        options["checkpoint_strategy"] = sdk.CheckpointStrategy[spec["strategy"]]
    return lambda user_handler: sdk.durable_execution(user_handler, **options)


def measure(spec: dict) -> dict:
    """Warm-up, then up to ``runs`` timed invocations (stopping early past ``budget`` seconds,
    at least one; wall and process CPU time), then one invocation under tracemalloc for the
    peak. Returns the figure."""
    sdk = load_sdk(spec["impl"])
    n = spec["n"]
    factory, replay, ops_of, latency = SCENARIOS[spec["scenario"]]
    history = replay_state(sdk, n) if replay else []
    document = event_document(history)
    fake = FakeLambdaClient(latency=latency)
    user_handler, expected = factory(n, sdk)
    durable = decorator(sdk, spec, fake)
    handler = durable(user_handler)
    want = {"Status": "SUCCEEDED", "Result": json.dumps(expected)}

    def invoke(scale_n: int | None = None, trace: bool = False) -> tuple[float, float]:
        h, doc = handler, document
        if scale_n is not None:  # a smaller warm-up of the same scenario
            h = durable(factory(scale_n, sdk)[0])
            doc = event_document(replay_state(sdk, scale_n) if replay else [])
        event = parse(doc)  # Lambda hands the handler a parsed event: not measured
        fake.reset()
        BODIES[0] = 0
        gc.collect()
        if trace:
            tracemalloc.start()
        c0, t0 = time.process_time(), time.perf_counter()
        out = h(event, None)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        if trace:
            PEAK[0] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        if scale_n is None:
            if out != want:
                raise AssertionError(f"unexpected handler output {str(out)[:300]}")
            if replay and (BODIES[0] or fake.calls):
                raise AssertionError(f"replay ran {BODIES[0]} step bodies, {fake.calls} checkpoints")
        return elapsed, cpu

    invoke(spec.get("warmup_n") or None)
    times: list[float] = []
    cpu: list[float] = []
    started = time.perf_counter()
    while len(times) < spec["runs"]:
        wall, used = invoke()
        times.append(wall)
        cpu.append(used)
        if time.perf_counter() - started > spec.get("budget", 1e9):
            break
    calls, updates, state_calls = fake.calls, fake.updates, fake.state_calls
    fake_seconds = fake.cost()

    invoke(trace=True)
    peak = PEAK[0]
    return {
        "median_ms": statistics.median(times) * 1000, "runs_ms": [t * 1000 for t in times],
        "cpu_ms": statistics.median(cpu) * 1000, "ops": ops_of(n), "calls": calls,
        "updates": updates, "state_calls": state_calls, "peak_bytes": peak,
        "fake_ms": fake_seconds * 1000, "extensions": sdk.extensions,
    }


def profile(spec: dict) -> dict:
    """cProfile of one invocation (after a warm-up): the top functions by own time."""
    import cProfile
    import io
    import pstats

    sdk = load_sdk(spec["impl"])
    factory, replay, _, latency = SCENARIOS[spec["scenario"]]
    document = event_document(replay_state(sdk, spec["n"]) if replay else [])
    fake = FakeLambdaClient(latency=latency)
    handler = decorator(sdk, spec, fake)(factory(spec["n"], sdk)[0])
    handler(parse(document), None)
    event = parse(document)
    fake.reset()
    profiler = cProfile.Profile()
    profiler.runcall(handler, event, None)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(spec.get("sort", "tottime")).print_stats(spec.get("top", 30))
    return {"text": out.getvalue()}


def measure_floor(spec: dict) -> dict:
    """performance.md's floor for S2-n: parse the state document (orjson), index the
    operations by Id, json-decode every step result."""
    sdk = load_sdk("compiled")
    document = event_document(replay_state(sdk, spec["n"]))
    loads = json.loads

    def once() -> tuple[float, float]:
        gc.collect()
        t0 = time.perf_counter()
        event = parse(document)
        t1 = time.perf_counter()
        table = {op["Id"]: op for op in event["InitialExecutionState"]["Operations"]}
        for op in table.values():
            details = op.get("StepDetails")
            if details is not None:
                loads(details["Result"])
        return time.perf_counter() - t0, t1 - t0

    once()
    times = [once() for _ in range(spec["runs"])]
    return {"median_ms": statistics.median(t for t, _ in times) * 1000,
            "parse_ms": statistics.median(p for _, p in times) * 1000,
            "runs_ms": [t * 1000 for t, _ in times], "ops": spec["n"], "doc_bytes": len(document)}


def compare_states(spec: dict) -> dict:
    """Whether both SDKs write the S2-n state identically (same IDs, same envelopes)."""
    ours = event_document(replay_state(load_sdk("compiled"), spec["n"]))
    theirs = event_document(replay_state(load_sdk("official"), spec["n"]))
    return {"identical": ours == theirs, "doc_bytes": len(ours)}


COLD_IMPORT = """
import time, sys
t0 = time.perf_counter()
import {module}
elapsed = time.perf_counter() - t0
import json, resource
print("RESULT " + json.dumps({{"ms": elapsed * 1000, "boto3": "boto3" in sys.modules,
    "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    try:
        kind = spec.get("kind", "figure")
        if kind == "floor":
            result = measure_floor(spec)
        elif kind == "states":
            result = compare_states(spec)
        elif kind == "profile":
            result = profile(spec)
        else:
            result = measure(spec)
    except BaseException as error:  # noqa: BLE001 - reported, never raised
        result = {"error": f"{type(error).__name__}: {error}"[:400]}
    sys.stdout.write("RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)  # do not wait for stray SDK threads


if __name__ == "__main__":
    sys.exit(main(sys.argv))
