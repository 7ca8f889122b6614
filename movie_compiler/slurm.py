"""The Slurm executor: a job array renders the frames the cache lacks, a dependent job
verifies every frame and encodes.

``moviec build SCENE --executor slurm`` runs :func:`movie_compiler.build.prepare` on the node
it runs on (a login node: plan, renderer, dataset description, cache keys, script), then
writes a submission folder in the build folder::

    .moviec/builds/SCENE-HASH/slurm/20250101-120000-login1-4242/
        submission.json     what the jobs need: frame windows, cache keys, ParaView, settings
        render.sbatch       the job array: task N renders window N (moviec render-task)
        encode.sbatch       verify and encode, after every task ended (moviec encode-task)
        render-JOB_N.log    each task's log (Slurm's output), pvbatch-N.log what pvbatch said
        encode-JOB.log      the encode job's log; result.json its outcome
        receipts/task-N.json  the frames each task left finished, and where it ran

and submits ``render.sbatch`` as an array of K tasks and ``encode.sbatch`` with
``--dependency=afterany:ARRAY``. Tasks claim their frames in the cache
(:meth:`movie_compiler.cache.FrameCache.claim`), so two submissions of the same scene never
render a frame twice; the encode job waits for frames another build still renders, fills in
repeated frames, checks every frame, and fails naming what is missing and the command that
renders just that (a plain ``moviec build SCENE --executor slurm`` again).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Any

from movie_compiler import __version__, cache, fsutil
from movie_compiler.config.load import LoadedScene, load_scene
from movie_compiler.config.model import Cluster
from movie_compiler.errors import (
    ExitCode,
    Incomplete,
    InputError,
    MissingRequirement,
    MoviecError,
    ToolError,
)
from movie_compiler.logs import progress_enabled
from movie_compiler.plan import plan
from movie_compiler.render import paraview, runner

log = logging.getLogger(__name__)

SUBMISSION = "submission.json"
RESULT = "result.json"
RECEIPTS = "receipts"
POLL = 2.0
"""Seconds between looks at the queue while ``--wait`` waits."""
REPORT_EVERY = 30.0
"""Seconds between progress lines while ``--wait`` waits."""
SHARED_FILE_SYSTEMS = frozenset(
    {"nfs", "nfs4", "lustre", "gpfs", "beegfs", "cephfs", "ceph", "panfs", "wekafs", "cifs"}
    | {"smb3", "glusterfs", "fuse.glusterfs", "fuse.beegfs", "fuse.sshfs", "virtiofs", "9p"}
)
"""File systems that compute nodes can share (others draw a warning at submission)."""
ACTIVE_STATES = frozenset(
    {"PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED", "RESIZING", "SUSPENDED"}
    | {"REQUEUE_HOLD", "REQUEUE_FED", "SIGNALING", "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD"}
)


# -- the submission ---------------------------------------------------------------------------


@dataclass
class Submission:
    """What the jobs of one submission need (``submission.json``)."""

    token: str
    """A random value the jobs compare with their command line: a job that reads another
    submission's file (or none) is on a node that does not share the cache folder."""
    moviec: str
    created: str
    host: str
    scene: str
    profile: str | None
    overrides: list[str]
    cache_dir: str | None
    digest: str
    build_dir: str
    frames_root: str
    script: str
    files: dict[str, str]
    """SHA-256 of render.py, plan.json and dataset.xdmf at submission."""
    keys: list[str]
    paraview: dict[str, Any]
    renderer: str
    ranks: int
    allow_blank: bool
    encode: bool
    selection: list[int]
    """The movie's frames this submission is about (all of them unless --frames)."""
    windows: list[list[int]]
    """The frames each render task renders."""
    frame_paths: dict[str, str]
    """Frame -> its PNG relative to ``frames_root``, for the frames of the windows."""
    jobs: dict[str, str] = field(default_factory=dict)
    name: str = ""
    frame_range: str | None = None
    """``--frames`` of the submission, if any."""

    def write(self, folder: Path) -> None:
        fsutil.write_text(folder / SUBMISSION, json.dumps(asdict(self), indent=1) + "\n")

    @classmethod
    def read(cls, folder: Path, token: str | None) -> Submission:
        """The submission in ``folder``; :class:`Incomplete` when this node does not see it
        (the cache folder is not shared with the node that submitted)."""
        path = folder / SUBMISSION
        try:
            document = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise Incomplete(
                f"{path} is not visible on {cache.this_host()}: the cache folder must be on a "
                "file system shared by the login and compute nodes (moviec build --cache-dir "
                "DIR)"
            ) from None
        submission = cls(**document)
        if token is not None and submission.token != token:
            raise Incomplete(
                f"{path} on {cache.this_host()} is not the file that {submission.host} "
                "wrote at submission: the cache folder must be one file system shared by the "
                "login and compute nodes (moviec build --cache-dir DIR)"
            )
        return submission

    def rerun(self) -> str:
        """The command that submits what is still missing."""
        words = ["moviec", "build", self.scene]
        if self.profile:
            words += ["--profile", self.profile]
        for override in self.overrides:
            words += ["--set", override]
        if self.cache_dir:
            words += ["--cache-dir", self.cache_dir]
        if self.frame_range:
            words += ["--frames", self.frame_range]
        return shlex.join([*words, "--executor", "slurm"])

    def paths(self, frames: Sequence[int]) -> dict[int, Path]:
        root = Path(self.frames_root)
        return {frame: root / self.frame_paths[str(frame)] for frame in frames}


def file_digests(build_dir: Path) -> dict[str, str]:
    found = {}
    for name in ("render.py", "plan.json", "dataset.xdmf"):
        path = build_dir / name
        if path.exists():
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


# -- sbatch, squeue, scontrol -----------------------------------------------------------------


def require_slurm() -> str:
    """sbatch's path, or :class:`MissingRequirement`."""
    program = shutil.which("sbatch")
    if program is None:
        raise MissingRequirement(
            "--executor slurm needs sbatch, which is not on PATH: run moviec on a Slurm login "
            "node (or install Slurm's client commands: Debian's slurm-client)"
        )
    return program


INVALID_REQUEST = (
    "invalid partition",
    "invalid account",
    "invalid qos",
    "time limit",
    "invalid --time",
    "node count",
    "node configuration is not available",
    "invalid feature",
    "invalid generic resource",
    "more processors requested",
    "memory specification",
    "invalid user",
    "access/permission denied",
    "unrecognized option",
    "invalid option",
    "unrecognised option",
)
NO_CONTROLLER = ("unable to contact slurm controller", "connection refused", "zero bytes")


def sbatch(arguments: list[str], *, what: str, loaded: LoadedScene) -> str:
    """Run ``sbatch --parsable ARGUMENTS``; return the job id. sbatch's refusal becomes one
    line: invalid settings exit 2 (naming where the scene set them), an unreachable
    controller 3, anything else 1."""
    command = [require_slurm(), "--parsable", *arguments]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        raise ToolError(f"sbatch did not answer within 120 s submitting the {what}") from None
    if done.returncode == 0:
        return done.stdout.strip().splitlines()[-1].split(";")[0]
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    reason = lines[-1] if lines else f"exit {done.returncode}"
    for prefix in ("sbatch: error: ", "Batch job submission failed: "):
        reason = reason.removeprefix(prefix)
    lowered = reason.lower()
    message = f"sbatch refused the {what}: {reason}"
    if any(text in lowered for text in NO_CONTROLLER):
        raise MissingRequirement(f"{message} (is this a Slurm login node?)")
    if any(text in lowered for text in INVALID_REQUEST):
        raise InputError(f"{message}{_settings_hint(loaded, lowered)}")
    raise ToolError(message)


def _settings_hint(loaded: LoadedScene, reason: str) -> str:
    """`` (cluster.partition = "x" at scene.toml:3:13)`` for the settings a refusal is about."""
    cluster = loaded.scene.cluster
    names = [
        name
        for name, words in (
            ("partition", ("partition",)),
            ("account", ("account", "user", "permission")),
            ("time", ("time",)),
            ("nodes", ("node",)),
            ("mem", ("memory",)),
            ("options", ("qos", "feature", "generic", "option")),
        )
        if any(word in reason for word in words) and getattr(cluster, name)
    ]
    shown = [
        f"cluster.{name} = {json.dumps(_plain(getattr(cluster, name)))} at "
        f"{loaded.where(('cluster', name))}"
        for name in names
    ]
    return f" ({'; '.join(shown)})" if shown else ""


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def job_states(jobs: Sequence[str]) -> dict[str, str] | None:
    """Job (or ``ARRAY_TASK``) -> Slurm state, for the jobs the controller still knows; None
    when the controller cannot be asked."""
    if not jobs or shutil.which("squeue") is None:
        return None
    command = ["squeue", "-h", "-t", "all", "-r", "-o", "%i %T", "-j", ",".join(jobs)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0 and "invalid job id" not in done.stderr.lower():
        return None
    states = {}
    for line in done.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2:
            states[parts[0]] = parts[1]
    return states


def array_states(job: str) -> dict[int, tuple[str, str]]:
    """Task -> (state, exit code) of the tasks of array job ``job`` (``scontrol``; empty when
    the controller forgot them)."""
    if not job or shutil.which("scontrol") is None:
        return {}
    try:
        done = subprocess.run(
            ["scontrol", "-o", "show", "job", job], capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        return {}
    found = {}
    for line in done.stdout.splitlines():
        fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
        task = fields.get("ArrayTaskId", "")
        if task.isdigit():
            found[int(task)] = (fields.get("JobState", "?"), fields.get("ExitCode", "?"))
    return found


def job_alive_checker() -> Callable[[str], bool]:
    """Whether a claim's Slurm job (``ARRAY_TASK``) is still active, asked of squeue once per
    job; a job squeue does not know counts as ended."""
    known: dict[str, bool] = {}

    def alive(job: str) -> bool:
        if job not in known:
            states = job_states([job])  # None: cannot tell; the lease decides
            known[job] = states is None or states.get(job) in ACTIVE_STATES
        return known[job]

    return alive


# -- submitting -------------------------------------------------------------------------------


def submit(
    loaded: LoadedScene,
    *,
    cache_dir: Path | None,
    frame_range: str | None,
    force: bool,
    ranks: int | None,
    allow_blank: bool,
    encode_movie: bool,
    wait: bool,
) -> int:
    """Prepare on this node, submit the render array and the encode job; print their ids and
    logs. With ``wait``, block until the encode job ends and return its exit code."""
    from movie_compiler.build import Prepared, movie_document, prepare, select_frames, up_to_date
    from movie_compiler.encode import EncodeSettings

    require_slurm()
    cluster = loaded.scene.cluster
    task_ranks = ranks if ranks is not None else cluster.ranks
    prepared: Prepared = prepare(loaded, cache_dir=cache_dir, ranks=task_ranks)
    space = prepared.space
    frames = replace(space.frames, job_alive=job_alive_checker())
    _warn_if_local(space.root)
    wanted = select_frames(prepared.plan, frame_range)
    frames.prepare(prepared.plan, prepared.keys, prepared.loaded.path, wanted)  # their shots
    if force:
        frames.remove(prepared.plan, prepared.keys, wanted)
    todo = frames.missing(prepared.plan, prepared.keys, wanted)
    busy = frames.holders(prepared.plan, prepared.keys, todo)
    render_list, links = frames.duplicates(
        prepared.plan,
        prepared.keys,
        [f for f in wanted if f not in busy],
        [f for f in todo if f not in busy],
    )
    print(
        f"{loaded.path.name}: {len(wanted)} frames, {len(wanted) - len(todo)} cached, "
        f"{len(busy)} being rendered by another build, {len(render_list)} to render, "
        f"{len(links)} repeated",
        flush=True,
    )
    complete = frame_range is None
    if not render_list and not busy and complete and encode_movie:
        settings = EncodeSettings.from_scene(loaded.scene, loaded.output)
        if not links and up_to_date(loaded.output, movie_document(prepared, settings)):
            print(f"{loaded.output} is up to date; nothing submitted", flush=True)
            return int(ExitCode.OK)
    if not render_list and not encode_movie:
        print("nothing to render; nothing submitted", flush=True)
        return int(ExitCode.OK)
    windows = runner.split_frames(render_list, cluster.tasks)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    name = f"{stamp}-{cache.this_host()}-{os.getpid()}"
    folder = space.build_dir / "slurm" / name
    (folder / RECEIPTS).mkdir(parents=True, exist_ok=True)
    window_frames = [f for window in windows for f in window]
    submission = Submission(
        token=os.urandom(8).hex(),
        moviec=__version__,
        created=time.strftime("%Y-%m-%d %H:%M:%S %z"),
        host=cache.this_host(),
        scene=str(loaded.path),
        profile=loaded.profile,
        overrides=list(loaded.overrides),
        cache_dir=str(cache_dir.absolute()) if cache_dir is not None else None,
        digest=loaded.digest,
        build_dir=str(space.build_dir.absolute()),
        frames_root=str(space.frames.root.absolute()),
        script=str(prepared.script.absolute()),
        files=file_digests(space.build_dir),
        keys=list(prepared.keys),
        paraview=paraview.info_document(prepared.info),
        renderer=prepared.renderer,
        ranks=task_ranks,
        allow_blank=allow_blank,
        encode=encode_movie,
        selection=list(wanted),
        windows=windows,
        frame_paths={
            str(f): str(
                space.frames.frame_path(prepared.plan, prepared.keys, f).relative_to(
                    space.frames.root
                )
            )
            for f in window_frames
        },
        name=name,
        frame_range=frame_range,
    )
    submission.write(folder)
    scripts = write_scripts(submission, folder, cluster, loaded)
    render_job = ""
    if windows:
        render_job = sbatch([str(scripts["render"])], what="render job array", loaded=loaded)
        submission.jobs["render"] = render_job
    dependency = [f"--dependency=afterany:{render_job}", "--kill-on-invalid-dep=yes"]
    what = "encode job" if encode_movie else "verify job"
    try:
        encode_job = sbatch(
            [*(dependency if render_job else []), str(scripts["encode"]), render_job],
            what=what,
            loaded=loaded,
        )
    except MoviecError:
        if render_job:
            _cancel(render_job)
        raise
    submission.jobs["encode"] = encode_job
    submission.write(folder)
    if render_job:
        first, last = min(window_frames), max(window_frames)
        print(
            f"submitted render job {render_job}: {_count(len(windows), 'task')}, "
            f"{len(window_frames)} "
            f"frames ({first} to {last}); logs {folder}/render-{render_job}_N.log",
            flush=True,
        )
    after = f" after job {render_job}" if render_job else ""
    print(
        f"submitted {what} {encode_job}{after}: log {folder}/encode-{encode_job}.log",
        flush=True,
    )
    if not wait:
        follow = ",".join(j for j in (render_job, encode_job) if j)
        print(f"follow with: squeue -j {follow}", flush=True)
        return int(ExitCode.OK)
    return wait_for(submission, folder)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _cancel(job: str) -> None:
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        subprocess.run(["scancel", job], capture_output=True, timeout=60)


def _warn_if_local(root: Path) -> None:
    """Warn when the cache folder is on a file system that compute nodes cannot share."""
    kind = file_system(root)
    if kind and kind not in SHARED_FILE_SYSTEMS:
        log.warning(
            "the cache folder %s is on a local file system (%s): compute nodes other than "
            "this one will not see it; use --cache-dir on a shared file system",
            root,
            kind,
        )


def file_system(path: Path) -> str:
    """The type of the file system holding ``path`` (from /proc/mounts; "" if unknown)."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
        target = path.resolve()
    except OSError:
        return ""
    best, kind = -1, ""
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        if (target == Path(point) or Path(point) in target.parents) and len(point) > best:
            best, kind = len(point), parts[2]
    return kind


# -- the batch scripts ------------------------------------------------------------------------


def write_scripts(
    submission: Submission, folder: Path, cluster: Cluster, loaded: LoadedScene
) -> dict[str, Path]:
    """Write render.sbatch and encode.sbatch into ``folder``; return their paths."""
    python = shlex.quote(sys.executable)
    shown = shlex.quote(str(folder))
    token = submission.token
    ntasks = cluster.ntasks if cluster.ntasks is not None else submission.ranks
    common = [
        f"--partition={cluster.partition}" if cluster.partition else "",
        f"--account={cluster.account}" if cluster.account else "",
        f"--chdir={folder}",
        *cluster.options,
    ]
    render_options = [
        f"--job-name=moviec-render-{loaded.path.stem}",
        f"--array=0-{len(submission.windows) - 1}",
        f"--output={folder}/render-%A_%a.log",
        f"--time={cluster.time}" if cluster.time else "",
        f"--nodes={cluster.nodes}",
        f"--ntasks={ntasks}",
        f"--cpus-per-task={cluster.cpus_per_task}" if cluster.cpus_per_task else "",
        f"--mem={cluster.mem}" if cluster.mem else "",
        *common,
    ]
    encode_time = cluster.encode_time or cluster.time
    encode_options = [
        f"--job-name=moviec-encode-{loaded.path.stem}",
        f"--output={folder}/encode-%j.log",
        f"--time={encode_time}" if encode_time else "",
        "--nodes=1",
        "--ntasks=1",
        f"--mem={cluster.mem}" if cluster.mem else "",
        *common,
    ]
    visible = (
        f"if [ ! -r {shown}/{SUBMISSION} ]; then\n"
        f'    echo "moviec: $(hostname) does not see {folder}: the cache folder must be on '
        f'a file system shared by the nodes (moviec build --cache-dir DIR)" >&2\n'
        f"    exit {int(ExitCode.INCOMPLETE)}\n"
        "fi"
    )
    setup = "\n".join(cluster.setup) if cluster.setup else "# (none: cluster.setup is empty)"
    header = _header(submission, loaded)
    render = f"""#!/bin/bash
{header}
# The render tasks: a job array of {len(submission.windows)}; task N renders window N of the
# frames the cache lacked ({SUBMISSION}, "windows"), claiming each frame first so that
# another build of this scene leaves it alone. Submitted with:
#     sbatch --parsable render.sbatch
{_directives(render_options)}

# -- 1. Setup (cluster.setup) ---------------------------------------------------------------
{setup}

# -- 2. Environment -------------------------------------------------------------------------
# MPI ranks of a task start under Slurm (cluster.launcher, to which moviec adds -n RANKS);
# no X display from the login node: moviec starts an Xvfb if ParaView needs one.
export MOVIEC_MPIEXEC={shlex.quote(cluster.launcher)}
unset DISPLAY

# -- 3. Is the cache folder visible here? ---------------------------------------------------
{visible}

# -- 4. Render window $SLURM_ARRAY_TASK_ID -------------------------------------------------
exec {python} -m movie_compiler render-task {shown} --task "$SLURM_ARRAY_TASK_ID" --token {token}
"""
    encode = f"""#!/bin/bash
{header}
# Verify and encode: after every render task ended (whatever its outcome), check that every
# frame of the movie exists, is complete and has the movie's size; then encode and write the
# provenance sidecar. Missing frames fail this job with their list and the command that
# renders just those. Submitted with:
#     sbatch --parsable --dependency=afterany:RENDER_JOB --kill-on-invalid-dep=yes \\
#         encode.sbatch RENDER_JOB
{_directives(encode_options)}

# -- 1. Setup (cluster.setup) ---------------------------------------------------------------
{setup}

# -- 2. Is the cache folder visible here? ---------------------------------------------------
{visible}

# -- 3. Verify every frame, encode, record provenance ---------------------------------------
exec {python} -m movie_compiler encode-task {shown} --render-job "${{1:-}}" --token {token}
"""
    paths = {"render": folder / "render.sbatch", "encode": folder / "encode.sbatch"}
    fsutil.write_text(paths["render"], render)
    fsutil.write_text(paths["encode"], encode)
    return paths


def _header(submission: Submission, loaded: LoadedScene) -> str:
    return (
        f"# Generated by moviec {__version__} (moviec build --executor slurm) on "
        f"{submission.host} at {submission.created}\n"
        f"# for {loaded.path} (sha256 {loaded.digest}).\n"
        f"# Re-submit what is missing with: {submission.rerun()}"
    )


def _directives(options: Sequence[str]) -> str:
    return "\n".join(f"#SBATCH {option}" for option in options if option)


# -- waiting ----------------------------------------------------------------------------------


def wait_for(submission: Submission, folder: Path) -> int:
    """Block until the encode job has ended; print its outcome and return its exit code."""
    encode_job = submission.jobs.get("encode", "")
    render_job = submission.jobs.get("render", "")
    paths = submission.paths([f for window in submission.windows for f in window])
    last_report = time.monotonic()
    try:
        while True:
            states = job_states([encode_job])
            state = None if states is None else states.get(encode_job)
            if states is not None and (state is None or state not in ACTIVE_STATES):
                break
            if time.monotonic() - last_report >= REPORT_EVERY:
                done = sum(1 for path in paths.values() if path.is_file())
                log.info(
                    "encode job %s %s; %d of %d frames of render job %s done",
                    encode_job,
                    (state or "unknown").lower(),
                    done,
                    len(paths),
                    render_job or "-",
                )
                last_report = time.monotonic()
            time.sleep(POLL)
    except KeyboardInterrupt:
        log.warning(
            "stopped waiting; the jobs go on (squeue -j %s)",
            ",".join(j for j in (render_job, encode_job) if j),
        )
        raise
    result = folder / RESULT
    try:
        outcome = json.loads(result.read_text("utf-8"))
    except (OSError, ValueError):
        log_file = folder / f"encode-{encode_job}.log"
        raise Incomplete(
            f"encode job {encode_job} ended ({state or 'gone'}) without a result: see "
            f"{log_file}"
            + ("" if log_file.exists() else " (missing: the cache folder is not shared?)")
        ) from None
    code = int(outcome.get("code", 1))
    message = str(outcome.get("message", ""))
    if code != 0:
        raise MoviecError(message, ExitCode(code))
    print(message, flush=True)
    return code


# -- the jobs ---------------------------------------------------------------------------------


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Slurm ends a cancelled or timed-out task with SIGTERM: stop pvbatch and give up the
    claims as on Ctrl-C."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _renderer_threads(ranks: int) -> None:
    """Software renderers share the CPUs Slurm allocated on this node (llvmpipe would start
    one thread per core of the whole node)."""
    cpus = os.environ.get("SLURM_CPUS_ON_NODE", "")
    if "LP_NUM_THREADS" in os.environ or not cpus.isdigit():
        return
    nodes = int(os.environ.get("SLURM_JOB_NUM_NODES", "1") or 1)
    per_node = max(1, -(-ranks // max(1, nodes)))
    os.environ["LP_NUM_THREADS"] = str(max(1, int(cpus) // per_node))


def render_task(folder: Path, task: int, token: str | None) -> int:
    """Render window ``task`` of the submission in ``folder`` (the job array's task)."""
    submission = Submission.read(folder, token)
    if not 0 <= task < len(submission.windows):
        raise InputError(
            f"--task {task}: the submission has tasks 0 to {len(submission.windows) - 1}"
        )
    changed = [
        name
        for name, digest in file_digests(Path(submission.build_dir)).items()
        if submission.files.get(name) != digest
    ]
    if changed:
        raise Incomplete(
            f"{', '.join(changed)} in {submission.build_dir} changed after submission (another "
            f"build of this scene replaced them); nothing rendered: {submission.rerun()}"
        )
    info = paraview.probe()
    if info.version != submission.paraview["version"]:
        raise MissingRequirement(
            f"ParaView {info.version} on {cache.this_host()} ({info.executable}) is not "
            f"ParaView {submission.paraview['version']} that the frames are keyed by (the "
            "node that submitted has it): load the same ParaView in cluster.setup"
        )
    started = time.time()
    window = submission.windows[task]
    frames = cache.FrameCache(Path(submission.frames_root), job_alive=job_alive_checker())
    _renderer_threads(submission.ranks)
    log_path = folder / f"pvbatch-{task}.log"
    with _terminate_as_interrupt(), frames.claim_files(submission.paths(window)) as claims:
        done = len(window) - len(claims.frames) - len(claims.busy)
        log.info(
            "task %d on %s: %d frames (%s), %d finished, %d being rendered by another build, "
            "%d to render",
            task,
            cache.this_host(),
            len(window),
            runner.frame_ranges(window),
            done,
            len(claims.busy),
            len(claims.frames),
        )
        timing: dict[str, float] = {"started": started}
        try:
            if claims.frames:
                with paraview.display_env(info) as env:
                    report = runner.render(
                        Path(submission.script),
                        claims.frames,
                        Path(submission.frames_root),
                        info=info,
                        env=env,
                        log_path=log_path,
                        ranks=submission.ranks,
                        allow_blank=submission.allow_blank,
                        progress=progress_enabled(),
                    )
                if report.renderer != submission.renderer:
                    raise ToolError(
                        f"pvbatch rendered with {report.renderer!r}, not "
                        f"{submission.renderer!r} (the frames are keyed by it); see {log_path}"
                    )
                rendering = sum(report.seconds.values())
                timing.update(pvbatch=report.wall_seconds, rendering=rendering)
                log.info(
                    "rendered %d frames in %.1f s: %.2f s per frame, %.1f s pvbatch start-up "
                    "and data load",
                    len(report.frames),
                    report.wall_seconds,
                    rendering / max(1, len(report.seconds)),
                    report.wall_seconds - rendering,
                )
        finally:
            _receipt(folder, task, submission, window, timing)
    return int(ExitCode.OK)


def _receipt(
    folder: Path,
    task: int,
    submission: Submission,
    window: Sequence[int],
    timing: dict[str, float],
) -> None:
    """Record which frames of ``window`` are finished as this node sees them, and how long
    the task took (``started``/``ended`` Unix times; ``pvbatch``: pvbatch's wall seconds;
    ``rendering``: the sum of its per-frame seconds)."""
    finished = [f for f, path in submission.paths(window).items() if path.is_file()]
    record = {
        "task": task,
        "host": cache.this_host(),
        "job": cache.Owner.me().job,
        "finished": finished,
        **timing,
        "ended": time.time(),
    }
    with contextlib.suppress(OSError):
        fsutil.write_text(folder / RECEIPTS / f"task-{task}.json", json.dumps(record) + "\n")


def _receipts(folder: Path) -> dict[int, str]:
    """Frame -> host of the task that saw it finished."""
    found: dict[int, str] = {}
    for path in sorted((folder / RECEIPTS).glob("task-*.json")):
        with contextlib.suppress(OSError, ValueError, KeyError):
            record = json.loads(path.read_text("utf-8"))
            for frame in record["finished"]:
                found[int(frame)] = str(record["host"])
    return found


def encode_task(folder: Path, render_job: str, token: str | None) -> int:
    """The verify-and-encode job: write ``result.json`` with its outcome whatever happens."""
    started = time.time()
    try:
        message = _verify_and_encode(folder, render_job, token)
    except MoviecError as error:
        _result(folder, int(error.code), str(error), started)
        raise
    except KeyboardInterrupt:
        message = "the encode job was stopped (cancelled?)"
        _result(folder, int(ExitCode.INTERRUPTED), message, started)
        raise
    except BaseException as error:
        _result(folder, int(ExitCode.FAILED), f"the encode job failed: {error}", started)
        raise
    _result(folder, int(ExitCode.OK), message, started)
    print(message, flush=True)
    return int(ExitCode.OK)


def _result(folder: Path, code: int, message: str, started: float) -> None:
    with contextlib.suppress(OSError):
        document = {
            "code": code,
            "message": message,
            "host": cache.this_host(),
            "started": started,
            "ended": time.time(),
        }
        fsutil.write_text(folder / RESULT, json.dumps(document) + "\n")


def _verify_and_encode(folder: Path, render_job: str, token: str | None) -> str:
    from movie_compiler.build import Prepared, fill_repeats, finish, workspace
    from movie_compiler.errors import SceneError

    submission = Submission.read(folder, token)
    scene = Path(submission.scene)
    with _terminate_as_interrupt():
        try:
            loaded = load_scene(scene, submission.overrides, submission.profile)
        except (SceneError, InputError) as error:
            first = str(error).splitlines()[0]
            raise Incomplete(
                f"{scene} changed after submission and is now invalid ({first}); the frames "
                f"rendered are kept: fix it and build again"
            ) from None
        if loaded.digest != submission.digest:
            raise Incomplete(
                f"{scene} changed after submission at {submission.created}: not encoding a "
                f"movie of the old version (its frames are kept); build again to render what "
                f"the edit changed: {submission.rerun()}"
            )
        cache_dir = Path(submission.cache_dir) if submission.cache_dir else None
        space = workspace(loaded, cache_dir)
        space = replace(space, frames=replace(space.frames, job_alive=job_alive_checker()))
        info = paraview.ParaViewInfo(
            **{
                **submission.paraview,
                "renderers": tuple(submission.paraview["renderers"]),
            }
        )
        prepared = Prepared(
            loaded,
            plan(loaded.scene),
            space,
            info,
            submission.renderer,
            submission.keys,
            Path(submission.script),
            submission.ranks,
        )
        frames_plan, keys = prepared.plan, prepared.keys
        selection = submission.selection
        space.frames.wait_for_holders(frames_plan, keys, selection)
        fill_repeats(prepared, selection)
        bad = space.frames.verify(frames_plan, keys, selection, loaded.scene.movie.resolution)
        if bad:
            raise _missing(submission, folder, render_job, bad)
        if not submission.encode:
            return f"all {len(selection)} frames are there; not encoding (--no-encode)"
        missing = space.frames.missing(frames_plan, keys, frames_plan.rendered())
        if missing:
            return (
                f"frames {runner.frame_ranges(selection)} are there; {len(missing)} other "
                "frames of the movie are not rendered yet: not encoding"
            )
        output = finish(prepared)
        return f"wrote {output}"


def _missing(submission: Submission, folder: Path, render_job: str, bad: list[int]) -> Incomplete:
    """The error for frames missing after the render tasks."""
    seen = _receipts(folder)
    lost = [frame for frame in bad if frame in seen]
    count = f"{len(bad)} of {len(submission.selection)} frames"
    if lost:
        hosts = sorted({seen[frame] for frame in lost})
        return Incomplete(
            f"{count} are not in {submission.frames_root} as {cache.this_host()} sees it, "
            f"though render tasks on {', '.join(hosts)} finished {len(lost)} of them "
            f"({cache.describe_frames(lost)}): the cache folder is not shared by the nodes; "
            f"put it on a shared file system (--cache-dir) and build again: "
            f"{submission.rerun()}"
        )
    tasks = array_states(render_job)
    failed = [
        f"task {task} {state}" + (f" (exit {code})" if state == "FAILED" else "")
        for task, (state, code) in sorted(tasks.items())
        if state != "COMPLETED"
    ]
    why = f"; render job {render_job}: {', '.join(failed[:4])}" if failed else ""
    logs = f"{folder}/render-{render_job}_N.log" if render_job else str(folder)
    return Incomplete(
        f"{count} are missing or damaged ({cache.describe_frames(bad)}){why}; see {logs}; "
        f"render just those with: {submission.rerun()}"
    )
