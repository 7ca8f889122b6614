"""The documentation stays true: its example scenes are valid, its references current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from movie_compiler.__main__ import main
from movie_compiler.config.load import load_scene

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TOML_BLOCK = re.compile(r"```toml\n(.*?)```", re.S)


def example_scenes() -> list[tuple[str, str]]:
    """Every TOML block that is a whole scene (it has [dataset] and [[shots]])."""
    found = []
    for doc in DOCS:
        for number, block in enumerate(TOML_BLOCK.findall(doc.read_text("utf-8"))):
            if "[dataset]" in block and "[[shots]]" in block:
                found.append((f"{doc.name}#{number}", block))
    return found


def test_the_readme_has_an_example_scene() -> None:
    assert any(name.startswith("README.md") for name, _ in example_scenes())


@pytest.mark.parametrize(("name", "text"), example_scenes(), ids=[n for n, _ in example_scenes()])
def test_example_scenes_are_valid(name: str, text: str, tmp_path: Path) -> None:
    scene = tmp_path / "example.toml"
    scene.write_text(text, "utf-8")
    load_scene(scene)


def test_the_scene_reference_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    path = ROOT / "docs" / "scene-format.md"
    assert main(["schema", "--markdown", "--check", str(path)]) == 0, capsys.readouterr().err


def test_convert_offers_the_scene_element_types() -> None:
    import typing

    from movie_compiler.config.model import DType
    from movie_compiler.data import DTYPES

    assert typing.get_args(DType) == DTYPES
