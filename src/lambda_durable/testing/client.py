"""A boto3 ``lambda`` client look-alike for the local durable execution service."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from .errors import DurableServiceError

if TYPE_CHECKING:  # pragma: no cover
    from .service import LocalDurableService


class LocalServiceClient:
    """A boto3 ``lambda`` client look-alike talking to a :class:`LocalDurableService`.

    Methods take the API's keyword arguments and return its response dicts (timestamps as aware
    UTC datetimes); service errors are raised as ``botocore.exceptions.ClientError`` with the AWS
    error shape (``{"Error": {"Code", "Message"}, "ResponseMetadata": {"HTTPStatusCode"}}``).
    """

    def __init__(self, service: LocalDurableService) -> None:
        self._service = service

    def _call(self, operation_name: str, func: Callable[..., Any], *args, **kwargs) -> Any:
        try:
            return func(*args, **kwargs)
        except DurableServiceError as error:
            raise error.to_client_error(operation_name) from None

    def checkpoint_durable_execution(
        self,
        *,
        DurableExecutionArn: str,
        CheckpointToken: str,
        Updates: list[dict] | None = None,
        ClientToken: str | None = None,
    ) -> dict[str, Any]:
        """``{"CheckpointToken"?, "NewExecutionState": {"Operations", "NextMarker"?}}``."""
        return self._call(
            "CheckpointDurableExecution",
            self._service.checkpoint,
            DurableExecutionArn,
            CheckpointToken,
            Updates,
            ClientToken,
        )

    def get_durable_execution_state(
        self,
        *,
        DurableExecutionArn: str,
        CheckpointToken: str,
        Marker: str | None = None,
        MaxItems: int | None = None,
    ) -> dict[str, Any]:
        """``{"Operations": [...], "NextMarker"?}``."""
        return self._call(
            "GetDurableExecutionState",
            self._service.get_state,
            DurableExecutionArn,
            CheckpointToken,
            Marker,
            MaxItems,
        )

    def get_durable_execution(
        self, *, DurableExecutionArn: str, IncludeExecutionData: bool = True
    ) -> dict[str, Any]:
        """The ``GetDurableExecution`` response."""
        return self._call(
            "GetDurableExecution",
            self._service.describe_execution,
            DurableExecutionArn,
            IncludeExecutionData,
        )

    def get_durable_execution_history(
        self,
        *,
        DurableExecutionArn: str,
        IncludeExecutionData: bool = True,
        MaxItems: int | None = None,
        Marker: str | None = None,
        ReverseOrder: bool = False,
    ) -> dict[str, Any]:
        """``{"Events": [...], "NextMarker"?}`` (pages of ``MaxItems``, default 100)."""
        events = self._call(
            "GetDurableExecutionHistory",
            self._service.get_history,
            DurableExecutionArn,
            IncludeExecutionData,
        )
        if ReverseOrder:
            events.reverse()
        size = MaxItems or 100
        start = int(Marker) if Marker and Marker.isdigit() else 0
        out: dict[str, Any] = {"Events": events[start : start + size]}
        if start + size < len(events):
            out["NextMarker"] = str(start + size)
        return out

    def send_durable_execution_callback_success(
        self, *, CallbackId: str, Result: bytes | str | None = None
    ) -> dict[str, Any]:
        self._call(
            "SendDurableExecutionCallbackSuccess",
            self._service.send_callback_success,
            CallbackId,
            Result,
        )
        return {}

    def send_durable_execution_callback_failure(
        self, *, CallbackId: str, Error: dict | None = None
    ) -> dict[str, Any]:
        self._call(
            "SendDurableExecutionCallbackFailure",
            self._service.send_callback_failure,
            CallbackId,
            Error,
        )
        return {}

    def send_durable_execution_callback_heartbeat(self, *, CallbackId: str) -> dict[str, Any]:
        self._call(
            "SendDurableExecutionCallbackHeartbeat",
            self._service.send_callback_heartbeat,
            CallbackId,
        )
        return {}

    def stop_durable_execution(
        self, *, DurableExecutionArn: str, Error: dict | None = None
    ) -> dict[str, Any]:
        stopped = self._call(
            "StopDurableExecution", self._service.stop_execution, DurableExecutionArn, Error
        )
        return {"StopTimestamp": stopped}
