"""The frame cache: each shot's frames live in a folder named by a hash of what made them.

A shot's key covers everything that changes its pixels: the complete state of each of its
frames (camera, transfer functions, opacity scale, clip plane, box: so where it starts, its
motion and its timing), the render script without the lines that
only name the scene (frame size, background, projection, transfer functions, renderers,
shading, the template's code), the dataset description ParaView reads (geometry, hyperslab
or pyramid level), the identity of the data files (paths, sizes, modification times), the
renderer used, and the ParaView and moviec versions. The scene's title, the other shots, the
encoder settings and the frame step do not enter it. So:

- an unchanged scene re-renders nothing, and an edit re-renders only the shots it touched;
- frames of an older scene are never reused: another key is another folder;
- an interrupted build resumes: frames are written under a temporary name and renamed when
  complete, so every ``NNNNNN.png`` in a shot folder is a finished frame.

The cache may live on a file system that many hosts share (cluster nodes). Whatever names a
process in it names its host too: partial frames (``NNNNNN.HOST.PID.partial.png``) and
claims (``NNNNNN.claim``, a line of JSON with host, process id and Slurm job), with which a
build takes the frames it is about to render so that a concurrent build leaves them alone.
Whether such a writer still lives is asked of ``/proc`` on its own host, and of its last
sign of life elsewhere: a claim holder refreshes its claims' modification time every
:data:`HEARTBEAT` seconds, and a writer on another host counts as gone once its file is
:data:`LEASE` seconds old.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from movie_compiler import __version__, fsutil, generate
from movie_compiler.config.load import LoadedScene
from movie_compiler.data import dataset
from movie_compiler.plan import Plan, PlannedShot
from movie_compiler.render.process import running

log = logging.getLogger(__name__)

KEY_LENGTH = 20
"""Hex digits of the SHA-256 used as a shot folder's name."""
SHOT_RECORD = "shot.json"
CLAIM_SUFFIX = ".claim"
HEARTBEAT = 30.0
"""Seconds between a claim holder's refreshes of its claims."""
LEASE = 300.0
"""Seconds after its last sign of life that a writer on another host counts as gone (a
writer on this host is looked up in /proc instead). Generous: NFS clients cache file
attributes for up to a minute, and hosts' clocks differ a little."""


def this_host() -> str:
    """This host's name as partial frames and claims record it (Python's and the render
    script's ``socket.gethostname()``)."""
    return socket.gethostname()


def writer_alive(host: str, pid: int, changed: float, now: float | None = None) -> bool:
    """Whether process ``pid`` of ``host``, whose file was last changed at ``changed`` (Unix
    time), is still at work: on this host the process must run and be older than the file;
    on another host the file must be younger than :data:`LEASE`."""
    if host == this_host():
        return running(pid, since=changed)
    return (time.time() if now is None else now) - changed < LEASE


@dataclass(frozen=True)
class Owner:
    """Who holds a claim."""

    host: str
    pid: int
    job: str = ""
    """The Slurm job (``JOBID_TASK``) the holder runs in, if any."""

    def __str__(self) -> str:
        job = f" (Slurm job {self.job})" if self.job else ""
        return f"process {self.pid} on {self.host}{job}"

    @classmethod
    def me(cls) -> Owner:
        job = os.environ.get("SLURM_JOB_ID", "")
        if job and os.environ.get("SLURM_ARRAY_JOB_ID"):
            job = f"{os.environ['SLURM_ARRAY_JOB_ID']}_{os.environ.get('SLURM_ARRAY_TASK_ID', '')}"
        return cls(this_host(), os.getpid(), job)

    def line(self) -> str:
        record = {"host": self.host, "pid": self.pid, "job": self.job, "since": time.time()}
        return json.dumps(record, sort_keys=True) + "\n"


def read_claim(path: Path) -> tuple[Owner, float] | None:
    """The owner of claim file ``path`` and its last sign of life; None when it is gone. A
    claim that cannot be read (being written, or damaged) counts as just made."""
    try:
        text = path.read_text("utf-8")
        changed = path.stat().st_mtime
    except FileNotFoundError:
        return None
    except OSError:
        return Owner("?", 0), time.time()
    try:
        record = json.loads(text)
        return Owner(str(record["host"]), int(record["pid"]), str(record.get("job", ""))), changed
    except (ValueError, KeyError, TypeError):
        return Owner("?", 0), changed


JobAlive = Callable[[str], bool]
"""Whether a Slurm job (``ARRAY_TASK``) is still active (see :mod:`movie_compiler.slurm`)."""


def claim_alive(
    path: Path, now: float | None = None, job_alive: JobAlive | None = None
) -> Owner | None:
    """The owner of the claim ``path`` if it is still at work, else None. A claim of another
    host made inside a Slurm job is also gone when ``job_alive`` says its job has ended (a
    lost node's claims need not wait for the lease)."""
    found = read_claim(path)
    if found is None:
        return None
    owner, changed = found
    if owner.host == "?":  # unreadable: alive until the lease says otherwise
        return owner if (time.time() if now is None else now) - changed < LEASE else None
    if not writer_alive(owner.host, owner.pid, changed, now):
        return None
    if owner.job and owner.host != this_host() and job_alive is not None:
        return owner if job_alive(owner.job) else None
    return owner


def render_inputs(
    *,
    script: str,
    description: str,
    data_identity: Mapping[str, Any],
    renderer: str,
    paraview_version: str,
    ranks: int = 1,
) -> dict[str, Any]:
    """What every frame of a scene depends on besides its camera.

    ``script`` is the render script without the lines that only name the scene
    (:func:`movie_compiler.generate.pixel_source`): frame size, background, projection,
    transfer functions, renderer list, shading, and the template's code. ``description`` is
    the dataset.xdmf text ParaView reads (geometry from the voxel size, hyperslab or pyramid
    level, files). Hashing both, rather than listing scene keys, keeps the key complete when
    the scene format grows.

    ``ranks`` is the number of MPI ranks: compositing the parts of the volume that ranks
    render changes pixels slightly. A serial build's key leaves it out.
    """
    inputs = {
        "script": _sha256(script),
        "description": _sha256(description),
        "data": dict(data_identity),
        "renderer": renderer,
        "paraview": paraview_version,
        "moviec": __version__,
    }
    return inputs if ranks == 1 else {**inputs, "mpi_ranks": ranks}


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def scene_keys(
    loaded: LoadedScene,
    plan: Plan,
    *,
    description: str,
    renderer: str,
    paraview_version: str,
    ranks: int = 1,
) -> list[str]:
    """The cache key of every shot of ``loaded`` (``description``: the dataset.xdmf text)."""
    inputs = render_inputs(
        script=generate.pixel_source(loaded),
        description=description,
        data_identity=dataset.identity(loaded),
        renderer=renderer,
        paraview_version=paraview_version,
        ranks=ranks,
    )
    return [shot_key(plan, shot, inputs) for shot in plan.shots]


def shot_key(plan: Plan, shot: PlannedShot, inputs: Mapping[str, Any]) -> str:
    """The cache key of ``shot``'s frames."""
    document = {
        "states": [state.key for state in shot.states],
        "inputs": inputs,
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:KEY_LENGTH]


@dataclass(frozen=True)
class FrameCache:
    """Shot folders under one root (by default ``.moviec/frames`` beside the scene)."""

    root: Path
    job_alive: JobAlive | None = field(default=None, compare=False)
    """Asks Slurm whether a claim's job still runs (claims of other hosts)."""

    def shot_dir(self, key: str) -> Path:
        return self.root / key

    def frame_path(self, plan: Plan, keys: Sequence[str], frame: int) -> Path:
        shot = plan.shot_of(frame)
        return self.shot_dir(keys[shot.index]) / f"{frame - shot.first:06d}.png"

    def claim_path(self, plan: Plan, keys: Sequence[str], frame: int) -> Path:
        return self.frame_path(plan, keys, frame).with_suffix(CLAIM_SUFFIX)

    def missing(self, plan: Plan, keys: Sequence[str], frames: Sequence[int]) -> list[int]:
        """The frames of ``frames`` that have no finished file yet."""
        return [f for f in frames if not self.frame_path(plan, keys, f).is_file()]

    def prepare(
        self,
        plan: Plan,
        keys: Sequence[str],
        scene_file: Path,
        frames: Sequence[int] | None = None,
    ) -> None:
        """Create the shot folders (only of the shots of ``frames``, if given), describe each
        one, and remove partial frames left by an interrupted render. A partial frame names
        the process writing it, so one that a concurrent build is still writing is left
        alone."""
        wanted = None if frames is None else {plan.shot_of(f).index for f in frames}
        for shot, key in zip(plan.shots, keys, strict=True):
            if wanted is not None and shot.index not in wanted:
                continue
            folder = self.shot_dir(key)
            folder.mkdir(parents=True, exist_ok=True)
            for stale in folder.glob("[0-9]*.partial.png"):
                if not _writer_alive(stale):
                    log.debug("removing unfinished %s", stale)
                    stale.unlink(missing_ok=True)
            for claim in folder.glob(f"[0-9]*{CLAIM_SUFFIX}"):
                if claim_alive(claim, job_alive=self.job_alive) is None:
                    log.debug("removing the claim of a gone process: %s", claim)
                    _break(claim)
            record = folder / SHOT_RECORD
            if not record.exists():
                description = {
                    "moviec": __version__,
                    "scene": str(scene_file),
                    "shot": shot.name,
                    "type": shot.kind,
                    "frames": shot.frames,
                }
                fsutil.write_text(record, json.dumps(description, indent=1) + "\n")

    def claim(
        self, plan: Plan, keys: Sequence[str], frames: Sequence[int], owner: Owner | None = None
    ) -> contextlib.AbstractContextManager[Claims]:
        """Claim those of ``frames`` that are not finished and not claimed by a live process;
        see :meth:`claim_files`."""
        return self.claim_files({f: self.frame_path(plan, keys, f) for f in frames}, owner)

    @contextlib.contextmanager
    def claim_files(
        self, frames: Mapping[int, Path], owner: Owner | None = None
    ) -> Iterator[Claims]:
        """Claim those of ``frames`` (frame -> its PNG) that are not finished and not claimed
        by a live process; yield the claims (``busy``: frames a live process of another build
        holds); release them at the end. A claim is a file created exclusively, so two
        builds that ask at once never both get a frame; claims of gone processes are taken
        over."""
        holder = Owner.me() if owner is None else owner
        claims = Claims({}, holder)
        try:
            for frame, png in frames.items():
                path = png.with_suffix(CLAIM_SUFFIX)
                for _ in range(3):
                    if png.is_file():
                        break
                    if _create(path, holder):
                        if png.is_file():  # finished meanwhile
                            path.unlink(missing_ok=True)
                        else:
                            claims.paths[frame] = path
                        break
                    other = claim_alive(path, job_alive=self.job_alive)
                    if other is not None:
                        claims.busy[frame] = other
                        break
                    _break(path)
            claims.start()
            yield claims
        finally:
            claims.release()

    def holders(self, plan: Plan, keys: Sequence[str], frames: Sequence[int]) -> dict[int, Owner]:
        """The frames of ``frames`` that a live process has claimed, and who."""
        found: dict[int, Owner] = {}
        for frame in frames:
            owner = claim_alive(self.claim_path(plan, keys, frame), job_alive=self.job_alive)
            if owner is not None:
                found[frame] = owner
        return found

    def wait_for_holders(
        self,
        plan: Plan,
        keys: Sequence[str],
        frames: Sequence[int],
        *,
        poll: float = 2.0,
        timeout: float | None = None,
    ) -> None:
        """Wait until no live process holds a claim on a frame of ``frames`` that is still
        missing (another build is rendering it); give up after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        said = False
        while True:
            held = self.holders(plan, keys, self.missing(plan, keys, frames))
            if not held:
                return
            if not said:
                owners = sorted({str(owner) for owner in held.values()})
                log.info(
                    "waiting for %d frames that another build is rendering (%s)",
                    len(held),
                    "; ".join(owners[:3]) + (" ..." if len(owners) > 3 else ""),
                )
                said = True
            if deadline is not None and time.monotonic() >= deadline:
                return
            time.sleep(poll)

    def duplicates(
        self, plan: Plan, keys: Sequence[str], wanted: Sequence[int], todo: Sequence[int]
    ) -> tuple[list[int], list[tuple[int, int]]]:
        """Split ``todo`` into frames to render and ``(frame, source)`` pairs to link.

        Frames with the same state have the same pixels (everything else a frame depends on
        is the same for the whole scene), so a hold shot, or a shot that returns to an
        earlier view with the same transfer functions and clips, is rendered once.
        """
        missing = set(todo)
        source: dict[str, int] = {}
        for frame in wanted:  # finished frames first: they need no render at all
            if frame not in missing:
                source.setdefault(plan.state(frame).key, frame)
        render: list[int] = []
        links: list[tuple[int, int]] = []
        for frame in todo:
            key = plan.state(frame).key
            if key in source:
                links.append((frame, source[key]))
            else:
                source[key] = frame
                render.append(frame)
        return render, links

    def link(self, plan: Plan, keys: Sequence[str], frame: int, source: int) -> None:
        """Give ``frame`` the finished file of ``source`` (a hard link, or a copy)."""
        target = self.frame_path(plan, keys, frame)
        with fsutil.atomic_path(target, suffix=".png") as temporary:
            temporary.unlink()
            try:
                os.link(self.frame_path(plan, keys, source), temporary)
            except OSError:
                shutil.copyfile(self.frame_path(plan, keys, source), temporary)

    def verify(
        self, plan: Plan, keys: Sequence[str], frames: Sequence[int], size: Sequence[int]
    ) -> list[int]:
        """The frames of ``frames`` whose file is missing, not a complete PNG, or not
        ``size`` (width, height) pixels."""
        return [f for f in frames if png_size(self.frame_path(plan, keys, f)) != tuple(size)]

    def remove(self, plan: Plan, keys: Sequence[str], frames: Sequence[int]) -> None:
        """Delete the files of ``frames`` (for ``--force``)."""
        for frame in frames:
            self.frame_path(plan, keys, frame).unlink(missing_ok=True)


def remove_unfinished(root: Path) -> None:
    """Remove the partial frames under ``root`` (one level of shot folders) whose writer is
    gone: run after pvbatch stopped, so a failed or interrupted render leaves none."""
    for stale in root.glob("*/[0-9]*.partial.png"):
        if not _writer_alive(stale):
            stale.unlink(missing_ok=True)


def partial_writer(partial: Path) -> tuple[str, int] | None:
    """Host and process id named by ``NNNNNN.HOST.PID.partial.png`` (a host name may hold
    dots); ``NNNNNN.PID.partial.png`` of older scripts names a process of this host."""
    stem = partial.name.removesuffix(".partial.png")
    _, _, rest = stem.partition(".")
    host, _, pid = rest.rpartition(".")
    if not pid.isdigit():
        return None
    return (host or this_host()), int(pid)


def _writer_alive(partial: Path) -> bool:
    """Whether the process named by a partial frame still works on it: on this host it runs
    and is older than the file; on another host the file is younger than :data:`LEASE`."""
    writer = partial_writer(partial)
    if writer is None:
        return False  # an older script's partial frame: its writer is gone
    try:
        written = partial.stat().st_mtime
    except FileNotFoundError:
        return False
    return writer_alive(*writer, written)


def _break(claim: Path) -> None:
    """Remove the claim of a gone process; if another process replaced it with a claim of its
    own meanwhile, put that one back (and leave the frame to it)."""
    found = read_claim(claim)
    aside = claim.with_name(f".{claim.name}.{this_host()}.{os.getpid()}.stale")
    try:
        os.rename(claim, aside)
    except FileNotFoundError:
        return
    taken = read_claim(aside)
    if taken is not None and (found is None or taken[0] != found[0]):
        with contextlib.suppress(FileExistsError, FileNotFoundError):
            os.link(aside, claim)
    aside.unlink(missing_ok=True)


@dataclass
class Claims:
    """Frames this process has claimed, refreshed by a heartbeat thread until released."""

    paths: dict[int, Path]
    """Frame -> its claim file."""
    owner: Owner
    busy: dict[int, Owner] = field(default_factory=dict)
    """Frames asked for that a live process of another build holds, and who."""
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @property
    def frames(self) -> list[int]:
        return sorted(self.paths)

    def start(self) -> None:
        if self.paths:
            self._thread = threading.Thread(target=self._beat, name="claims", daemon=True)
            self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            for path in list(self.paths.values()):
                with contextlib.suppress(OSError):
                    os.utime(path)

    def release(self, frames: Sequence[int] | None = None) -> None:
        """Give up the claims on ``frames`` (all when None); a claim another process has
        taken over meanwhile is left to it."""
        chosen = list(self.paths) if frames is None else [f for f in frames if f in self.paths]
        for frame in chosen:
            path = self.paths.pop(frame)
            found = read_claim(path)
            if found is not None and found[0] == self.owner:
                path.unlink(missing_ok=True)
        if not self.paths:
            self._stop.set()
            if self._thread is not None and self._thread is not threading.current_thread():
                self._thread.join()


def _create(path: Path, owner: Owner) -> bool:
    """Create the claim file ``path`` naming ``owner``, unless it exists (O_EXCL: atomic, on
    NFS too)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(owner.line())
    except OSError as error:  # a full disk: no empty claim left, and the message names it
        path.unlink(missing_ok=True)
        raise OSError(error.errno, error.strerror, str(path)) from None
    return True


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def png_size(path: Path) -> tuple[int, int] | None:
    """``(width, height)`` of a complete PNG file (its header read, its end chunk present), or
    None for a missing, truncated or foreign file."""
    try:
        with path.open("rb") as stream:
            head = stream.read(24)
            stream.seek(0, os.SEEK_END)
            if stream.tell() < 24 + len(PNG_END):
                return None
            stream.seek(-len(PNG_END), os.SEEK_END)
            tail = stream.read()
    except OSError:
        return None
    if head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR" or tail != PNG_END:
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def frame_ranges(frames: Sequence[int]) -> str:
    """Frames as half-open ranges for ``--frames``: ``[3, 4, 5, 9]`` -> ``"3:6,9:10"``."""
    ranges: list[list[int]] = []
    for frame in sorted(frames):
        if ranges and frame <= ranges[-1][1]:
            ranges[-1][1] = max(ranges[-1][1], frame + 1)
        else:
            ranges.append([frame, frame + 1])
    return ",".join(f"{a}:{b}" for a, b in ranges)


def describe_frames(frames: Sequence[int], most: int = 10) -> str:
    """A short list of frames for a message: ``frames 3, 4, 9`` or the first ``most``."""
    shown = ", ".join(str(f) for f in sorted(frames)[:most])
    more = f" and {len(frames) - most} more" if len(frames) > most else ""
    return f"frame{'s' if len(frames) > 1 else ''} {shown}{more}"
