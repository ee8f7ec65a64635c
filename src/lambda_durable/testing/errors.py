"""Errors raised by the local durable execution service and its test runner.

The service raises :class:`DurableServiceError` subclasses named after the Lambda API's error
codes (protocol.md 1.5). The boto3-shaped client (:class:`~lambda_durable.testing.service.
LocalServiceClient`) turns them into ``botocore.exceptions.ClientError`` with the AWS error
shape, so the SDK classifies them exactly as it classifies the real service's answers; the test
runner lets them propagate as they are.
"""
from __future__ import annotations

from typing import Any


class DurableFunctionsTestError(Exception):
    """A test-runner level failure: an operation or callback was not found, a result is missing."""


class DurableServiceError(Exception):
    """A service error with an AWS error ``code`` and an HTTP status ``http_status``."""

    code = "ServiceException"
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def error_response(self) -> dict[str, Any]:
        """The botocore error-response dict for this error:
        ``{"Error": {"Code", "Message"}, "ResponseMetadata": {"HTTPStatusCode"}, "message"}``."""
        return {
            "Error": {"Code": self.code, "Message": self.message},
            "ResponseMetadata": {"HTTPStatusCode": self.http_status},
            "message": self.message,
            "Type": "User",
        }

    def to_client_error(self, operation_name: str) -> Exception:
        """This error as ``botocore.exceptions.ClientError`` (botocore is imported here, lazily)."""
        from botocore.exceptions import ClientError

        return ClientError(self.error_response(), operation_name)  # type: ignore[arg-type]


class InvalidParameterValueException(DurableServiceError):
    """400: a request parameter breaks a rule (validation, stale checkpoint token, ...)."""

    code = "InvalidParameterValueException"
    http_status = 400


class ResourceNotFoundException(DurableServiceError):
    """404: no execution / callback / function with that identifier."""

    code = "ResourceNotFoundException"
    http_status = 404


class ResourceConflictException(DurableServiceError):
    """409: the resource is in a state that does not allow the request."""

    code = "ResourceConflictException"
    http_status = 409


class CallbackTimeoutException(DurableServiceError):
    """400: the callback already timed out (returned only by the three callback APIs)."""

    code = "CallbackTimeoutException"
    http_status = 400


class RequestTooLargeException(DurableServiceError):
    """413: the request body is over the API limit."""

    code = "RequestTooLargeException"
    http_status = 413


class TooManyRequestsException(DurableServiceError):
    """429: throttled (too many running executions)."""

    code = "TooManyRequestsException"
    http_status = 429


class DurableExecutionAlreadyStartedException(DurableServiceError):
    """409: an execution with that name already exists."""

    code = "DurableExecutionAlreadyStartedException"
    http_status = 409


class ServiceException(DurableServiceError):
    """500: an unexpected failure inside the service."""

    code = "ServiceException"
    http_status = 500
