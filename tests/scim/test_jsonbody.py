"""The one decoder of SCIM bodies (issue 13, items 8 and 13)."""

from __future__ import annotations

import json

import pytest

from reconciler.scim.jsonbody import TooManyValues, decode_json, value_bound


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("x\ud800", "x\ufffd"),
        ("\udc00\ud800", "\ufffd\ufffd"),
        ("\ud800\ud83d\ude00", "\ufffd\U0001f600"),
        ("\U0001f600 kept", "\U0001f600 kept"),
    ],
)
def test_lone_surrogates_become_replacement_characters(value: str, expected: str) -> None:
    body = json.dumps({"name": value, value: [value]}).encode()
    assert decode_json(body) == {"name": expected, expected: [expected]}
    json.dumps(decode_json(body), ensure_ascii=False).encode()  # encodable


def test_bytes_that_are_not_utf8_become_replacement_characters() -> None:
    assert decode_json(b'{"a": "b\xff\xed\xa0\x80c"}') == {"a": "b\ufffd\ufffd\ufffd\ufffdc"}


def test_a_byte_order_mark_is_allowed() -> None:
    assert decode_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}


@pytest.mark.parametrize("body", [b"[]", b"[[],[]]", b'{"a": [1, 2], "b": {"c": "d"}}', b'"x"'])
def test_the_value_bound_is_never_below_the_values(body: bytes) -> None:
    def count(value: object) -> int:
        if isinstance(value, list):
            return 1 + sum(map(count, value))
        if isinstance(value, dict):
            return 1 + sum(map(count, value.values()))
        return 1

    assert value_bound(body) >= count(json.loads(body))


def test_a_body_with_too_many_values_is_not_parsed() -> None:
    with pytest.raises(TooManyValues):
        decode_json(b"[" + b"0," * 999 + b"0]", max_values=1000)
    assert len(decode_json(b"[" + b"0," * 998 + b"0]", max_values=1000)) == 999
