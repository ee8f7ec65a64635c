"""The user guide (docs/) cannot rot: its code runs here.

* Every ```` ```python ```` block of a page runs, in page order, in one module namespace per
  page (a later block may use what an earlier one defined). The blocks run their handlers
  through the local runner and assert on the outcome themselves.
* A block preceded by ``<!-- pytest -->`` is a test module: it is written to a file and run by
  pytest in a fresh process (which loads the installed plugin), and every test in it must pass.
* A block preceded by ``<!-- no-run -->`` is a fragment and is only compiled.
* Every ``lambda-durable ...`` command line of a ```` ```bash ```` block must parse with the
  CLI's own parser; the ``lambda-durable run`` ones (but those with ``--store``, which would
  leave a store behind) are run from the repository root and must exit 0.
* Every page is in the mkdocs nav, and the operations page calls every operation.
* The migration page's import-rewrite command turns an official-style test module into one
  that passes on lambda_durable with no conftest.

Nothing here uses ``pytester``: its teardown unloads the modules a test imported, which would
leave later tests of the session with second copies of lazily imported modules.
"""
from __future__ import annotations

import ast
import pathlib
import re
import shlex
import subprocess
import sys
import types

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))

_FENCE = re.compile(r"^(?P<indent> *)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)
_DIRECTIVE = re.compile(r"<!--\s*(no-run|pytest)\s*-->\s*$")


class Block:
    def __init__(self, page: pathlib.Path, language: str, code: str, line: int, directive: str | None):
        self.page = page
        self.language = language
        self.code = code
        self.line = line  # 1-based line of the first code line
        self.directive = directive

    def compiled(self):
        # pad so that tracebacks point at the page's own line numbers
        return compile("\n" * (self.line - 1) + self.code, str(self.page), "exec")


def blocks(page: pathlib.Path) -> list[Block]:
    text = page.read_text()
    found = []
    for match in _FENCE.finditer(text):
        language = match["info"].strip().split(" ")[0].lower()
        start = text.count("\n", 0, match.start()) + 1  # line of the opening fence
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        directive = _DIRECTIVE.search(before)
        indent = len(match["indent"])
        code = "\n".join(line[indent:] for line in match["body"].split("\n"))
        found.append(Block(page, language, code, start + 1, directive[1] if directive else None))
    return found


def _ids(paths):
    return [path.stem for path in paths]


def test_the_guide_has_pages_and_runnable_code():
    assert len(PAGES) >= 10
    runnable = [b for page in PAGES for b in blocks(page) if b.language == "python" and not b.directive]
    assert len(runnable) >= 30


CODE_PAGES = [page for page in PAGES if any(b.language == "python" for b in blocks(page))]


def run_pytest(directory: pathlib.Path, *args: str) -> subprocess.CompletedProcess:
    """pytest in a fresh interpreter (so it loads the installed plugin, and imports in this
    process are left alone), in ``directory``."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("page", CODE_PAGES, ids=_ids(CODE_PAGES))
def test_python_blocks_run(page, tmp_path, monkeypatch):
    page_blocks = [b for b in blocks(page) if b.language == "python"]
    name = f"docs_snippets_{page.stem.replace('-', '_')}"
    module = types.ModuleType(name)
    module.__file__ = str(page)
    monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.chdir(ROOT)
    for block in page_blocks:
        code = block.compiled()
        if block.directive == "no-run":
            continue
        if block.directive == "pytest":
            test_file = tmp_path / f"test_{page.stem.replace('-', '_')}_{block.line}.py"
            test_file.write_text(block.code)
            completed = run_pytest(tmp_path, test_file.name)
            summary = completed.stdout.strip().splitlines()[-1] if completed.stdout.strip() else ""
            assert completed.returncode == 0 and re.fullmatch(r"\d+ passed in .*", summary), (
                f"{page.name}:{block.line}: pytest exited {completed.returncode}\n"
                f"{completed.stdout}\n{completed.stderr}"
            )
            continue
        exec(code, module.__dict__)  # noqa: S102 - the guide's own code


def _cli_lines(page: pathlib.Path) -> list[tuple[int, list[str]]]:
    lines = []
    for block in blocks(page):
        if block.language not in ("bash", "sh", "console", "shell"):
            continue
        text = block.code.replace("\\\n", " ")
        for offset, raw in enumerate(text.split("\n")):
            words = shlex.split(raw, comments=True)
            if words and words[-1] == "&":
                words.pop()
            if words and words[0] == "lambda-durable":
                lines.append((block.line + offset, words[1:]))
    return lines


CLI_LINES = [(page, line, argv) for page in PAGES for line, argv in _cli_lines(page)]


@pytest.mark.parametrize(
    ("page", "line", "argv"), CLI_LINES, ids=[f"{p.stem}:{line}" for p, line, _ in CLI_LINES]
)
def test_cli_command_lines_are_valid(page, line, argv):
    from lambda_durable.cli import _build_parser

    parser = _build_parser()
    try:
        parser.parse_args(argv)
    except SystemExit as exit_:
        pytest.fail(f"{page.name}:{line}: `lambda-durable {shlex.join(argv)}` does not parse ({exit_})")
    if argv[0] != "run" or "--store" in argv:  # a stored run would leave files behind
        return
    completed = subprocess.run(
        [sys.executable, "-m", "lambda_durable.cli", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, f"{page.name}:{line}\n{completed.stdout}\n{completed.stderr}"


def test_every_page_is_in_the_nav():
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())

    def files(nav):
        for entry in nav:
            if isinstance(entry, str):
                yield entry
            else:
                for value in entry.values():
                    yield from files(value) if isinstance(value, list) else [value]

    assert sorted(files(config["nav"])) == sorted(page.name for page in PAGES)


def test_the_operations_page_calls_every_operation():
    called = set()
    for block in blocks(DOCS / "operations.md"):
        if block.language != "python" or block.directive:
            continue
        for node in ast.walk(ast.parse(block.code)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                called.add(node.func.attr)
    operations = {
        "step", "wait", "create_callback", "wait_for_callback", "wait_for_condition", "invoke",
        "run_in_child_context", "map", "parallel", "all", "all_settled", "any", "race",
    }
    assert operations - called == set()


# An official-style test module (imports of aws-durable-execution-sdk-python and its testing
# package, the marker and fixture their conftest provides): after the guide's migration command,
# it must pass on lambda_durable with no conftest.
OFFICIAL_STYLE_TEST = '''
import json

import pytest
from aws_durable_execution_sdk_python import DurableContext, durable_execution, durable_step
from aws_durable_execution_sdk_python.config import Duration
from aws_durable_execution_sdk_python.execution import InvocationStatus
from aws_durable_execution_sdk_python.serdes import ExtendedTypeSerDes
from aws_durable_execution_sdk_python_testing.model import OperationType
from aws_durable_execution_sdk_python_testing.runner import DurableFunctionTestRunner


@durable_step
def double(step, x):
    return 2 * x


@durable_execution
def handler(event, context: DurableContext):
    value = context.step(double(event["x"]))
    context.wait(Duration.from_seconds(10), name="pause")
    return context.run_in_child_context(lambda ctx: ctx.step(lambda _: value + 1, name="inc"), name="child")


@pytest.mark.durable_execution(handler=handler, lambda_function_name="doubler")
def test_handler(durable_runner):
    assert isinstance(durable_runner, DurableFunctionTestRunner)
    with durable_runner:
        result = durable_runner.run(input={"x": 20}, timeout=10)
    assert result.status is InvocationStatus.SUCCEEDED
    assert json.loads(result.result) == 41
    assert ExtendedTypeSerDes().deserialize(result.get_step("double").result) == 40
    contexts = [op for op in result.operations if op.operation_type is OperationType.CONTEXT]
    assert [op.name for op in contexts] == ["child"]
'''


def test_the_migration_command_ports_an_official_style_test(tmp_path):
    [command] = [b.code.strip() for b in blocks(DOCS / "migration.md") if b.language == "bash"]
    (tmp_path / "test_ported.py").write_text(OFFICIAL_STYLE_TEST)
    subprocess.run(["bash", "-c", command], cwd=tmp_path, check=True, timeout=60)
    ported = (tmp_path / "test_ported.py").read_text()
    assert "aws_durable" not in ported and "from lambda_durable.testing import" in ported
    completed = run_pytest(tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.strip().splitlines()[-1].startswith("1 passed")
