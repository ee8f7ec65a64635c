"""Service limits, in one place. Every size is counted in UTF-8 bytes (never characters).

Sources: the botocore ``lambda`` model (API 2025-12-01) and protocol.md section 10; where the
official SDK 3.x picked a value (batch caps, response limit) it is noted.
"""
from __future__ import annotations

import re

#: Largest payload one operation may checkpoint (bytes); the service rejects larger STEP payloads.
#: A child context / map / parallel result above it is summarized and replayed from its children.
CHECKPOINT_SIZE_LIMIT_BYTES = 262_144

#: Largest inline handler response (6 MiB - 50 bytes, the official SDK's margin); larger results
#: are written with an EXECUTION checkpoint instead.
LAMBDA_RESPONSE_SIZE_LIMIT = 6 * 1024 * 1024 - 50

#: Largest ``Payload``/``Result`` of any update (the API model's 6,291,456; counted in bytes).
PAYLOAD_LIMIT_BYTES = 6_291_456

#: Largest serialized ErrorObject (bytes of its JSON; the official emulator's limit, the API
#: documents 1 MB).
ERROR_LIMIT_BYTES = 32_768

#: Largest chained-invoke input and callback success body (bytes).
INVOKE_PAYLOAD_LIMIT_BYTES = 1_048_576
CALLBACK_RESULT_LIMIT_BYTES = 1_048_576

#: One CheckpointDurableExecution call: at most this many updates and serialized bytes (SDK cap).
MAX_BATCH_OPERATIONS = 250
MAX_BATCH_SIZE_BYTES = 750 * 1024

#: Longest a non-blocking update (an AT_LEAST_ONCE step's or a child context's START) waits in the
#: queue for a blocking checkpoint to take it along before the SDK sends it on its own (seconds).
#: So a long-running step shows as started, and its START survives a crash of the process (the
#: official SDK 3.x closes such a batch within its 1 s batch window).
ASYNC_FLUSH_DELAY_SECONDS = 0.5

#: The SDK starts no new step (nor wait_for_condition check) once the invocation has less than
#: this many seconds left (the Lambda context's ``get_remaining_time_in_millis()``), so it can
#: still checkpoint what finished and return PENDING before Lambda ends the invocation
#: (``Sandbox.Timedout``). Capped at a quarter of the time the invocation had when it started,
#: so short function timeouts still get work done. See ``state.InvocationDeadline``.
INVOCATION_TIMEOUT_MARGIN_SECONDS = 2.0
#: WaitSeconds of the SDK's own WAIT that makes the service re-invoke after such an early stop.
YIELD_WAIT_SECONDS = 1

#: Durations (seconds): waits, retry and poll delays are whole seconds in this range.
MIN_DURATION_SECONDS = 1
MAX_DURATION_SECONDS = 31_622_400
#: Callback timeouts (seconds); 0 means none.
MAX_CALLBACK_TIMEOUT_SECONDS = 99_999_999

#: Compiled on first access (``__getattr__`` below; only the local service validates with them):
#: ``ID_PATTERN``, operation and parent IDs: 1..64 of [a-zA-Z0-9-_]; ``CLIENT_TOKEN_PATTERN``,
#: idempotency token of a checkpoint call: 1..64 of [\x21-\x7E]; ``TOKEN_PATTERN``, checkpoint
#: tokens and callback IDs: base64 alphabet.
_LAZY_PATTERNS = {
    "ID_PATTERN": r"[a-zA-Z0-9_-]{1,64}",
    "CLIENT_TOKEN_PATTERN": r"[\x21-\x7E]{1,64}",
    "TOKEN_PATTERN": r"[A-Za-z0-9+/]+={0,2}",
}
#: Chained invoke target: 1..256 characters (name, partial or full ARN, optional qualifier).
MAX_FUNCTION_NAME_LENGTH = 256

#: Operation names: 1..256 printable ASCII characters.
MAX_NAME_LENGTH = 256
NAME_PATTERN = re.compile(r"[\x20-\x7E]{1,256}")
#: SubType: 1..32 of [a-zA-Z0-9-_].
SUBTYPE_PATTERN = re.compile(r"[a-zA-Z0-9_-]{1,32}")

#: Page size the SDK asks GetDurableExecutionState for.
STATE_PAGE_MAX_ITEMS = 1000


def utf8_len(text: str) -> int:
    """Length of ``text`` in UTF-8 bytes (fast path for ASCII)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def __getattr__(name: str) -> re.Pattern[str]:
    pattern = _LAZY_PATTERNS.get(name)
    if pattern is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    compiled = globals()[name] = re.compile(pattern)
    return compiled
