"""Order workflow: validate, wait for payment approval, reserve stock, cool off, confirm.

Run it on the local service (the 7-day wait elapses on a virtual clock)::

    lambda-durable run examples/order_processing.py \
        --input '{"order_id": "o-1001", "items": [{"sku": "book", "qty": 2}, {"sku": "pen", "qty": 5}]}' \
        --callback 'payment-approval={"approved": true, "approver": "finance"}'
"""
from __future__ import annotations

import json

from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import Duration, MapConfig, StepConfig, WaitForCallbackConfig
from lambda_durable.retries import RetryPresets
from lambda_durable.types import WaitForCallbackContext


class InvalidOrder(Exception):
    """The order cannot be processed (a permanent error: never retried)."""


class InventoryUnavailable(Exception):
    """The inventory service did not answer (transient: retried with backoff)."""


@durable_step
def validate_order(step: StepContext, order: dict) -> dict:
    items = order.get("items") or []
    if not order.get("order_id") or not items:
        raise InvalidOrder("an order needs an order_id and at least one item")
    step.logger.info("validated order %s", order["order_id"])
    return {"order_id": order["order_id"], "lines": len(items)}


def request_payment_approval(callback_id: str, ctx: WaitForCallbackContext) -> None:
    # A real workflow sends callback_id to the payment system (e-mail, queue, API call);
    # the system answers with SendDurableExecutionCallbackSuccess(callback_id, result).
    ctx.logger.info("payment approval requested, callback id %s", callback_id)


def reserve_line(ctx: DurableContext, line: dict, index: int, lines: list) -> dict:
    return ctx.step(
        lambda step: {"sku": line["sku"], "qty": line["qty"], "reservation": f"r-{index}-{line['sku']}"},
        name=f"reserve-{line['sku']}",
    )


@durable_step
def confirm_order(step: StepContext, order_id: str, reservations: list) -> dict:
    return {"order_id": order_id, "status": "confirmed", "reservations": reservations}


@durable_execution
def handler(event: dict, context: DurableContext) -> dict:
    # exponential backoff (2 s, 4 s, ...) for transient errors only; InvalidOrder fails at once
    validation_retries = RetryPresets.exponential_backoff(
        max_attempts=3,
        initial_delay=Duration.from_seconds(2),
        retryable_error_types=[InventoryUnavailable, TimeoutError, ConnectionError],
    )
    order = context.step(
        validate_order(event), config=StepConfig(retry_strategy=validation_retries)
    )

    approval = context.wait_for_callback(
        request_payment_approval,
        name="payment-approval",
        config=WaitForCallbackConfig(timeout=Duration.from_hours(1)),
    )
    approval = json.loads(approval) if isinstance(approval, str) else approval
    if not approval or not approval.get("approved"):
        return {"order_id": order["order_id"], "status": "rejected"}

    reserved = context.map(
        event["items"], reserve_line, name="reserve-items", config=MapConfig(max_concurrency=4)
    )
    reserved.throw_if_error()

    context.wait(Duration.from_days(7), name="cooling-off")

    confirmation = context.step(confirm_order(order["order_id"], reserved.get_results()))
    return {**confirmation, "approved_by": approval.get("approver")}
