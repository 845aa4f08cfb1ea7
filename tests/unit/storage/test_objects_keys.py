"""Object keys: safe keys pass unchanged, hostile keys are rejected before touching a store."""

from __future__ import annotations

import pytest

from storage.errors import InvalidInputError
from storage.objects.keys import MAX_KEY_BYTES, validate_key, validate_prefix
from storage.records import blob_key, frame_key

HOSTILE = [
    "",
    "../etc/passwd",
    "videos/../../secret",
    "a/./b",
    "/abs/path",
    "a//b",
    "a/b/",
    "a\\..\\b",
    "nul\x00byte",
    "line\nbreak",
    "tab\there",
    "del\x7fchar",
    "é" * (MAX_KEY_BYTES // 2 + 1),
    "..",
    ".",
]


@pytest.mark.parametrize("key", HOSTILE)
def test_hostile_keys_are_rejected(key: str) -> None:
    with pytest.raises(InvalidInputError):
        validate_key(key)


@pytest.mark.parametrize("key", [
    frame_key("ab" * 32, 7), blob_key("cd" * 32), "manifests/ds@3.json", "a", "weird name/ünïcode.txt", "x" * 1024,
])
def test_safe_keys_pass_unchanged(key: str) -> None:
    assert validate_key(key) == key


def test_prefixes_may_be_empty_or_end_with_a_slash() -> None:
    assert validate_prefix("") == ""
    assert validate_prefix("videos/") == "videos/"
    with pytest.raises(InvalidInputError):
        validate_prefix("../")
