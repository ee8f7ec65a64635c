"""``python -m tests.conformance [-v] [ID ...]``: run the conformance requirements of
``$LAMBDA_DURABLE_CONFORMANCE_DIR`` (all, or the given ids) and print one line per requirement
(``PASS 1-1``, ``FAIL 4-3: <first mismatch>``), then ``N passed, M failed``. ``-v`` prints the
full report of each failure. Exit status 1 when a requirement fails that is neither optional nor
in ``KNOWN_DISPUTED``, 2 when the variable is unset."""
from __future__ import annotations

import sys

from .runner import ENV_VAR, conformance_dir, iter_results


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    ids = [arg for arg in argv if not arg.startswith("-")] or None
    directory = conformance_dir()
    if directory is None:
        print(f"{ENV_VAR} is not set to a directory: nothing to run", file=sys.stderr)
        return 2
    passed = failed = blocking = 0
    for path, result in iter_results(directory, ids):
        if result is None:
            failed += 1
            blocking += 1
            print(f"FAIL {path.stem}: no handler (tests/conformance/handlers/{path.parent.name}/"
                  f"r{path.stem.replace('-', '_')}.py)", flush=True)
            continue
        if result.passed:
            passed += 1
            print(f"PASS {path.stem}", flush=True)
            continue
        failed += 1
        tag = " (optional)" if result.optional else " (disputed)" if result.disputed else ""
        if not result.excused:
            blocking += 1
        first = result.first_error.splitlines()[0] if result.first_error else ""
        print(f"FAIL {path.stem}{tag}: {first}", flush=True)
        if verbose:
            print(result.report(), flush=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if blocking else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
