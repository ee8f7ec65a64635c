"""lambda_durable.filesystem_serdes: references and files compatible with the official SDK 3.0.0.

``OFFICIAL`` holds what ``aws_durable_execution_sdk_python.filesystem_serdes.FileSystemSerDes``
(3.0.0) returned and wrote for the same values, with ``base_path="BASE"``: the checkpointed
reference string and the file's content. lambda_durable must write the same references and files,
and read the official's.
"""
from __future__ import annotations

import datetime
import decimal
import json
import os
import threading

import pytest

from lambda_durable import serdes as serdes_module
from lambda_durable.exceptions import SerDesError
from lambda_durable.filesystem_serdes import (
    CHECKPOINT_SIZE_LIMIT_BYTES,
    FileSystemPathEncoding,
    FileSystemSerDes,
    FileSystemSerDesConfig,
    FileSystemSerDesMode,
    GeneratePreview,
)
from lambda_durable.preview import PreviewConfig, PreviewField, PreviewMode, build_preview
from lambda_durable.serdes import EXTENDED_TYPES_SERDES, JsonSerDes, SerDesContext

ARN = "arn:aws:lambda:us-east-1:123456789012:function:my-fn:$LATEST/durable-execution/exec-1/inv-1"
LOOSE_ARN = "arn:aws-cn:lambda:cn-north-1:1:function:fn.x:alias/durable-execution/e.1/i"
VALUE = {
    "id": 7,
    "ssn": "123",
    "when": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
    "amt": decimal.Decimal("1.10"),
    "name": "\u00fc",
}
VALUE_FILE = (
    '{"t":"m","v":{"id":{"t":"i","v":7},"ssn":{"t":"s","v":"123"},'
    '"when":{"t":"dt","v":"2024-01-02T03:04:05+00:00"},"amt":{"t":"d","v":"1.10"},'
    '"name":{"t":"s","v":"\\u00fc"}}}'
)


def preview(value):
    config = PreviewConfig(
        mode=PreviewMode.EXCLUDE_ALL, include=[PreviewField("id")], mask=[PreviewField("ssn")]
    )
    return build_preview(value, config)


HASH = FileSystemSerDesConfig(path_encoding=FileSystemPathEncoding.HASH)
OVERFLOW = FileSystemSerDesMode.OVERFLOW

# label, config, arn, operation id, value, official reference, official file content
OFFICIAL = [
    ("uri", None, ARN, "op/1 \u00fc", VALUE,
     '{"file": "BASE/my-fn/exec-1/inv-1/op%2F1%20%C3%BC.json"}', VALUE_FILE),
    ("hash", HASH, ARN, "c4ca4238", [1, "a"],
     '{"file": "BASE/da2475e522f3ac3dda060e30d420d5c814e76c4d4340d5b720aff1e12ca58d4c/'
     'a97063a62cb808664e52be14cda240154acab655e89d872c4f6c67925bfe02b9.json"}',
     '[1,"a"]'),
    ("weird_arn", None, "weird:arn/x", "x", "v", '{"file": "BASE/weird%3Aarn%2Fx/x.json"}', '"v"'),
    ("loose_arn", None, LOOSE_ARN, "0-1", None, '{"file": "BASE/fn.x/e.1/i/0-1.json"}', "null"),
    ("preview", FileSystemSerDesConfig(generate_preview=preview), ARN, "p", VALUE,
     '{"file": "BASE/my-fn/exec-1/inv-1/p.json", "preview": {"id": 7, "ssn": "***"}}', VALUE_FILE),
    ("preview_empty", FileSystemSerDesConfig(generate_preview=lambda v: {}), ARN, "pe", {"a": 1},
     '{"file": "BASE/my-fn/exec-1/inv-1/pe.json"}', '{"t":"m","v":{"a":{"t":"i","v":1}}}'),
    ("overflow_small", FileSystemSerDesConfig(storage_mode=OVERFLOW, generate_preview=preview), ARN, "o",
     VALUE, json.dumps({"data": VALUE_FILE}), None),
    ("overflow_none", FileSystemSerDesConfig(storage_mode=OVERFLOW), ARN, "on", None,
     '{"data": "null"}', None),
]


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("case", OFFICIAL, ids=[c[0] for c in OFFICIAL])
def test_writes_what_official_writes(in_tmp, case):
    label, config, arn, op_id, value, reference, content = case
    fs = FileSystemSerDes("BASE", config)
    ctx = SerDesContext(operation_id=op_id, durable_execution_arn=arn)
    got = fs.serialize(value, ctx)
    assert got == reference
    envelope = json.loads(got)
    if content is None:
        assert "file" not in envelope
        assert not (in_tmp / "BASE").exists()
    else:
        with open(envelope["file"], encoding="utf-8") as handle:
            assert handle.read() == content
        # nothing else left behind (no temporary files)
        files = [os.path.join(d, f) for d, _, fs_ in os.walk("BASE") for f in fs_]
        assert files == [envelope["file"]]
    assert fs.deserialize(got, ctx) == value


@pytest.mark.parametrize("case", OFFICIAL, ids=[c[0] for c in OFFICIAL])
def test_reads_what_official_wrote(in_tmp, case):
    label, config, arn, op_id, value, reference, content = case
    envelope = json.loads(reference)
    if content is not None:
        os.makedirs(os.path.dirname(envelope["file"]), exist_ok=True)
        with open(envelope["file"], "w", encoding="utf-8") as handle:
            handle.write(content)
    # the reader's own config does not matter: the reference says where the value is
    fs = FileSystemSerDes("elsewhere")
    ctx = SerDesContext(operation_id="unrelated", durable_execution_arn="arn:other")
    assert fs.deserialize(reference, ctx) == value


def test_defaults_and_enums():
    config = FileSystemSerDesConfig()
    assert config.storage_mode is FileSystemSerDesMode.ALWAYS
    assert config.path_encoding is FileSystemPathEncoding.URI
    assert config.generate_preview is None
    assert config.serdes is EXTENDED_TYPES_SERDES
    assert CHECKPOINT_SIZE_LIMIT_BYTES == 262_144
    assert FileSystemSerDesMode("OVERFLOW") == "OVERFLOW"
    assert FileSystemPathEncoding.HASH == "HASH"
    assert isinstance(FileSystemSerDes("x"), serdes_module.SerDes)
    assert GeneratePreview is not None


def test_overflow_threshold_is_checkpoint_limit_minus_1kib(tmp_path):
    """Official boundary: a string of 261,104 'x' stays inline (261,120-byte envelope), one more
    character overflows to a file."""
    fs = FileSystemSerDes(str(tmp_path), FileSystemSerDesConfig(storage_mode=OVERFLOW))
    ctx = SerDesContext(operation_id="big", durable_execution_arn=ARN)
    inline = fs.serialize("x" * 261_104, ctx)
    assert len(inline.encode()) == CHECKPOINT_SIZE_LIMIT_BYTES - 1024
    assert json.loads(inline) == {"data": json.dumps("x" * 261_104)}
    overflow = fs.serialize("x" * 261_105, ctx)
    assert json.loads(overflow) == {"file": str(tmp_path / "my-fn/exec-1/inv-1/big.json")}
    assert fs.deserialize(overflow, ctx) == "x" * 261_105


def test_overflow_counts_utf8_bytes_of_escaped_envelope(tmp_path):
    fs = FileSystemSerDes(str(tmp_path), FileSystemSerDesConfig(storage_mode=OVERFLOW))
    ctx = SerDesContext(operation_id="u", durable_execution_arn=ARN)
    # each "\u20ac" is escaped twice (inner serdes, then the envelope): 7 bytes per character
    small = fs.serialize("\u20ac" * 37_000, ctx)
    assert "data" in json.loads(small)
    big = fs.serialize("\u20ac" * 37_400, ctx)
    assert "file" in json.loads(big)
    assert fs.deserialize(big, ctx) == "\u20ac" * 37_400


def test_overflow_preview_only_with_file(tmp_path):
    fs = FileSystemSerDes(
        str(tmp_path), FileSystemSerDesConfig(storage_mode=OVERFLOW, generate_preview=lambda v: {"n": len(v)})
    )
    ctx = SerDesContext(operation_id="p", durable_execution_arn=ARN)
    assert "preview" not in json.loads(fs.serialize("s", ctx))
    big = json.loads(fs.serialize("y" * 300_000, ctx))
    assert big["preview"] == {"n": 300_000} and "file" in big


def test_always_overwrites_same_operation(tmp_path):
    fs = FileSystemSerDes(str(tmp_path))
    ctx = SerDesContext(operation_id="same", durable_execution_arn=ARN)
    first = fs.serialize(1, ctx)
    second = fs.serialize({"v": 2}, ctx)
    assert first == second
    assert fs.deserialize(first, ctx) == {"v": 2}


def test_distinct_operations_and_executions_get_distinct_files(tmp_path):
    fs = FileSystemSerDes(str(tmp_path))
    refs = set()
    for arn in (ARN, ARN.replace("inv-1", "inv-2"), ARN.replace("exec-1", "exec-2")):
        for op in ("a", "b", "A"):
            refs.add(fs.serialize(op, SerDesContext(op, arn)))
    assert len(refs) == 9


def test_hash_paths_fixed_length(tmp_path):
    fs = FileSystemSerDes(str(tmp_path), HASH)
    ref = json.loads(fs.serialize("v", SerDesContext("o" * 500, "weird/../arn")))
    rel = os.path.relpath(ref["file"], tmp_path)
    directory, name = os.path.split(rel)
    assert len(directory) == 64 and name == name[:64] + ".json" and len(name) == 69


def test_dot_segments_never_leave_base_path(tmp_path):
    base = tmp_path / "base"
    fs = FileSystemSerDes(str(base))
    arn = "arn:aws:lambda:us-east-1:1:function:f:1/durable-execution/../.."
    ref = json.loads(fs.serialize("v", SerDesContext("x", arn)))
    real = os.path.realpath(ref["file"])
    assert real.startswith(str(base.resolve()) + os.sep)
    assert fs.deserialize(json.dumps(ref), SerDesContext("x", arn)) == "v"


def test_custom_inner_serdes(tmp_path):
    fs = FileSystemSerDes(str(tmp_path), FileSystemSerDesConfig(serdes=JsonSerDes()))
    ctx = SerDesContext("j", ARN)
    ref = fs.serialize({"a": [1, 2]}, ctx)
    with open(json.loads(ref)["file"], encoding="utf-8") as handle:
        assert json.loads(handle.read()) == {"a": [1, 2]}
    assert fs.deserialize(ref, ctx) == {"a": [1, 2]}


def test_bad_envelope_is_a_serdes_error(tmp_path):
    fs = FileSystemSerDes(str(tmp_path))
    ctx = SerDesContext("x", ARN)
    for text in ('"profile"', "[1]", '{"other": 1}'):
        with pytest.raises(SerDesError):
            fs.deserialize(text, ctx)
    with pytest.raises(FileNotFoundError):
        fs.deserialize(json.dumps({"file": str(tmp_path / "missing.json")}), ctx)


def test_concurrent_writers_leave_a_whole_file(tmp_path):
    fs = FileSystemSerDes(str(tmp_path))
    ctx = SerDesContext("race", ARN)
    values = [{"w": i, "pad": "z" * 20_000} for i in range(8)]
    threads = [threading.Thread(target=fs.serialize, args=(v, ctx)) for v in values]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ref = json.dumps({"file": str(tmp_path / "my-fn/exec-1/inv-1/race.json")})
    assert fs.deserialize(ref, ctx) in values
    assert sorted(os.listdir(tmp_path / "my-fn/exec-1/inv-1")) == ["race.json"]


def test_usable_through_module_helpers(tmp_path):
    fs = FileSystemSerDes(str(tmp_path))
    text = serdes_module.serialize(fs, {"k": (1, 2)}, "op-9", ARN)
    assert json.loads(text)["file"].endswith("op-9.json")
    assert serdes_module.deserialize(fs, text, "op-9", ARN) == {"k": (1, 2)}
