"""Keeps Milvus 2.3.5 standalone off every interface but loopback (the test kit binds 127.0.0.1 only).

Its Go servers listen on ":port" (all interfaces) whatever `<component>.ip` says, so the test kit runs
it in a network namespace of its own that holds nothing but a loopback device, and bridges the few
connections that must cross the namespace through Unix sockets in a private directory:

    client ── 127.0.0.1:P (this process, outside) ── SOCKDIR/in-P.sock ── serve23.py (inside) ── 127.0.0.1:P  Milvus proxy
    Milvus ── 127.0.0.1:S (serve23.py, inside) ── SOCKDIR/out-S.sock ── this process (outside) ── 127.0.0.1:S  S3 server

Outside: `python netns23.py --in-port P [--out-port S ...] -- python serve23.py ARGS` (started by
standalone23.ts) listens on the outside ends, then runs `unshare -n ... python serve23.py ARGS` with
Q2M_NETNS_SOCKDIR set; serve23.py calls `inside()` first, which brings the namespace's loopback up
and listens on the inside ends. Signals are passed on to the inner process; this process exits with
its status and dies with its own parent (PR_SET_PDEATHSIG), and the inner process dies with it.
Unix sockets are files, so they reach across network namespaces; the bytes are copied by two
threads per connection (gRPC keeps a few long-lived connections).
"""
import ctypes
import fcntl
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading

PR_SET_PDEATHSIG = 1
_CHUNK = 1 << 20


def _pump(src, dst):
    """Copies one direction until EOF or an error, then half-closes the other side."""
    buf = bytearray(_CHUNK)
    view = memoryview(buf)
    try:
        while True:
            n = src.recv_into(buf)
            if n == 0:
                break
            dst.sendall(view[:n])
    except OSError:
        pass
    finally:
        for how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
            try:
                how[0].shutdown(how[1])
            except OSError:
                pass


def _splice(client, connect):
    """Joins an accepted connection to a new one made by `connect`; a failed connect closes it."""
    try:
        upstream = connect()
    except OSError:
        client.close()
        return
    for sock in (client, upstream):
        if sock.family != socket.AF_UNIX:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    done = threading.Barrier(2, action=lambda: (client.close(), upstream.close()))

    def run(a, b):
        _pump(a, b)
        done.wait()

    threading.Thread(target=run, args=(client, upstream), daemon=True).start()
    threading.Thread(target=run, args=(upstream, client), daemon=True).start()


def _serve(listener, connect):
    def accept_loop():
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            _splice(client, connect)

    threading.Thread(target=accept_loop, daemon=True).start()


def _tcp_listener(port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    return sock


def _unix_listener(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.listen(128)
    return sock


def _tcp_to(port):
    return lambda: socket.create_connection(("127.0.0.1", port))


def _unix_to(path):
    def connect():
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        return sock

    return connect


def _ports(name):
    return [int(p) for p in os.environ.get(name, "").split(",") if p]


def _loopback_up():
    """`ip link set lo up` without needing iproute2: SIOCGIFFLAGS, then SIOCSIFFLAGS with IFF_UP."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        ifreq = struct.pack("16sH14s", b"lo", 0, b"\0" * 14)
        flags = struct.unpack("16sH", fcntl.ioctl(sock, siocgifflags, ifreq)[:18])[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sH14s", b"lo", flags | iff_up, b"\0" * 14))


def inside():
    """In serve23.py, before Milvus starts: nothing to do unless started by main() below."""
    sockdir = os.environ.get("Q2M_NETNS_SOCKDIR")
    if not sockdir:
        return
    _loopback_up()
    for port in _ports("Q2M_NETNS_IN_PORTS"):
        _serve(_unix_listener(os.path.join(sockdir, f"in-{port}.sock")), _tcp_to(port))
    for port in _ports("Q2M_NETNS_OUT_PORTS"):
        _serve(_tcp_listener(port), _unix_to(os.path.join(sockdir, f"out-{port}.sock")))


def main(argv):
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.environ.get("Q2M_PARENT_PID") not in (None, str(os.getppid())):
        sys.exit("milvus 2.3.5 network namespace: parent process is gone")
    split = argv.index("--")
    opts, command = argv[:split], argv[split + 1:]
    in_ports = [int(opts[i + 1]) for i, a in enumerate(opts) if a == "--in-port"]
    out_ports = [int(opts[i + 1]) for i, a in enumerate(opts) if a == "--out-port"]
    unshare = next((opts[i + 1] for i, a in enumerate(opts) if a == "--unshare"), "-n")
    sockdir = tempfile.mkdtemp(prefix="q2m-netns-")
    try:
        for port in in_ports:
            _serve(_tcp_listener(port), _unix_to(os.path.join(sockdir, f"in-{port}.sock")))
        for port in out_ports:
            _serve(_unix_listener(os.path.join(sockdir, f"out-{port}.sock")), _tcp_to(port))
        env = {
            **os.environ,
            "Q2M_PARENT_PID": str(os.getpid()),
            "Q2M_NETNS_SOCKDIR": sockdir,
            "Q2M_NETNS_IN_PORTS": ",".join(map(str, in_ports)),
            "Q2M_NETNS_OUT_PORTS": ",".join(map(str, out_ports)),
        }
        child = subprocess.Popen(["unshare", unshare, "--", *command], env=env)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda s, _f: child.send_signal(s))
        code = child.wait()
        sys.exit(code if code >= 0 else 128 - code)
    finally:
        shutil.rmtree(sockdir, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
