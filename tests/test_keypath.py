"""Key paths as users write them: ``shots[1].keyframes[2].position``."""

from __future__ import annotations

import pytest

from movie_compiler.config.keypath import KeyPath, format_key, parse_key


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("movie",), "movie"),
        (("movie", "resolution"), "movie.resolution"),
        (("movie", "resolution", 0), "movie.resolution[0]"),
        (("shots", 1, "keyframes", 2, "position"), "shots[1].keyframes[2].position"),
        (("volume", "colors", 3, 0), "volume.colors[3][0]"),
        (("profiles", "draft-2", "movie", "fps"), "profiles.draft-2.movie.fps"),
        ((), ""),
    ],
)
def test_format_and_parse_are_inverse(path: KeyPath, text: str) -> None:
    assert format_key(path) == text
    if text:
        assert parse_key(text) == path


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("profiles", "my preview", "movie"), 'profiles."my preview".movie'),
        (("a.b", "c"), '"a.b".c'),
        (("ключ",), '"ключ"'),
        (("movie", ""), 'movie.""'),
        (("t", 'say "hi"\\'), 't."say \\"hi\\"\\\\"'),
        (("t", "line\nbreak"), 't."line\\nbreak"'),
    ],
)
def test_keys_toml_would_quote_are_quoted(path: KeyPath, text: str) -> None:
    assert format_key(path) == text


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("shots[0].frames", ("shots", 0, "frames")),
        ("shots.0.frames", ("shots", 0, "frames")),
        ("volume.colors[1][2]", ("volume", "colors", 1, 2)),
        ("volume.colors.1.2", ("volume", "colors", 1, 2)),
        ("0.frames", ("0", "frames")),  # a leading number is a key: the scene is a table
        ("movie.frame_step", ("movie", "frame_step")),
    ],
)
def test_parse_key(text: str, path: KeyPath) -> None:
    assert parse_key(text) == path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty key"),
        ("movie..fps", "empty key part in 'movie..fps'"),
        ("movie.", "empty key part in 'movie.'"),
        (".fps", "empty key part in '.fps'"),
    ],
)
def test_parse_key_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_key(text)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("text", "piece"),
    [
        ("shots[x].frames", "shots[x]"),
        ("shots[0]frames", "shots[0]frames"),
        ("movie title", "movie title"),
        ("shots[-1]", "shots[-1]"),
        ('"quoted".key', '"quoted"'),
    ],
)
def test_parse_key_names_the_bad_part(text: str, piece: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_key(text)
    assert str(error.value) == (
        f"{piece!r} is not a key (letters, digits, '_' and '-', then any [N] indices)"
    )
