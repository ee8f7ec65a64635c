"""Fan out with map: each item invokes the payment-processor function, then aggregate.

    lambda-durable run examples/lambda_invoke_map.py \
        --input '{"payments": [{"id": "a", "amount": 10}, {"id": "b", "amount": 25.5}]}' \
        --function payment-processor=examples/payment_processor.py --json
"""
from __future__ import annotations

from lambda_durable import DurableContext, durable_execution


def charge(ctx: DurableContext, payment: dict, index: int, payments: list) -> dict:
    return ctx.invoke("payment-processor", payment, name=f"charge-{payment['id']}")


@durable_execution
def handler(event: dict, context: DurableContext) -> dict:
    results = context.map(event["payments"], charge, name="charge-payments")
    charged = results.get_results()
    return {
        "charged": len(results.succeeded()),
        "failed": len(results.failed()),
        "total": round(sum(r["amount"] for r in charged if r), 2),
        "payments": charged,
    }
