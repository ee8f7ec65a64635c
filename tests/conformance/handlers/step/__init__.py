"""Handlers of the step suite (``r<id>.py`` per requirement; see tests/conformance/registry.py)."""
