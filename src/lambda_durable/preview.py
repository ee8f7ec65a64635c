"""Compact previews of checkpointed values (for serdes that store the value elsewhere).

:func:`build_preview` picks fields out of a dict (nested dicts and lists of dicts included)
according to a :class:`PreviewConfig` and returns a small nested dict, capped in size, that a
serdes can checkpoint next to its reference (see :mod:`lambda_durable.filesystem_serdes`).

Rules (same observable behaviour as the official SDK 3.x):

* Each dict key has a dot-joined path from the root (``"user.address.city"``); keys containing a
  dot are skipped. List elements share their list's path (no indexes); only dict elements are
  walked, scalars inside lists never appear.
* A field is visible when it is not excluded and is masked, or the mode is ``INCLUDE_ALL``, or it
  is included. ``exclude`` wins over everything and hides the whole subtree; a masked field shows
  ``mask_string`` in place of its whole value.
* ``FieldMatchMode.ANYWHERE`` matches when any path segment equals the name (so including
  ``"user"`` shows every field below ``user``); ``FieldMatchMode.PATH`` needs the exact full path.
  A visible scalar is shown; a visible dict or list is walked, its fields judged one by one.
* Fields are kept in traversal order until the estimated JSON size (``"<path>":<json value>,``
  per field plus 2 for the braces, in UTF-8 bytes) would pass ``max_preview_bytes``.
* The result re-nests the paths; a later field overwrites an earlier one at the same place.
  ``None`` when the value is not a dict or nothing is visible.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["FieldMatchMode", "PreviewConfig", "PreviewField", "PreviewMode", "build_preview"]


class PreviewMode(StrEnum):
    """Starting point: every field shown (then exclude/mask) or none (then include/mask)."""

    INCLUDE_ALL = "INCLUDE_ALL"
    EXCLUDE_ALL = "EXCLUDE_ALL"


class FieldMatchMode(StrEnum):
    """``ANYWHERE``: the name equals any segment of a field's path; ``PATH``: the name is the
    field's full dot-separated path from the root."""

    ANYWHERE = "ANYWHERE"
    PATH = "PATH"


@dataclass(frozen=True)
class PreviewField:
    """A field selector: a name (or dot-separated path for ``PATH``) and how to match it."""

    name: str
    match: FieldMatchMode = FieldMatchMode.ANYWHERE


@dataclass(frozen=True)
class PreviewConfig:
    """What :func:`build_preview` shows: ``mode``, ``include``/``exclude``/``mask`` selectors,
    the mask text and the preview's size budget in bytes."""

    mode: PreviewMode
    include: list[PreviewField] = field(default_factory=list)
    exclude: list[PreviewField] = field(default_factory=list)
    mask: list[PreviewField] = field(default_factory=list)
    mask_string: str = "***"
    max_preview_bytes: int = 4096


class _Selector:
    """A compiled selector list: exact paths plus names matched against any segment."""

    __slots__ = ("paths", "names")

    def __init__(self, fields: list[PreviewField]) -> None:
        self.paths = {f.name for f in fields if f.match is FieldMatchMode.PATH}
        self.names = {f.name for f in fields if f.match is not FieldMatchMode.PATH}

    def __call__(self, path: str, segments: tuple[str, ...]) -> bool:
        if path in self.paths:
            return True
        names = self.names
        return bool(names) and any(segment in names for segment in segments)


def _collect(value: dict, config: PreviewConfig) -> list[tuple[str, Any]]:
    """Visible (path, value) pairs in traversal order."""
    is_masked = _Selector(config.mask)
    is_excluded = _Selector(config.exclude)
    is_included = _Selector(config.include)
    include_all = config.mode is PreviewMode.INCLUDE_ALL
    mask_string = config.mask_string
    found: list[tuple[str, Any]] = []

    def walk(node: Any, prefix: str, segments: tuple[str, ...]) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, prefix, segments)
            return
        if not isinstance(node, dict):
            return
        for key, child in node.items():
            key_text = str(key)
            if "." in key_text:
                continue
            path = f"{prefix}.{key_text}" if prefix else key_text
            # the path's segments, as the dot-joined path would split (an empty prefix adds none)
            child_segments = (*segments, key_text) if prefix else tuple(path.split("."))
            if is_excluded(path, child_segments):
                continue
            masked = is_masked(path, child_segments)
            if masked:
                found.append((path, mask_string))
            elif include_all or is_included(path, child_segments):
                if isinstance(child, (dict, list)):
                    walk(child, path, child_segments)
                else:
                    found.append((path, child))
            else:
                walk(child, path, child_segments)

    walk(value, "", ())
    return found


def build_preview(value: Any, config: PreviewConfig) -> dict[str, Any] | None:
    """A compact nested dict of the visible fields of ``value`` (see the module docstring), or
    None when ``value`` is not a dict or no field fits. Raises ``TypeError`` for a visible field
    whose value JSON cannot represent."""
    if not isinstance(value, dict):
        return None
    pairs = _collect(value, config)
    if not pairs:
        return None

    budget = config.max_preview_bytes
    used = 2  # the braces
    result: dict[str, Any] = {}
    for path, leaf in pairs:
        size = len(f'"{path}":{json.dumps(leaf)},'.encode())
        if used + size > budget:
            break
        used += size
        parts = path.split(".")
        node = result
        for part in parts[:-1]:
            nxt = node.get(part)
            if not isinstance(nxt, dict):
                nxt = node[part] = {}
            node = nxt
        node[parts[-1]] = leaf
    return result or None
