"""lambda_durable: AWS Lambda durable functions for Python (placeholder, being built)."""
from ._ids import COMPILED as EXTENSIONS

__version__ = "0.1.0"
