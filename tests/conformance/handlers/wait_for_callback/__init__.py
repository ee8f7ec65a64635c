"""Handlers of the wait_for_callback suite (``r<id>.py`` per requirement; see tests/conformance/registry.py)."""
