"""Handlers of the callback suite (``r<id>.py`` per requirement; see tests/conformance/registry.py)."""
