"""Replay-aware logging for durable handlers.

``context.logger`` (and the logger handed to steps, wait_for_condition checks and callback
submitters) wraps any stdlib-style logger (``logging.Logger``, AWS Lambda Powertools' ``Logger``,
anything with ``debug/info/warning/error/exception`` accepting ``extra=``) and adds to every record
``executionArn``, ``operationId``, ``operationName``, ``parentId`` and ``attempt`` when known. In
mode-aware operation (the default) records emitted while the code replays already-completed
operations are dropped, so each line appears once per execution.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

#: Logger used when the user configures none.
DEFAULT_LOGGER = logging.getLogger("lambda_durable.context")

__all__ = ["DEFAULT_LOGGER", "DurableLogger"]

_new = object.__new__


class DurableLogger:
    """A logger that adds durable fields and (optionally) stays silent while replaying.

    ``fields`` is the mapping added as ``extra`` to each record (``None`` values are left out);
    ``is_replaying`` is a zero-argument callable, ``None`` to never suppress.

    Building one is cheap (every step attempt gets its own, most never log): the fields are kept
    as given and their ``None`` values are dropped when a record is first emitted (or ``fields``
    / :meth:`with_fields` is first used), so the records carry exactly the same ``extra``.
    """

    __slots__ = ("_logger", "_fields", "_is_replaying", "_clean")

    def __init__(
        self,
        logger: Any = None,
        fields: dict[str, Any] | None = None,
        is_replaying: Callable[[], bool] | None = None,
    ) -> None:
        self._logger = DEFAULT_LOGGER if logger is None else logger
        self._fields = dict(fields) if fields else {}
        self._is_replaying = is_replaying
        #: ``_fields`` (a dict, or ``(names, values)``) without its ``None`` values, built once
        self._clean: dict[str, Any] | None = None

    @classmethod
    def _deferred(
        cls,
        logger: Any,
        names: tuple[str, ...],
        values: tuple[Any, ...],
        is_replaying: Callable[[], bool] | None = None,
    ) -> DurableLogger:
        """The logger of ``DurableLogger(logger, dict(zip(names, values)), is_replaying)``,
        built without making that dict: the per-context and per-operation loggers of
        :class:`~lambda_durable.context.DurableContext` (one per step attempt, few ever log)."""
        self = _new(cls)
        self._logger = DEFAULT_LOGGER if logger is None else logger
        self._fields = (names, values)
        self._is_replaying = is_replaying
        self._clean = None
        return self

    def _extra(self) -> dict[str, Any]:
        """The fields added to every record (``None`` values left out); built once."""
        clean = self._clean
        if clean is None:
            fields = self._fields
            items = zip(*fields) if type(fields) is tuple else fields.items()
            clean = self._clean = {k: v for k, v in items if v is not None}
        return clean

    @property
    def logger(self) -> Any:
        """The wrapped logger."""
        return self._logger

    @property
    def fields(self) -> dict[str, Any]:
        """The fields added to every record."""
        return dict(self._extra())

    def with_fields(
        self, is_replaying: Callable[[], bool] | None = ..., **fields: Any  # type: ignore[assignment]
    ) -> DurableLogger:
        """A logger over the same target with ``fields`` added (``None`` values removed)."""
        merged = {**self._extra(), **fields}
        replay = self._is_replaying if is_replaying is ... else is_replaying
        return DurableLogger(self._logger, merged, replay)

    def _emit(self, method: str, msg: object, args: tuple, kwargs: dict) -> None:
        if self._is_replaying is not None and self._is_replaying():
            return
        extra = kwargs.pop("extra", None)
        fields = self._clean
        if fields is None:
            fields = self._extra()
        if fields:
            extra = {**fields, **extra} if extra else fields
        if extra:
            kwargs["extra"] = extra
        getattr(self._logger, method)(msg, *args, **kwargs)

    def debug(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._emit("debug", msg, args, kwargs)

    def info(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._emit("info", msg, args, kwargs)

    def warning(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._emit("warning", msg, args, kwargs)

    def error(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._emit("error", msg, args, kwargs)

    def exception(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._emit("exception", msg, args, kwargs)

    def critical(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._emit("critical", msg, args, kwargs)
