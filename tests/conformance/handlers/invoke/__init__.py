"""Handlers of the invoke suite (``r<id>.py`` per requirement; see tests/conformance/registry.py).

Chained-invoke targets shared by the whole suite go in ``FUNCTIONS`` (``{"function name":
callable}``); a requirement module may add its own. Durable targets (``@durable_execution``) run
as child durable executions on the same local service, so their ``ChainedInvokeStarted`` carries
the child's ``DurableExecutionArn``:

- ``echo``: returns its input unchanged;
- ``tenant-echo``: returns its input unchanged (invoked with a ``tenant_id``);
- ``error``: always fails (``TargetFailure``);
- ``slow``: waits a few seconds durably, then returns its input;
- ``length``: returns the size of its (large) input;
- ``non-durable``: a plain Lambda function returning its input.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import Duration

ECHO = "echo"
TENANT_ECHO = "tenant-echo"
ERROR = "error"
SLOW = "slow"
LENGTH = "length"
NON_DURABLE = "non-durable"


class TargetFailure(Exception):
    """What the ``error`` target raises."""


@durable_execution
def echo(event: object, context: DurableContext) -> object:
    return event


@durable_execution
def tenant_echo(event: object, context: DurableContext) -> object:
    return event


@durable_execution
def error(event: object, context: DurableContext) -> object:
    raise TargetFailure("target function failed")


@durable_execution
def slow(event: object, context: DurableContext) -> object:
    context.wait(Duration.from_seconds(5))
    return event


@durable_execution
def length(event: object, context: DurableContext) -> dict:
    return {"received": len(event) if isinstance(event, (str, list, dict)) else 0}


def non_durable(event: object, lambda_context: object) -> object:
    return event


FUNCTIONS: dict = {
    ECHO: echo,
    TENANT_ECHO: tenant_echo,
    ERROR: error,
    SLOW: slow,
    LENGTH: length,
    NON_DURABLE: non_durable,
}
