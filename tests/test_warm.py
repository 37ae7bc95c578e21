"""The fitter `sitegen serve` keeps warm: used by its builds, never by a stranger, never left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import sitegen.warm as warm_module
from sitegen.learning import LIBRARIES, learning_helper
from sitegen.parallel import can_fork
from sitegen.warm import ADDRESS_VARIABLE, KEY_VARIABLE, WarmFitter, connect

from .conftest import CONTENT, REPO, TEMPLATES

WAIT_SECONDS = 60  # scikit-learn's import, on a loaded machine
on_linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the warm fitter runs on Linux only")


def ready(fitter: WarmFitter, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point this process's builds at the fitter, once it listens; return the variables."""
    environment = fitter.environment()
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    deadline = time.monotonic() + WAIT_SECONDS
    while (connection := connect()) is None:
        assert time.monotonic() < deadline, "the fitter never answered"
        time.sleep(0.1)
    connection.close()
    return environment


def gone(pid: int) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(") ")[-1].startswith("Z"):
                return True  # ended, not yet reaped by its parent
        except OSError:  # no /proc here
            pass
        time.sleep(0.05)
    return False


@pytest.fixture
def fitter() -> Iterator[WarmFitter]:
    with WarmFitter() as started:
        yield started


@on_linux
def test_a_build_under_serve_hands_its_fit_to_a_child_of_the_warm_fitter(fitter, monkeypatch):
    ready(fitter, monkeypatch)
    with learning_helper() as helper:
        assert helper.warm and not helper.forked
        assert helper.run(os.getppid).result() == fitter.pid


@on_linux
def test_a_site_fitted_by_the_warm_fitter_is_the_site_fitted_by_a_build_alone(fitter, monkeypatch, tmp_path):
    environment = ready(fitter, monkeypatch)
    command = [sys.executable, "-m", "sitegen", "build", "--content", str(CONTENT), "--templates", str(TEMPLATES),
               "--fresh"]
    alone = {name: value for name, value in os.environ.items() if name not in environment}
    subprocess.run([*command, "--out", str(tmp_path / "alone")], check=True, capture_output=True, cwd=REPO, env=alone)
    subprocess.run([*command, "--out", str(tmp_path / "warm")], check=True, capture_output=True, cwd=REPO,
                   env=os.environ | environment)
    files = sorted(path.relative_to(tmp_path / "alone") for path in (tmp_path / "alone").rglob("*") if path.is_file())
    assert files == sorted(path.relative_to(tmp_path / "warm") for path in (tmp_path / "warm").rglob("*") if path.is_file())
    assert all((tmp_path / "alone" / name).read_bytes() == (tmp_path / "warm" / name).read_bytes() for name in files)


@on_linux
def test_a_fitter_running_other_code_is_not_used_and_a_wrong_key_is_refused(fitter, monkeypatch):
    environment = ready(fitter, monkeypatch)
    monkeypatch.setattr(warm_module, "identity", lambda code=None: "another version of sitegen")
    assert connect() is None
    monkeypatch.undo()
    monkeypatch.setenv(ADDRESS_VARIABLE, environment[ADDRESS_VARIABLE])
    monkeypatch.setenv(KEY_VARIABLE, "00" * 32)
    assert connect() is None
    monkeypatch.setenv(KEY_VARIABLE, environment[KEY_VARIABLE])
    connection = connect()
    assert connection is not None, "the fitter still serves the builds that know the key"
    connection.close()


@on_linux
def test_a_build_does_not_wait_for_a_fitter_that_never_answers(fitter, monkeypatch):
    ready(fitter, monkeypatch)
    os.kill(fitter.pid, signal.SIGSTOP)  # Ctrl-Z on it, say: its socket still takes connections
    try:
        found: list[object] = []
        asking = threading.Thread(target=lambda: found.append(connect()), daemon=True)
        asking.start()
        asking.join(timeout=WAIT_SECONDS)
        assert not asking.is_alive(), "the build waited for a fitter that does not answer"
        assert found == [None]
    finally:
        os.kill(fitter.pid, signal.SIGCONT)
    connection = connect()
    assert connection is not None, "the fitter answers again once it runs"
    connection.close()


def test_without_serve_a_build_forks_its_own_helper(monkeypatch):
    monkeypatch.delenv(ADDRESS_VARIABLE, raising=False)
    with learning_helper() as helper:
        assert not helper.warm
        assert helper.forked == (can_fork() and not any(module in sys.modules for module in LIBRARIES))


@on_linux
def test_an_edit_to_sitegen_starts_a_new_fitter_and_ends_the_old(fitter, monkeypatch):
    fitter.environment()
    first = fitter.pid
    monkeypatch.setattr(warm_module, "code_fingerprint_now", lambda: "edited")
    fitter.environment()
    assert fitter.pid != first
    assert gone(first)


@on_linux
def test_the_fitter_ends_with_serve_however_serve_ends(tmp_path):
    with WarmFitter() as fitter:
        fitter.environment()
        pid = fitter.pid
        folder = Path(fitter.environment()[ADDRESS_VARIABLE]).parent
    assert gone(pid) and not folder.exists()
    program = ("import sys, time; from sitegen.warm import WarmFitter\n"
               "fitter = WarmFitter(); fitter.environment(); print(fitter.pid, flush=True); time.sleep(60)\n")
    owner = subprocess.Popen([sys.executable, "-c", program], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    pid = int(owner.stdout.readline())
    owner.send_signal(signal.SIGKILL)  # no clean-up at all: the fitter sees its input close
    owner.wait()
    assert gone(pid)


@on_linux
def test_a_long_temporary_folder_does_not_make_the_socket_address_too_long(tmp_path, monkeypatch):
    deep = tmp_path / ("d" * 100)
    deep.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(deep))
    with WarmFitter() as fitter:
        ready(fitter, monkeypatch)
        assert len(fitter.environment()[ADDRESS_VARIABLE]) < 108
