"""Handlers of the child suite (``r<id>.py`` per requirement; see tests/conformance/registry.py)."""
