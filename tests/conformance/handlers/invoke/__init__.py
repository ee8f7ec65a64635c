"""Handlers of the invoke suite (``r<id>.py`` per requirement; see tests/conformance/registry.py).

Chained-invoke targets shared by the whole suite (echo, tenant echo, error, slow, non-durable) go
in ``FUNCTIONS`` here (``{"function name": callable}``); a requirement module may add its own.
"""

FUNCTIONS: dict = {}
