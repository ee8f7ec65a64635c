"""Combinators over ``parallel`` (as the TypeScript and Go SDKs offer; the official Python SDK has
none): ``all``, ``all_settled``, ``any`` and ``race``.

Each is one ``parallel`` operation (SubType ``Parallel``, same IDs and options) whose completion
config encodes the combinator; its outcome is derived from the checkpointed
:class:`BatchResult`, so replay reaches the same outcome without re-running branches.

* ``all``: every branch must succeed; fails fast (``CompletionConfig.all_successful()``) and
  raises :class:`CombinatorError` carrying every failure observed.
* ``all_settled``: runs every branch (``CompletionConfig.all_completed()``); returns the
  BatchResult whatever fails.
* ``any``: the first success (``CompletionConfig.first_successful()``); raises
  :class:`CombinatorError` with every failure when all branches fail.
* ``race``: the first branch to settle; returns its result or raises its error
  (:class:`ChildContextError` with the branch's error fields).

A ``config`` passed by the caller keeps its other options (``max_concurrency``, serdes,
nesting); its ``completion_config`` is replaced by the combinator's.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Sequence

from ..config import CompletionConfig, ParallelConfig, complete_batch, continue_batch
from ..exceptions import ChildContextError, CombinatorError

if TYPE_CHECKING:  # pragma: no cover
    from ..concurrency.models import BatchResult
    from ..context import DurableContext


def _config(config: ParallelConfig | None, completion: CompletionConfig) -> ParallelConfig:
    return dataclasses.replace(config or ParallelConfig(), completion_config=completion)


def _first_settled(status) -> Any:
    return complete_batch() if status.completed_count >= 1 else continue_batch()


def _combinator_error(what: str, name: str | None, result: BatchResult) -> CombinatorError:
    errors = [item.error for item in result.failed()]
    first = next((e for e in errors if e is not None), None)
    label = f"{what} {name!r}" if name else what
    return CombinatorError(
        f"{label}: {len(errors)} of {result.total_count} started branches failed"
        + (f"; first: {first.message}" if first is not None and first.message else ""),
        first.type if first is not None else None,
        errors=errors,
        result=result,
    )


def run_all(ctx: DurableContext, branches: Sequence, name: str | None, config: ParallelConfig | None) -> list:
    result = ctx.parallel(branches, name=name, config=_config(config, CompletionConfig.all_successful()))
    if result.failure_count:
        raise _combinator_error("all", name, result)
    return result.get_results()


def run_all_settled(ctx: DurableContext, branches: Sequence, name: str | None, config: ParallelConfig | None) -> BatchResult:
    return ctx.parallel(branches, name=name, config=_config(config, CompletionConfig.all_completed()))


def run_any(ctx: DurableContext, branches: Sequence, name: str | None, config: ParallelConfig | None) -> Any:
    branches = list(branches)
    # no branches: none can succeed, so it raises like all-failed (as Promise.any([]) rejects);
    # first_successful() (min_successful=1) would be rejected for an empty batch
    completion = CompletionConfig.first_successful() if branches else CompletionConfig()
    result = ctx.parallel(branches, name=name, config=_config(config, completion))
    succeeded = result.succeeded()
    if succeeded:
        return succeeded[0].result
    raise _combinator_error("any", name, result)


def run_race(ctx: DurableContext, branches: Sequence, name: str | None, config: ParallelConfig | None) -> Any:
    result = ctx.parallel(
        branches, name=name, config=_config(config, CompletionConfig(should_complete=_first_settled))
    )
    settled = [item for item in result.all if item.status.value != "STARTED"]
    if not settled:
        return None  # no branches
    first = settled[0]
    if first.status.value == "SUCCEEDED":
        return first.result
    if first.error is None:
        raise ChildContextError(f"race: branch {first.index} failed (no error details recorded)")
    first.error.raise_as_operation_error(ChildContextError)
