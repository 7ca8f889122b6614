"""The committed JSON Schema of scene files: up to date, valid, and agreeing with the model."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from movie_compiler.__main__ import main
from movie_compiler.commands.schema import schema_text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCHEMA = ROOT / "schemas" / "scene.schema.json"

GOOD_SCENES = [
    *sorted((ROOT / "scenes").glob("*.toml")),
    HERE / "scenes" / "minimal.toml",
    HERE / "scenes" / "every_feature.toml",
]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def toml_as_json(path: Path) -> Any:
    """The scene as JSON would carry it (what an editor validates)."""
    return json.loads(json.dumps(tomllib.loads(path.read_text("utf-8"))))


def test_committed_schema_is_up_to_date(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code = main(["schema", "--check"])
    captured = capsys.readouterr()
    assert (code, captured.out, captured.err) == (
        0,
        "schemas/scene.schema.json: up to date\n",
        "",
    )
    assert SCHEMA.read_text("utf-8") == schema_text()


def test_stale_schema_fails_the_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "scene.schema.json"
    schema = json.loads(SCHEMA.read_text("utf-8"))
    del schema["properties"]["encode"]
    stale.write_text(json.dumps(schema, indent=2) + "\n", "utf-8")
    code = main(["schema", "--check", str(stale)])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert captured.err == f"{stale}: stale; regenerate it with: moviec schema -o {stale}\n"


def test_missing_schema_file_fails_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothere.json"
    code = main(["schema", "--check", str(missing)])
    assert code == 2
    assert capsys.readouterr().err == f"{missing}: cannot read: No such file or directory\n"


def test_schema_command_prints_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == SCHEMA.read_text("utf-8")


def test_schema_is_draft_2020_12_with_an_id(validator: jsonschema.Draft202012Validator) -> None:
    schema = validator.schema
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "https://moviec.example.org/schemas/scene.schema.json"
    assert schema["title"] == "moviec scene"
    assert sorted(schema["required"]) == ["camera", "dataset", "shots", "volume"]
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("path", GOOD_SCENES, ids=lambda p: p.name)
def test_good_scenes_validate(path: Path, validator: jsonschema.Draft202012Validator) -> None:
    errors = [e.message for e in validator.iter_errors(toml_as_json(path))]
    assert errors == []


def test_scenes_point_editors_at_the_schema() -> None:
    for path in GOOD_SCENES:
        first = path.read_text("utf-8").splitlines()[0]
        assert first.startswith("#:schema "), path
        assert (path.parent / first.removeprefix("#:schema ")).resolve() == SCHEMA, path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"movie": {"fsp": 25}}, "Additional properties are not allowed ('fsp' was unexpected)"),
        ({"movie": {"fps": "25"}}, "'25' is not of type 'number'"),
        ({"movie": {"resolution": [640]}}, "[640] is too short"),
        ({"volume": {"renderer": "vulkan"}}, None),
        ({"shots": [{"type": "orbt", "frames": 4}]}, None),
        ({"shots": []}, "[] should be non-empty"),
        ({"camera": {"position": [0, 0, 2], "view_angle": 180}}, None),
    ],
)
def test_schema_rejects_what_the_model_rejects(
    change: dict[str, Any], message: str | None, validator: jsonschema.Draft202012Validator
) -> None:
    scene = toml_as_json(HERE / "scenes" / "minimal.toml")
    for table, value in change.items():
        scene[table] = {**scene.get(table, {}), **value} if isinstance(value, dict) else value
    errors = list(validator.iter_errors(scene))
    assert errors
    if message is not None:
        assert message in [e.message for e in errors]


def test_every_model_field_is_described(validator: jsonschema.Draft202012Validator) -> None:
    """Docstrings become descriptions: editors show them on hover."""
    undocumented = []
    definitions = {"Scene": validator.schema, **validator.schema["$defs"]}
    for name, definition in definitions.items():
        for key, prop in definition.get("properties", {}).items():
            if key != "type" and not prop.get("description"):
                undocumented.append(f"{name}.{key}")
    assert undocumented == []


@pytest.mark.parametrize(
    ("shot", "where", "message"),
    [
        (
            {"type": "orbit", "frames": 4, "eassing": "linear"},
            [0],
            "Additional properties are not allowed ('eassing' was unexpected)",
        ),
        (
            {"type": "hold", "frames": 4, "degrees": 90},
            [0],
            "Additional properties are not allowed ('degrees' was unexpected)",
        ),
        (
            {"type": "orbt", "frames": 4},
            [0, "type"],
            "'orbt' is not one of ['dolly', 'flight', 'hold', 'orbit']",
        ),
        (
            {"type": "flight", "frames": 4, "keyframes": [{"at": 1.0, "positon": [1, 0, 0]}]},
            [0, "keyframes", 0],
            "Additional properties are not allowed ('positon' was unexpected)",
        ),
        ({"frames": 4}, [0], "'type' is a required property"),
    ],
)
def test_a_shot_mistake_is_one_message_naming_the_key(
    shot: dict[str, Any],
    where: list[Any],
    message: str,
    validator: jsonschema.Draft202012Validator,
) -> None:
    """A shot's type selects its keys (if/then), so an independent validator names the bad
    key once instead of failing every shot type."""
    scene = toml_as_json(HERE / "scenes" / "minimal.toml")
    scene["shots"] = [shot]
    errors = list(validator.iter_errors(scene))
    assert [(["shots", *where], e.message) for e in errors] == [
        (list(e.absolute_path), message) for e in errors
    ]
    assert len(errors) == 1 and not errors[0].context


def test_each_shot_type_selects_its_definition(
    validator: jsonschema.Draft202012Validator,
) -> None:
    items = validator.schema["properties"]["shots"]["items"]
    assert "discriminator" not in json.dumps(validator.schema)
    assert items["properties"]["type"]["enum"] == ["dolly", "flight", "hold", "orbit"]
    assert [rule["then"]["$ref"] for rule in items["allOf"]] == [
        "#/$defs/Dolly",
        "#/$defs/Flight",
        "#/$defs/Hold",
        "#/$defs/Orbit",
    ]


def test_optional_keys_are_offered_once(validator: jsonschema.Draft202012Validator) -> None:
    """TOML has no null: an optional key is its type alone, not a choice of it or null."""
    assert '"null"' not in json.dumps(validator.schema)
    output = validator.schema["$defs"]["Movie"]["properties"]["output"]
    assert output["type"] == "string" and "anyOf" not in output
