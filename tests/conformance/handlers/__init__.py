"""Conformance handlers: one package per suite, one module per requirement.

See ``tests/conformance/registry.py`` for the convention: ``handlers/<suite>/r<id with - as _>.py``
defines ``handler`` (``@durable_execution``), optionally ``FUNCTIONS`` (chained-invoke targets) and
``RUNNER_OPTIONS``; a suite package's ``__init__.py`` may define ``FUNCTIONS`` shared by the suite.
"""
