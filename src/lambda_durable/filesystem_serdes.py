"""A serdes that keeps values on a shared durable filesystem and checkpoints a reference.

Use it with a filesystem every invocation of the function sees (Amazon EFS, or an S3 bucket mounted
with S3 Files), never with Lambda's local ``/tmp``: a replay may run in another environment.

Checkpointed text (compatible with the official SDK 3.x, so either SDK reads the other's):

* ``{"file": "<path>"}``: the value lives in ``<path>``, written by the inner serdes;
* ``{"file": "<path>", "preview": {...}}``: same, with a small inline preview
  (``FileSystemSerDesConfig.generate_preview``, e.g. :func:`lambda_durable.preview.build_preview`);
* ``{"data": "<inner serdes text>"}``: the value inline (``OVERFLOW`` mode, small values).

The envelope is ``json.dumps`` with default separators and ASCII escaping. ``<path>`` is
``<base_path>/<execution dir>/<operation file>.json``:

* ``URI`` encoding: the execution directory is ``<function>/<execution name>/<invocation id>``
  taken from the durable execution ARN (or, for any other ARN, the whole ARN percent-encoded as one
  segment); the file name is the operation Id percent-encoded (RFC 3986 unreserved characters
  kept).
* ``HASH`` encoding: the ARN and the operation Id are each replaced by their SHA-256 hex digest.

``OVERFLOW`` writes a file only when the inline envelope would exceed the checkpoint limit less
1 KiB of headroom (261,120 UTF-8 bytes); ``ALWAYS`` writes a file for every value (also ``None``).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import quote

from .exceptions import SerDesError
from .limits import CHECKPOINT_SIZE_LIMIT_BYTES
from .serdes import EXTENDED_TYPES_SERDES, SerDes, SerDesContext

__all__ = [
    "CHECKPOINT_SIZE_LIMIT_BYTES",
    "FileSystemPathEncoding",
    "FileSystemSerDes",
    "FileSystemSerDesConfig",
    "FileSystemSerDesMode",
    "GeneratePreview",
]

#: An inline ``{"data": ...}`` envelope larger than this (UTF-8 bytes) goes to a file instead;
#: 1 KiB below the per-operation checkpoint limit leaves room for the rest of the update.
_INLINE_LIMIT_BYTES = CHECKPOINT_SIZE_LIMIT_BYTES - 1024

# The parts of a durable execution ARN used for URI directories. Deliberately as permissive as the
# official SDK's pattern (any partition/region/account/qualifier) so both SDKs pick the same
# directory for the same ARN.
_EXECUTION_ARN_RE = re.compile(
    r"arn:[^:]*:lambda:[^:]*:[^:]*:function:([^:/]+):[^:/]+/durable-execution/([^/]+)/([^/]+)"
)


class FileSystemSerDesMode(StrEnum):
    """``ALWAYS``: every value goes to a file. ``OVERFLOW``: inline unless too large."""

    ALWAYS = "ALWAYS"
    OVERFLOW = "OVERFLOW"


class FileSystemPathEncoding(StrEnum):
    """How the execution ARN and operation Id become directory and file names: ``URI``
    (readable, percent-encoded) or ``HASH`` (SHA-256 hex, fixed length, always safe)."""

    URI = "URI"
    HASH = "HASH"


class GeneratePreview(Protocol):
    """Builds the inline preview of a value stored in a file (``None``/empty = no preview)."""

    def __call__(self, value: Any) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class FileSystemSerDesConfig:
    """Options of :class:`FileSystemSerDes`: when to write files, how to name them, an optional
    preview builder and the serdes that encodes the value itself (default: the extended-type
    envelope, :data:`lambda_durable.serdes.EXTENDED_TYPES_SERDES`)."""

    storage_mode: FileSystemSerDesMode = FileSystemSerDesMode.ALWAYS
    path_encoding: FileSystemPathEncoding = FileSystemPathEncoding.URI
    generate_preview: GeneratePreview | None = None
    serdes: SerDes[Any] = EXTENDED_TYPES_SERDES


def _segment(value: str, encoding: FileSystemPathEncoding) -> str:
    if encoding is FileSystemPathEncoding.HASH:
        return hashlib.sha256(value.encode("utf-8")).hexdigest()
    return quote(value, safe="")


def _execution_dir(base_path: str, arn: str, encoding: FileSystemPathEncoding) -> str:
    if encoding is FileSystemPathEncoding.URI:
        match = _EXECUTION_ARN_RE.fullmatch(arn)
        # "." / ".." parts would leave base_path: fall back to the single encoded segment
        if match is not None and not any(part in (".", "..") for part in match.groups()):
            return os.path.join(base_path, *match.groups())
    return os.path.join(base_path, _segment(arn, encoding))


def _write_atomically(path: str, text: str) -> None:
    """Write ``text`` to ``path`` so a reader sees the old file or the whole new one."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class FileSystemSerDes(SerDes[Any]):
    """Stores serialized values in files under ``base_path`` and checkpoints a reference
    (see the module docstring for the formats)."""

    def __init__(self, base_path: str, config: FileSystemSerDesConfig | None = None) -> None:
        config = config or FileSystemSerDesConfig()
        self._base_path = base_path
        self._storage_mode = FileSystemSerDesMode(config.storage_mode)
        self._path_encoding = FileSystemPathEncoding(config.path_encoding)
        self._generate_preview = config.generate_preview
        self._value_serdes = config.serdes

    def _file_path(self, serdes_context: SerDesContext) -> str:
        directory = _execution_dir(
            self._base_path, serdes_context.durable_execution_arn, self._path_encoding
        )
        name = f"{_segment(serdes_context.operation_id, self._path_encoding)}.json"
        return os.path.join(directory, name)

    def _store(self, value: Any, text: str, serdes_context: SerDesContext) -> str:
        path = self._file_path(serdes_context)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        _write_atomically(path, text)
        envelope: dict[str, Any] = {"file": path}
        if self._generate_preview is not None:
            preview = self._generate_preview(value)
            if preview:
                envelope["preview"] = preview
        return json.dumps(envelope)

    def serialize(self, value: Any, serdes_context: SerDesContext) -> str:
        text = self._value_serdes.serialize(value, serdes_context)
        if self._storage_mode is FileSystemSerDesMode.OVERFLOW:
            inline = json.dumps({"data": text})
            # ASCII-escaped, so its length is its UTF-8 size
            if len(inline.encode("utf-8")) <= _INLINE_LIMIT_BYTES:
                return inline
        return self._store(value, text, serdes_context)

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        envelope = json.loads(data)
        if not isinstance(envelope, dict) or not ("file" in envelope or "data" in envelope):
            raise SerDesError(
                'FileSystemSerDes: expected a {"file": ...} or {"data": ...} envelope, got '
                f"{data[:80]!r}"
            )
        if "file" in envelope:
            with open(envelope["file"], encoding="utf-8") as handle:
                text = handle.read()
            return self._value_serdes.deserialize(text, serdes_context)
        return self._value_serdes.deserialize(envelope["data"], serdes_context)
