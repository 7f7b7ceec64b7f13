"""nginx as an ordinary process around one server block: for the tests and the bench,
which serve a built site through the shipped configuration without touching /etc/nginx."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

_TEMP = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def write_main_conf(work: Path, server_block: str) -> Path:
    """Write `work/nginx.conf`: nginx in the foreground with its pid, log and temporary
    folders under `work`, serving `server_block`; return its path (`nginx -p work -c it`)."""
    # As root, the workers would run as nobody and could not read pytest's 0700 folders.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = "".join(f"    {k}_temp_path {work}/{k};\n" for k in _TEMP)
    conf = work / "nginx.conf"
    conf.write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {work}/nginx.pid;\nerror_log {work}/error.log;\n"
        f"events {{}}\nhttp {{\n    access_log off;\n{temp}{server_block}}}\n",
        encoding="utf-8",
    )
    return conf


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(work: Path, server_block: str, address: str | tuple[str, int]) -> subprocess.Popen:
    """nginx serving `server_block` from `work`, once it accepts connections at `address`
    (a unix socket's path, or host and port); RuntimeError with nginx's output if it does not."""
    conf = write_main_conf(work, server_block)
    proc = subprocess.Popen(
        ["nginx", "-p", str(work), "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    for _ in range(100):
        try:
            if isinstance(address, str):
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(address)
            else:
                socket.create_connection(address, timeout=0.2).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError((proc.stdout.read() if proc.stdout else b"").decode()) from None
            time.sleep(0.05)
    proc.terminate()
    raise RuntimeError("nginx did not start")
