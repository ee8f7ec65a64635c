"""``lambda-durable package-layer``: the pip command for the Lambda platform, the layer ZIP's layout
and the errors. pip runs for real on wheels built here, with ``--no-index``: no network."""
from __future__ import annotations

import base64
import hashlib
import os
import stat
import sys
import zipfile

import pytest

from lambda_durable import layer
from lambda_durable.cli import main

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="Lambda layers are built on Linux here")

MODULES = ("_ids_c", "_table_c")


def make_wheel(directory, name: str, version: str, tag: str, files: dict[str, bytes]) -> str:
    """Write a minimal valid wheel (METADATA, WHEEL, RECORD with hashes) and return its path."""
    dist_info = f"{name}-{version}.dist-info"
    pure = tag.startswith("py3-none-any")
    content = dict(files)
    content[f"{dist_info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: {version}\n".encode()
    content[f"{dist_info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: test_layer\nRoot-Is-Purelib: {'true' if pure else 'false'}\n"
        + "".join(f"Tag: {t}\n" for t in _expand(tag))
    ).encode()
    record = []
    for path, data in content.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    content[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = os.path.join(directory, f"{name}-{version}-{tag}.whl")
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in content.items():
            info = zipfile.ZipInfo(member)
            info.external_attr = (0o755 if member.endswith(".so") else 0o644) << 16
            archive.writestr(info, data)
    return path


def _expand(tag: str) -> list[str]:
    python, abi, platforms = tag.split("-")
    return [f"{python}-{abi}-{p}" for p in platforms.split(".")]


def core_wheel(directory, *, python: str = "313", machine: str = "x86_64", compiled=MODULES) -> str:
    """A lambda_durable wheel with the stubs of MODULES and extension files for ``compiled``."""
    files = {
        "lambda_durable/__init__.py": b"EXTENSIONS = True\n",
        "lambda_durable/py.typed": b"",
    }
    for module in MODULES:
        files[f"lambda_durable/{module}.pyi"] = b"def f() -> None: ...\n"
    for module in compiled:
        files[f"lambda_durable/{module}.cpython-{python}-{machine}-linux-gnu.so"] = b"\x7fELF not really"
    tag = f"cp{python}-cp{python}-manylinux_2_17_{machine}.manylinux2014_{machine}"
    return make_wheel(directory, "lambda_durable", "9.8.7", tag, files)


def entries(path: str) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


# -- the pip command ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arch", "python", "machine", "newest"),
    [("x86_64", "3.13", "x86_64", 34), ("arm64", "3.12", "aarch64", 34), ("arm64", "3.11", "aarch64", 26)],
)
def test_platform_tags_follow_the_runtime_glibc(arch, python, machine, newest):
    tags = layer.platform_tags(arch, python)
    assert tags[0] == f"manylinux2014_{machine}"
    assert tags[-1] == f"manylinux_2_{newest}_{machine}"
    assert f"manylinux_2_{newest + 1}_{machine}" not in tags
    assert all(t.endswith("_" + machine) for t in tags)


def test_pip_command_targets_the_lambda_platform_with_binary_wheels_only():
    cmd = layer.pip_command("/t/python", arch="arm64", python="3.13")
    assert cmd[:4] == [sys.executable, "-m", "pip", "install"]
    assert cmd[cmd.index("--target") + 1] == "/t/python"
    assert cmd[cmd.index("--python-version") + 1] == "3.13"
    assert cmd[cmd.index("--implementation") + 1] == "cp"
    assert "--only-binary=:all:" in cmd and "--no-compile" in cmd
    platforms = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--platform"]
    assert platforms == layer.platform_tags("arm64", "3.13")
    assert cmd[-1] == layer.default_requirement()
    assert "--no-index" not in cmd and "--no-deps" not in cmd


def test_pip_command_installs_local_wheels_instead_of_the_index_package():
    cmd = layer.pip_command("/t", wheels=["/w/a.whl"], find_links=["/wh"], no_index=True, no_deps=True)
    assert cmd[-1] == "/w/a.whl" and "lambda-durable" not in " ".join(cmd[-1:])
    assert cmd[cmd.index("--find-links") + 1] == "/wh"
    assert "--no-index" in cmd and "--no-deps" in cmd


def test_default_requirement_pins_the_running_version():
    from importlib import metadata

    assert layer.default_requirement() == f"lambda-durable=={metadata.version('lambda-durable')}"


# -- building a layer from local wheels -----------------------------------------------------------


def test_layer_from_a_local_wheel_puts_everything_under_python(tmp_path, capsys):
    wheel = core_wheel(tmp_path)
    helper = make_wheel(tmp_path, "helper_pkg", "1.0", "py3-none-any", {"helper_pkg/__init__.py": b"X = 1\n"})
    out = tmp_path / "out" / "layer.zip"  # the directory is created

    code = main(["package-layer", "--arch", "x86_64", "--python", "3.13", "--no-index", "--no-deps",
                 "--wheel", wheel, "--wheel", helper, str(out)])

    assert code == 0
    names = entries(str(out))
    assert names == sorted(names)
    assert all(n.startswith("python/") for n in names)
    assert "python/lambda_durable/__init__.py" in names
    assert "python/lambda_durable/_ids_c.cpython-313-x86_64-linux-gnu.so" in names
    assert "python/helper_pkg/__init__.py" in names
    assert "python/lambda_durable-9.8.7.dist-info/METADATA" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") or n.startswith("python/bin/") for n in names)
    with zipfile.ZipFile(out) as archive:
        info = archive.getinfo("python/lambda_durable/_ids_c.cpython-313-x86_64-linux-gnu.so")
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert stat.S_IMODE(info.external_attr >> 16) & 0o444 == 0o444
        assert archive.read("python/helper_pkg/__init__.py") == b"X = 1\n"
    report = capsys.readouterr()
    assert "lambda-durable 9.8.7 for python3.13 on x86_64" in report.out
    assert "compiled core: _ids_c, _table_c" in report.out
    assert report.err == ""
    assert [p.name for p in out.parent.iterdir()] == ["layer.zip"]  # no partial file left


def test_the_same_wheels_give_the_same_layer(tmp_path):
    wheel = core_wheel(tmp_path)
    first = layer.build_layer(str(tmp_path / "a.zip"), wheels=[wheel], no_index=True, no_deps=True)
    second = layer.build_layer(str(tmp_path / "b.zip"), wheels=[wheel], no_index=True, no_deps=True)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert first.compiled == ["_ids_c", "_table_c"] and first.pure == []
    assert first.files == second.files and first.unzipped_bytes == second.unzipped_bytes > 0


def test_a_wheel_without_the_targets_compiled_core_warns(tmp_path, capsys):
    wheel = core_wheel(tmp_path, compiled=("_ids_c",))
    code = main(["package-layer", "--no-index", "--no-deps", "--wheel", wheel, str(tmp_path / "l.zip")])
    assert code == 0
    err = capsys.readouterr().err
    assert "warning" in err and "_table_c will run as pure Python" in err


def test_a_wheel_for_another_architecture_is_refused_and_nothing_is_written(tmp_path, capsys):
    wheel = core_wheel(tmp_path, machine="x86_64")
    out = tmp_path / "layer.zip"
    code = main(["package-layer", "--arch", "arm64", "--no-index", "--no-deps", "--wheel", wheel, str(out)])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("lambda-durable: error: pip failed:")
    assert "is not a supported wheel" in err and "manylinux aarch64" in err
    assert not out.exists() and list(tmp_path.iterdir()) == [tmp_path / os.path.basename(wheel)]


def test_a_layer_without_lambda_durable_is_an_error(tmp_path, capsys):
    helper = make_wheel(tmp_path, "helper_pkg", "1.0", "py3-none-any", {"helper_pkg/__init__.py": b""})
    out = tmp_path / "layer.zip"
    assert main(["package-layer", "--no-index", "--no-deps", "--wheel", helper, str(out)]) == 1
    assert "no lambda_durable package" in capsys.readouterr().err
    assert not out.exists()


def test_an_oversized_layer_is_refused(tmp_path, monkeypatch):
    wheel = core_wheel(tmp_path)
    monkeypatch.setattr(layer, "MAX_UNZIPPED_BYTES", 10)
    with pytest.raises(layer.LayerError, match="above Lambda's"):
        layer.build_layer(str(tmp_path / "l.zip"), wheels=[wheel], no_index=True, no_deps=True)
    assert not (tmp_path / "l.zip").exists()


# -- option errors (no pip run) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--python", "3.10", "l.zip"], "expected a version 3.11 or newer"),
        (["--python", "python3.13", "l.zip"], "expected a version 3.11 or newer"),
        (["layer.tar"], "must end with .zip"),
        (["--wheel", "missing.whl", "l.zip"], "no such wheel: missing.whl"),
        (["--wheel", "setup.py", "l.zip"], "expects a wheel file"),
        (["--find-links", "no-such-dir", "l.zip"], "--find-links: no such directory"),
    ],
)
def test_bad_options_are_one_line_errors(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "setup.py").write_text("")
    assert main(["package-layer", *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith("lambda-durable: error: ") and message in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["setup.py"]


def test_an_unknown_architecture_is_rejected_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["package-layer", "--arch", "aarch64", "l.zip"])
    assert exit_info.value.code == 1
    assert "invalid choice: 'aarch64'" in capsys.readouterr().err
