"""nginx as an ordinary process around one server block: for the tests and the bench,
which serve a built site through the shipped configuration without touching /etc/nginx."""

from __future__ import annotations

import os
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
