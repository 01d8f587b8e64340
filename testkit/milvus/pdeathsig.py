"""Runs a server binary (argv[1:]) so that it dies with the process that started it: sets
PR_SET_PDEATHSIG, then execs the binary in this same process. The setting survives execve (it is
cleared only for set-user-ID binaries), so a SIGKILLed test runner leaves no orphan holding a port
or a data file. Used by testkit/milvus/lite25.ts for Milvus Lite 2.5.1's C++ binary.
"""
import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
# The parent may have died between fork and prctl; then nobody will ever stop this server.
if os.environ.get("Q2M_PARENT_PID") not in (None, str(os.getppid())):
    sys.exit("pdeathsig: parent process is gone")
# The binary's own LD_LIBRARY_PATH arrives separately: set for this python, it would load the
# binary's bundled libm into the interpreter (Milvus Lite 2.5.1 ships one too old for it).
env = dict(os.environ)
lib_path = env.pop("Q2M_EXEC_LD_LIBRARY_PATH", None)
if lib_path is not None:
    env["LD_LIBRARY_PATH"] = lib_path
os.execve(sys.argv[1], sys.argv[1:], env)
