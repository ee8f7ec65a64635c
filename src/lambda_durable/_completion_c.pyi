from collections.abc import Callable

from ._completion_reason import CompletionReason
from .config import CompletionConfig, CompletionDecision, CompletionItemStatus, CompletionStatus

class CompletionPolicy:
    total: int
    min_successful: int | None
    tolerated_failure_count: int | None
    tolerated_failure_percentage: int | float | None
    should_complete: Callable[[CompletionStatus], CompletionDecision] | None
    _fail_fast: bool
    def __init__(
        self,
        total: int,
        min_successful: int | None = None,
        tolerated_failure_count: int | None = None,
        tolerated_failure_percentage: int | float | None = None,
        should_complete: Callable[[CompletionStatus], CompletionDecision] | None = None,
    ) -> None: ...
    @classmethod
    def from_config(cls, total: int, config: CompletionConfig | None) -> CompletionPolicy: ...
    @property
    def has_criteria(self) -> bool: ...
    def is_tolerance_exceeded(self, failed: int) -> bool: ...
    def should_continue(self, failed: int) -> bool: ...
    def status(
        self, succeeded: int, failed: int, items: tuple[CompletionItemStatus, ...] = ()
    ) -> CompletionStatus: ...
    def evaluate(
        self, succeeded: int, failed: int, items: tuple[CompletionItemStatus, ...] = ()
    ) -> CompletionDecision | None: ...
    def is_complete(
        self,
        succeeded: int,
        failed: int,
        items: tuple[CompletionItemStatus, ...] = (),
        decision: CompletionDecision | None = None,
    ) -> bool: ...
    def reason(
        self,
        succeeded: int,
        failed: int,
        items: tuple[CompletionItemStatus, ...] = (),
        decision: CompletionDecision | None = None,
    ) -> CompletionReason: ...
    def decide(
        self,
        succeeded: int,
        failed: int,
        items: tuple[CompletionItemStatus, ...] = (),
        decision: CompletionDecision | None = None,
    ) -> tuple[bool, CompletionReason | None]: ...
    def __reduce__(self) -> tuple: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...
