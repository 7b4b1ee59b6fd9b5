"""The one JSON Lines reader: rows with their line numbers, a bad line named in one line, kills survived."""

from __future__ import annotations

import pytest

from openrs.errors import ConfigError
from openrs.jsonl import (
    read_json_lines,
    read_json_lines_numbered,
    read_json_lines_skipping,
    rewrite_json_lines,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ('{"a": 1}\n\n{"a": "é"}\n', [(1, {"a": 1}), (3, {"a": "é"})]),
        ('{"a": 1}\n{"a": 2', r"rows.jsonl:2: not valid JSON \(.*, column \d+\); fix or delete that line"),
        ('{"a": 1}\n[1, 2]\n', r"rows.jsonl:2: expected a JSON object, got list; fix or delete that line"),
        ("", []),
    ],
)
def test_read_json_lines(tmp_path, text, expected):
    path = tmp_path / "rows.jsonl"
    path.write_text(text, encoding="utf-8")
    if isinstance(expected, str):
        with pytest.raises(ConfigError, match=expected):
            read_json_lines(path)
    else:
        assert read_json_lines(path) == expected


def test_missing_and_undecodable_files_fail_in_one_line(tmp_path):
    with pytest.raises(ConfigError, match=r"missing.jsonl not found"):
        read_json_lines(tmp_path / "missing.jsonl")
    (tmp_path / "latin1.jsonl").write_bytes(b'{"a": "\xe9"}\n')
    with pytest.raises(ConfigError, match=r"latin1.jsonl cannot be read \(UnicodeDecodeError"):
        read_json_lines(tmp_path / "latin1.jsonl")


def test_skipping_reader_counts_what_a_kill_left(tmp_path):
    path = tmp_path / "metrics.jsonl"
    assert read_json_lines_skipping(path) == ([], 0)
    path.write_text('{"step": 1}\n"text"\n{"step": 2}\n{"step": 3, "lo')
    assert read_json_lines_skipping(path) == ([{"step": 1}, {"step": 2}], 2)
    assert read_json_lines_numbered(path) == ([(1, {"step": 1}), (3, {"step": 2})], [2, 4])


def test_rewrite_replaces_the_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"old": true}\n')
    rewrite_json_lines(path, [{"a": "é"}, {"b": 2}])
    assert read_json_lines(path) == [(1, {"a": "é"}), (2, {"b": 2})]
    assert [p.name for p in tmp_path.iterdir()] == ["rows.jsonl"]
