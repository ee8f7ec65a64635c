"""The AWS Durable Execution conformance suite: one test per requirement file.

The requirement files are read from ``$LAMBDA_DURABLE_CONFORMANCE_DIR`` (never copied into the
project); without it every test here is skipped with a message saying so. A requirement runs with
its handler from ``handlers/<suite>/r<id>.py`` (see ``registry.py``; a requirement without one
fails); a failure lists every
mismatch and the actual history. Failures of ``optional: true`` requirements and of requirements
in ``runner.KNOWN_DISPUTED`` are expected failures (xfail) with the reason.
"""
from __future__ import annotations

import warnings

import pytest

from .registry import discover, entry_for, suite_of
from .runner import ENV_VAR, KNOWN_DISPUTED, conformance_dir, requirement_files, run_requirement

DIRECTORY = conformance_dir()
FILES = requirement_files(DIRECTORY) if DIRECTORY is not None else []
SKIP_REASON = (
    f"{ENV_VAR} is not set to the conformance requirements directory "
    f"(e.g. {ENV_VAR}=../shared/conformance/requirements): conformance suite skipped"
)

if FILES:
    PARAMS = [pytest.param(path, id=path.stem) for path in FILES]
else:
    reason = SKIP_REASON if DIRECTORY is None else f"no requirement files under {DIRECTORY}"
    PARAMS = [pytest.param(None, id="conformance", marks=pytest.mark.skip(reason=reason))]


@pytest.mark.parametrize("path", PARAMS)
def test_requirement(path):
    req_id = path.stem
    entry = entry_for(req_id)
    if entry is None:
        suite = path.parent.name
        pytest.fail(
            f"{req_id}: no handler: write tests/conformance/handlers/{suite}/"
            f"r{req_id.replace('-', '_')}.py",
            pytrace=False,
        )
    result = run_requirement(path, entry.handler, entry.functions, runner_options=entry.runner_options)
    if result.passed:
        if req_id in KNOWN_DISPUTED:
            warnings.warn(f"{req_id} is in KNOWN_DISPUTED but passes: remove it", stacklevel=1)
        return
    if result.disputed is not None:
        pytest.xfail(f"disputed: {result.disputed} (first mismatch: {result.first_error})")
    if result.optional:
        pytest.xfail(f"optional requirement failed: {result.first_error}")
    pytest.fail(result.report(), pytrace=False)


@pytest.mark.skipif(DIRECTORY is None, reason=SKIP_REASON)
def test_every_handler_module_has_a_requirement_in_its_suite():
    known = {path.stem: path.parent.name for path in FILES}
    for req_id, (suite, module) in discover().items():
        assert req_id in known, f"handlers/{suite}/{module}.py: no requirement file {req_id}.yaml"
        assert known[req_id] == suite, (
            f"handlers/{suite}/{module}.py: requirement {req_id} is in suite {known[req_id]}"
        )
        assert suite_of(req_id) == suite
