"""A test runner for durable functions deployed on AWS Lambda (or served by an emulator).

:class:`DurableFunctionCloudTestRunner` has the interface of the official testing SDK's cloud
runner (``aws_durable_execution_sdk_python_testing.runner.DurableFunctionCloudTestRunner``) and
of :class:`~lambda_durable.testing.runner.DurableFunctionTestRunner`, so a test can run against
the local service or a deployed function by switching runners::

    runner = DurableFunctionCloudTestRunner("orders", region="us-east-1",
                                            lambda_endpoint="http://127.0.0.1:9014")
    arn = runner.run_async(input={"order_id": "o-1"})
    runner.send_callback_success(runner.wait_for_callback(arn, name="approval"), b'{"ok": true}')
    result = runner.wait_for_result(arn)

It talks to the Lambda API through boto3 (imported when a runner is created): ``Invoke`` with
``InvocationType=Event`` and a fresh ``DurableExecutionName`` starts an execution and answers its
ARN; then ``GetDurableExecution`` / ``GetDurableExecutionHistory`` are polled every
``poll_interval`` seconds (a remote service offers nothing to wait on) and the result is built
with :meth:`DurableFunctionTestResult.from_execution_history`.

Differences from the official cloud runner: :meth:`~DurableFunctionCloudTestRunner.run` invokes
asynchronously too and waits through the durable APIs (an execution may outlive one synchronous
invoke); a string ``input`` is the JSON document itself (as for the local runner; the official
cloud runner JSON-encodes strings again); :meth:`~DurableFunctionCloudTestRunner.pause_execution`
and :meth:`~DurableFunctionCloudTestRunner.resume_execution` call the Pause/Resume APIs (the
official ones raise ``NotImplementedError``); a running execution's result is PENDING.
"""
from __future__ import annotations

import math
import time
import uuid
from typing import Any, Mapping

from ..lambda_service import ErrorObject
from .errors import DurableFunctionsTestError
from .history import (
    CALLBACK_FAILED,
    CALLBACK_STARTED,
    CALLBACK_SUCCEEDED,
    CALLBACK_TIMED_OUT,
    CONTEXT_STARTED,
    INVOCATION_COMPLETED,
    TERMINAL_EXECUTION_EVENTS,
)
from .runner import DurableFunctionTestResult, ExecutionHistory, check_timeout, input_payload

__all__ = ["DurableFunctionCloudTestRunner", "ready_callback_id"]

#: Execution statuses after which nothing changes any more.
TERMINAL_STATUSES = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"})
_CALLBACK_ENDS = frozenset({CALLBACK_SUCCEEDED, CALLBACK_FAILED, CALLBACK_TIMED_OUT})


def _error_code(error: BaseException) -> str | None:
    """The AWS error code of a botocore ``ClientError`` (``None`` for other exceptions)."""
    response = getattr(error, "response", None)
    if isinstance(response, Mapping):
        return (response.get("Error") or {}).get("Code")
    return None


def ready_callback_id(events: list[Mapping[str, Any]], name: str | None = None) -> str | None:
    """The id of a callback that is open in a history (``GetDurableExecutionHistory`` events)
    and whose creating invocation has ended (an ``InvocationCompleted`` follows its
    ``CallbackStarted``): the one named ``name`` (its own Name, or its wait_for_callback's), else
    the latest. ``None`` when there is none yet. Raises :class:`DurableFunctionsTestError` when
    every callback named ``name`` has already completed."""
    last_invocation = -1
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("EventType") == INVOCATION_COMPLETED:
            last_invocation = index
            break
    waits_for_callback = {
        event.get("Id"): event.get("Name")
        for event in events
        if event.get("EventType") == CONTEXT_STARTED and event.get("SubType") == "WaitForCallback"
    }
    ended = {event.get("Id") for event in events if event.get("EventType") in _CALLBACK_ENDS}
    found = None
    matched_ended = matched_open = False
    for index, event in enumerate(events):
        if event.get("EventType") != CALLBACK_STARTED:
            continue
        if name is not None and name not in (
            event.get("Name"),
            waits_for_callback.get(event.get("ParentId")),
        ):
            continue
        if event.get("Id") in ended:
            matched_ended = True
            continue
        matched_open = True
        if index < last_invocation:
            found = (event.get("CallbackStartedDetails") or {}).get("CallbackId")
            if name is not None and found:
                return found
    if found is None and name is not None and matched_ended and not matched_open:
        raise DurableFunctionsTestError(
            f"Callback {name} has already completed (succeeded/failed/timed out)"
        )
    return found


class DurableFunctionCloudTestRunner:
    """Runs a deployed durable function through the Lambda API and reports its executions.

    Args (as the official cloud runner):
        function_name: the function to invoke (name, ARN or partial ARN, optionally qualified).
        region: AWS region of the boto3 client.
        lambda_endpoint: endpoint URL of the Lambda API (e.g. ``lambda-durable serve``'s
            ``http://127.0.0.1:9014``); ``None`` = the AWS endpoint of ``region``.
        poll_interval: seconds between two polls of the durable APIs (> 0).

    Keyword-only extra:
        client: a ready boto3 Lambda client to use instead of creating one (credentials,
            retries and timeouts are then the caller's).

    boto3 finds credentials as usual (environment, profile, role); an emulator accepts any.
    Failing API calls raise :class:`DurableFunctionsTestError` (the ``ClientError`` chained).
    """

    def __init__(
        self,
        function_name: str,
        region: str = "us-west-2",
        lambda_endpoint: str | None = None,
        poll_interval: float = 1.0,
        *,
        client: Any = None,
    ) -> None:
        if (
            isinstance(poll_interval, bool)
            or not isinstance(poll_interval, (int, float))
            or not math.isfinite(poll_interval)
            or poll_interval <= 0
        ):
            raise ValueError(f"poll_interval must be a positive number of seconds, got {poll_interval!r}")
        self.function_name = function_name
        self.region = region
        self.lambda_endpoint = lambda_endpoint
        self.poll_interval = float(poll_interval)
        if client is None:
            import boto3

            client = boto3.client("lambda", endpoint_url=lambda_endpoint, region_name=region)
        self.lambda_client = client

    def __enter__(self) -> DurableFunctionCloudTestRunner:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the boto3 client's connections (the runner stays usable: boto3 reconnects)."""
        close = getattr(self.lambda_client, "close", None)
        if callable(close):
            close()

    # -- running ---------------------------------------------------------------------------------

    def run(self, input: Any = None, timeout: int = 60) -> DurableFunctionTestResult:  # noqa: A002
        """Start an execution (:meth:`run_async`) and return its result once it has ended
        (:meth:`wait_for_result`, ``timeout`` wall-clock seconds, else :class:`TimeoutError`)."""
        arn = self.run_async(input, timeout)
        return self.wait_for_result(arn, timeout)

    def run_async(self, input: Any = None, timeout: int = 60) -> str:  # noqa: A002, ARG002
        """Start an execution and return its ARN: ``Invoke`` with ``InvocationType=Event`` and
        a fresh ``DurableExecutionName`` (``test-<32 hex digits>``).

        ``input``: the input JSON document as a string (:class:`ValueError` if it is not JSON),
        any other JSON-serializable value (encoded here), or ``None`` (no payload). ``timeout``
        is accepted for compatibility (starting does not wait).

        Raises:
            DurableFunctionsTestError: the invoke failed, or answered no execution ARN (the
                function is not a durable function).
        """
        params: dict[str, Any] = {
            "FunctionName": self.function_name,
            "InvocationType": "Event",
            "DurableExecutionName": f"test-{uuid.uuid4().hex}",
        }
        payload = input_payload(input)
        if payload is not None:
            params["Payload"] = payload.encode("utf-8")
        try:
            response = self.lambda_client.invoke(**params)
        except Exception as error:  # noqa: BLE001 - reported as the runner's error
            raise DurableFunctionsTestError(
                f"Failed to invoke Lambda function {self.function_name}: {error}"
            ) from error
        status = response.get("StatusCode")
        if status != 202:
            raise DurableFunctionsTestError(
                f"Invoking {self.function_name} answered status {status}, not 202"
            )
        arn = response.get("DurableExecutionArn")
        if not arn:
            raise DurableFunctionsTestError(
                f"Invoking {self.function_name} started no durable execution (no "
                "DurableExecutionArn in the response): is it a durable function?"
            )
        return arn

    def wait_for_result(self, execution_arn: str, timeout: int = 60) -> DurableFunctionTestResult:
        """The result once the execution has ended (polled every ``poll_interval``; an
        execution not visible yet is waited for), built from ``GetDurableExecution`` and the
        whole history (with execution data).

        Raises:
            TimeoutError: it had not ended within ``timeout`` wall-clock seconds.
            DurableFunctionsTestError: an API call failed.
        """
        deadline = time.monotonic() + check_timeout(timeout)
        last_status = None
        while True:
            execution = self._get_execution(execution_arn)
            if execution is not None:
                last_status = execution.get("Status")
                if last_status in TERMINAL_STATUSES:
                    break
            if not self._sleep_until_next_poll(deadline):
                raise TimeoutError(
                    f"Execution did not complete within {timeout}s (last status: {last_status})"
                )
        history = self.get_execution_history(execution_arn, include_execution_data=True)
        return DurableFunctionTestResult.from_execution_history(execution, history)

    def get_execution_history(
        self, execution_arn: str, include_execution_data: bool = False
    ) -> ExecutionHistory:
        """``{"Events": [...]}``: every page of the execution's history, oldest first.

        Raises:
            DurableFunctionsTestError: the call failed (unknown execution included).
        """
        try:
            return ExecutionHistory(Events=self._history(execution_arn, include_execution_data))
        except Exception as error:  # noqa: BLE001
            raise DurableFunctionsTestError(f"Failed to fetch execution history: {error}") from error

    # -- pause and resume ------------------------------------------------------------------------

    def pause_execution(self, execution_arn: str, timeout: float = 60) -> None:
        """``PauseDurableExecution`` (execution timeout paused, the API's default), then wait
        until the execution shows ``PAUSED`` (polled). An execution that is already pausing or
        paused is waited for; one that has ended is left as it is.

        Raises:
            ValueError: ``timeout`` is not a finite positive number.
            TimeoutError: not PAUSED within ``timeout`` wall-clock seconds (the pause stays
                requested).
            DurableFunctionsTestError: an API call failed.
        """
        deadline = time.monotonic() + check_timeout(timeout)
        try:
            self.lambda_client.pause_durable_execution(DurableExecutionArn=execution_arn)
        except Exception as error:  # noqa: BLE001
            if _error_code(error) != "ResourceConflictException":  # paused already, or ended
                raise DurableFunctionsTestError(
                    f"Failed to pause execution {execution_arn}: {error}"
                ) from error
        status = None
        while True:
            execution = self._get_execution(execution_arn)
            if execution is not None:
                status = execution.get("Status")
                if status == "PAUSED" or status in TERMINAL_STATUSES:
                    return
            if not self._sleep_until_next_poll(deadline):
                raise TimeoutError(
                    f"Execution {execution_arn} did not pause within {timeout:g} seconds "
                    f"(status {status}; the pause request stays)"
                )

    def resume_execution(self, execution_arn: str) -> None:
        """``ResumeDurableExecution``; an execution that is not paused, or has ended, is left
        as it is.

        Raises:
            DurableFunctionsTestError: the call failed otherwise.
        """
        try:
            self.lambda_client.resume_durable_execution(DurableExecutionArn=execution_arn)
        except Exception as error:  # noqa: BLE001
            if _error_code(error) != "ResourceConflictException":
                raise DurableFunctionsTestError(
                    f"Failed to resume execution {execution_arn}: {error}"
                ) from error

    # -- callbacks -------------------------------------------------------------------------------

    def wait_for_callback(
        self, execution_arn: str, name: str | None = None, timeout: int = 60
    ) -> str:
        """The id of an open callback of the execution once the invocation that created it has
        ended (see :func:`ready_callback_id`), polling the history every ``poll_interval``.

        Raises:
            TimeoutError: none within ``timeout`` wall-clock seconds.
            DurableFunctionsTestError: the named callback has already completed, the execution
                ended without one, or an API call failed.
        """
        deadline = time.monotonic() + check_timeout(timeout)
        while True:
            try:
                events = self._history(execution_arn, True)
            except Exception as error:  # noqa: BLE001
                if _error_code(error) != "ResourceNotFoundException":  # not visible yet
                    raise DurableFunctionsTestError(
                        f"Failed to fetch execution history: {error}"
                    ) from error
                events = []
            callback_id = ready_callback_id(events, name)
            if callback_id is not None:
                return callback_id
            if any(event.get("EventType") in TERMINAL_EXECUTION_EVENTS for event in events):
                raise DurableFunctionsTestError(
                    "Execution ended without an open callback"
                    + (f" named {name!r}" if name else "")
                )
            if not self._sleep_until_next_poll(deadline):
                raise TimeoutError(f"Callback did not become available within {timeout}s")

    def send_callback_success(self, callback_id: str, result: bytes | str | None = None) -> None:
        """``SendDurableExecutionCallbackSuccess`` with ``result`` as the raw result (a string
        is sent UTF-8 encoded; ``None``: no result)."""
        params: dict[str, Any] = {"CallbackId": callback_id}
        if result is not None:
            params["Result"] = result.encode("utf-8") if isinstance(result, str) else bytes(result)
        self._callback_call("send_durable_execution_callback_success", params)

    def send_callback_failure(
        self, callback_id: str, error: ErrorObject | Mapping[str, Any] | None = None
    ) -> None:
        """``SendDurableExecutionCallbackFailure`` with ``error`` (an ErrorObject or its wire
        dict; ``None``: no error object)."""
        params: dict[str, Any] = {"CallbackId": callback_id}
        if error is not None:
            wire = error.to_dict() if isinstance(error, ErrorObject) else dict(error)
            params["Error"] = {k: v for k, v in wire.items() if v is not None}
        self._callback_call("send_durable_execution_callback_failure", params)

    def send_callback_heartbeat(self, callback_id: str) -> None:
        """``SendDurableExecutionCallbackHeartbeat``: the callback's heartbeat timeout restarts."""
        self._callback_call("send_durable_execution_callback_heartbeat", {"CallbackId": callback_id})

    # -- helpers ---------------------------------------------------------------------------------

    def _callback_call(self, method: str, params: dict[str, Any]) -> None:
        try:
            getattr(self.lambda_client, method)(**params)
        except Exception as error:  # noqa: BLE001
            raise DurableFunctionsTestError(
                f"{method} failed for {self.function_name}, callback_id "
                f"{params['CallbackId']}: {error}"
            ) from error

    def _get_execution(self, execution_arn: str) -> dict[str, Any] | None:
        """``GetDurableExecution`` (``ResponseMetadata`` left out); ``None`` while the execution
        is not visible yet (ResourceNotFoundException right after an asynchronous invoke)."""
        try:
            response = self.lambda_client.get_durable_execution(DurableExecutionArn=execution_arn)
        except Exception as error:  # noqa: BLE001
            if _error_code(error) == "ResourceNotFoundException":
                return None
            raise DurableFunctionsTestError(f"Failed to get execution status: {error}") from error
        return {k: v for k, v in response.items() if k != "ResponseMetadata"}

    def _history(self, execution_arn: str, include_execution_data: bool) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        params: dict[str, Any] = {
            "DurableExecutionArn": execution_arn,
            "IncludeExecutionData": include_execution_data,
        }
        while True:
            page = self.lambda_client.get_durable_execution_history(**params)
            events.extend(page.get("Events") or [])
            marker = page.get("NextMarker")
            if not marker:
                return events
            params["Marker"] = marker

    def _sleep_until_next_poll(self, deadline: float) -> bool:
        """Sleep ``poll_interval`` (less if the deadline comes first); False once the deadline
        (monotonic seconds) has passed."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(self.poll_interval, remaining))
        return True
