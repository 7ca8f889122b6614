"""Running render scripts under pvbatch: progress, frame-parallel jobs, errors, interruptions.

Most tests run small pvpython scripts that speak the generated script's protocol under real
pvbatch; the last ones compile a real scene on the MNI brain and render it.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from test_xvfb import alive, children, wait_gone

from movie_compiler.errors import InputError, MissingRequirement, ToolError
from movie_compiler.render.messages import last_meaningful_line
from movie_compiler.render.paraview import ParaViewInfo, probe
from movie_compiler.render.runner import RenderReport, frame_ranges, render, split_frames

PROTOCOL = """\
import argparse, os, sys, time
parser = argparse.ArgumentParser(fromfile_prefix_chars="@")
parser.add_argument("--frames")
parser.add_argument("--output")
parser.add_argument("--allow-blank", action="store_true")
args = parser.parse_args()
frames = []
for part in args.frames.split(","):
    first, _, stop = part.partition(":")
    frames += range(int(first), int(stop))
sys.stderr.write(f"pid {os.getpid()} threads {os.environ.get('LP_NUM_THREADS')}\\n")
print(f"moviec-start {len(frames)} GPU_Based", flush=True)
renders = 1
for index in frames:
    time.sleep(DELAY)
#BEFORE_FRAME
    path = f"shot-001/{index:06d}.png"
    final = os.path.join(args.output, path)
    os.makedirs(os.path.dirname(final), exist_ok=True)
    with open(final[:-4] + ".partial.png", "w") as stream:
        stream.write(str(index))
    os.replace(final[:-4] + ".partial.png", final)
    print(f"moviec-frame {index} {renders} {DELAY:.3f} {path}", flush=True)
#AFTER_FRAMES
"""


def protocol_script(
    folder: Path, before_frame: str = "", after_frames: str = "", delay: float = 0.0
) -> Path:
    """A pvpython script that answers like the generated render script."""
    script = folder / "render.py"
    body = PROTOCOL.replace("#BEFORE_FRAME", textwrap.indent(textwrap.dedent(before_frame), "    "))
    body = body.replace("#AFTER_FRAMES", textwrap.dedent(after_frames))
    script.write_text(body.replace("DELAY", repr(delay)))
    return script


@pytest.fixture(scope="module")
def info(pvbatch: str, tmp_path_factory: pytest.TempPathFactory) -> ParaViewInfo:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        return probe(pvbatch)


@pytest.fixture
def env(display: str) -> dict[str, str]:
    return {**os.environ, "DISPLAY": display}


def run(
    script: Path, frames: list[int], info: ParaViewInfo, env: dict[str, str], **options: object
) -> RenderReport:
    folder = script.parent
    return render(
        script,
        frames,
        folder / "frames",
        info=info,
        env=env,
        log_path=folder / "render.log",
        progress=False,
        **options,  # type: ignore[arg-type]
    )


# -- Pure helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frames", "text"),
    [
        ([0, 1, 2, 5, 6, 9], "0:3,5:7,9:10"),
        ([9, 2, 0, 1, 2, 6, 5], "0:3,5:7,9:10"),
        ([4], "4:5"),
        (list(range(100, 300)), "100:300"),
        ([], ""),
    ],
)
def test_frame_ranges(frames: list[int], text: str) -> None:
    assert frame_ranges(frames) == text


@pytest.mark.paraview
def test_a_long_selection_goes_through_a_file(
    tmp_path: Path, info: ParaViewInfo, env: dict[str, str]
) -> None:
    """Every second frame of a long movie (a draft) is one range per frame: more than a
    command-line argument may hold on Linux, so it is passed as @FILE."""
    frames = list(range(0, 40_000, 2))
    report = run(protocol_script(tmp_path), frames, info, env)
    assert list(report.frames) == frames
    log = (tmp_path / "render.log").read_text()
    assert f"@{tmp_path / 'render.frames-0.txt'}" in log.splitlines()[0]


def test_split_frames_into_contiguous_parts_of_nearly_equal_size() -> None:
    assert split_frames(range(10), 3) == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert split_frames([7, 3, 5], 8) == [[3], [5], [7]]
    assert split_frames(range(4), 1) == [[0, 1, 2, 3]]
    assert split_frames(range(4), 0) == [[0, 1, 2, 3]]


ABORT = """\
\x1b[0m\x1b[31m(   2.076s) [pvbatch         ]vtkXOpenGLRenderWindow.:465    ERR| \
vtkXOpenGLRenderWindow (0x55c4efb7f750): bad X server connection. DISPLAY=:9999. Aborting.
\x1b[0m
\x1b[0m\x1b[1m\x1b[91m
Loguru caught a signal: SIGABRT
\x1b[0m\x1b[0m\x1b[31mStack trace:
1       0x7fd68b5abeec /usr/bin/../lib/x86_64-linux-gnu/libc.so.6(+0x8aeec) [0x7fd68b5abeec]
0       0x7fd68b55d050 /usr/bin/../lib/x86_64-linux-gnu/libc.so.6(+0x3c050) [0x7fd68b55d050]\x1b[0m
\x1b[0m\x1b[31m(   2.077s) [pvbatch         ]               :0     FATL| Signal: SIGABRT\x1b[0m
"""


OPEN_MPI = """\
--------------------------------------------------------------------------
There are not enough slots available in the system to satisfy the 4
slots that were requested by the application:

  /usr/bin/pvbatch

Either request fewer slots for your application, or make more slots
available for use.
--------------------------------------------------------------------------
"""


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            "warning: x\nTraceback (most recent call last):\n  File 'a'\n    1/0\n"
            "ZeroDivisionError: z\n\n",
            "ZeroDivisionError: z",
        ),
        (ABORT, "vtkXOpenGLRenderWindow: bad X server connection. DISPLAY=:9999. Aborting."),
        ("\n  \n", ""),
        (
            OPEN_MPI,
            "There are not enough slots available in the system to satisfy the 4 slots "
            "that were requested by the application:",
        ),
    ],
    ids=["python", "vtk-abort", "nothing", "open-mpi"],
)
def test_last_meaningful_line(text: str, line: str) -> None:
    assert last_meaningful_line(text) == line


def test_no_frames_starts_no_pvbatch(tmp_path: Path) -> None:
    nothing = ParaViewInfo("/nonexistent/pvbatch", "5.11.0", "3.11.2", ("gpu",), True)
    report = render(
        tmp_path / "render.py", [], tmp_path, info=nothing, env={}, log_path=tmp_path / "log"
    )
    assert report == RenderReport((), {}, {}, "", 0.0)


# -- The protocol ------------------------------------------------------------------------------


@pytest.mark.paraview
def test_render_reports_each_frame(tmp_path: Path, info: ParaViewInfo, env: dict[str, str]) -> None:
    script = protocol_script(tmp_path)
    report = run(script, [9, 0, 1, 2, 5, 6], info, env, allow_blank=True)
    assert report.frames == (0, 1, 2, 5, 6, 9)
    assert report.renders == dict.fromkeys(report.frames, 1)
    assert report.seconds == dict.fromkeys(report.frames, 0.0)
    assert report.paths[9] == "shot-001/000009.png"
    assert report.renderer == "GPU Based"
    assert report.wall_seconds > 0
    written = sorted(p.name for p in (tmp_path / "frames" / "shot-001").iterdir())
    assert written == [f"{i:06d}.png" for i in report.frames]
    log = (tmp_path / "render.log").read_text()
    assert f"# job 0: {info.executable} {script} --frames 0:3,5:7,9:10 " in log
    assert f"--output {tmp_path / 'frames'} --allow-blank\n" in log
    assert "moviec-frame 9 1 0.000 shot-001/000009.png\n" in log
    assert log.endswith("# job 0: pvbatch exit 0\n")


@pytest.mark.paraview
def test_jobs_render_contiguous_parts_concurrently(
    tmp_path: Path, info: ParaViewInfo, env: dict[str, str]
) -> None:
    script = protocol_script(tmp_path, delay=0.5)
    report = run(script, list(range(12)), info, env, jobs=3)
    assert report.frames == tuple(range(12))
    log = (tmp_path / "render.log").read_text()
    for job, part in enumerate(["0:4", "4:8", "8:12"]):
        assert f"# job {job}: {info.executable} {script} --frames {part} " in log
        assert f"# job {job}: pvbatch exit 0\n" in log
    pids = {line.split()[2] for line in log.splitlines() if " pid " in line}
    assert len(pids) == 3
    threads = max(1, (os.cpu_count() or 1) // 3)
    assert "[1] pid " in log and f"threads {threads}\n" in log
    # Concurrent, not one after the other: every job started before any of them ended.
    lines = log.splitlines()
    last_start = max(i for i, line in enumerate(lines) if " moviec-start " in line)
    first_end = min(i for i, line in enumerate(lines) if line.endswith(": pvbatch exit 0"))
    assert last_start < first_end


@pytest.mark.paraview
def test_progress_in_the_log_when_there_is_no_bar(
    tmp_path: Path, info: ParaViewInfo, env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="movie_compiler")
    run(protocol_script(tmp_path), list(range(5)), info, env)
    messages = [record.getMessage() for record in caplog.records]
    assert messages[0] == "rendering 5 frames with GPU Based"
    assert messages[-1].startswith("rendered 5/5 frames in ")
    assert messages[-1].endswith(" frames/s)")


@pytest.mark.paraview
def test_progress_bar_counts_frames(
    tmp_path: Path, info: ParaViewInfo, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    script = protocol_script(tmp_path, delay=0.05)
    render(script, range(6), tmp_path / "f", info=info, env=env, log_path=tmp_path / "log")
    shown = capsys.readouterr().err
    assert "rendering (GPU Based)" in shown
    assert "6/6" in shown


@pytest.mark.paraview
def test_frames_rendered_more_than_once_are_reported(
    tmp_path: Path, info: ParaViewInfo, env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    script = protocol_script(tmp_path, before_frame="renders = 2 if index in (1, 2) else 1")
    report = run(script, list(range(4)), info, env)
    assert report.renders == {0: 1, 1: 2, 2: 2, 3: 1}
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        f"2 of 4 frames took other than exactly one render (frames 1:3); see {tmp_path}/render.log"
    ]


# -- Errors ------------------------------------------------------------------------------------


@pytest.mark.paraview
@pytest.mark.parametrize(
    ("code", "error"), [(2, InputError), (3, MissingRequirement)], ids=["data", "paraview"]
)
def test_the_scripts_own_message_becomes_the_error(
    tmp_path: Path, info: ParaViewInfo, env: dict[str, str], code: int, error: type
) -> None:
    script = protocol_script(
        tmp_path,
        before_frame=f"""
        if index == 2:
            sys.stderr.write("moviec-error: volume renderer 'OSPRay Based' is missing\\n")
            sys.exit({code})
        """,
    )
    with pytest.raises(error) as caught:
        run(script, list(range(5)), info, env)
    assert str(caught.value) == "volume renderer 'OSPRay Based' is missing"
    assert caught.value.code == code
    done = sorted(p.name for p in (tmp_path / "frames" / "shot-001").iterdir())
    assert done == ["000000.png", "000001.png"]  # finished frames stay


def test_a_pvbatch_that_cannot_start(tmp_path: Path) -> None:
    gone = ParaViewInfo(str(tmp_path / "pvbatch"), "5.11.0", "3.11.2", ("gpu",), True)
    with pytest.raises(MissingRequirement) as caught:
        run(protocol_script(tmp_path), [0], gone, {})
    assert str(caught.value) == f"cannot run {tmp_path}/pvbatch: No such file or directory"


@pytest.mark.paraview
def test_a_crash_names_the_log_and_the_last_words(
    tmp_path: Path, info: ParaViewInfo, env: dict[str, str]
) -> None:
    script = protocol_script(tmp_path, before_frame="print(1 / 0)")
    with pytest.raises(ToolError) as caught:
        run(script, [0, 1], info, env)
    log = tmp_path / "render.log"
    assert str(caught.value) == (
        f"pvbatch failed (exit 1); see {log}\nZeroDivisionError: division by zero"
    )
    assert caught.value.code == 1
    assert "Traceback (most recent call last):" in log.read_text()


@pytest.mark.paraview
def test_a_pvbatch_killed_by_a_signal(
    tmp_path: Path, info: ParaViewInfo, env: dict[str, str]
) -> None:
    script = protocol_script(tmp_path, before_frame="os.kill(os.getpid(), 9)")
    with pytest.raises(ToolError) as caught:
        run(script, [0], info, env)
    assert str(caught.value).startswith(
        f"pvbatch failed (killed by SIGKILL); see {tmp_path / 'render.log'}"
    )


@pytest.mark.paraview
def test_an_error_line_with_another_exit_code_is_a_tool_error(
    tmp_path: Path, info: ParaViewInfo, env: dict[str, str]
) -> None:
    script = protocol_script(
        tmp_path, after_frames="sys.stderr.write('moviec-error: disk full\\n')\nsys.exit(1)\n"
    )
    with pytest.raises(ToolError) as caught:
        run(script, [0], info, env)
    assert str(caught.value) == f"pvbatch failed (exit 1); see {tmp_path / 'render.log'}\ndisk full"


@pytest.mark.paraview
def test_frames_that_never_came(tmp_path: Path, info: ParaViewInfo, env: dict[str, str]) -> None:
    script = protocol_script(tmp_path, before_frame="if index >= 3: break")
    with pytest.raises(ToolError) as caught:
        run(script, list(range(6)), info, env)
    assert str(caught.value) == (
        f"pvbatch ended without rendering frames 3:6; see {tmp_path / 'render.log'}"
    )


@pytest.mark.paraview
def test_one_failing_job_stops_the_others(
    tmp_path: Path, info: ParaViewInfo, env: dict[str, str]
) -> None:
    script = protocol_script(
        tmp_path,
        before_frame="""
        if index == 5:
            sys.stderr.write("moviec-error: frame 5 is blank\\n")
            sys.exit(3)
        time.sleep(60)
        """,
    )
    started = time.monotonic()
    with pytest.raises(MissingRequirement, match=r"^frame 5 is blank$"):
        run(script, list(range(10)), info, env, jobs=2)
    assert time.monotonic() - started < 20
    assert children(os.getpid(), str(script)) == []


# -- Interruptions -----------------------------------------------------------------------------

DRIVER = """\
import sys
from pathlib import Path
from movie_compiler.render.paraview import display_env, probe
from movie_compiler.render.runner import render

info = probe({pvbatch!r})
script = Path({script!r})
try:
    with display_env(info) as env:
        render(script, range(100), script.parent / "frames", info=info, env=env,
               log_path=script.parent / "render.log", jobs=2, progress=False)
except KeyboardInterrupt:
    sys.exit(130)
"""


def start_driver(folder: Path, pvbatch: str) -> tuple[subprocess.Popen[bytes], Path]:
    """A build in another process, without DISPLAY (so it runs its own Xvfb), rendering
    frames slowly; returns once it has written two frames."""
    script = protocol_script(folder, delay=0.2)
    driver = folder / "driver.py"
    driver.write_text(DRIVER.format(pvbatch=pvbatch, script=str(script)))
    env = {key: value for key, value in os.environ.items() if key != "DISPLAY"}
    env["XDG_CACHE_HOME"] = str(folder / "cache")
    process = subprocess.Popen(
        [sys.executable, str(driver)],
        env=env,
        stderr=subprocess.PIPE,
        # Let the driver see Ctrl-C even where the test runner ignores SIGINT (a background job).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    frames = folder / "frames" / "shot-001"
    deadline = time.monotonic() + 60
    while len(list(frames.glob("*.png"))) < 2:
        assert process.poll() is None, process.communicate()[1].decode()
        assert time.monotonic() < deadline, "the driver rendered nothing within 60 s"
        time.sleep(0.05)
    return process, script


# pvbatch under MPI ends its ranks together only after paraview.simple was imported (as the
# generated script does); without it rank 0 waits forever in its final barrier.
PARTITIONS = """\
import paraview.simple
from paraview import servermanager
module = servermanager.vtkProcessModule.GetProcessModule()
sys.stderr.write(f"partitions {module.GetNumberOfLocalPartitions()}\\n")
"""


@pytest.mark.paraview
def test_mpi_ranks_run_one_frame_loop(
    tmp_path: Path, info: ParaViewInfo, env: dict[str, str]
) -> None:
    """Under mpiexec the script's loop runs on rank 0 alone: each frame is reported once."""
    script = protocol_script(tmp_path, after_frames=PARTITIONS)
    report = run(script, [0, 1, 2, 3], info, env, ranks=2)
    assert report.frames == (0, 1, 2, 3)
    log = (tmp_path / "render.log").read_text().splitlines()
    launch = log[0].split()
    assert launch[3:7] == [shutil.which("mpiexec"), "-n", "2", info.executable], log[0]
    assert "partitions 2" in log
    threads = max(1, (os.cpu_count() or 1) // 2)  # two renderers share the cores
    assert sum(line.endswith(f"threads {threads}") for line in log) == 1
    assert sorted(p.name for p in (tmp_path / "frames" / "shot-001").iterdir()) == [
        f"00000{i}.png" for i in range(4)
    ]


@pytest.mark.paraview
def test_the_scripts_message_passes_through_mpiexec(
    tmp_path: Path, info: ParaViewInfo, env: dict[str, str]
) -> None:
    script = protocol_script(
        tmp_path, after_frames="sys.stderr.write('moviec-error: no such array\\n')\nos._exit(2)\n"
    )
    with pytest.raises(InputError) as caught:
        run(script, [0], info, env, ranks=2)
    assert str(caught.value) == "no such array"


@pytest.mark.paraview
def test_ctrl_c_stops_pvbatch_and_xvfb_and_keeps_finished_frames(
    tmp_path: Path, pvbatch: str
) -> None:
    driver, script = start_driver(tmp_path, pvbatch)
    helpers = children(driver.pid)
    names = sorted(Path(f"/proc/{pid}/comm").read_text().strip() for pid in helpers)
    assert names == ["Xvfb", "pvbatch", "pvbatch"]
    driver.send_signal(signal.SIGINT)
    _, err = driver.communicate(timeout=30)
    assert driver.returncode == 130, err.decode()
    assert wait_gone(helpers, timeout=1) == []
    assert subprocess.run(["pgrep", "-f", str(script)], capture_output=True).stdout == b""
    frames = sorted((tmp_path / "frames" / "shot-001").iterdir())
    assert frames and all(p.suffix == ".png" and ".partial" not in p.name for p in frames)
    for frame in frames:  # each one complete: the script renames a finished file
        assert frame.read_text() == str(int(frame.stem))
    assert "# moviec: interrupted; stopping pvbatch\n" in (tmp_path / "render.log").read_text()


@pytest.mark.paraview
def test_kill_9_of_moviec_takes_pvbatch_and_xvfb_along(tmp_path: Path, pvbatch: str) -> None:
    driver, _ = start_driver(tmp_path, pvbatch)
    helpers = children(driver.pid)
    assert len(helpers) == 3 and all(alive(pid) for pid in helpers)
    driver.kill()
    driver.communicate()
    assert wait_gone(helpers) == [], "pvbatch or Xvfb outlived kill -9 of their parent"


# -- A real scene ------------------------------------------------------------------------------

SCENE = """\
[movie]
resolution = [160, 120]
fps = 10
background = [0.0, 0.0, 0.0]

[dataset]
path = "brain.h5"
array = "/T1"
voxel_size = [1.0, 1.0, 1.0]
unit = "mm"

[volume]
renderer = "gpu"
colors = [[0, 0.0, 0.0, 0.0], [80, 0.8, 0.5, 0.4], [200, 1.0, 1.0, 0.9]]
opacity = [[0, 0.0], [40, 0.0], [200, 0.6]]

[camera]
position = [0.0, 0.0, 2.5]
focal_point = [0.0, 0.0, 0.0]
view_up = [0.0, 1.0, 0.0]

[[shots]]
name = "orbit"
type = "orbit"
frames = 6
degrees = 90
"""

XDMF = """\
<?xml version="1.0" ?>
<Xdmf Version="2.0">
 <Domain>
  <Grid Name="Brain" GridType="Uniform">
   <Topology TopologyType="3DCoRectMesh" Dimensions="{dims}"/>
   <Geometry GeometryType="ORIGIN_DXDYDZ">
    <DataItem Name="Origin" Dimensions="3" NumberType="Float" Precision="8"
              Format="XML">0 0 0</DataItem>
    <DataItem Name="Spacing" Dimensions="3" NumberType="Float" Precision="8"
              Format="XML">1 1 1</DataItem>
   </Geometry>
   <Attribute Name="T1" AttributeType="Scalar" Center="Node">
    <DataItem Dimensions="{dims}" NumberType="UChar" Precision="1"
              Format="HDF">{file}:/T1</DataItem>
   </Attribute>
  </Grid>
 </Domain>
</Xdmf>
"""


@pytest.fixture(scope="module")
def brain_scene(tmp_path_factory: pytest.TempPathFactory, mni_t1: object) -> Path:
    """A scene on the MNI152 T1 template, stored as HDF5 beside it."""
    import h5py
    import numpy as np

    folder = tmp_path_factory.mktemp("brain")
    volume = np.asarray(mni_t1)
    with h5py.File(folder / "brain.h5", "w") as stream:
        stream.create_dataset("T1", data=volume)
    (folder / "scene.toml").write_text(SCENE)
    return folder / "scene.toml"


def compile_scene(scene: Path, out: Path, *overrides: str, xdmf: bool = True) -> Path:
    """Compile ``scene`` into ``out`` with the real generator; return the script."""
    import h5py

    from movie_compiler import generate
    from movie_compiler.config.load import load_scene
    from movie_compiler.plan import plan

    loaded = load_scene(scene, overrides)
    written = generate.write(out, loaded, plan(loaded.scene))
    if xdmf:
        data = scene.parent / "brain.h5"
        with h5py.File(data, "r") as stream:
            dims = " ".join(str(n) for n in stream["T1"].shape)
        (out / generate.DATASET_NAME).write_text(XDMF.format(dims=dims, file=data))
    return written["script"]


def decode(path: Path) -> object:
    """The PNG as an RGB array, decoded by FFmpeg (PyAV), not by ParaView."""
    import av

    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format="rgb24")


@pytest.mark.paraview
def test_a_compiled_scene_renders_the_brain(
    brain_scene: Path, tmp_path: Path, info: ParaViewInfo, env: dict[str, str]
) -> None:
    import numpy as np

    script = compile_scene(brain_scene, tmp_path / "build")
    report = run(script, list(range(6)), info, env)
    assert report.frames == tuple(range(6))
    assert report.renders == dict.fromkeys(range(6), 1)  # one render per frame, no more
    assert report.renderer == "GPU Based"
    assert report.paths == {i: f"shot-001/{i:06d}.png" for i in range(6)}
    for index in range(6):
        image = np.asarray(decode(tmp_path / "build" / "frames" / report.paths[index]))
        assert image.shape == (120, 160, 3)
        drawn = (image.max(axis=2) > 10).mean()
        assert 0.05 < drawn < 0.9, f"frame {index}: {drawn:.0%} of the pixels show the brain"
    # Frame-parallel rendering makes the very same frames.
    again = render(
        script,
        range(6),
        tmp_path / "parallel",
        info=info,
        env=env,
        log_path=tmp_path / "parallel.log",
        jobs=2,
        progress=False,
    )
    assert again.frames == report.frames
    for index in range(6):
        first = (tmp_path / "build" / "frames" / report.paths[index]).read_bytes()
        assert (tmp_path / "parallel" / report.paths[index]).read_bytes() == first


@pytest.mark.paraview
def test_a_renderer_this_paraview_lacks_is_a_missing_requirement(
    brain_scene: Path, tmp_path: Path, info: ParaViewInfo, env: dict[str, str]
) -> None:
    if "ospray" in info.renderers:
        pytest.fail("this test expects a ParaView without ray tracing (Debian's)")
    script = compile_scene(brain_scene, tmp_path, "volume.renderer=ospray")
    with pytest.raises(MissingRequirement) as caught:
        run(script, [0], info, env)
    assert str(caught.value).startswith(
        "volume renderer 'OSPRay Based' is not available in this ParaView (it has: "
    )
    assert not (tmp_path / "frames").exists()


@pytest.mark.paraview
def test_a_missing_dataset_description_is_an_input_error(
    brain_scene: Path, tmp_path: Path, info: ParaViewInfo, env: dict[str, str]
) -> None:
    script = compile_scene(brain_scene, tmp_path, xdmf=False)
    with pytest.raises(InputError) as caught:
        run(script, [0], info, env)
    assert str(caught.value) == (
        f"dataset description {tmp_path / 'dataset.xdmf'} is missing "
        "(moviec writes it at build time)"
    )
