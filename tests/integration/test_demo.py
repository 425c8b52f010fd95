"""`make demo` (scripts/demo) as a new user meets it: it starts the demo CA, a DNS server, the origin and the
gateway, the gateway obtains its certificates by ACME by itself, and the demo prints "demo ready" and two
commands; both commands work as printed (TLS checked against the CA's ECC root, TLCP against its SM2 root).
Ctrl-C (SIGINT to the script) stops everything: no process of the demo is left. A second run keeps the state
and serves the same certificate again without ordering a new one.

The demo runs in its own build folder (a link to the smtrust under test) on free ports given through the
DEMO_*_PORT variables, so it never meets a `make demo` running on the default ports."""
import os
import shlex
import signal
import socket
import subprocess
import time

import pytest

from ca_util import free_port
from conftest import SMTRUST, run

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NAME = "www.smtrust.test"


def free_tcp_udp_port():
    """A port free for both TCP and UDP (the DNS server takes both)."""
    for _ in range(50):
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise AssertionError("no port free for both TCP and UDP")


def session_pids(sid):
    """Every live process of session sid (the demo and all it started)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command name: state, ppid, pgrp, session (proc(5)); zombies are already dead.
        if int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(entry))
    return pids


class Demo:
    def __init__(self, build, ports):
        self.build = build
        self.ports = ports
        self.output = []
        self.proc = None

    def start(self, timeout=150):
        env = dict(os.environ, DEMO_TIMEOUT="120", **{k: str(v) for k, v in self.ports.items()})
        for name in ("SSL_CERT_FILE", "CURL_CA_BUNDLE", "OPENSSL_CONF"):
            env.pop(name, None)
        self.stderr = open(os.path.join(self.build, "demo.stderr"), "ab")
        self.proc = subprocess.Popen([os.path.join(REPO, "scripts", "demo"), self.build], stdout=subprocess.PIPE,
                                     stderr=self.stderr, env=env, start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stdout.readline().decode()
            if not line:
                break
            self.output.append(line.rstrip("\n"))
            if line.startswith("demo ready:"):
                # The rest of the message, up to its closing blank line after the commands.
                while True:
                    line = self.proc.stdout.readline().decode()
                    self.output.append(line.rstrip("\n"))
                    if line.startswith("Requests are logged") or not line:
                        return self
        self.stop()
        with open(self.stderr.name) as f:
            raise AssertionError("the demo did not get ready:\n" + "\n".join(self.output) + "\n" + f.read())

    def line(self, prefix):
        found = [line.strip() for line in self.output if line.strip().startswith(prefix)]
        assert found, f"no line starting {prefix!r} in:\n" + "\n".join(self.output)
        return found[-1]

    def stop(self):
        """SIGINT to the script alone, as Ctrl-C would reach it; returns the processes left behind."""
        if self.proc is None or self.proc.poll() is not None:
            return [], []
        sid = self.proc.pid
        children = [pid for pid in session_pids(sid) if pid != sid]
        self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(timeout=40)
        finally:
            left = session_pids(sid)
            for pid in left:  # only to clean up after a failure; the test fails below
                os.kill(pid, signal.SIGKILL)
            self.stderr.close()
        assert code == 130, f"the demo exited {code} on SIGINT"
        return children, left


def served_ecc_fingerprint(port, root):
    proc = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", NAME,
                           "-CAfile", root, "-verify_return_error", "-verify_hostname", NAME],
                          input=b"", capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stdout.decode(errors="replace")[-2000:]
    cert = run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-issuer"], input=proc.stdout).stdout
    return cert.decode()


def test_demo_serves_tls_and_tlcp_with_issued_certificates(tmp_path):
    build = str(tmp_path / "build")
    os.mkdir(build)
    os.symlink(os.path.abspath(SMTRUST), os.path.join(build, "smtrust"))
    ports = {"DEMO_HTTPS_PORT": free_port(), "DEMO_REDIRECT_PORT": free_port(), "DEMO_ORIGIN_PORT": free_port(),
             "DEMO_ADMIN_PORT": free_port(), "DEMO_DNS_PORT": free_tcp_udp_port(), "DEMO_CA_PORT": free_port(),
             "DEMO_CA_HTTP_PORT": free_port()}
    demo_dir = os.path.join(build, "demo")
    https = ports["DEMO_HTTPS_PORT"]

    demo = Demo(build, ports).start()
    try:
        ready = demo.line("demo ready:")
        seconds = float(ready.rsplit(",", 1)[1].split()[0])
        assert 0 < seconds < 120, ready

        # The two commands, run exactly as printed.
        curl = shlex.split(demo.line("curl "))
        assert f"{NAME}:{https}:127.0.0.1" in curl and curl[curl.index("--cacert") + 1].endswith("ecc-root.crt")
        body = run(curl).stdout.decode()
        assert "the demo origin" in body
        tlcp = shlex.split(demo.line(os.path.join(build, "smtrust") + " tlcp-client"))
        assert tlcp[tlcp.index("--cafile") + 1].endswith("sm2-root.crt")
        body = run(tlcp).stdout.decode()
        assert "the demo origin" in body

        # Without SNI the default site answers with the same certificate (clients that send no name).
        nosni = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{https}", "-noservername",
                                "-CAfile", os.path.join(demo_dir, "ca", "state", "roots", "ecc-root.crt"),
                                "-verify_return_error"], input=b"", capture_output=True, timeout=30)
        assert nosni.returncode == 0, nosni.stdout.decode(errors="replace")[-2000:]

        first = served_ecc_fingerprint(https, os.path.join(demo_dir, "ca", "state", "roots", "ecc-root.crt"))
        assert "smtrust demo ECC DV SSL CA" in first
        assert demo.line("State: ").startswith(f"State: {demo_dir} ")
    finally:
        children, left = demo.stop()
    assert len(children) >= 4, f"expected the DNS server, origin, CA and gateway, saw {children}"
    assert left == [], f"processes left after Ctrl-C: {left}"

    # A second run keeps what the first made: same files, and the certificate on disk is served again.
    demo = Demo(build, ports).start()
    try:
        assert any("gateway.yaml: kept" in line for line in demo.output)
        assert not any("written" in line for line in demo.output)
        again = served_ecc_fingerprint(https, os.path.join(demo_dir, "ca", "state", "roots", "ecc-root.crt"))
        assert again == first
    finally:
        _, left = demo.stop()
    assert left == []

    # The ASan+UBSan build reports leaks and undefined behaviour on exit: the gateway's and the CA's
    # output must hold none from either run.
    for log in ("gateway.out", "error.log", os.path.join("ca", "ca.log")):
        with open(os.path.join(demo_dir, log), errors="replace") as f:
            text = f.read()
        assert "Sanitizer" not in text and "runtime error" not in text, f"{log}:\n{text[-3000:]}"
