"""Handlers of the parallel suite (``r<id>.py`` per requirement; see tests/conformance/registry.py)."""
