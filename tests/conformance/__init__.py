"""The AWS Durable Execution conformance suite, run on lambda_durable's local service.

- :mod:`.matcher`: the suite's matching rules (protocol.md section 9);
- :mod:`.runner`: :func:`run_requirement` runs one requirement file with a handler;
- :mod:`.registry`: which handler module (``handlers/<suite>/r<id>.py``) serves which requirement;
- ``test_conformance.py``: one pytest test per requirement file of ``$LAMBDA_DURABLE_CONFORMANCE_DIR``;
- ``python -m tests.conformance [ID ...]`` (from the repository root): one line per requirement
  and a final ``N passed, M failed``.
"""
from .registry import entry_for, functions_for, handler_for
from .runner import (
    ENV_VAR,
    KNOWN_DISPUTED,
    RequirementResult,
    conformance_dir,
    requirement_files,
    run_registered,
    run_requirement,
)

__all__ = [
    "ENV_VAR",
    "KNOWN_DISPUTED",
    "RequirementResult",
    "conformance_dir",
    "entry_for",
    "functions_for",
    "handler_for",
    "requirement_files",
    "run_registered",
    "run_requirement",
]
