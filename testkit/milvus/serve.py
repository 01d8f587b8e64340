"""Runs `milvus-lite server ...` (same arguments) with three test-kit guarantees the plain
console script lacks. Started by testkit/milvus/launcher.ts with the venv's python.

1. It dies with its parent (PR_SET_PDEATHSIG): a test process killed with SIGKILL or crashing
   leaves no orphan server holding a port and the data_dir LOCK.
2. SIGTERM shuts down like Ctrl-C: the server only drains requests and closes the database on
   KeyboardInterrupt; Python's default SIGTERM would exit without closing it.
3. No SO_REUSEPORT: grpcio enables it by default on Linux, so two servers handed the same port
   would both bind it and share connections silently. Without it a clash fails the bind, and
   the launcher retries on another port.
"""
import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
# The parent may have died between fork and prctl; then nobody will ever stop this server.
if os.environ.get("Q2M_PARENT_PID") not in (None, str(os.getppid())):
    sys.exit("milvus-lite launcher: parent process is gone")
signal.signal(signal.SIGTERM, signal.default_int_handler)

import grpc  # noqa: E402

_grpc_server = grpc.server


def _server_without_reuseport(*args, options=None, **kwargs):
    return _grpc_server(*args, options=[*(options or []), ("grpc.so_reuseport", 0)], **kwargs)


grpc.server = _server_without_reuseport

from milvus_lite.cmdline import main  # noqa: E402

sys.exit(main())
