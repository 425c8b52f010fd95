"""A throwaway PostgreSQL cluster for integration tests.

    with postgresql_cluster() as dsn:   # "postgresql://postgres@/smtrust?host=/tmp/smtrust-pg-xyz&port=NNNN"
        ...

initdb and pg_ctl come from /usr/lib/postgresql/*/bin (the newest). The server refuses to run as root, so when
we are root (CI) every server command runs as the unprivileged user `postgres` through runuser. The data folder
and the Unix socket live in one temporary folder owned by that user; the server listens on no TCP address. The
cluster is stopped and the folder removed at the end, even when the body fails."""
import contextlib
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile

import pytest

PG_USER = "postgres"


def pg_bin_dir():
    """The newest /usr/lib/postgresql/<version>/bin holding initdb, or None."""
    def version(path):
        match = re.search(r"/postgresql/(\d+)", path)
        return int(match.group(1)) if match else 0
    found = [d for d in glob.glob("/usr/lib/postgresql/*/bin") if os.path.exists(os.path.join(d, "initdb"))]
    return max(found, key=version) if found else None


def _free_port():
    """A port number no local TCP socket uses: it names the Unix socket file (.s.PGSQL.<port>)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(args):
    return ["runuser", "-u", PG_USER, "--", *args] if os.geteuid() == 0 else args


def _run(args, folder):
    proc = subprocess.run(_as_server_user(args), capture_output=True, text=True, timeout=120, cwd=folder)
    if proc.returncode != 0:
        log = ""
        log_path = os.path.join(folder, "server.log")
        if os.path.exists(log_path):
            with open(log_path, errors="replace") as f:
                log = f.read()[-3000:]
        raise RuntimeError(f"{args[0]} exited {proc.returncode}\nstdout: {proc.stdout[-2000:]}\n"
                           f"stderr: {proc.stderr[-2000:]}\nserver log: {log}")
    return proc


@contextlib.contextmanager
def postgresql_cluster(dbname="smtrust"):
    """Starts a private PostgreSQL server with database dbname and yields its libpq DSN (user postgres, trust
    authentication over the Unix socket only). Skips the test when PostgreSQL is not installed."""
    bindir = pg_bin_dir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb)")
    if os.geteuid() == 0:
        try:
            server_user = pwd.getpwnam(PG_USER)
        except KeyError:
            pytest.skip(f"running as root and there is no user {PG_USER!r} to run PostgreSQL as")
    folder = tempfile.mkdtemp(prefix="smtrust-pg-")
    data = os.path.join(folder, "data")
    port = _free_port()
    try:
        if os.geteuid() == 0:
            os.chown(folder, server_user.pw_uid, server_user.pw_gid)
        _run([os.path.join(bindir, "initdb"), "-D", data, "-U", PG_USER, "-A", "trust", "-E", "UTF8",
              "--locale=C", "--no-sync"], folder)
        options = f"-k {folder} -p {port} -c listen_addresses='' -c fsync=off -c max_connections=100"
        _run([os.path.join(bindir, "pg_ctl"), "-D", data, "-l", os.path.join(folder, "server.log"), "-w",
              "-t", "60", "-o", options, "start"], folder)
        _run([os.path.join(bindir, "createdb"), "-h", folder, "-p", str(port), "-U", PG_USER, dbname], folder)
        yield f"postgresql://{PG_USER}@/{dbname}?host={folder}&port={port}"
    finally:
        if os.path.exists(os.path.join(data, "postmaster.pid")):  # also after a start that timed out
            subprocess.run(_as_server_user([os.path.join(bindir, "pg_ctl"), "-D", data, "-m", "immediate", "-w",
                                            "stop"]), capture_output=True, timeout=120, cwd=folder)
        shutil.rmtree(folder, ignore_errors=True)
