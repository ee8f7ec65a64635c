"""Config objects: fields, defaults, positional order, validation (protocol.md 1.3, 1.4, 5.x)."""
from __future__ import annotations

import dataclasses
import random

import pytest

from lambda_durable.config import (
    BatchItemStatus,
    CallbackConfig,
    ChildConfig,
    CompletionConfig,
    CompletionDecision,
    CompletionItemStatus,
    CompletionOutcome,
    CompletionStatus,
    Duration,
    InvokeConfig,
    JitterStrategy,
    MapConfig,
    NestingType,
    ParallelBranch,
    ParallelConfig,
    StepConfig,
    StepSemantics,
    WaitForCallbackConfig,
    complete_batch,
    continue_batch,
)
from lambda_durable.exceptions import ValidationError


def field_names(cls):
    return [f.name for f in dataclasses.fields(cls)]


# --- Duration ---------------------------------------------------------------------------------


def test_duration_default_and_to_seconds():
    assert Duration().seconds == 0
    assert Duration(90).to_seconds() == 90


@pytest.mark.parametrize(
    ("factory", "value", "expected"),
    [
        (Duration.from_seconds, 1.9, 1),
        (Duration.from_seconds, 0.4, 0),
        (Duration.from_minutes, 0.51, 30),
        (Duration.from_minutes, 2, 120),
        (Duration.from_hours, 1.5, 5400),
        (Duration.from_days, 0.1, 8640),
        (Duration.from_days, 2, 172800),
    ],
)
def test_duration_factories_truncate(factory, value, expected):
    assert factory(value) == Duration(expected)


def test_duration_negative_is_validation_error():
    with pytest.raises(ValidationError, match="negative"):
        Duration(-1)
    with pytest.raises(ValidationError):
        Duration.from_minutes(-0.5)


def test_duration_float_truncated_and_non_number_rejected():
    assert Duration(2.7).seconds == 2
    assert isinstance(Duration(2.7).seconds, int)
    with pytest.raises(ValidationError):
        Duration("5")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Duration(True)  # type: ignore[arg-type]


def test_duration_frozen_and_hashable():
    d = Duration(5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.seconds = 6  # type: ignore[misc]
    assert {Duration(5), Duration(5)} == {Duration(5)}


# --- sub_type validation ----------------------------------------------------------------------


@pytest.mark.parametrize("sub_type", [None, "", "A", "my-sub_Type9", "x" * 32])
def test_sub_type_accepted(sub_type):
    assert StepConfig(sub_type=sub_type).sub_type == sub_type
    assert ChildConfig(sub_type=sub_type).sub_type == sub_type
    assert CallbackConfig(sub_type=sub_type).sub_type == sub_type
    assert WaitForCallbackConfig(sub_type=sub_type).sub_type == sub_type


@pytest.mark.parametrize("sub_type", ["x" * 33, "has space", "dot.ted", "ümlaut", "a\n", 5])
def test_sub_type_rejected(sub_type):
    for build in (
        lambda: StepConfig(sub_type=sub_type),
        lambda: ChildConfig(sub_type=sub_type),
        lambda: CallbackConfig(sub_type=sub_type),
    ):
        with pytest.raises(ValidationError, match="sub_type"):
            build()


# --- field order / defaults -------------------------------------------------------------------


def test_step_config_fields_and_keyword_only_sub_type():
    assert field_names(StepConfig) == ["retry_strategy", "step_semantics", "serdes", "sub_type"]
    cfg = StepConfig()
    assert cfg.retry_strategy is None
    assert cfg.step_semantics is StepSemantics.AT_LEAST_ONCE_PER_RETRY
    strategy = object()
    cfg = StepConfig(strategy, StepSemantics.AT_MOST_ONCE_PER_RETRY, None)
    assert cfg.retry_strategy is strategy
    with pytest.raises(TypeError):
        StepConfig(None, StepSemantics.AT_MOST_ONCE_PER_RETRY, None, "Sub")  # type: ignore[misc]


def test_child_config_positional():
    assert field_names(ChildConfig) == ["serdes", "sub_type", "summary_generator", "is_virtual"]
    cfg = ChildConfig(None, "Custom", None, True)
    assert cfg.sub_type == "Custom" and cfg.is_virtual is True
    assert ChildConfig().is_virtual is False


def test_callback_config_and_properties():
    cfg = CallbackConfig()
    assert cfg.timeout == Duration(0) and cfg.heartbeat_timeout == Duration(0)
    assert cfg.timeout_seconds == 0 and cfg.heartbeat_timeout_seconds == 0
    cfg = CallbackConfig(Duration.from_minutes(5), Duration(30))
    assert cfg.timeout_seconds == 300
    assert cfg.heartbeat_timeout_seconds == 30
    # whole seconds accepted
    assert CallbackConfig(timeout=10).timeout == Duration(10)  # type: ignore[arg-type]


def test_callback_config_limits():
    assert CallbackConfig(Duration(99_999_999)).timeout_seconds == 99_999_999
    with pytest.raises(ValidationError, match="timeout"):
        CallbackConfig(Duration(100_000_000))
    with pytest.raises(ValidationError, match="heartbeat_timeout"):
        CallbackConfig(heartbeat_timeout=Duration(100_000_000))
    with pytest.raises(ValidationError):
        CallbackConfig(timeout="5")  # type: ignore[arg-type]


def test_wait_for_callback_config_adds_retry_strategy_positionally():
    assert field_names(WaitForCallbackConfig) == [
        "timeout",
        "heartbeat_timeout",
        "serdes",
        "sub_type",
        "retry_strategy",
    ]
    strategy = object()
    cfg = WaitForCallbackConfig(Duration(1), Duration(2), None, strategy)
    assert cfg.retry_strategy is strategy
    assert isinstance(cfg, CallbackConfig)
    assert cfg.timeout_seconds == 1


def test_invoke_config():
    assert field_names(InvokeConfig) == ["serdes_payload", "serdes_result", "tenant_id"]
    assert InvokeConfig(tenant_id="tenant-1:a/b=c+d@e f.g_h").tenant_id
    with pytest.raises(ValidationError, match="tenant_id"):
        InvokeConfig(tenant_id="")
    with pytest.raises(ValidationError, match="tenant_id"):
        InvokeConfig(tenant_id="bad#char")


def test_map_config_defaults():
    assert field_names(MapConfig) == [
        "max_concurrency",
        "completion_config",
        "serdes",
        "item_serdes",
        "summary_generator",
        "nesting_type",
        "item_namer",
    ]
    cfg = MapConfig()
    assert cfg.max_concurrency is None
    assert cfg.completion_config == CompletionConfig()
    assert cfg.nesting_type is NestingType.NESTED
    assert cfg.item_namer is None


def test_parallel_config_defaults():
    assert field_names(ParallelConfig) == [
        "max_concurrency",
        "completion_config",
        "serdes",
        "item_serdes",
        "summary_generator",
        "nesting_type",
    ]
    cfg = ParallelConfig()
    assert cfg.completion_config == CompletionConfig.all_successful()
    assert ParallelConfig(3).max_concurrency == 3


@pytest.mark.parametrize("cls", [MapConfig, ParallelConfig])
@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_max_concurrency_validated(cls, bad):
    with pytest.raises(ValidationError, match="max_concurrency"):
        cls(max_concurrency=bad)


@pytest.mark.parametrize("cls", [MapConfig, ParallelConfig])
def test_max_concurrency_one_ok(cls):
    assert cls(max_concurrency=1).max_concurrency == 1


def test_explicit_none_completion_config_gets_default():
    cfg = MapConfig(completion_config=None)  # type: ignore[arg-type]
    assert cfg.completion_config == CompletionConfig()
    assert (
        ParallelConfig(completion_config=None).completion_config  # type: ignore[arg-type]
        == CompletionConfig.all_successful()
    )


# --- completion -------------------------------------------------------------------------------


def test_completion_config_presets():
    assert CompletionConfig.first_successful() == CompletionConfig(1, None, None)
    assert CompletionConfig.all_completed() == CompletionConfig(None, None, 100)
    assert CompletionConfig.all_successful() == CompletionConfig(None, 0, 0)
    assert CompletionConfig() == CompletionConfig(None, None, None, None)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"min_successful": 0}, "min_successful"),
        ({"min_successful": -3}, "min_successful"),
        ({"min_successful": 1.5}, "min_successful"),
        ({"tolerated_failure_count": -1}, "tolerated_failure_count"),
        ({"tolerated_failure_percentage": -0.1}, "tolerated_failure_percentage"),
        ({"tolerated_failure_percentage": 100.5}, "tolerated_failure_percentage"),
        ({"should_complete": "not callable"}, "should_complete"),
    ],
)
def test_completion_config_rejects(kwargs, field):
    with pytest.raises(ValidationError, match=field):
        CompletionConfig(**kwargs)


def test_completion_config_bounds_accepted():
    CompletionConfig(min_successful=1, tolerated_failure_count=0, tolerated_failure_percentage=0)
    CompletionConfig(tolerated_failure_percentage=100)
    CompletionConfig(tolerated_failure_percentage=33.3)


@pytest.mark.parametrize(
    "other",
    [
        {"min_successful": 1},
        {"tolerated_failure_count": 0},
        {"tolerated_failure_percentage": 50},
    ],
)
def test_should_complete_exclusive_with_thresholds(other):
    with pytest.raises(ValidationError, match="should_complete cannot be combined"):
        CompletionConfig(should_complete=lambda status: continue_batch(), **other)


def test_validate_for_total():
    CompletionConfig(min_successful=3).validate_for_total(3)
    CompletionConfig().validate_for_total(0)
    with pytest.raises(ValidationError, match="3 > 2"):
        CompletionConfig(min_successful=3).validate_for_total(2)
    with pytest.raises(ValidationError):
        CompletionConfig(min_successful=3)._validate_for_total(2)


def test_completion_decision_helpers():
    assert continue_batch() == CompletionDecision(False, None)
    assert complete_batch() == CompletionDecision(True, CompletionOutcome.SUCCEEDED)
    assert complete_batch(CompletionOutcome.FAILED).outcome is CompletionOutcome.FAILED
    with pytest.raises(ValidationError):
        CompletionDecision(True)
    with pytest.raises(ValidationError):
        CompletionDecision(False, CompletionOutcome.SUCCEEDED)


def test_completion_status_shapes():
    item = CompletionItemStatus(2)
    assert item.name is None and item.status is None
    status = CompletionStatus(1, 2, 3, 5)
    assert status.items == ()
    assert field_names(CompletionStatus) == [
        "success_count",
        "failure_count",
        "completed_count",
        "total_count",
        "items",
    ]


def test_enums():
    assert [m.value for m in BatchItemStatus] == ["SUCCEEDED", "FAILED", "STARTED"]
    assert [m.value for m in NestingType] == ["NESTED", "FLAT"]
    assert [m.value for m in JitterStrategy] == ["NONE", "FULL", "HALF"]
    assert JitterStrategy.FULL == "FULL"  # StrEnum
    assert {m.value for m in StepSemantics} == {"AT_MOST_ONCE_PER_RETRY", "AT_LEAST_ONCE_PER_RETRY"}


def test_parallel_branch_callable():
    branch = ParallelBranch(lambda ctx: ctx * 2, name="double")
    assert branch(21) == 42
    assert branch.name == "double"
    assert ParallelBranch(len).name is None


@pytest.mark.parametrize(
    ("jitter", "rnd", "base", "expected"),
    [
        (JitterStrategy.NONE, 0.9, 10, 10),
        (JitterStrategy.NONE, 0.9, 0.2, 1),  # clamp to 1
        (JitterStrategy.FULL, 0.0, 10, 1),  # 0 -> clamp
        (JitterStrategy.FULL, 0.31, 10, 4),  # 3.1 -> ceil
        (JitterStrategy.FULL, 0.999, 10, 10),
        (JitterStrategy.HALF, 0.0, 10, 5),
        (JitterStrategy.HALF, 0.01, 10, 6),  # 5.05 -> ceil
        (JitterStrategy.HALF, 0.999, 10, 10),
    ],
)
def test_jitter_finalize_delay(monkeypatch, jitter, rnd, base, expected):
    monkeypatch.setattr(random, "random", lambda: rnd)
    assert jitter.finalize_delay(base) == expected


@pytest.mark.parametrize("factory", ["from_seconds", "from_minutes", "from_hours", "from_days"])
@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_duration_rejects_non_finite_values(factory, value):
    with pytest.raises(ValidationError, match="finite|negative"):
        getattr(Duration, factory)(value)
