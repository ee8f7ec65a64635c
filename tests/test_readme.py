"""The README's code blocks run as written (the handler and its test)."""
from __future__ import annotations

import pathlib
import re

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def test_readme_handler_and_test_example_run(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) >= 2, "README lost its handler or testing example"
    namespace: dict = {}
    exec(compile(blocks[0] + "\n" + blocks[1], str(README), "exec"), namespace)  # noqa: S102
    result = namespace["result"]
    assert result.status.value == "SUCCEEDED"
    assert '"status": "confirmed"' in result.result
    assert '"approved": true' in result.result
