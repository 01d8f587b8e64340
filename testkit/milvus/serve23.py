"""Runs Milvus 2.3.5 standalone (`milvus-server ...`, same arguments, from PyPI `milvus==2.3.5`)
with the test kit's guarantees. Started by testkit/milvus/standalone23.ts with the venv's python.

`milvus-server` is a Python wrapper that spawns the Go binary (`DATA/bin/milvus run standalone`).

1. One per machine: its internal ports (etcd 2379/2380, coordinators, nodes) are fixed, so it
   takes an exclusive flock(2) on Q2M_STANDALONE23_LOCK (default /tmp/q2m-standalone23.lock)
   first, waiting up to Q2M_LOCK_TIMEOUT_S (default 600) seconds. flock is released by the
   kernel when its holders die, so a crashed owner never leaves a stale lock, and
   `flock /tmp/q2m-standalone23.lock <cmd>` by hand takes the same lock. The Go binary inherits the
   locked descriptor: the lock is free only once BOTH processes are gone (the ports too).
2. Nothing outlives its parent: PR_SET_PDEATHSIG here (SIGKILL when the launcher dies) and on the
   Go binary (SIGKILL when this wrapper dies, e.g. the launcher's kill()).
3. SIGTERM stops like SIGINT (the package only handles SIGINT), and the Go binary gets 15 s to
   shut down gracefully instead of the package's 1 s.
4. A restart right after a kill keeps the default internal ports (see _try_bind_port).
5. Started through netns23.py (the default where `unshare -n` is allowed), it runs in a network
   namespace with loopback only, so its all-interfaces listeners are reachable from nowhere else.
"""
import ctypes
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


_die_with_parent()
# The parent may have died between fork and prctl; then nobody will ever stop this server.
if os.environ.get("Q2M_PARENT_PID") not in (None, str(os.getppid())):
    sys.exit("milvus 2.3.5 launcher: parent process is gone")

lock_path = os.environ.get("Q2M_STANDALONE23_LOCK", "/tmp/q2m-standalone23.lock")
timeout_s = float(os.environ.get("Q2M_LOCK_TIMEOUT_S", "600"))
lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
deadline = time.monotonic() + timeout_s
announced = False
while True:
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        break
    except BlockingIOError:
        owner = open(lock_path, encoding="utf-8").read().strip() or "unknown"
        if time.monotonic() > deadline:
            sys.exit(
                f"q2m: gave up after {timeout_s:.0f} s waiting for {lock_path} (held by pid {owner}): another "
                "Milvus 2.3.5 standalone is running, and its fixed internal ports allow one per machine; "
                "stop it (or wait for it) and start again"
            )
        if not announced:
            print(f"q2m: waiting for {lock_path}, held by pid {owner} (one Milvus 2.3.5 per machine)", flush=True)
            announced = True
        time.sleep(0.5)
os.ftruncate(lock_fd, 0)
os.write(lock_fd, f"{os.getpid()}\n".encode())
os.set_inheritable(lock_fd, True)
print("q2m: lock held", flush=True)

# In a network namespace of its own (started through netns23.py): loopback up, bridges listening.
import netns23  # noqa: E402

netns23.inside()

_Popen = subprocess.Popen


class _DyingPopen(_Popen):
    """The Go binary dies with this wrapper and keeps the lock descriptor open while it lives."""

    def __init__(self, *args, **kwargs):
        kwargs["preexec_fn"] = _die_with_parent
        kwargs["pass_fds"] = (*kwargs.get("pass_fds", ()), lock_fd)
        super().__init__(*args, **kwargs)


subprocess.Popen = _DyingPopen

import milvus  # noqa: E402


def _stop(self):
    if self.server_proc:
        self.server_proc.terminate()
        try:
            self.server_proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.server_proc.kill()
            self.server_proc.wait(timeout=5)
        self.server_proc = None
    for fd in self.proc_fds.values():
        fd.close()
    self.proc_fds.clear()


milvus.MilvusServer.stop = _stop


def _try_bind_port(self, port):
    """The package's port check, with SO_REUSEADDR as the Go binary itself listens: without it, the
    TIME_WAIT connections a killed server leaves make every internal port look taken, the package
    moves each to the next free one, and the restarted server then waits about a minute for the
    sessions its previous life registered in etcd at the old addresses to expire."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        return sock
    except OSError:
        sock.close()
        return None


milvus.MilvusServerConfig.try_bind_port = _try_bind_port
signal.signal(signal.SIGTERM, lambda *_: os.kill(os.getpid(), signal.SIGINT))
sys.exit(milvus.main())
