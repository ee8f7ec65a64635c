"""Whether the compiled core may be used (``LAMBDA_DURABLE_NO_EXTENSIONS=1`` forbids it)."""
from __future__ import annotations

import os

#: True unless the environment forces the pure-Python twins.
ALLOWED: bool = os.environ.get("LAMBDA_DURABLE_NO_EXTENSIONS", "") not in ("1", "true", "yes")
