"""``context.invoke``: run another Lambda function (durable or not) as a chained invoke.

START (blocking) with the serialized payload and ``ChainedInvokeOptions``; STARTED -> suspend
until the service reports the target's outcome; SUCCEEDED -> deserialize ``Result`` (plain JSON by
default); FAILED, TIMED_OUT, STOPPED -> :class:`InvokeError` rebuilt from the stored error.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..exceptions import InvokeError, SerDesError, ValidationError
from ..limits import INVOKE_PAYLOAD_LIMIT_BYTES, utf8_len
from ..serdes import DEFAULT_JSON_SERDES, deserialize, serialize
from .base import check_identity, labelled, operation_error, suspend, update

if TYPE_CHECKING:  # pragma: no cover
    from ..config import InvokeConfig
    from ..context import DurableContext

CHAINED_INVOKE = "CHAINED_INVOKE"


def run_invoke(
    ctx: DurableContext,
    operation_id: str,
    function_name: str,
    payload: Any,
    name: str | None,
    config: InvokeConfig | None,
) -> Any:
    state = ctx.state
    arn = state.durable_execution_arn
    record = state.get(operation_id)
    result_serdes = (config.serdes_result if config else None) or DEFAULT_JSON_SERDES
    if record is None:
        payload_serdes = (config.serdes_payload if config else None) or DEFAULT_JSON_SERDES
        try:
            body = serialize(payload_serdes, payload, operation_id, arn)
        except SerDesError as error:  # nothing was checkpointed: name the operation and raise
            raise labelled(error, "invoke", name, operation_id)  # noqa: B904 - caused by error
        size = 0 if body is None else utf8_len(body)
        if size > INVOKE_PAYLOAD_LIMIT_BYTES:
            raise ValidationError(
                f"invoke {name or function_name}: payload is {size} bytes, over the "
                f"{INVOKE_PAYLOAD_LIMIT_BYTES}-byte chained invoke input limit"
            )
        options: dict[str, Any] = {"FunctionName": function_name}
        if config is not None and config.tenant_id:
            options["TenantId"] = config.tenant_id
        plugins = state.plugins
        if plugins is not None:
            trace_id = plugins._propagation(arn, operation_id, function_name, ctx._parent_id)
            if trace_id is not None:
                options["XAmznTraceId"] = trace_id
        start = update(
            ctx, operation_id, CHAINED_INVOKE, "START", "ChainedInvoke", name,
            ChainedInvokeOptions=options,
        )
        if body is not None:
            start["Payload"] = body
        state.checkpoint(start)
        record = state.get(operation_id)
        if record is None:
            suspend(f"invoke {name or function_name}")
    else:
        check_identity(record, operation_id, CHAINED_INVOKE, "ChainedInvoke", name, ctx._parent_id)
    status = record["Status"]
    details = record.get("ChainedInvokeDetails") or {}
    if status == "SUCCEEDED":
        result = details.get("Result")
        return None if result is None else deserialize(result_serdes, result, operation_id, arn)
    if status in ("FAILED", "TIMED_OUT", "STOPPED", "CANCELLED"):
        default = {"TIMED_OUT": "Invoke timed out", "STOPPED": "Invoke stopped"}.get(
            status, "Invoke failed"
        )
        raise operation_error(InvokeError, details.get("Error"), default)
    suspend(f"invoke {name or function_name}")
