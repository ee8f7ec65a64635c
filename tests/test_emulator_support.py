"""Raw-protocol handler helpers for the local-service tests (no SDK involved).

A raw handler is ``raw_handler(body)``: the body gets a :class:`Raw` view of one invocation (the
event, all pages of the initial state, and a client whose token is threaded through each
checkpoint) and returns the handler output dict.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from lambda_durable._client_override import current_override


class Raw:
    """One invocation as a raw handler sees it."""

    def __init__(self, event: dict, lambda_context: Any) -> None:
        self.event = event
        self.lambda_context = lambda_context
        self.client = current_override()
        self.arn = event["DurableExecutionArn"]
        self.token = event["CheckpointToken"]
        self.first_token = self.token
        initial = event["InitialExecutionState"]
        self.first_page = list(initial["Operations"])
        self.initial_marker = initial.get("NextMarker")
        operations = list(initial["Operations"])
        marker = initial.get("NextMarker")
        self.pages = 1
        while marker:
            page = self.client.get_durable_execution_state(
                DurableExecutionArn=self.arn, CheckpointToken=self.token, Marker=marker, MaxItems=1000
            )
            operations.extend(page["Operations"])
            marker = page.get("NextMarker")
            self.pages += 1
        self.ops: dict[str, dict] = {op["Id"]: op for op in operations}
        self.responses: list[dict] = []
        execution_id = self.arn.rsplit("/", 1)[1]
        payload = (self.ops[execution_id].get("ExecutionDetails") or {}).get("InputPayload")
        self.input = json.loads(payload) if payload else None

    def checkpoint(self, *updates: dict, client_token: str | None = None) -> dict:
        """Checkpoint ``updates``; thread the token, merge the returned operations."""
        kwargs: dict[str, Any] = {
            "DurableExecutionArn": self.arn,
            "CheckpointToken": self.token,
            "Updates": list(updates),
        }
        if client_token is not None:
            kwargs["ClientToken"] = client_token
        response = self.client.checkpoint_durable_execution(**kwargs)
        self.responses.append(response)
        new_token = response.get("CheckpointToken")
        state = response["NewExecutionState"]
        operations = list(state["Operations"])
        marker = state.get("NextMarker")
        while marker:
            page = self.client.get_durable_execution_state(
                DurableExecutionArn=self.arn, CheckpointToken=new_token, Marker=marker, MaxItems=1000
            )
            operations.extend(page["Operations"])
            marker = page.get("NextMarker")
        for op in operations:
            self.ops[op["Id"]] = op
        self.token = new_token
        return response

    def status(self, op_id: str) -> str | None:
        op = self.ops.get(op_id)
        return op["Status"] if op else None


def raw_handler(body: Callable[[Raw], dict]) -> Callable[[dict, Any], dict]:
    """A handler speaking the invocation protocol itself, marked as durable (the runner accepts
    only durable handlers; ``register_function`` registers it as a durable target)."""
    def handler(event: dict, lambda_context: Any) -> dict:
        return body(Raw(event, lambda_context))

    handler.__name__ = getattr(body, "__name__", "handler")
    handler._durable_execution = True  # type: ignore[attr-defined]
    return handler


#: Alias kept for readability where a raw handler is registered as a durable invoke target.
durable_raw = raw_handler


# -- outputs --------------------------------------------------------------------------------------


def succeeded(value: Any = None) -> dict:
    return {"Status": "SUCCEEDED", "Result": json.dumps(value)}


def failed(error_type: str = "ValueError", message: str = "boom") -> dict:
    return {"Status": "FAILED", "Error": {"ErrorType": error_type, "ErrorMessage": message}}


def pending() -> dict:
    return {"Status": "PENDING"}


# -- updates --------------------------------------------------------------------------------------


def _update(op_id: str, kind: str, action: str, **fields: Any) -> dict:
    update = {"Id": op_id, "Type": kind, "Action": action}
    for key, value in fields.items():
        if value is not None:
            update[key] = value
    return update


def step_start(op_id: str, name: str | None = None, parent: str | None = None, sub_type: str = "Step") -> dict:
    return _update(op_id, "STEP", "START", Name=name, ParentId=parent, SubType=sub_type)


def step_succeed(op_id: str, payload: str | None = None, name: str | None = None, parent: str | None = None,
                 sub_type: str = "Step") -> dict:
    return _update(op_id, "STEP", "SUCCEED", Payload=payload, Name=name, ParentId=parent, SubType=sub_type)


def step_fail(op_id: str, error_type: str = "ValueError", message: str = "bad", **fields: Any) -> dict:
    return _update(op_id, "STEP", "FAIL", Error={"ErrorType": error_type, "ErrorMessage": message},
                   SubType="Step", **fields)


def step_retry(op_id: str, delay: int, *, error: dict | None = None, payload: str | None = None,
               sub_type: str = "Step", name: str | None = None) -> dict:
    return _update(op_id, "STEP", "RETRY", Error=error, Payload=payload, SubType=sub_type, Name=name,
                   StepOptions={"NextAttemptDelaySeconds": delay})


def wait_start(op_id: str, seconds: int, name: str | None = None, parent: str | None = None) -> dict:
    return _update(op_id, "WAIT", "START", Name=name, ParentId=parent, SubType="Wait",
                   WaitOptions={"WaitSeconds": seconds})


def context_start(op_id: str, name: str | None = None, parent: str | None = None,
                  sub_type: str = "RunInChildContext") -> dict:
    return _update(op_id, "CONTEXT", "START", Name=name, ParentId=parent, SubType=sub_type)


def context_succeed(op_id: str, payload: str | None = None, replay_children: bool = False,
                    sub_type: str = "RunInChildContext", name: str | None = None,
                    parent: str | None = None) -> dict:
    return _update(op_id, "CONTEXT", "SUCCEED", Payload=payload, SubType=sub_type, Name=name,
                   ParentId=parent, ContextOptions={"ReplayChildren": replay_children})


def context_fail(op_id: str, message: str = "ctx failed", sub_type: str = "RunInChildContext") -> dict:
    return _update(op_id, "CONTEXT", "FAIL", SubType=sub_type,
                   Error={"ErrorType": "ChildContextError", "ErrorMessage": message})


def callback_start(op_id: str, name: str | None = None, timeout: int = 0, heartbeat: int = 0,
                   parent: str | None = None) -> dict:
    return _update(op_id, "CALLBACK", "START", Name=name, ParentId=parent, SubType="Callback",
                   CallbackOptions={"TimeoutSeconds": timeout, "HeartbeatTimeoutSeconds": heartbeat})


def invoke_start(op_id: str, function_name: str, payload: Any = None, name: str | None = None) -> dict:
    return _update(op_id, "CHAINED_INVOKE", "START", Name=name, SubType="ChainedInvoke",
                   Payload=None if payload is None else json.dumps(payload),
                   ChainedInvokeOptions={"FunctionName": function_name})


def execution_succeed(payload: str) -> dict:
    return _update("execution-result-1", "EXECUTION", "SUCCEED", Payload=payload)


def execution_fail(message: str = "big failure") -> dict:
    return _update("execution-result-1", "EXECUTION", "FAIL",
                   Error={"ErrorType": "BigError", "ErrorMessage": message})


def event_types(history: list[dict]) -> list[str]:
    return [event["EventType"] for event in history]
