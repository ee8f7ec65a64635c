"""Client robustness of ServiceChannel (protocol.md 2.6): throttling, 5xx and network errors are
retried with capped exponential backoff under one ClientToken, then surface as a retryable
error; a stale checkpoint token (any letter case) is retryable at once; other 4xx fail the
execution."""
from __future__ import annotations

import botocore.exceptions
import pytest

import lambda_durable.state as state_module
from lambda_durable import durable_execution
from lambda_durable.exceptions import CheckpointError, GetExecutionStateError
from lambda_durable.state import ServiceChannel

from fakes import ARN, FakeService, execution_op, invoke


def client_error(code: str, status: int, message: str = "m") -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "CheckpointDurableExecution",
    )


class FaultyService(FakeService):
    """Fails the first ``len(faults)`` checkpoint attempts (``None`` entries succeed; the last
    fault repeats forever when ``forever``), recording every attempt's arguments."""

    def __init__(self, faults, *, forever: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.faults = list(faults)
        self.forever = forever
        self.attempts: list[dict] = []

    def checkpoint_durable_execution(self, **kwargs):
        self.attempts.append(kwargs)
        if self.faults:
            fault = self.faults[0] if self.forever and len(self.faults) == 1 else self.faults.pop(0)
            if fault is not None:
                raise fault
        return super().checkpoint_durable_execution(**kwargs)


@pytest.fixture
def sleeps(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(state_module, "_sleep", slept.append)
    return slept


def three_steps(event, ctx):
    return [ctx.step(lambda _, i=i: i, name=f"s{i}") for i in range(3)]


@pytest.mark.parametrize(
    "fault",
    [
        client_error("TooManyRequestsException", 429, "Rate exceeded"),
        client_error("ThrottlingException", 400, "Rate exceeded"),
        client_error("ServiceException", 500, "internal"),
        client_error("ServiceUnavailableException", 503, "unavailable"),
        botocore.exceptions.EndpointConnectionError(endpoint_url="https://lambda"),
        botocore.exceptions.ReadTimeoutError(endpoint_url="https://lambda"),
        ConnectionResetError("reset"),
    ],
    ids=["429", "throttling-400", "500", "503", "endpoint", "read-timeout", "reset"],
)
def test_transient_fault_is_retried_with_the_same_client_token(fault, sleeps):
    svc = FaultyService([fault, fault])
    out = invoke(durable_execution(client=svc)(three_steps), svc)
    assert out == {"Status": "SUCCEEDED", "Result": "[0, 1, 2]"}
    # the first logical call took three attempts, with one ClientToken and one CheckpointToken
    first = svc.attempts[:3]
    assert len({a["ClientToken"] for a in first}) == 1
    assert len({a["CheckpointToken"] for a in first}) == 1
    assert all(a["Updates"] == first[0]["Updates"] for a in first)
    # later logical calls use fresh client tokens
    tokens = [a["ClientToken"] for a in svc.attempts[2:]]
    assert len(set(tokens)) == len(tokens)
    # nothing lost or duplicated: each step succeeded once
    succeeded = [u["Name"] for u in svc.updates if u["Action"] == "SUCCEED"]
    assert succeeded == ["s0", "s1", "s2"]
    assert len(svc.calls) == 3
    assert len(sleeps) == 2
    assert 0.05 <= sleeps[0] <= 0.1 and 0.1 <= sleeps[1] <= 0.2


def test_throttled_n_times_then_succeeds(sleeps):
    throttle = client_error("TooManyRequestsException", 429)
    svc = FaultyService([throttle] * 3)
    out = invoke(durable_execution(client=svc)(three_steps), svc)
    assert out["Status"] == "SUCCEEDED"
    assert len(svc.attempts) == 3 + 3
    assert len(sleeps) == 3
    assert [round(s / b, 3) <= 1 and s / b >= 0.5 for s, b in zip(sleeps, (0.1, 0.2, 0.4))] == [True] * 3


@pytest.mark.parametrize(
    "fault",
    [client_error("ServiceException", 500, "internal"), client_error("TooManyRequestsException", 429)],
    ids=["5xx", "429"],
)
def test_persistent_transient_fault_surfaces_as_a_retryable_checkpoint_error(fault, sleeps):
    svc = FaultyService([fault], forever=True)
    ran = []

    def handler(event, ctx):
        return ctx.step(lambda _: ran.append(1) or 1)

    with pytest.raises(CheckpointError) as info:
        invoke(durable_execution(client=svc)(handler), svc)
    assert info.value.is_retryable()
    assert "after 4 attempts" in str(info.value)
    assert len(svc.attempts) == 4  # 1 + 3 retries
    assert len({a["ClientToken"] for a in svc.attempts}) == 1
    assert len(sleeps) == 3 and max(sleeps) <= state_module.RETRY_MAX_DELAY
    assert svc.calls == []  # nothing was accepted


@pytest.mark.parametrize(
    "message",
    ["Invalid checkpoint token: consumed", "invalid Checkpoint Token", "INVALID CHECKPOINT TOKEN"],
)
def test_stale_token_in_any_case_is_retryable_at_once(message, sleeps):
    svc = FaultyService([client_error("InvalidParameterValueException", 400, message)])
    with pytest.raises(CheckpointError) as info:
        invoke(durable_execution(client=svc)(three_steps), svc)
    assert info.value.is_retryable()
    assert len(svc.attempts) == 1  # the invocation, not the call, is retried
    assert sleeps == []


def test_other_4xx_fails_the_execution_without_retries(sleeps):
    svc = FaultyService(
        [client_error("InvalidParameterValueException", 400, "STEP Name is too long")], forever=True
    )
    out = invoke(durable_execution(client=svc)(three_steps), svc)
    assert out["Status"] == "FAILED"
    assert out["Error"]["ErrorType"].endswith("CheckpointError")
    assert "STEP Name is too long" in out["Error"]["ErrorMessage"]
    assert sleeps == []
    assert svc.calls == []


def test_non_network_exception_is_not_retried(sleeps):
    svc = FaultyService([TypeError("bug in a client double")])
    with pytest.raises(CheckpointError):
        invoke(durable_execution(client=svc)(three_steps), svc)
    assert len(svc.attempts) == 1
    assert sleeps == []


class FaultyStateService(FakeService):
    def __init__(self, faults, **kwargs):
        super().__init__(**kwargs)
        self.faults = list(faults)

    def get_durable_execution_state(self, **kwargs):
        if self.faults:
            self.state_calls.append(kwargs)
            raise self.faults.pop(0)
        return super().get_durable_execution_state(**kwargs)


def test_state_page_fetch_is_retried(sleeps):
    svc = FaultyStateService([client_error("ServiceException", 502)] * 2,
                             pages={"p2": ([], None)})
    event = {"DurableExecutionArn": ARN, "CheckpointToken": svc.token,
             "InitialExecutionState": {"Operations": [execution_op({})], "NextMarker": "p2"}}
    out = durable_execution(client=svc)(lambda e, ctx: "ok")(event, None)
    assert out == {"Status": "SUCCEEDED", "Result": '"ok"'}
    assert len(svc.state_calls) == 3
    assert len(sleeps) == 2


def test_state_page_fetch_gives_up_retryable(sleeps):
    svc = FaultyStateService([client_error("ServiceException", 500)] * 10, pages={"p2": ([], None)})
    event = {"DurableExecutionArn": ARN, "CheckpointToken": svc.token,
             "InitialExecutionState": {"Operations": [execution_op({})], "NextMarker": "p2"}}
    with pytest.raises(GetExecutionStateError) as info:
        durable_execution(client=svc)(lambda e, ctx: "ok")(event, None)
    assert info.value.is_retryable()
    assert len(svc.state_calls) == 4


def test_typed_client_receives_the_client_token(sleeps):
    seen = []

    class Typed:
        def checkpoint(self, arn, token, updates, client_token):
            seen.append(client_token)
            if len(seen) < 3:
                raise client_error("TooManyRequestsException", 429)
            from lambda_durable.lambda_service import CheckpointOutput

            return CheckpointOutput.from_dict({"CheckpointToken": "t2", "NewExecutionState": {}})

        def get_execution_state(self, *args):  # pragma: no cover - not called
            raise AssertionError

    token, ops, marker = ServiceChannel(Typed()).checkpoint(ARN, "t1", [])
    assert token == "t2" and ops == [] and marker is None
    assert len(seen) == 3 and len(set(seen)) == 1 and seen[0]
