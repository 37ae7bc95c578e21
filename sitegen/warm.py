"""A fitter kept warm by `sitegen serve`: scikit-learn loaded once, a process forked per build.

A one-off `sitegen build` forks a helper that spends about a second importing scikit-learn
before it can fit (see sitegen/parallel.py). `sitegen serve` starts this process once, after
its first build, and the builds it runs next connect to it: for each, it forks a child with
scikit-learn already loaded, which takes the build's job as a forked helper would. A
placement edit then shows up without waiting for that import.

Safe by construction:
- It never calls into scikit-learn itself (its OpenMP runtime is not fork-safe once used);
  each child fits once and ends.
- Each child first says which code and library versions it runs (`identity`); a build
  whose own differ does not use it, and `sitegen serve` starts a new fitter when sitegen's
  code changes.
- It listens on a Unix socket in a folder only its user can open, and every connection
  must prove it knows a random key (multiprocessing's HMAC handshake): the jobs are
  pickles.
- It ends when `sitegen serve` does, however that ends: its standard input is a pipe from
  serve, and it exits when the pipe closes.

Nothing else starts it: a one-off `sitegen build` never leaves a process behind. Linux
only: elsewhere serve's builds fit on their own, as one-off builds do.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from multiprocessing.connection import (
    Client,
    Connection,
    Listener,
    answer_challenge,
    deliver_challenge,
)
from multiprocessing.context import AuthenticationError
from pathlib import Path
from typing import Self

from sitegen.cache import code_fingerprint, code_fingerprint_now, content_hash

ADDRESS_VARIABLE = "SITEGEN_FITTER"  # where a build finds the fitter (set by `sitegen serve`)
KEY_VARIABLE = "SITEGEN_FITTER_KEY"  # the key it proves it knows, in hex
HELLO_SECONDS = 2.0  # a fitter that has not said who it is by then is not used
SOCKET_FOLDER_MOST = 60  # characters of the temporary folder's path, leaving room for the rest
# The libraries whose version a fit depends on.
LIBRARIES = ("scikit-learn", "scipy", "numpy", "threadpoolctl", "joblib")


def identity(code: str | None = None) -> str:
    """Return what a fit depends on besides its inputs: sitegen's code, the libraries, Python."""
    from sitegen.fingerprint import installed_versions

    return content_hash("fitter", code or code_fingerprint(), sys.version, *installed_versions(LIBRARIES))


def connect() -> Connection | None:
    """Return a connection to the warm fitter of `sitegen serve`, when this build runs under
    it and the fitter runs this build's code and libraries; else None (fit as usual)."""
    address, key = os.environ.get(ADDRESS_VARIABLE), os.environ.get(KEY_VARIABLE)
    if not address or not key:
        return None
    try:
        connection = Client(address, family="AF_UNIX")  # the handshake below, after a wait that ends
    except OSError:  # not started yet, restarting, or gone
        return None
    try:
        # A fitter that does not answer (stopped, say with Ctrl-Z, or swapping) is not waited
        # for: its listening socket takes the connection, but nothing would ever reply.
        if connection.poll(HELLO_SECONDS):
            answer_challenge(connection, bytes.fromhex(key))
            deliver_challenge(connection, bytes.fromhex(key))
            if connection.poll(HELLO_SECONDS) and connection.recv() == ("hello", identity()):
                return connection
    except (OSError, EOFError, ValueError, AuthenticationError):
        pass
    connection.close()  # another version of sitegen, or not answering: this build fits on its own
    return None


class WarmFitter:
    """The fitter `sitegen serve` keeps for its builds: started, replaced when sitegen's code
    changes or it ended, stopped with serve. `environment()` is what a build needs to use it."""

    def __init__(self) -> None:
        # Only this user may open it. A socket's path must fit in 108 bytes: under a long
        # TMPDIR, the folder goes in /tmp.
        short = len(tempfile.gettempdir()) > SOCKET_FOLDER_MOST and Path("/tmp").is_dir()
        self._folder = Path(tempfile.mkdtemp(prefix="sitegen-fitter-", dir="/tmp" if short else None))
        self._key = secrets.token_bytes(32)
        self._process: subprocess.Popen[bytes] | None = None
        self._identity = ""
        self._started = 0

    def environment(self) -> dict[str, str]:
        """Return the variables that lead a build to the fitter, (re)starting it if need be.

        A fitter just started is still loading scikit-learn: the build that follows fits on
        its own, as it would without one, and the next ones use it.
        """
        if not sys.platform.startswith("linux"):
            # Forking after NumPy is loaded is safe with glibc and OpenBLAS; macOS's
            # Accelerate is not fork-safe, and Windows cannot fork. Builds fit on their own.
            return {}
        current = identity(code_fingerprint_now())
        if self._process is None or self._process.poll() is not None or current != self._identity:
            self._stop()
            self._started += 1
            address = self._folder / f"fitter-{self._started}.sock"
            self._process = subprocess.Popen(
                [sys.executable, "-m", "sitegen.warm", str(address)],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            assert self._process.stdin is not None
            self._process.stdin.write(self._key.hex().encode() + b"\n")
            self._process.stdin.flush()  # and kept open: the fitter ends when it closes
            self._identity = current
        return {ADDRESS_VARIABLE: str(self._folder / f"fitter-{self._started}.sock"), KEY_VARIABLE: self._key.hex()}

    @property
    def pid(self) -> int | None:
        """The fitter's process id, while it runs."""
        return self._process.pid if self._process is not None else None

    def close(self) -> None:
        self._stop()
        shutil.rmtree(self._folder, ignore_errors=True)

    def _stop(self) -> None:
        if self._process is None:
            return
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def main(address: str) -> None:
    """Run the fitter: load scikit-learn, then fork a child per connection until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is serve's; it ends this process
    key = bytes.fromhex(sys.stdin.readline().strip())
    me = identity(code_fingerprint_now())  # before the imports: code edited meanwhile is another identity
    from sitegen.learning import load_libraries  # and the job, learn_in_parts, with it
    from sitegen.parallel import run_job

    load_libraries()
    threading.Thread(target=_exit_when_serve_ends, daemon=True).start()
    listener = Listener(address, family="AF_UNIX", authkey=key)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the children are reaped as they end
    while True:
        try:
            connection = listener.accept()
        except (OSError, EOFError, AuthenticationError):  # a stranger, or a build that gave up
            continue
        if os.fork() == 0:  # the child: one build's fit, then it ends, whatever happens
            try:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                connection.send(("hello", me))
                job = connection.recv()
                # The build sends nothing more: anything to read is its end (done, failed or
                # interrupted), and then so is this fit.
                threading.Thread(target=_exit_when_readable, args=(connection,), daemon=True).start()
                run_job(connection, job)
            finally:
                os._exit(0)  # never the interpreter's exit: it would remove the fitter's socket
        connection.close()


def _exit_when_readable(connection: Connection) -> None:
    try:
        connection.poll(None)
    finally:
        os._exit(0)


def _exit_when_serve_ends() -> None:
    sys.stdin.read()  # returns at end of file: serve closed the pipe, or ended
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1])
