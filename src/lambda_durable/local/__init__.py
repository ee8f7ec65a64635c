"""An HTTP emulator of the Lambda durable execution APIs (``lambda-durable serve``).

See :mod:`lambda_durable.local.server`.
"""
from .server import DurableHttpServer, MAX_REQUEST_BYTES

__all__ = ["DurableHttpServer", "MAX_REQUEST_BYTES"]
