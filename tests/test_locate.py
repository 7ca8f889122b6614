"""The TOML position scanner: (line, column) of every key and value of tricky documents."""

from __future__ import annotations

import datetime
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest

from movie_compiler.config.keypath import KeyPath
from movie_compiler.config.locate import Positions, locate


def paths(data: Any, prefix: KeyPath = ()) -> Iterator[KeyPath]:
    """Every key path of a parsed document (tables, arrays and their elements)."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*prefix, key)
            yield from paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield (*prefix, index)
            yield from paths(value, (*prefix, index))


def value_at(text: str, position: tuple[int, int]) -> str:
    line, column = position
    return text.split("\n")[line - 1][column - 1 :]


def assert_complete(text: str) -> Positions:
    """The scanner locates every path tomllib finds, at a plausible first character."""
    data = tomllib.loads(text)
    positions = locate(text)
    for path in paths(data):
        assert path in positions.values, path
        start = value_at(text, positions.values[path])
        value = _get(data, path)
        if isinstance(value, str):
            assert start[0] in "\"'", (path, start)
        elif isinstance(value, bool):
            assert start.startswith(("true", "false")), (path, start)
        elif isinstance(value, int | float | datetime.date | datetime.time):
            assert start[0] in "0123456789+-in", (path, start)
        elif isinstance(value, list):
            assert start[0] == "[", (path, start)
    return positions


def _get(data: Any, path: KeyPath) -> Any:
    for part in path:
        data = data[part]
    return data


# -- keys and values at the top level and in tables ------------------------------------------


def test_plain_keys_and_values() -> None:
    text = 'a = 1\nbb   =   "x"\n\t c\t= [1, 2]\n'
    positions = assert_complete(text)
    assert positions.values == {
        ("a",): (1, 5),
        ("bb",): (2, 10),
        ("c",): (3, 7),
        ("c", 0): (3, 8),
        ("c", 1): (3, 11),
    }
    assert positions.keys == {("a",): (1, 1), ("bb",): (2, 1), ("c",): (3, 3)}


def test_table_headers_locate_the_table_at_its_bracket() -> None:
    text = "[movie]\nfps = 25\n\n  [ dataset ]  # comment\npath = 'a.h5'\n"
    positions = assert_complete(text)
    assert positions.values[("movie",)] == (1, 1)
    assert positions.values[("movie", "fps")] == (2, 7)
    assert positions.values[("dataset",)] == (4, 3)
    assert positions.values[("dataset", "path")] == (5, 8)


def test_dotted_keys_locate_each_part() -> None:
    text = 'movie.fps = 30\ncamera . view_up . 0 = 1\n[t]\na.b."c.d" = true\n'
    positions = assert_complete(text)
    assert positions.keys[("movie",)] == (1, 1)
    assert positions.keys[("movie", "fps")] == (1, 7)
    assert positions.values[("movie", "fps")] == (1, 13)
    assert positions.keys[("camera", "view_up")] == (2, 10)
    assert positions.keys[("camera", "view_up", "0")] == (2, 20)
    assert positions.values[("camera", "view_up", "0")] == (2, 24)
    assert positions.values[("t", "a")] == (4, 1)
    assert positions.values[("t", "a", "b")] == (4, 3)
    assert positions.keys[("t", "a", "b", "c.d")] == (4, 5)
    assert positions.values[("t", "a", "b", "c.d")] == (4, 13)


def test_dotted_headers_locate_the_tables_they_imply() -> None:
    text = "[x.y.z]\nw = 1\n[ \"quoted key\" . 'lit' ]\nv = 0x10\n[x]\nu = 2\n"
    positions = assert_complete(text)
    assert positions.values[("x", "y", "z")] == (1, 1)
    assert positions.values[("x", "y")] == (1, 4)  # at its own part of the header
    assert positions.values[("x",)] == (5, 1)  # its own header, given later, wins
    assert positions.values[("quoted key",)] == (3, 3)
    assert positions.values[("quoted key", "lit")] == (3, 1)
    assert positions.values[("quoted key", "lit", "v")] == (4, 5)


def test_the_first_dotted_key_locates_an_implied_table() -> None:
    text = "camera.position = [0, 0, 1]\ncamera.view_up = [0, 1, 0]\n"
    positions = assert_complete(text)
    assert positions.values[("camera",)] == (1, 1)
    assert positions.find(("camera", "focal_point")) == (1, 1)


def test_quoted_keys_with_escapes_and_non_ascii() -> None:
    text = '"a\\"b" = 1\n\'c.d\' = 2\n"ключ" = "значение"\n"\\u00e9" = "é"\n"" = 0\n'
    positions = assert_complete(text)
    assert positions.values[('a"b',)] == (1, 10)
    assert positions.values[("c.d",)] == (2, 9)
    assert positions.values[("ключ",)] == (3, 10)  # columns count characters, not bytes
    assert positions.values[("é",)] == (4, 12)
    assert positions.values[("",)] == (5, 6)


# -- arrays and inline tables -----------------------------------------------------------------


def test_nested_arrays_with_comments_and_brackets_in_strings() -> None:
    text = 'arr = [ # a comment with ] and "\n  [1, [2, "]"]], # c ]\n  \'#\', # x\n]\nz = 0\n'
    positions = assert_complete(text)
    assert positions.values[("arr",)] == (1, 7)
    assert positions.values[("arr", 0)] == (2, 3)
    assert positions.values[("arr", 0, 0)] == (2, 4)
    assert positions.values[("arr", 0, 1)] == (2, 7)
    assert positions.values[("arr", 0, 1, 0)] == (2, 8)
    assert positions.values[("arr", 0, 1, 1)] == (2, 11)
    assert positions.values[("arr", 1)] == (3, 3)
    assert positions.values[("z",)] == (5, 5)


def test_inline_tables_in_arrays() -> None:
    text = (
        "keyframes = [\n"
        "  { at = 0.0, position = [0, 0, 1] },\n"
        "  { x = [ {y = 1} ], 'z' = '#', a.b = { c = 2 } },\n"
        "]\n"
    )
    positions = assert_complete(text)
    assert positions.values[("keyframes", 0)] == (2, 3)
    assert positions.values[("keyframes", 0, "at")] == (2, 10)
    assert positions.values[("keyframes", 0, "position")] == (2, 26)
    assert positions.values[("keyframes", 0, "position", 2)] == (2, 33)
    assert positions.keys[("keyframes", 1, "x")] == (3, 5)
    assert positions.values[("keyframes", 1, "x", 0, "y")] == (3, 16)
    assert positions.values[("keyframes", 1, "z")] == (3, 28)
    assert positions.values[("keyframes", 1, "a")] == (3, 33)
    assert positions.values[("keyframes", 1, "a", "b", "c")] == (3, 45)


def test_empty_arrays_and_tables() -> None:
    text = "a = []\nb = [ ]\nc = {}\nd = [[], [ ]]\n"
    positions = assert_complete(text)
    assert positions.values[("c",)] == (3, 5)
    assert positions.values[("d", 1)] == (4, 10)


# -- arrays of tables -------------------------------------------------------------------------


def test_arrays_of_tables_and_nested_arrays_of_tables() -> None:
    text = (
        "[[shots]]\n"  # 1
        "n = 1\n"  # 2
        "[[shots.inner]]\n"  # 3
        "m = 2\n"  # 4
        "[[shots.inner]]\n"  # 5
        "m = 3\n"  # 6
        "[[shots]]\n"  # 7
        "[shots.start]\n"  # 8
        "position = [1, 2, 3]\n"  # 9
        "[[shots.inner]]\n"  # 10
        "[shots.inner.deep]\n"  # 11
        "q = 1979-05-27T07:32:00Z\n"  # 12
        "[[  shots  ]]\n"  # 13
    )
    positions = assert_complete(text)
    assert positions.values[("shots",)] == (1, 1)
    assert positions.values[("shots", 0)] == (1, 1)
    assert positions.values[("shots", 0, "n")] == (2, 5)
    assert positions.values[("shots", 0, "inner")] == (3, 1)
    assert positions.values[("shots", 0, "inner", 1)] == (5, 1)
    assert positions.values[("shots", 0, "inner", 1, "m")] == (6, 5)
    assert positions.values[("shots", 1)] == (7, 1)
    assert positions.values[("shots", 1, "start")] == (8, 1)
    assert positions.values[("shots", 1, "start", "position", 1)] == (9, 16)
    assert positions.values[("shots", 1, "inner", 0)] == (10, 1)
    assert positions.values[("shots", 1, "inner", 0, "deep")] == (11, 1)
    assert positions.values[("shots", 1, "inner", 0, "deep", "q")] == (12, 5)
    assert positions.values[("shots", 2)] == (13, 1)


def test_array_of_tables_under_a_dotted_header() -> None:
    text = "[[a.b]]\nx = 1\n[[a.b]]\n[a.b.c]\ny = 2\n"
    positions = assert_complete(text)
    assert positions.values[("a",)] == (1, 3)
    assert positions.values[("a", "b")] == (1, 1)
    assert positions.values[("a", "b", 1)] == (3, 1)
    assert positions.values[("a", "b", 1, "c")] == (4, 1)
    assert positions.values[("a", "b", 1, "c")] == (4, 1)
    assert positions.values[("a", "b", 1, "c", "y")] == (5, 5)


# -- strings ----------------------------------------------------------------------------------


def test_multiline_strings_with_brackets_quotes_and_hashes() -> None:
    text = (
        's = """ [x] # "q\' \\""""\n'  # 1: ends in an escaped quote
        "l = '''a]#\n"  # 2
        "[not a table]\n"  # 3
        "''' # c\n"  # 4
        't = """\\\n'  # 5: line-ending backslash
        '  "]" """\n'  # 6
        "u = '''x''''' # up to two quotes close it\n"  # 7
        'v = """""""\n'  # 8
        "after = 1\n"  # 9
        'w = ["""a""", \'\'\'b\n]\'\'\', "c"]\n'  # 10-11
        "end = 2\n"  # 12
    )
    data = tomllib.loads(text)
    assert data["s"] == ' [x] # "q\' "'
    assert data["l"] == "a]#\n[not a table]\n"
    assert data["u"] == "x''"
    assert data["v"] == '"'
    positions = assert_complete(text)
    assert positions.values[("s",)] == (1, 5)
    assert positions.values[("l",)] == (2, 5)
    assert ("not a table",) not in positions.values
    assert positions.values[("t",)] == (5, 5)
    assert positions.values[("u",)] == (7, 5)
    assert positions.values[("v",)] == (8, 5)
    assert positions.values[("after",)] == (9, 9)
    assert positions.values[("w", 0)] == (10, 6)
    assert positions.values[("w", 1)] == (10, 15)
    assert positions.values[("w", 2)] == (11, 7)
    assert positions.values[("end",)] == (12, 7)


def test_strings_with_escapes_and_comment_characters() -> None:
    text = 'a = "x\\\\" # "\nb = "\\"#[" # c\nc = \'C:\\path\\\' \nd = "\\u00e9\\U0001F600"\n'
    positions = assert_complete(text)
    assert positions.values == {("a",): (1, 5), ("b",): (2, 5), ("c",): (3, 5), ("d",): (4, 5)}


# -- line endings, dates, numbers -------------------------------------------------------------


def test_crlf_line_endings() -> None:
    text = (
        'a = 1\r\n"ключ" = "значение"\r\n[t]\r\ns = """x\r\ny"""\r\n'
        "d = 1979-05-27 07:32:00\r\n# comment\r\n\tg\t=\t[1,\r\n\t2] # c\r\nh = 3\r\n"
    )
    positions = assert_complete(text)
    assert positions.values == {
        ("a",): (1, 5),
        ("ключ",): (2, 10),
        ("t",): (3, 1),
        ("t", "s"): (4, 5),
        ("t", "d"): (6, 5),
        ("t", "g"): (8, 6),
        ("t", "g", 0): (8, 7),
        ("t", "g", 1): (9, 2),
        ("t", "h"): (10, 5),
    }


def test_dates_times_and_numbers() -> None:
    text = (
        "a = 1979-05-27T07:32:00Z\n"
        "b = 1979-05-27 07:32:00.999-07:00 # offset\n"
        "c = 07:32:00\n"
        "d = [1979-05-27, 00:00:01]\n"
        "e = [+inf, -nan, 1_000, 0x1F, 0o7, 0b1, 6.02e+23]\n"
        "f = { g = 1979-05-27, h = true }\n"
    )
    positions = assert_complete(text)
    assert positions.values[("b",)] == (2, 5)
    assert positions.values[("c",)] == (3, 5)
    assert positions.values[("d", 1)] == (4, 18)
    assert positions.values[("e", 6)] == (5, 41)
    assert positions.values[("f", "h")] == (6, 27)


def test_empty_and_comment_only_documents() -> None:
    assert locate("").values == {}
    assert locate("# only a comment\n\n   # another").values == {}


# -- find -------------------------------------------------------------------------------------


def test_find_falls_back_to_the_nearest_ancestor() -> None:
    text = "[movie]\nfps = 25\n[[shots]]\ntype = 'orbit'\n"
    positions = locate(text)
    assert positions.find(("movie", "resolution")) == (1, 1)
    assert positions.find(("movie", "fps")) == (2, 7)
    assert positions.find(("movie", "fps"), key=True) == (2, 1)
    assert positions.find(("shots", 0, "frames")) == (3, 1)
    assert positions.find(("shots", 5, "frames")) == (3, 1)
    assert positions.find(("camera", "position")) == (1, 1)


def test_the_scene_in_the_repository_is_fully_located() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "scenes" / "vervet.toml").read_text("utf-8")
    positions = assert_complete(text)
    assert positions.values[("shots", 1, "keyframes", 2, "view_up", 2)] == (48, 133)


@pytest.mark.parametrize(
    "text",
    [
        "a = 'x'",  # no final newline
        "a = 1 # comment without newline",
        "[t]",
        "a = [1,\n2,]",  # a trailing comma
        "a = {b.c = 1}",
    ],
)
def test_documents_without_a_final_newline(text: str) -> None:
    assert_complete(text)
