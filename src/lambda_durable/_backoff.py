"""Delay arithmetic shared by retry strategies (``retries.py``) and wait strategies (``waits.py``).

All delays are whole seconds (protocol.md 5.4, 10): the base delay is jittered, rounded **up**
(``ceil``, not round) and clamped to at least 1 second, the smallest delay the service accepts
for ``NextAttemptDelaySeconds`` / ``WaitSeconds``.

``random.random`` is looked up at call time, so tests can patch it (or seed :mod:`random`).
:mod:`random` itself is imported by the first jittered delay, not at import (cold start).
"""
from __future__ import annotations

import math

__all__ = ["apply_jitter", "exponential_base", "finalize_delay", "linear_base"]


def apply_jitter(jitter: str, base: float) -> float:
    """Jitter ``base`` seconds: ``"NONE"`` keeps it, ``"HALF"`` draws from ``[base/2, base)``,
    anything else (``"FULL"``) draws from ``[0, base)``."""
    if jitter == "NONE":
        return base
    import random

    if jitter == "HALF":
        half = base / 2
        return half + random.random() * half
    return random.random() * base


def finalize_delay(jitter: str, base: float) -> int:
    """Whole seconds to wait: ``max(1, ceil(apply_jitter(jitter, base)))``."""
    return max(1, math.ceil(apply_jitter(jitter, base)))


def exponential_base(initial: float, rate: float, attempts_made: int, maximum: float) -> float:
    """``min(initial * rate ** (attempts_made - 1), maximum)`` seconds (attempts count from 1)."""
    try:
        grown = initial * rate ** (attempts_made - 1)
    except OverflowError:  # huge attempt counts: the cap applies anyway
        return maximum
    return min(grown, maximum)


def linear_base(initial: float, increment: float, attempts_made: int, maximum: float) -> float:
    """``min(initial + increment * (attempts_made - 1), maximum)`` seconds."""
    return min(initial + increment * (attempts_made - 1), maximum)
