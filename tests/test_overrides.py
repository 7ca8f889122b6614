"""``--set KEY.PATH=VALUE`` overrides, ``--profile`` (built-in draft and the scene's own), and
the scene digest they feed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from movie_compiler.config.load import load_scene
from movie_compiler.errors import InputError, SceneError

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VERVET = ROOT / "scenes" / "vervet.toml"

WriteScene = Callable[..., Path]


# -- --set ------------------------------------------------------------------------------------


def test_set_values_are_parsed_as_toml() -> None:
    loaded = load_scene(
        VERVET,
        [
            "movie.resolution=[640,360]",
            "movie.fps=30",
            "movie.title='a title'",
            "volume.shade=true",
            "volume.opacity_unit_distance=0.5",
            "camera.view_angle=25",
        ],
    )
    scene = loaded.scene
    assert scene.movie.resolution == (640, 360)
    assert scene.movie.fps == 30.0
    assert scene.movie.title == "a title"
    assert scene.volume.shade is True
    assert scene.volume.opacity_unit_distance == 0.5
    assert scene.camera.view_angle == 25.0
    assert loaded.overrides == (
        "movie.resolution=[640,360]",
        "movie.fps=30",
        "movie.title='a title'",
        "volume.shade=true",
        "volume.opacity_unit_distance=0.5",
        "camera.view_angle=25",
    )


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ("dataset.path=/data/other.h5", "/data/other.h5"),
        ("dataset.path=other dir/brain v2.h5", "other dir/brain v2.h5"),
        ('dataset.path="/data/quoted.h5"', "/data/quoted.h5"),
        ("dataset.path=a=b.h5", "a=b.h5"),  # the first '=' splits key from value
    ],
)
def test_a_bare_value_is_a_string(override: str, path: str) -> None:
    assert load_scene(VERVET, [override]).scene.dataset.path == path


@pytest.mark.parametrize("key", ["shots[0].frames", "shots.0.frames"])
def test_set_inside_an_array_of_tables(key: str) -> None:
    scene = load_scene(VERVET, [f"{key}=50"]).scene
    assert [shot.frames for shot in scene.shots] == [50, 200]


def test_set_an_element_of_an_array() -> None:
    scene = load_scene(VERVET, ["volume.colors[4][0]=255", "movie.background.2=1.0"]).scene
    assert scene.volume.colors[4] == (255.0, 0.0, 0.0, 0.0)
    assert scene.movie.background == (0.32, 0.34, 1.0)


def test_set_appends_a_shot_and_creates_tables() -> None:
    scene = load_scene(VERVET, ['shots[2]={ type = "hold", frames = 5 }', "encode.crf=20"]).scene
    assert [shot.type for shot in scene.shots] == ["orbit", "flight", "hold"]
    assert scene.encode.crf == 20


def test_later_overrides_win() -> None:
    scene = load_scene(VERVET, ["movie.fps=30", "movie.fps=50"]).scene
    assert scene.movie.fps == 50.0


def test_overrides_do_not_touch_the_file() -> None:
    before = VERVET.read_bytes()
    load_scene(VERVET, ["movie.fps=30"])
    assert VERVET.read_bytes() == before


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("movie.fps", "--set movie.fps: expected KEY.PATH=VALUE, such as movie.fps=30"),
        ("=30", "--set =30: empty key"),
        ("movie..fps=30", "--set movie..fps=30: empty key part in 'movie..fps'"),
        ("shots[5].frames=2", "--set shots[5].frames=2: shots[5]: no such element (there are 2)"),
        ("movie.title.x=1", "--set movie.title.x=1: movie.title is not a table"),
    ],
)
def test_set_errors(override: str, message: str) -> None:
    with pytest.raises(InputError) as error:
        load_scene(VERVET, [override])
    assert str(error.value) == message


def test_a_bad_value_is_located_at_its_option() -> None:
    with pytest.raises(SceneError) as error:
        load_scene(VERVET, ["movie.fps=0", "shots.1.keyframes.2.at=0.5"])
    assert [str(p) for p in error.value.problems] == [
        "--set movie.fps=0: movie.fps: must be greater than 0.0, got 0",
    ]
    with pytest.raises(SceneError) as error:
        load_scene(VERVET, ["shots.1.keyframes.2.at=0.5"])
    assert [str(p) for p in error.value.problems] == [
        "--set shots.1.keyframes.2.at=0.5: shots[1].keyframes[2].at: the last keyframe must be "
        "at 1 (the end of the shot), got 0.5",
    ]


# -- profiles ---------------------------------------------------------------------------------


def test_builtin_draft_profile() -> None:
    final = load_scene(VERVET).scene
    draft = load_scene(VERVET, profile="draft").scene
    assert final.movie.resolution == (3840, 2160)
    assert draft.movie.resolution == (1920, 1080)
    assert final.dataset.subsample == (1, 4, 4)
    assert draft.dataset.subsample == (1, 8, 8)
    assert draft.dataset.level is None
    assert (final.movie.frame_step, draft.movie.frame_step) == (1, 2)
    assert draft.movie.output == "vervet.draft.mp4"  # the final movie is not replaced
    # Everything else is the scene's.
    assert draft.shots == final.shots
    assert draft.volume == final.volume
    assert draft.camera == final.camera


def test_draft_of_an_xdmf_scene_keeps_its_sampling(tmp_path: Path) -> None:
    text = VERVET.read_text("utf-8")
    text = text.replace('"data/Vervet_Sehrinde.h5"', '"data/vervet_4x.xdmf"')
    text = text.replace("subsample = [1, 4, 4]", "")
    scene = tmp_path / "vervet.toml"
    scene.write_text(text, "utf-8")
    draft = load_scene(scene, profile="draft").scene
    assert draft.dataset.path == "data/vervet_4x.xdmf"
    assert draft.dataset.subsample == (1, 1, 1)
    assert draft.movie.resolution == (1920, 1080)
    assert draft.movie.frame_step == 2


@pytest.mark.parametrize(
    ("resolution", "draft"),
    [
        ([1920, 1080], (960, 540)),
        ([1366, 768], (682, 384)),
        ([642, 362], (320, 180)),  # halves of 321 x 181, kept even
        ([1002, 18], (500, 16)),  # never below 16 pixels
    ],
)
def test_draft_halves_the_frame_and_keeps_it_even(
    write_scene: WriteScene, resolution: list[int], draft: tuple[int, int]
) -> None:
    path = write_scene(movie={"resolution": resolution})
    assert load_scene(path, profile="draft").scene.movie.resolution == draft


def test_draft_defaults_when_the_scene_gives_none(write_scene: WriteScene) -> None:
    scene = load_scene(write_scene(), profile="draft").scene
    assert scene.movie.resolution == (960, 540)  # half of the default 1920 x 1080
    assert scene.dataset.subsample == (1, 2, 2)
    assert scene.movie.frame_step == 2
    assert scene.movie.output == "scene.draft.mp4"


def test_draft_reads_the_next_pyramid_level(write_scene: WriteScene) -> None:
    path = write_scene(dataset={"level": 1}, movie={"frame_step": 3})
    scene = load_scene(path, profile="draft").scene
    assert scene.dataset.level == 2
    assert scene.dataset.subsample == (1, 1, 1)
    assert scene.movie.frame_step == 6


def test_a_problem_the_draft_causes_is_located_at_the_profile(write_scene: WriteScene) -> None:
    path = write_scene(movie={"frame_step": 60})
    with pytest.raises(SceneError) as error:
        load_scene(path, profile="draft")
    assert [str(p) for p in error.value.problems] == [
        "--profile draft: movie.frame_step: must be at most 100, got 120"
    ]


def test_a_profile_of_the_scene(tmp_path: Path) -> None:
    text = VERVET.read_text("utf-8") + (
        "\n[profiles.preview.movie]\nresolution = [1280, 720]\noutput = 'preview.webm'\n"
        "\n[profiles.preview.dataset]\nsubsample = [2, 8, 8]\n"
    )
    path = tmp_path / "vervet.toml"
    path.write_text(text, "utf-8")
    scene = load_scene(path, profile="preview").scene
    assert scene.movie.resolution == (1280, 720)
    assert scene.movie.output == "preview.webm"
    assert scene.dataset.subsample == (2, 8, 8)
    assert scene.movie.fps == 25.0  # untouched
    assert scene.dataset.array == "/PLI"  # a profile merges, it does not replace tables


def test_a_draft_profile_in_the_scene_replaces_the_builtin(tmp_path: Path) -> None:
    path = tmp_path / "vervet.toml"
    path.write_text(
        VERVET.read_text("utf-8") + "\n[profiles.draft.movie]\nresolution = [320, 180]\n",
        "utf-8",
    )
    scene = load_scene(path, profile="draft").scene
    assert scene.movie.resolution == (320, 180)
    assert scene.dataset.subsample == (1, 4, 4)  # the built-in draft would give [1, 8, 8]
    assert scene.movie.frame_step == 1


def test_a_bad_value_in_a_profile_is_located_in_the_profile_table(tmp_path: Path) -> None:
    path = tmp_path / "vervet.toml"
    path.write_text(VERVET.read_text("utf-8") + "\n[profiles.preview.movie]\nfps = -1\n", "utf-8")
    with pytest.raises(SceneError) as error:
        load_scene(path, profile="preview")
    line = len(VERVET.read_text("utf-8").splitlines()) + 3
    assert [str(p) for p in error.value.problems] == [
        f"{path}:{line}:7: movie.fps: must be greater than 0.0, got -1"
    ]


def test_overrides_apply_after_the_profile() -> None:
    scene = load_scene(VERVET, ["movie.resolution=[800,450]"], profile="draft").scene
    assert scene.movie.resolution == (800, 450)
    assert scene.dataset.subsample == (1, 8, 8)


# -- the scene digest -------------------------------------------------------------------------


def test_digest_follows_the_resolved_scene(tmp_path: Path) -> None:
    base = load_scene(VERVET).digest
    assert load_scene(VERVET).digest == base
    assert load_scene(VERVET, ["movie.fps=30"]).digest != base
    assert load_scene(VERVET, ["movie.fps=25"]).digest == base  # the value it already has
    assert load_scene(VERVET, profile="draft").digest != base
    assert load_scene(VERVET, ["shots[0].frames=101"]).digest != base


def test_digest_ignores_the_profiles_table_comments_and_layout(tmp_path: Path) -> None:
    base = load_scene(VERVET).digest
    with_profiles = tmp_path / "profiles.toml"
    with_profiles.write_text(
        VERVET.read_text("utf-8") + "\n[profiles.preview.movie]\nresolution = [1280, 720]\n",
        "utf-8",
    )
    assert load_scene(with_profiles).digest == base
    relaid = tmp_path / "relaid.toml"
    text = VERVET.read_text("utf-8")
    lines = [line.split("#")[0].rstrip() for line in text.splitlines() if not line.startswith("#")]
    relaid.write_text("\n".join(lines).replace("fps = 25", "fps = 25.0") + "\n", "utf-8")
    assert load_scene(relaid).digest == base
    # An explicit default is the same scene as the default.
    explicit = tmp_path / "explicit.toml"
    explicit.write_text(text.replace("[camera]", "[camera]\nview_angle = 30.0"), "utf-8")
    assert load_scene(explicit).digest == base


def test_an_unknown_profile_is_an_input_error() -> None:
    """The wording of the list is pinned (xfail) by tests/scenes/bad/profile_unknown.toml."""
    with pytest.raises(InputError) as error:
        load_scene(VERVET, profile="nope")
    assert str(error.value).startswith(f"{VERVET}: no profile 'nope' (")
    assert "draft" in str(error.value)
