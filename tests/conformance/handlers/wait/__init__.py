"""Handlers of the wait suite (``r<id>.py`` per requirement; see tests/conformance/registry.py)."""
