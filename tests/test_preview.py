"""lambda_durable.preview: build_preview must behave exactly like the official SDK 3.0.0's.

Every expected value below (``CURATED`` and ``RANDOM_VECTORS``) was produced by running
``aws_durable_execution_sdk_python.preview.build_preview`` (3.0.0) on the same value and config.
"""
from __future__ import annotations

import dataclasses
import datetime
import json

import pytest

from lambda_durable.preview import (
    FieldMatchMode,
    PreviewConfig,
    PreviewField,
    PreviewMode,
    build_preview,
)

A, P = FieldMatchMode.ANYWHERE, FieldMatchMode.PATH

ORDER = {
    "id": 1,
    "user": {"name": "Ann", "email": "a@x", "address": {"city": "Oslo", "zip": "0150"}},
    "items": [{"sku": "A1", "qty": 2}, {"sku": "B2", "qty": 1, "meta": {"gift": True}}],
    "tags": ["x", "y"],
    "note": None,
    "total": 12.5,
}


def cfg(mode="INCLUDE_ALL", include=(), exclude=(), mask=(), **kw):
    def fields(items):
        return [PreviewField(n, m) for n, m in items]

    return PreviewConfig(
        mode=PreviewMode(mode), include=fields(include), exclude=fields(exclude), mask=fields(mask), **kw
    )


CURATED = [
    ("include_all", ORDER, cfg(),
     {"id": 1, "user": {"name": "Ann", "email": "a@x", "address": {"city": "Oslo", "zip": "0150"}},
      "items": {"sku": "B2", "qty": 1, "meta": {"gift": True}}, "note": None, "total": 12.5}),
    ("exclude_all_nothing", ORDER, cfg("EXCLUDE_ALL"), None),
    ("include_anywhere_dict", ORDER, cfg("EXCLUDE_ALL", include=[("user", A)]),
     {"user": {"name": "Ann", "email": "a@x", "address": {"city": "Oslo", "zip": "0150"}}}),
    ("include_path_dict_shows_nothing", ORDER, cfg("EXCLUDE_ALL", include=[("user", P)]), None),
    ("include_path_leaf", ORDER, cfg("EXCLUDE_ALL", include=[("user.address.city", P), ("id", P)]),
     {"id": 1, "user": {"address": {"city": "Oslo"}}}),
    ("include_anywhere_in_lists", ORDER, cfg("EXCLUDE_ALL", include=[("sku", A)]), {"items": {"sku": "B2"}}),
    ("exclude_wins_over_mask", ORDER, cfg(exclude=[("email", A)], mask=[("email", A)]),
     {"id": 1, "user": {"name": "Ann", "address": {"city": "Oslo", "zip": "0150"}},
      "items": {"sku": "B2", "qty": 1, "meta": {"gift": True}}, "note": None, "total": 12.5}),
    ("mask_dict_whole", ORDER, cfg(mask=[("address", A)], mask_string="<hidden>"),
     {"id": 1, "user": {"name": "Ann", "email": "a@x", "address": "<hidden>"},
      "items": {"sku": "B2", "qty": 1, "meta": {"gift": True}}, "note": None, "total": 12.5}),
    ("mask_implies_visible", ORDER, cfg("EXCLUDE_ALL", mask=[("email", A)], include=[("id", A)]),
     {"id": 1, "user": {"email": "***"}}),
    ("exclude_subtree", ORDER, cfg(exclude=[("user", P), ("items", A)]), {"id": 1, "note": None, "total": 12.5}),
    ("exclude_path_nested", ORDER, cfg(exclude=[("user.address", P)]),
     {"id": 1, "user": {"name": "Ann", "email": "a@x"},
      "items": {"sku": "B2", "qty": 1, "meta": {"gift": True}}, "note": None, "total": 12.5}),
    ("budget_cuts", ORDER, cfg(max_preview_bytes=40), {"id": 1, "user": {"name": "Ann"}}),
    ("budget_exact", {"a": 1, "b": 2}, cfg(max_preview_bytes=14), {"a": 1, "b": 2}),
    ("budget_exact_minus", {"a": 1, "b": 2}, cfg(max_preview_bytes=13), {"a": 1}),
    ("budget_too_small", {"a": 1}, cfg(max_preview_bytes=7), None),
    ("budget_unicode", {"k": "\u00fc\u00fc", "n": 1}, cfg(max_preview_bytes=20), None),
    ("budget_unicode_key", {"\u00fc": 1, "n": 1}, cfg(max_preview_bytes=10), {"\u00fc": 1}),
    ("dotted_keys_skipped", {"a.b": 1, "c": {"d.e": 2, "f": 3}}, cfg(), {"c": {"f": 3}}),
    ("non_str_keys", {1: "one", True: "t", None: "n"}, cfg(), {"1": "t", "None": "n"}),
    ("empty_key", {"": {"x": 1}, "y": {"": 2}}, cfg(), {"x": 1, "y": {"": 2}}),
    ("list_overwrite", {"items": [{"a": {"b": 1}}, {"a": 2}]}, cfg(), {"items": {"a": 2}}),
    ("list_overwrite_rev", {"items": [{"a": 2}, {"a": {"b": 1}}]}, cfg(), {"items": {"a": {"b": 1}}}),
    ("nested_lists", {"m": [[{"a": 1}], [{"b": 2}, 3]]}, cfg(), {"m": {"a": 1, "b": 2}}),
    ("empty_containers", {"a": {}, "b": [], "c": 0}, cfg(), {"c": 0}),
    ("all_excluded", {"a": 1}, cfg(exclude=[("a", A)]), None),
    ("empty_dict", {}, cfg(), None),
    ("not_dict_list", [{"a": 1}], cfg(), None),
    ("not_dict_str", "x", cfg(), None),
    ("not_dict_none", None, cfg(), None),
    ("anywhere_dotted_name_never_matches", {"a": {"b": 1}, "c": 2}, cfg("EXCLUDE_ALL", include=[("a.b", A)]), None),
    ("path_dotted_name", {"a": {"b": 1}, "c": 2}, cfg("EXCLUDE_ALL", include=[("a.b", P)]), {"a": {"b": 1}}),
    ("mask_path_in_list", {"items": [{"card": "1234"}, {"card": "5678"}]}, cfg(mask=[("items.card", P)]),
     {"items": {"card": "***"}}),
    ("mask_non_str", {"n": 5}, cfg(mask=[("n", A)], mask_string="X"), {"n": "X"}),
    ("floats_bools_null", {"f": 1e100, "t": True, "z": None, "s": 'q"uote'}, cfg(),
     {"f": 1e100, "t": True, "z": None, "s": 'q"uote'}),
]


@pytest.mark.parametrize("label,value,config,expected", CURATED, ids=[c[0] for c in CURATED])
def test_curated_vectors(label, value, config, expected):
    got = build_preview(value, config)
    assert got == expected
    # same key order as the official (it is what ends up in the checkpoint)
    assert json.dumps(got) == json.dumps(expected)


# [value, [mode I/E, include, exclude, mask, max_preview_bytes], official result]; A/P = match mode
RANDOM_VECTORS = json.loads("""[
    [{"b":1,"a":[],"name":{"a":true}},["I",[],[],[["tags","A"],["b","A"]],40],{"b":"***","name":{"a":true}}],
    [{"name":{"x.y":{},"tags":null,"user":{}},"a":{"":{"name":null,"a":null,"b":true},"a":null},"b":{"user":[true,null,true],"tags":{"name":true,"b":"s"},"a":{"name":"s"}}},["E",[["","P"],["name","A"]],[["a.b","P"]],[["tags","P"]],4096],{"name":{"tags":null},"a":{"":{"name":null}},"b":{"tags":{"name":true},"a":{"name":"s"}}}],
    [{"":"s","a":[null,{},"s"],"x.y":"s"},["E",[],[["x.y","P"],["","P"]],[],4096],null],
    [{"user":{},"b":null,"":"s","x.y":"\u00fc"},["E",[],[["a.b","A"],["a.b","P"]],[["b","P"],["a.b","P"]],4096],{"b":"***"}],
    [{"tags":{"x.y":[true]},"":[{"":1,"tags":null}]},["I",[["","P"],["","P"]],[],[],4096],{"":1,"tags":null}],
    [{"":"s"},["I",[],[["user.name","A"],["user.name","P"]],[],40],{"":"s"}],
    [{"a":1,"x.y":{"user":["s"]}},["I",[["user","P"]],[["user","P"],["x.y","P"]],[],4096],{"a":1}],
    [{"user":1},["I",[["b","A"]],[["x.y","A"],["name","P"]],[],25],{"user":1}],
    [{"name":{"x.y":[],"tags":1},"a":1,"tags":null},["E",[],[["a.b","P"],["","A"]],[["a","A"]],25],{"a":"***"}],
    [{"x.y":"\u00fc","":1,"b":"s"},["I",[["x.y","A"]],[["user.name","A"]],[["","A"]],25],{"":"***","b":"s"}],
    [{"a":"\u00fc"},["I",[["user.name","A"],["user.name","A"]],[["tags","P"],["a.b","P"]],[["x.y","A"],["user","P"]],4096],{"a":"\u00fc"}],
    [{"user":[],"tags":1},["E",[["name","A"]],[],[["tags","P"],["user","P"]],4096],{"user":"***","tags":"***"}],
    [{"b":true,"a":null,"x.y":1,"name":"s"},["I",[["tags","A"]],[["x.y","A"]],[],40],{"b":true,"a":null,"name":"s"}],
    [{"a":1},["I",[["a","P"]],[],[["x.y","A"]],4096],{"a":1}],
    [{"":[{"b":"\u00fc","":"\u00fc"},"\u00fc",{}],"tags":{"a":"s"}},["E",[],[["user.name","A"]],[["a","A"],["user.name","P"]],4096],{"tags":{"a":"***"}}],
    [{"user":true},["I",[["user.name","P"],["tags","A"]],[],[],40],{"user":true}],
    [{"b":{"name":[true,"s"]}},["I",[["user.name","P"]],[["name","P"]],[["tags","P"]],4096],null],
    [{"name":null},["I",[],[["tags","P"],["tags","A"]],[["x.y","P"]],4096],{"name":null}],
    [{"name":{"b":{"a":"s"},"user":true},"user":[],"b":true,"x.y":{}},["E",[["user.name","P"],["user","A"]],[],[],4096],{"name":{"user":true}}],
    [{"tags":{"a":{"x.y":null},"b":{"":1,"a":"\u00fc","b":"s"}}},["I",[],[["x.y","P"],["x.y","P"]],[["user","P"],["a.b","A"]],40],{"tags":{"b":{"":1,"a":"\u00fc"}}}],
    [{"a":["s",{"a":true,"name":1,"":true}],"name":{"a":{}}},["I",[["user","P"]],[],[],25],{"a":{"a":true,"name":1}}],
    [{"name":{"a":["s",1,"s"],"user":1},"x.y":1},["I",[],[["user.name","P"]],[["b","A"],["name","P"]],4096],{"name":"***"}],
    [{"":[true,[1,null],true],"a":{"user":null}},["E",[],[],[["user.name","A"],["","P"]],4096],{"":"***"}],
    [{"tags":{"x.y":null},"user":"\u00fc"},["I",[["user","P"],["name","A"]],[["b","A"]],[["a.b","P"]],4096],{"user":"\u00fc"}],
    [{"a":[{"a":true},"s"],"user":{"":{}},"tags":[null,null],"b":"s"},["I",[],[],[["user","P"]],4096],{"a":{"a":true},"user":"***","b":"s"}],
    [{"name":[{}],"":{},"a":"s","tags":null},["I",[["user","A"]],[],[],40],{"a":"s","tags":null}],
    [{"a":"s","user":{}},["I",[["","A"],["a","P"]],[["name","A"]],[],25],{"a":"s"}],
    [{"user":true},["I",[["a.b","A"],["name","P"]],[["x.y","P"],["x.y","P"]],[["a","P"]],40],{"user":true}],
    [{"user":null,"":true,"b":[[1,null,"s"],1,{"a":null,"":"s","name":"\u00fc"}]},["I",[],[],[["user.name","A"]],25],{"user":null,"":true}],
    [{"tags":["\u00fc",["\u00fc","s","s"],{"tags":"\u00fc"}],"b":"\u00fc"},["I",[["","A"]],[],[],40],{"tags":{"tags":"\u00fc"},"b":"\u00fc"}],
    [{"user":"\u00fc","tags":[["s",null,true]],"x.y":{},"a":{}},["E",[["a.b","A"],["a","P"]],[["name","A"],["b","A"]],[],4096],null],
    [{"name":[{"a":"\u00fc"}],"tags":null,"x.y":true,"b":true},["I",[["x.y","A"],["","P"]],[],[],4096],{"name":{"a":"\u00fc"},"tags":null,"b":true}],
    [{"b":1,"":1,"a":{"user":[],"a":{"x.y":true}}},["I",[],[["a","P"],["name","A"]],[],4096],{"b":1,"":1}],
    [{"b":1,"name":1,"a":null,"":"\u00fc"},["E",[["a.b","P"],["x.y","A"]],[],[["a","A"],["x.y","A"]],40],{"a":"***"}],
    [{"name":[],"":"\u00fc"},["I",[["b","P"],["name","P"]],[],[["user","P"],["a","A"]],25],{"":"\u00fc"}],
    [{"a":{"user":{"x.y":null,"tags":"s"}},"user":{},"":1},["E",[["b","P"]],[["a","P"],["user","P"]],[["tags","A"]],25],null],
    [{"user":{"x.y":null},"tags":{"":"s"},"":"\u00fc"},["E",[],[],[["user","P"]],40],{"user":"***"}],
    [{"b":[]},["I",[["name","A"]],[["x.y","P"]],[["user","A"]],40],null],
    [{"":{"x.y":"\u00fc"},"user":{"x.y":true,"b":[1]}},["E",[["a","P"],["x.y","P"]],[["a","A"]],[],25],null],
    [{"x.y":"s","name":{"tags":["s",1,"s"]},"user":{"tags":[true,null]}},["I",[["","A"]],[["tags","P"]],[["name","P"]],4096],{"name":"***"}],
    [{"name":{"x.y":{"b":true,"a":"\u00fc"},"name":{"x.y":"\u00fc"},"a":{"a":null}},"x.y":"s"},["I",[],[["","A"]],[],25],{"name":{"a":{"a":null}}}],
    [{"x.y":[],"":["s",{"":"\u00fc","a":"s","tags":true}]},["I",[["user.name","A"]],[["user.name","A"],["user.name","A"]],[["a","A"],["","P"]],40],{"":"***"}],
    [{"":true,"name":1,"b":{},"a":{"tags":["s",true,null],"a":["\u00fc","s"]}},["E",[["","P"]],[["a.b","A"]],[["x.y","P"]],25],{"":true}],
    [{"x.y":{"user":true,"x.y":{"user":"\u00fc"},"a":true},"user":{},"tags":true},["I",[],[["a","P"],["a","A"]],[["b","A"],["user","A"]],4096],{"user":"***","tags":true}],
    [{"a":"\u00fc","b":{"a":"s"},"":{"x.y":{"":true,"name":"s"},"user":{"name":1,"x.y":"\u00fc"}}},["E",[["a","A"],["x.y","P"]],[],[["tags","P"]],40],{"a":"\u00fc","b":{"a":"s"}}],
    [{"tags":{},"name":true},["I",[["a","P"],["name","A"]],[["a.b","P"]],[["a.b","A"]],40],{"name":true}],
    [{"tags":"s","name":{"user":{"b":true},"name":[1,"\u00fc"]}},["I",[["x.y","A"]],[],[],4096],{"tags":"s","name":{"user":{"b":true}}}],
    [{"b":{"user":["s",null]}},["E",[["name","P"]],[["b","P"]],[["user.name","A"]],4096],null],
    [{"":[{"a":"s","name":null}]},["I",[],[],[["x.y","P"]],4096],{"a":"s","name":null}],
    [{"b":[{"a":"\u00fc"}],"name":{"x.y":null,"":null,"tags":{"x.y":1,"name":true,"user":"\u00fc"}},"tags":{}},["I",[],[],[["user","P"],["a","P"]],40],{"b":{"a":"\u00fc"},"name":{"":null}}],
    [{"":null,"tags":"s"},["I",[["b","P"]],[["a.b","P"]],[],4096],{"":null,"tags":"s"}],
    [{"user":[[true]]},["E",[],[],[["tags","P"],["a.b","A"]],25],null],
    [{"tags":true},["I",[["tags","P"]],[["a.b","A"]],[["a.b","A"]],40],{"tags":true}],
    [{"b":[],"name":"s","a":"s"},["I",[],[],[["tags","P"]],40],{"name":"s","a":"s"}],
    [{"x.y":null,"b":[null],"user":"s","name":1},["I",[["b","P"],["user.name","A"]],[["tags","P"],["","A"]],[["user","A"],["tags","P"]],40],{"user":"***","name":1}],
    [{"tags":[]},["E",[],[["tags","A"]],[],4096],null],
    [{"user":"s"},["I",[],[],[],40],{"user":"s"}],
    [{"name":null},["E",[],[],[["tags","A"],["tags","P"]],25],null],
    [{"a":{"a":null},"user":{},"name":{"name":1,"a":null,"x.y":"s"}},["E",[["","A"]],[["a","P"]],[["a","P"],["name","A"]],40],{"name":"***"}],
    [{"a":"\u00fc","tags":{"user":[null],"b":{"":"s","name":"\u00fc","b":true},"":null}},["E",[["","A"],["tags","A"]],[],[],40],{"tags":{"b":{"":"s","name":"\u00fc"}}}]
]""")


def _config(spec):
    mode, include, exclude, mask, budget = spec

    def fields(items):
        return [PreviewField(n, A if m == "A" else P) for n, m in items]

    return PreviewConfig(
        mode=PreviewMode.INCLUDE_ALL if mode == "I" else PreviewMode.EXCLUDE_ALL,
        include=fields(include), exclude=fields(exclude), mask=fields(mask), max_preview_bytes=budget,
    )


@pytest.mark.parametrize("index", range(len(RANDOM_VECTORS)))
def test_random_vectors_from_official(index):
    value, spec, expected = RANDOM_VECTORS[index]
    got = build_preview(value, _config(spec))
    assert json.dumps(got) == json.dumps(expected)


def test_defaults_and_types():
    config = PreviewConfig(mode=PreviewMode.INCLUDE_ALL)
    assert (config.include, config.exclude, config.mask) == ([], [], [])
    assert config.mask_string == "***" and config.max_preview_bytes == 4096
    assert PreviewField("x").match is FieldMatchMode.ANYWHERE
    assert PreviewMode("EXCLUDE_ALL") is PreviewMode.EXCLUDE_ALL and PreviewMode.INCLUDE_ALL == "INCLUDE_ALL"
    assert FieldMatchMode.PATH == "PATH"
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.mask_string = "x"
    # distinct default lists per instance
    assert PreviewConfig(mode=PreviewMode.INCLUDE_ALL).include is not config.include


def test_visible_non_json_leaf_raises_type_error_hidden_one_does_not():
    with pytest.raises(TypeError):
        build_preview({"d": datetime.date(2024, 1, 1)}, cfg())
    assert build_preview({"d": {1, 2}, "k": 1}, cfg(exclude=[("d", A)])) == {"k": 1}
    assert build_preview({"d": datetime.date(2024, 1, 1)}, cfg(mask=[("d", A)])) == {"d": "***"}


def test_tuple_leaf_kept_as_is():
    assert build_preview({"d": (1, 2)}, cfg()) == {"d": (1, 2)}


def test_value_is_not_modified():
    value = json.loads(json.dumps(ORDER))
    before = json.dumps(value)
    build_preview(value, cfg(mask=[("user", A)]))
    assert json.dumps(value) == before


def test_budget_is_respected_for_large_values():
    value = {f"k{i}": "v" * 50 for i in range(1000)}
    got = build_preview(value, cfg())
    assert got is not None
    assert len(json.dumps(got, separators=(",", ":"))) <= 4096
    assert list(got) == [f"k{i}" for i in range(len(got))]  # kept in traversal order
