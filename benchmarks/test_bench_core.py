"""Micro-benchmarks of the compiled core against its pure-Python twin (pytest-benchmark).

Run: ``pip install pytest-benchmark && pytest benchmarks/`` (never part of the test suite).
"""
from __future__ import annotations

import pytest

from lambda_durable import _ids_py

try:
    from lambda_durable import _ids_c
except ImportError:  # extension not built
    _ids_c = None

TWINS = [pytest.param(_ids_py, id="pure")]
if _ids_c is not None:
    TWINS.append(pytest.param(_ids_c, id="compiled"))


@pytest.mark.parametrize("ids", TWINS)
def test_operation_id(benchmark, ids):
    prefix = ids.operation_id(None, 1)
    benchmark(ids.operation_id, prefix, 12345)


@pytest.mark.parametrize("ids", TWINS)
def test_id_sequence_1000(benchmark, ids):
    def run():
        seq = ids.IdSequence(None)
        for _ in range(1000):
            seq.next_id()

    benchmark(run)
