"""Handlers of the wait_for_condition suite (``r<id>.py`` per requirement; see tests/conformance/registry.py)."""
