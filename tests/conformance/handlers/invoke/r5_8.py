"""5-8: Invoke with tenantId: ``InvokeConfig(tenant_id=event["tenantId"])``."""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import InvokeConfig

from . import TENANT_ECHO


@durable_execution
def handler(event: dict, context: DurableContext) -> object:
    return context.invoke(
        TENANT_ECHO, event["payload"], config=InvokeConfig(tenant_id=event["tenantId"])
    )
