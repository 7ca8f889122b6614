"""The one door for values into generated code: literals that evaluate back to the value, and
hostile scene text that stays a string constant in the compiled script."""

from __future__ import annotations

import ast
import io
import json
import math
import tokenize
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from movie_compiler import __version__, generate
from movie_compiler.config.load import load_scene
from movie_compiler.literal import assignment, comment, literal, rows
from movie_compiler.plan import plan

HOSTILE = [
    "'",
    '"',
    "'''",
    '"""',
    "\\",
    "\\'",
    "a\\",
    "\n",
    "line\nimport os\nos.system('x')",
    "\r",
    "\r\nx = 1",
    "\u2028__import__('os')\u2029",
    "\x00",
    "\x7f\x1b[31m",
    "__import__('os').system('x')",
    "'); __import__('os').system('x'); ('",
    '"); __import__("os").system("x"); ("',
    '""" + __import__("os").system("x") + """',
    "''' + __import__('os').system('x') + '''",
    "{__import__('os').system('x')}",
    "f'{x}' {0} {{}}",
    "# not a comment",
    "\\N{BULLET} \\x41 \\u0041",
    "Ünïcödé ключ 漢字 😀",
    "\ud7ff\ue000\ufeff\U0010ffff",
    "x" * 100_000,
    "",
]


# -- literal() --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        -1,
        2**63,
        -(2**63),
        0.0,
        -0.0,
        1.5,
        1e-300,
        5e-324,
        1.7976931348623157e308,
        0.1 + 0.2,
        "",
        "plain",
        (),
        (1,),
        (1, 2.5, "x"),
        [],
        [[1, 2], [3.0, (4,)]],
        {},
        {"a": [1, {"b": None}], "": "", "x y": (True,)},
        *HOSTILE,
        [*HOSTILE],
        {h: h for h in HOSTILE},
    ],
    ids=lambda v: repr(v)[:40],
)
def test_literal_evaluates_to_an_equal_value(value: Any) -> None:
    source = literal(value)
    assert "\n" not in source and "\r" not in source
    result = eval(source, {"__builtins__": {}, "float": float})
    assert result == value
    assert type(result) is type(value)
    if isinstance(value, float):
        assert math.copysign(1.0, result) == math.copysign(1.0, value)


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v)[:40])
def test_strings_are_one_string_constant(value: str) -> None:
    tree = ast.parse(literal(value), mode="eval")
    assert isinstance(tree.body, ast.Constant)
    assert tree.body.value == value


@pytest.mark.parametrize(
    ("value", "source"),
    [
        (math.nan, "float('nan')"),
        (math.inf, "float('inf')"),
        (-math.inf, "-float('inf')"),
        ([math.nan, -math.inf], "[float('nan'), -float('inf')]"),
        ((1,), "(1,)"),
        ((), "()"),
        (True, "True"),
        (None, "None"),
        (3, "3"),
        (3.0, "3.0"),
        ("it's", '"it\'s"'),
        ({"a": 1}, "{'a': 1}"),
    ],
)
def test_literal_source(value: Any, source: str) -> None:
    assert literal(value) == source


def test_nan_and_infinity_evaluate_back() -> None:
    values = eval(literal([math.nan, math.inf, -math.inf]), {"__builtins__": {}, "float": float})
    assert math.isnan(values[0])
    assert values[1:] == [math.inf, -math.inf]


def test_subclasses_render_as_their_base_type() -> None:
    class Name(str):
        def __repr__(self) -> str:
            return "__import__('os')"

    class Count(int):
        def __repr__(self) -> str:
            return "__import__('os')"

    class Ratio(float):
        def __repr__(self) -> str:
            return "__import__('os')"

    assert literal(Name("x")) == "'x'"
    assert literal(Count(3)) == "3"
    assert literal(Ratio(0.5)) == "0.5"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (b"bytes", "no literal for bytes"),
        ({1, 2}, "no literal for set"),
        (object(), "no literal for object"),
        (1j, "no literal for complex"),
        (Path("/etc"), "no literal for PosixPath"),
        ([1, b"x"], "no literal for bytes"),
        ({1: "a"}, "dict keys must be str, got int"),
        ({("a",): "a"}, "dict keys must be str, got tuple"),
    ],
)
def test_unsupported_types_raise_type_error(value: Any, message: str) -> None:
    with pytest.raises(TypeError) as error:
        literal(value)
    assert str(error.value) == message


def test_assignment_and_rows() -> None:
    assert assignment("TITLE", "a'b", "movie.title") == 'TITLE = "a\'b"  # movie.title'
    assert assignment("X", None) == "X = None"
    assert rows("POINTS", [[0, 1.0], [255, 0.5]], "scalar, opacity") == (
        "POINTS = [  # scalar, opacity\n    [0, 1.0],\n    [255, 0.5],\n]"
    )


@pytest.mark.parametrize("name", ["title", "X-Y", "import os; X", "", "1X", "X\nY"])
def test_assignment_names_are_upper_case_identifiers(name: str) -> None:
    with pytest.raises(ValueError) as error:
        assignment(name, 1)
    assert str(error.value) == f"{name!r} is not an upper-case identifier"
    with pytest.raises(ValueError):
        rows(name, [])


@pytest.mark.parametrize("text", HOSTILE, ids=lambda v: repr(v)[:40])
def test_comment_stays_on_one_line(text: str) -> None:
    line = "# scene " + comment(text)
    tokens = list(tokenize.generate_tokens(io.StringIO(line + "\n").readline))
    assert [t.type for t in tokens] == [tokenize.COMMENT, tokenize.NL, tokenize.ENDMARKER]


# -- hostile scenes, compiled -----------------------------------------------------------------

HOSTILE_SCENE_TEXT = [h for h in HOSTILE if h]
"""Text that can stand in every scene field (a dataset path is not empty)."""


def compile_scene(path: Path, out: Path) -> tuple[str, dict[str, Any]]:
    loaded = load_scene(path)
    written = generate.write(out, loaded, plan(loaded.scene))
    script = written["script"].read_text("utf-8")
    document = json.loads(written["plan"].read_text("utf-8"))
    return script, document


def names_in(script: str) -> set[str]:
    tokens = tokenize.generate_tokens(io.StringIO(script).readline)
    return {t.string for t in tokens if t.type == tokenize.NAME}


def module_constants(tree: ast.Module) -> dict[str, Any]:
    """Module-level ``NAME = <literal>`` assignments, evaluated without running anything."""
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id.isupper():
                try:
                    out[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    continue  # computed from HERE, not a literal
    return out


@pytest.fixture(scope="module")
def benign_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The names a script from an ordinary scene uses: the template's own vocabulary."""
    from conftest import MINIMAL_SCENE, toml_document

    folder = tmp_path_factory.mktemp("benign")
    path = folder / "scene.toml"
    path.write_text(toml_document(MINIMAL_SCENE), "utf-8")
    script, _ = compile_scene(path, folder / "out")
    return names_in(script)


@pytest.mark.parametrize("text", HOSTILE_SCENE_TEXT, ids=lambda v: repr(v)[:40])
def test_hostile_scene_text_stays_in_string_constants(
    text: str,
    tmp_path: Path,
    write_scene: Callable[..., Path],
    benign_names: set[str],
) -> None:
    path = write_scene(
        movie={"title": text},
        dataset={"path": text + ".h5", "array": "/group/" + text},
        shots=[{"type": "orbit", "frames": 3, "name": text}, {"type": "hold", "frames": 1}],
    )
    script, document = compile_scene(path, tmp_path / "out")

    compile(script, "render.py", "exec")
    tree = ast.parse(script)
    constants = module_constants(tree)
    assert constants["TITLE"] == text
    array = ("group/" + text).split("/")[-1]  # the script reads the array by its last name
    assert constants["ARRAY"] == array
    # Hostile text appears only inside string constants: no name, call or attribute of it.
    assert names_in(script) == benign_names
    calls = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert "__import__" not in calls and "eval" not in calls and "exec" not in calls
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    assert text in strings
    assert array in strings
    # The dataset path never enters the script: it reads dataset.xdmf beside itself.
    assert text + ".h5" not in strings
    # Shot names go to plan.json, through JSON.
    assert [shot["name"] for shot in document["shots"]] == [text, "shot-2"]


def test_scene_file_name_in_the_header_is_quoted(tmp_path: Path) -> None:
    from conftest import MINIMAL_SCENE, toml_document

    name = "x\nimport os'\"\u2028.toml"
    path = tmp_path / name
    path.write_text(toml_document(MINIMAL_SCENE), "utf-8")
    script, _ = compile_scene(path, tmp_path / "out")
    header = script.splitlines()[0]
    assert header == f"# Generated by moviec {__version__} from the scene {name!r}"
    compile(script, "render.py", "exec")


def test_a_table_is_laid_out_one_key_per_line() -> None:
    from movie_compiler.literal import table

    text = table("SETTINGS", {"a": 1, "b'\n": [None, "x"]}, "note")
    assert text == "SETTINGS = {  # note\n    'a': 1,\n    \"b'\\n\": [None, 'x'],\n}"
    namespace: dict[str, object] = {}
    exec(text, namespace)
    assert namespace["SETTINGS"] == {"a": 1, "b'\n": [None, "x"]}
    assert table("NOTHING", None) == "NOTHING = None"
    with pytest.raises(ValueError):
        table("lower", {})
