"""A plain (non-durable) Lambda function that charges one payment; invoked by lambda_invoke_map."""
from __future__ import annotations


def handler(event: dict, context=None) -> dict:
    amount = round(float(event["amount"]), 2)
    if amount <= 0:
        raise ValueError(f"payment {event.get('id')}: amount must be positive, got {amount}")
    return {"payment_id": f"pay-{event['id']}", "amount": amount, "status": "charged"}
