"""Process and socket helpers shared by the tests and the demo (no pytest, no rclpy here)."""

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "bin"


def held_port():
    """A TCP socket bound to a free port on 127.0.0.1 and not listening: connections are refused until a
    controller started with it (with_socket) serves it, and nobody else can take the port meanwhile, across
    controller restarts too. Keep it open for as long as the port is in use; its port is
    sock.getsockname()[1]. (No check-then-use: the port is never released and re-bound.)"""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s


def with_socket(argv, sock):
    """argv run with sock as its fd 3 under socket activation, as systemd passes it (LISTEN_FDS=1,
    LISTEN_PID = the process's own pid: bash sets it to $$ and execs, which keeps the pid; bash, not sh,
    as dash takes no fd above 9). Start it with pass_fds=(sock.fileno(),)."""
    fd = sock.fileno()
    redirect = "" if fd == 3 else f" 3<&{fd} {fd}<&-"
    return ["bash", "-c", f'export LISTEN_FDS=1 LISTEN_PID=$$; exec "$@"{redirect}', "bash", *argv]


class Proc:
    """A child process whose output is collected and can be waited on."""

    def __init__(self, name, argv, env=None, sock=None):
        """sock, when given, is passed to the process as its socket-activation socket (with_socket)."""
        self.name = name
        self.argv = [str(a) for a in argv]
        if sock is not None:
            self.argv = with_socket(self.argv, sock)
        self.lines = []
        self._cv = threading.Condition()
        self.p = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, env=env or os.environ.copy(), start_new_session=True,
                                  pass_fds=() if sock is None else (sock.fileno(),))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.p.stdout:
            with self._cv:
                self.lines.append(line.rstrip("\n"))
                self._cv.notify_all()
        with self._cv:
            self._cv.notify_all()

    def output(self):
        with self._cv:
            return "\n".join(self.lines)

    def wait_for_line(self, needle, timeout=20.0):
        """Wait until a line containing needle appears and return it; fail if the process exits first."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                line = next((l for l in self.lines if needle in l), None)
                if line is not None:
                    return line
                if self.p.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(f"{self.name} exited ({self.p.returncode}) before printing "
                                         f"{needle!r}:\n{self.output()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{self.name} did not print {needle!r} within {timeout}s:\n"
                                         f"{self.output()}")
                self._cv.wait(min(left, 0.2))

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Signal the process group and wait; SIGKILL if it does not exit. Returns the exit code."""
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait(timeout)
        self._reader.join(timeout)
        return self.p.returncode
