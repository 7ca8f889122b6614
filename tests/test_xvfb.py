"""The private X server: started on a free display, stopped on every exit path."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from movie_compiler.errors import MissingRequirement
from movie_compiler.render.xvfb import xvfb


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its parent counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_gone(pids: list[int], timeout: float = 10.0) -> list[int]:
    """Wait until ``pids`` have exited; return those still running after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


def children(pid: int, name: str = "") -> list[int]:
    """Running children of ``pid`` (whose command line contains ``name``), via pgrep."""
    result = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    found = []
    for pid_text in result.stdout.split():
        with contextlib.suppress(FileNotFoundError):
            if name in Path(f"/proc/{pid_text}/cmdline").read_text() and alive(int(pid_text)):
                found.append(int(pid_text))
    return found


def own_servers() -> set[int]:
    """This test process's running Xvfb children (the session's shared one included)."""
    return set(children(os.getpid(), "Xvfb"))


def socket_of(display: str) -> Path:
    return Path(f"/tmp/.X11-unix/X{display.lstrip(':')}")


def test_xvfb_serves_a_display_and_stops_after_the_block() -> None:
    before = own_servers()
    with xvfb() as display:
        assert display.startswith(":") and display[1:].isdigit()
        assert socket_of(display).exists()
        (server,) = own_servers() - before
    assert wait_gone([server]) == []
    assert not socket_of(display).exists()


CONNECT = """\
import ctypes, sys
xlib = ctypes.CDLL("libX11.so.6")
xlib.XOpenDisplay.restype = ctypes.c_void_p
xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
failed = 0
for _ in range(150):
    connection = xlib.XOpenDisplay(None)
    if connection:
        xlib.XCloseDisplay(connection)
    else:
        failed += 1
print(failed)
"""


def test_clients_connecting_and_leaving_concurrently_are_all_served() -> None:
    """Xvfb must not reset when its last client leaves (-noreset): a reset drops the
    connections that arrive meanwhile, and pvbatch aborts with "bad X server connection"."""
    with xvfb() as display:
        env = {**os.environ, "DISPLAY": display}
        clients = [
            subprocess.Popen([sys.executable, "-c", CONNECT], env=env, stdout=subprocess.PIPE)
            for _ in range(3)
        ]
        failures = [int(client.communicate()[0]) for client in clients]
    assert failures == [0, 0, 0]


def test_two_servers_get_different_displays() -> None:
    with xvfb() as first, xvfb() as second:
        assert first != second


def test_xvfb_stops_when_the_block_raises() -> None:
    before = own_servers()
    with pytest.raises(ZeroDivisionError), xvfb() as display:
        servers = list(own_servers() - before)
        assert len(servers) == 1 and socket_of(display).exists()
        _ = 1 / 0
    assert wait_gone(servers) == []


def test_missing_xvfb_names_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingRequirement) as caught, xvfb():
        pass
    assert str(caught.value) == (
        "no X server: DISPLAY is not set and Xvfb is not installed "
        "(install it: apt-get install xvfb xauth)"
    )


def test_xvfb_that_cannot_start_reports_its_last_words(tmp_path: Path) -> None:
    broken = tmp_path / "Xvfb"
    broken.write_text("#!/bin/sh\necho 'Fatal server error:' >&2\necho '(EE) no screens' >&2\n")
    broken.chmod(0o755)
    with pytest.raises(MissingRequirement) as caught, xvfb(str(broken)):
        pass
    assert str(caught.value) == "Xvfb did not start: (EE) no screens"


def test_xvfb_dies_with_its_parent_even_after_kill_9(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import sys, time
        from movie_compiler.render.xvfb import xvfb
        with xvfb() as display:
            print(display, flush=True)
            time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    display = parent.stdout.readline().strip()
    servers = children(parent.pid, "Xvfb")
    assert len(servers) == 1
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    parent.stdout.close()
    assert wait_gone(servers) == [], f"Xvfb {servers} outlived its parent"
    assert not socket_of(display).exists()
