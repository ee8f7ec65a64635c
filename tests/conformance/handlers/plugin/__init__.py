"""Handlers of the plugin suite (``r<id>.py`` per requirement; see tests/conformance/registry.py)."""
