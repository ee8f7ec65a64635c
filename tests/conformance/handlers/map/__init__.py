"""Handlers of the map suite (``r<id>.py`` per requirement; see tests/conformance/registry.py)."""
