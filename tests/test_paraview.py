"""Finding pvbatch, probing it (and caching the answer), and giving it a display."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from test_xvfb import alive, own_servers, wait_gone

from movie_compiler.errors import MissingRequirement
from movie_compiler.render import probe_cache
from movie_compiler.render.paraview import (
    ParaViewInfo,
    display_env,
    find_pvbatch,
    probe,
)


@pytest.fixture(scope="module")
def module_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def private_cache(monkeypatch: pytest.MonkeyPatch, module_cache: Path) -> None:
    """The tests probe into a cache folder of their own, never the user's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(module_cache))


def fake_pvbatch(folder: Path, body: str) -> Path:
    """An executable shell script standing in for pvbatch (for what is not about ParaView)."""
    program = folder / "pvbatch"
    program.write_text("#!/bin/sh\n" + body)
    program.chmod(0o755)
    return program


def counting_pvbatch(folder: Path, pvbatch: str) -> tuple[Path, Path]:
    """A wrapper around the real pvbatch that counts its runs in a file."""
    count = folder / "runs"
    program = fake_pvbatch(folder, f'echo run >> "{count}"\nexec "{pvbatch}" "$@"\n')
    return program, count


# -- find_pvbatch ------------------------------------------------------------------------------


def test_find_pvbatch_prefers_moviec_pvbatch(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    program = fake_pvbatch(tmp_path, "exit 0\n")
    monkeypatch.setenv("MOVIEC_PVBATCH", str(program))
    assert find_pvbatch() == str(program)


def test_find_pvbatch_rejects_a_moviec_pvbatch_that_is_not_executable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MOVIEC_PVBATCH", str(tmp_path / "nowhere" / "pvbatch"))
    with pytest.raises(MissingRequirement) as caught:
        find_pvbatch()
    assert str(caught.value) == (
        f"MOVIEC_PVBATCH={tmp_path}/nowhere/pvbatch is not an executable file "
        "(point it at pvbatch, or unset it to use pvbatch from PATH)"
    )
    assert caught.value.code == 3


def test_find_pvbatch_without_paraview_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("MOVIEC_PVBATCH", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingRequirement) as caught:
        find_pvbatch()
    assert str(caught.value) == (
        "ParaView not found: pvbatch is not on PATH (install it: apt-get install paraview "
        "python3-paraview xvfb xauth; or set MOVIEC_PVBATCH to a pvbatch)"
    )


# -- probe -------------------------------------------------------------------------------------


@pytest.mark.paraview
def test_probe_describes_this_paraview_without_a_display(
    monkeypatch: pytest.MonkeyPatch, pvbatch: str
) -> None:
    monkeypatch.setenv("DISPLAY", ":9999")  # no such server: the probe must not need one
    info = probe(pvbatch)
    expected = subprocess.run([pvbatch, "--version"], capture_output=True, text=True).stdout
    assert info.version == expected.split()[-1]
    assert info.executable == os.path.abspath(pvbatch)
    assert re.fullmatch(r"3\.\d+\.\d+", info.python)
    assert {"smart", "gpu", "ray-cast"} <= set(info.renderers)
    assert "OSPRay Based" in info.modes
    assert set(info.renderers) <= {"smart", "gpu", "ray-cast", "ospray"}


@pytest.mark.paraview
def test_probe_lists_ospray_only_with_ray_tracing(pvbatch: str, tmp_path: Path) -> None:
    """Debian's ParaView lists "OSPRay Based" but lacks ray tracing (and draws blank frames)."""
    script = tmp_path / "ray_tracing.py"
    script.write_text(
        "import importlib.util\n"
        "print(importlib.util.find_spec('vtkmodules.vtkRenderingRayTracing') is not None)\n"
    )
    answer = subprocess.run([pvbatch, str(script)], capture_output=True, text=True, check=True)
    has_ray_tracing = answer.stdout.split()[-1] == "True"
    info = probe(pvbatch)
    assert "OSPRay Based" in info.modes
    assert ("ospray" in info.renderers) == has_ray_tracing


@pytest.mark.paraview
def test_debian_paraview_needs_a_display(pvbatch: str) -> None:
    info = probe(pvbatch)
    if info.executable.startswith("/usr/bin/"):
        assert info.needs_display is True


@pytest.mark.paraview
def test_probe_is_cached_per_executable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pvbatch: str
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cache_file = tmp_path / "cache" / "moviec" / probe_cache.FILE_NAME
    program, runs = counting_pvbatch(tmp_path, pvbatch)
    first = probe(str(program))
    second = probe(str(program))
    assert first == second
    assert runs.read_text().count("run") == 1  # the second answer came from the cache
    assert cache_file.exists()
    # A changed executable (new ParaView) is probed again, and replaces the old entry.
    stat = program.stat()
    os.utime(program, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    probe(str(program))
    assert runs.read_text().count("run") == 2
    assert len(json.loads(cache_file.read_text())) == 1
    # A corrupt cache is ignored and rewritten.
    cache_file.write_text("{not json")
    assert probe(str(program)) == first
    assert runs.read_text().count("run") == 3
    assert json.loads(cache_file.read_text())


def test_probe_refuses_paraview_older_than_5_10(tmp_path: Path) -> None:
    answer = {
        "version": "5.9.1",
        "python": "3.9.2",
        "modes": ["Smart", "GPU Based"],
        "ray_tracing": False,
        "headless": False,
        "capabilities": 0,
    }
    program = fake_pvbatch(tmp_path, f"echo 'moviec-probe {json.dumps(answer)}'\n")
    with pytest.raises(MissingRequirement) as caught:
        probe(str(program))
    assert str(caught.value) == (
        f"ParaView 5.9.1 ({program}) is too old; moviec needs 5.10 or newer "
        "(install a newer one, or set MOVIEC_PVBATCH to its pvbatch)"
    )


def test_probe_of_a_broken_pvbatch_names_its_complaint(tmp_path: Path, module_cache: Path) -> None:
    program = fake_pvbatch(
        tmp_path,
        "echo 'Traceback (most recent call last):' >&2\n"
        "echo '  File \"probe.py\", line 1' >&2\n"
        "echo \"ModuleNotFoundError: No module named 'paraview'\" >&2\n"
        "echo >&2\nexit 1\n",
    )
    with pytest.raises(MissingRequirement) as caught:
        probe(str(program))
    assert str(caught.value) == (
        f"{program} does not work as pvbatch (exit 1: ModuleNotFoundError: No module named "
        "'paraview'); install ParaView with its Python: apt-get install paraview "
        "python3-paraview xvfb xauth"
    )
    cached = module_cache / "moviec" / probe_cache.FILE_NAME
    assert not cached.exists() or str(program) not in cached.read_text()  # not cached


def test_probe_of_a_file_that_is_not_a_program(tmp_path: Path) -> None:
    text = tmp_path / "pvbatch"
    text.write_text("not a program")
    with pytest.raises(MissingRequirement) as caught:
        probe(str(text))
    assert str(caught.value) == (
        f"{text} is not an executable file (install: apt-get install paraview "
        "python3-paraview xvfb xauth)"
    )


# -- display_env -------------------------------------------------------------------------------

X_BUILD = ParaViewInfo("/usr/bin/pvbatch", "5.11.0", "3.11.2", ("smart",), needs_display=True)


def test_display_env_keeps_an_existing_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", ":42")
    before = own_servers()
    with display_env(X_BUILD) as env:
        assert env["DISPLAY"] == ":42"
        assert own_servers() == before


def test_display_env_of_a_headless_paraview_starts_no_x_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    headless = ParaViewInfo("/opt/pv/bin/pvbatch", "5.12.0", "3.10.4", ("gpu",), False)
    before = own_servers()
    with display_env(headless) as env:
        assert "DISPLAY" not in env
        assert env["PATH"] == os.environ["PATH"]
        assert own_servers() == before


def test_display_env_starts_and_stops_a_private_xvfb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    before = own_servers()
    with pytest.raises(KeyboardInterrupt), display_env(X_BUILD) as env:
        assert re.fullmatch(r":\d+", env["DISPLAY"])
        assert "DISPLAY" not in os.environ  # the caller's own environment is untouched
        servers = list(own_servers() - before)
        assert len(servers) == 1 and alive(servers[0])
        raise KeyboardInterrupt
    assert wait_gone(servers) == []
