"""``lambda-durable package-layer``: build an AWS Lambda layer ZIP holding lambda_durable.

    lambda-durable package-layer [--arch x86_64|arm64] [--python 3.13] [--wheel PATH]...
                                 [--find-links DIR]... [--no-index] [--no-deps] OUT.zip

The layer is what ``pip install --target`` puts in a directory for the Lambda platform (CPython
``--python`` on manylinux for ``--arch``, binary wheels only, so nothing is compiled on this
machine), zipped under ``python/``: Lambda extracts layers to ``/opt`` and puts ``/opt/python`` on
``sys.path``. By default it installs ``lambda-durable`` at the version running this command, plus
its dependencies (orjson, boto3), from the package index. ``--wheel PATH`` installs local wheel
files instead (e.g. one of the wheels built by cibuildwheel); ``--find-links DIR`` lets pip pick the
right wheel from a directory of wheels (a ``wheelhouse``).

The manylinux tags accepted are those the runtime's glibc runs: 2.26 for ``python3.11`` (Amazon
Linux 2), 2.34 for ``python3.12`` and later (Amazon Linux 2023). Bytecode caches and pip's
``bin/`` scripts are left out; entries are sorted and dated 1980-01-01, so the same wheels give the
same ZIP.

Exit codes: 0 the layer was written; 1 a bad option, a pip failure (its ``ERROR:`` lines are
shown), a layer without ``lambda_durable`` or one above Lambda's 250 MB unzipped limit (nothing
is written then).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
from typing import Any, Sequence

PROG = "lambda-durable"

#: Lambda architecture name -> the machine name in manylinux tags and extension suffixes.
ARCHITECTURES = {"x86_64": "x86_64", "arm64": "aarch64"}
DEFAULT_ARCH = "x86_64"
#: Python version of the layer when ``--python`` is not given (a runtime with durable functions).
DEFAULT_PYTHON = "3.13"
#: Oldest Python the package supports (``requires-python``).
MIN_PYTHON_MINOR = 11
#: Directory inside the ZIP that Lambda puts on ``sys.path`` (``/opt/python``).
LAYER_PREFIX = "python"
#: Largest unzipped size of a function with all its layers (bytes: Lambda's 250 MB, 262,144,000).
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024
_MIB = 1024 * 1024
#: glibc (major, minor) of the Lambda runtimes: python3.11 runs on Amazon Linux 2, later on AL2023.
_GLIBC_AL2 = (2, 26)
_GLIBC_AL2023 = (2, 34)
#: Oldest manylinux_2_x tag spelled out in the list of accepted platforms (manylinux2014).
_MIN_GLIBC_MINOR = 17
#: A fixed timestamp for every ZIP entry (the earliest a ZIP can store), for reproducible layers.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_PYTHON_VERSION = re.compile(r"3\.(\d+)")
_SKIPPED_DIRS = {"__pycache__"}


class LayerError(Exception):
    """A layer cannot be built; the message is one line for the user."""


@dataclasses.dataclass(frozen=True)
class LayerReport:
    """What :func:`build_layer` wrote.

    ``files`` and ``unzipped_bytes`` count the ZIP's entries and their uncompressed size;
    ``zipped_bytes`` is the ZIP file's size; ``compiled`` lists the compiled-core modules found for
    the target (e.g. ``["_ids_c", ...]``) and ``pure`` those that will run as pure Python there.
    """

    path: str
    arch: str
    python: str
    version: str | None
    files: int
    unzipped_bytes: int
    zipped_bytes: int
    compiled: list[str]
    pure: list[str]


def platform_tags(arch: str, python: str) -> list[str]:
    """pip ``--platform`` values for a Lambda runtime: ``manylinux2014_<machine>`` (pip adds
    manylinux2010 and manylinux1) and every ``manylinux_2_<m>_<machine>`` up to the runtime's glibc.

    ``arch`` is ``x86_64`` or ``arm64``; ``python`` is ``"3.<minor>"``. Raises :class:`LayerError`
    for anything else.
    """
    machine = _machine(arch)
    minor = _python_minor(python)
    glibc = _GLIBC_AL2 if minor <= 11 else _GLIBC_AL2023
    tags = [f"manylinux2014_{machine}"]
    tags += [f"manylinux_2_{m}_{machine}" for m in range(_MIN_GLIBC_MINOR, glibc[1] + 1)]
    return tags


def pip_command(
    target: str,
    *,
    arch: str = DEFAULT_ARCH,
    python: str = DEFAULT_PYTHON,
    wheels: Sequence[str] = (),
    find_links: Sequence[str] = (),
    no_index: bool = False,
    no_deps: bool = False,
    requirement: str | None = None,
) -> list[str]:
    """The ``pip install --target TARGET`` argv that fills a layer directory for the platform.

    Installs ``wheels`` (local ``.whl`` paths) when given, else ``requirement`` (default:
    :func:`default_requirement`). Binary wheels only (``--only-binary=:all:``), no bytecode.
    """
    cmd = [
        sys.executable, "-m", "pip", "install",
        "--target", target,
        "--implementation", "cp",
        "--python-version", python,
        "--only-binary=:all:",
        "--no-compile",
        "--disable-pip-version-check",
        "--no-input",
    ]
    for tag in platform_tags(arch, python):
        cmd += ["--platform", tag]
    for location in find_links:
        cmd += ["--find-links", location]
    if no_index:
        cmd.append("--no-index")
    if no_deps:
        cmd.append("--no-deps")
    cmd += list(wheels) if wheels else [requirement or default_requirement()]
    return cmd


def default_requirement() -> str:
    """``lambda-durable==<the installed version>``, or ``lambda-durable`` when it has no metadata."""
    from importlib import metadata

    try:
        return f"lambda-durable=={metadata.version('lambda-durable')}"
    except metadata.PackageNotFoundError:
        return "lambda-durable"


def build_layer(
    out: str,
    *,
    arch: str = DEFAULT_ARCH,
    python: str = DEFAULT_PYTHON,
    wheels: Sequence[str] = (),
    find_links: Sequence[str] = (),
    no_index: bool = False,
    no_deps: bool = False,
    requirement: str | None = None,
) -> LayerReport:
    """Build the layer ZIP ``out`` (a path ending in ``.zip``; its directory is created).

    Runs pip (see :func:`pip_command`) into a temporary directory, checks ``lambda_durable`` is
    there, zips it under ``python/`` and replaces ``out`` only when everything succeeded.
    Raises :class:`LayerError` on a bad argument, a pip failure, a missing ``lambda_durable`` or a
    layer above :data:`MAX_UNZIPPED_BYTES`.
    """
    import importlib.util
    import subprocess
    import tempfile

    _machine(arch)
    _python_minor(python)
    if not out.endswith(".zip"):
        raise LayerError(f"the layer file must end with .zip: {out}")
    if os.path.isdir(out):
        raise LayerError(f"the layer file is a directory: {out}")
    for wheel in wheels:
        if not wheel.endswith(".whl"):
            raise LayerError(f"--wheel expects a wheel file (*.whl): {wheel}")
        if not os.path.isfile(wheel):
            raise LayerError(f"no such wheel: {wheel}")
    for location in find_links:
        if "://" not in location and not os.path.exists(location):
            raise LayerError(f"--find-links: no such directory: {location}")
    if importlib.util.find_spec("pip") is None:
        raise LayerError(f"pip is not installed for {sys.executable} (python -m ensurepip)")

    with tempfile.TemporaryDirectory(prefix="lambda-durable-layer-") as scratch:
        target = os.path.join(scratch, LAYER_PREFIX)
        cmd = pip_command(
            target, arch=arch, python=python, wheels=[os.path.abspath(w) for w in wheels],
            find_links=find_links, no_index=no_index, no_deps=no_deps, requirement=requirement,
        )
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise LayerError(_pip_failure(proc.stdout + proc.stderr, arch, python))
        package = os.path.join(target, "lambda_durable")
        if not os.path.isfile(os.path.join(package, "__init__.py")):
            raise LayerError("the layer has no lambda_durable package: give its wheel with --wheel "
                             "or a directory holding it with --find-links")
        compiled, pure = _core_modules(package, arch, python)
        files = _layer_files(scratch)
        unzipped = sum(os.path.getsize(os.path.join(scratch, f)) for f in files)
        if unzipped > MAX_UNZIPPED_BYTES:
            raise LayerError(f"the layer would be {unzipped / _MIB:.1f} MiB unzipped, above Lambda's "
                             f"{MAX_UNZIPPED_BYTES / _MIB:.0f} MiB limit for a function and its layers")
        directory = os.path.dirname(os.path.abspath(out))
        os.makedirs(directory, exist_ok=True)
        partial = tempfile.NamedTemporaryFile(dir=directory, prefix=".layer-", suffix=".zip", delete=False)
        try:
            with partial:
                _write_zip(partial, scratch, files)
            os.replace(partial.name, out)
        except BaseException:
            os.unlink(partial.name)
            raise
    return LayerReport(
        path=out, arch=arch, python=python, version=_installed_version(files),
        files=len(files), unzipped_bytes=unzipped, zipped_bytes=os.path.getsize(out),
        compiled=compiled, pure=pure,
    )


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``package-layer`` to the ``lambda-durable`` subparsers; returns its parser."""
    parser = subparsers.add_parser(
        "package-layer",
        help="build a Lambda layer ZIP of lambda-durable and its dependencies",
        description="Build an AWS Lambda layer ZIP (everything under python/) with pip install "
        "--target for the Lambda platform: CPython --python on manylinux for --arch, binary wheels "
        "only. Installs lambda-durable at this version from the package index, or the local "
        "wheels given with --wheel.",
        epilog="exit codes: 0 the layer was written; 1 bad option, pip failure, no lambda_durable "
        "in the layer, or above Lambda's 250 MB unzipped limit (nothing written)",
    )
    parser.add_argument("out", metavar="OUT.zip", help="the layer file to write")
    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default=DEFAULT_ARCH,
                        help=f"Lambda architecture of the function (default: {DEFAULT_ARCH})")
    parser.add_argument("--python", default=DEFAULT_PYTHON, metavar="3.X",
                        help=f"Python version of the Lambda runtime (default: {DEFAULT_PYTHON})")
    parser.add_argument("--wheel", action="append", default=[], metavar="PATH",
                        help="install this local wheel instead of lambda-durable from the index "
                        "(its tags must fit --python and --arch, or be py3-none-any); repeatable")
    parser.add_argument("--find-links", action="append", default=[], metavar="DIR",
                        help="also look for wheels in DIR (e.g. cibuildwheel's wheelhouse); repeatable")
    parser.add_argument("--no-index", action="store_true",
                        help="do not use the package index (dependencies must come from "
                        "--wheel/--find-links, or use --no-deps)")
    parser.add_argument("--no-deps", action="store_true",
                        help="leave out the dependencies (orjson, boto3), e.g. when another layer "
                        "provides them")
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``package-layer`` for parsed ``args``; prints a summary (stdout) or one error line
    (stderr) and returns the exit code."""
    try:
        report = build_layer(
            args.out, arch=args.arch, python=args.python, wheels=args.wheel,
            find_links=args.find_links, no_index=args.no_index, no_deps=args.no_deps,
        )
    except LayerError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {report.path}: {report.files} files, {report.unzipped_bytes / _MIB:.1f} MiB unzipped, "
          f"{report.zipped_bytes / _MIB:.1f} MiB zipped")
    print(f"lambda-durable {report.version or '(unknown version)'} for python{report.python} on "
          f"{report.arch} (CompatibleRuntimes: python{report.python}, "
          f"CompatibleArchitectures: {report.arch})")
    if report.pure:
        which = ", ".join(report.compiled) if report.compiled else "no module"
        print(f"{PROG}: warning: the layer's compiled core covers {which}; "
              f"{', '.join(report.pure)} will run as pure Python (the wheel was not built for "
              f"cp{report.python.replace('.', '')} on {ARCHITECTURES[report.arch]})", file=sys.stderr)
    elif report.compiled:
        print(f"compiled core: {', '.join(report.compiled)}")
    else:
        print("compiled core: none (this lambda_durable ships no compiled modules)")
    return 0


# -- helpers --------------------------------------------------------------------------------------


def _machine(arch: str) -> str:
    try:
        return ARCHITECTURES[arch]
    except KeyError:
        raise LayerError(f"unknown architecture {arch!r}: use one of {', '.join(sorted(ARCHITECTURES))}") from None


def _python_minor(python: str) -> int:
    match = _PYTHON_VERSION.fullmatch(python)
    if not match or int(match.group(1)) < MIN_PYTHON_MINOR:
        raise LayerError(f"--python {python!r}: expected a version 3.{MIN_PYTHON_MINOR} or newer, "
                         "like 3.13 (lambda-durable needs Python >= 3.11)")
    return int(match.group(1))


def _pip_failure(output: str, arch: str, python: str) -> str:
    errors = [line.strip() for line in output.splitlines() if line.startswith("ERROR:")]
    message = "pip failed: " + ("; ".join(errors) if errors else (output.strip().splitlines() or ["no output"])[-1])
    if re.search(r"No matching distribution found for lambda[-_.]durable\b", output, re.IGNORECASE):
        message += " (give lambda-durable's wheel with --wheel PATH, or a directory of wheels with --find-links DIR)"
    elif "is not a supported wheel" in output or "No matching distribution" in output:
        abi = f"cp{python.replace('.', '')}"
        message += (f" (the layer needs wheels for CPython {python} on manylinux {ARCHITECTURES[arch]}: "
                    f"{abi}-{abi}-manylinux*_{ARCHITECTURES[arch]}.whl, or pure py3-none-any ones)")
    return message


def _core_modules(package: str, arch: str, python: str) -> tuple[list[str], list[str]]:
    """(compiled, pure): the compiled-core modules (each ships a ``.pyi`` stub) that have an
    extension built for the target, and those that do not."""
    suffix = f".cpython-3{_python_minor(python)}-{_machine(arch)}-linux-gnu.so"
    names = os.listdir(package)
    modules = sorted(n[: -len(".pyi")] for n in names if re.fullmatch(r"_\w+_c\.pyi", n))
    present = set(names)
    compiled = [m for m in modules if m + suffix in present]
    return compiled, [m for m in modules if m not in compiled]


def _layer_files(root: str) -> list[str]:
    """Files under ``root/python`` relative to ``root``, sorted, without bytecode caches and pip's
    ``bin/`` scripts (their shebangs name this machine's interpreter)."""
    files = []
    top = os.path.join(root, LAYER_PREFIX)
    for directory, dirs, names in os.walk(top):
        rel_dir = os.path.relpath(directory, root)
        dirs[:] = [d for d in dirs if d not in _SKIPPED_DIRS
                   and not (directory == top and d == "bin")]
        files += [os.path.join(rel_dir, n) for n in names if not n.endswith((".pyc", ".pyo"))]
    return sorted(f.replace(os.sep, "/") for f in files)


def _write_zip(stream, root: str, files: Sequence[str]) -> None:
    import zipfile

    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in files:
            path = os.path.join(root, name)
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.external_attr = (os.stat(path).st_mode & 0xFFFF) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as source:
                archive.writestr(info, source.read())


def _installed_version(files: Sequence[str]) -> str | None:
    """The version in the layer's ``lambda_durable-<version>.dist-info`` directory, if any."""
    for name in files:
        match = re.fullmatch(rf"{LAYER_PREFIX}/lambda_durable-([^/]+)\.dist-info/METADATA", name)
        if match:
            return match.group(1)
    return None
