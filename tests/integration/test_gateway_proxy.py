"""The proxy's behaviour a user checks by hand: Expect: 100-continue relayed before the body is sent, a slow
origin answered with 504 and a dead one with 502 within the configured time, a request for another site
on a connection made for one site refused with 421, a slow request head answered with 408, TLCP sessions
resumed through the gateway, and the worker processes running as the configured user."""
import os
import re
import socket
import time

import pytest

from conftest import SMTRUST, run
from gateway_util import curl, make_pki, read_head, site_config, tls_connect

pytest_plugins = ("gateway_util",)


def resolve(port, name="localhost"):
    return ["--resolve", f"{name}:{port}:127.0.0.1"]


def test_expect_100_continue_is_relayed_before_the_body(start_gateway, demo_pki, origin):
    gateway = start_gateway([site_config(demo_pki, origin.url, default=True)])
    with tls_connect(gateway.https_port, demo_pki / "ecc-root.pem") as sock:
        sock.sendall(b"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
                     b"Expect: 100-continue\r\n\r\n")
        interim, rest = read_head(sock)
        assert interim.startswith("HTTP/1.1 100"), interim
        assert rest == b"", rest  # nothing more until the body is sent
        sock.sendall(b"hello")
        final, _ = read_head(sock)
        assert final.startswith("HTTP/1.1 200"), final


def test_slow_origin_gets_504_in_the_configured_time(start_gateway, demo_pki, origin):
    gateway = start_gateway([site_config(demo_pki, origin.url, default=True)],
                            timeouts={"origin_read": "1s"})
    started = time.monotonic()
    proc = curl("-s", "-o", "-", "-w", "%{http_code}", "--cacert", demo_pki / "ecc-root.pem",
                *resolve(gateway.https_port), f"https://localhost:{gateway.https_port}/slow?ms=3000")
    elapsed = time.monotonic() - started
    assert proc.stdout.endswith(b"504"), proc.stdout
    assert b"did not answer in time" in proc.stdout
    assert 0.9 <= elapsed < 2.5, elapsed


def test_origin_refusing_connections_gets_502(start_gateway, demo_pki):
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()  # nothing listens there now
    gateway = start_gateway([site_config(demo_pki, f"http://127.0.0.1:{port}", default=True)])
    proc = curl("-s", "-o", "-", "-w", "%{http_code}", "--cacert", demo_pki / "ecc-root.pem",
                *resolve(gateway.https_port), f"https://localhost:{gateway.https_port}/")
    assert proc.stdout.endswith(b"502") and b"could not be reached" in proc.stdout, proc.stdout


def test_host_of_another_site_on_the_connection_gets_421(tmp_path, start_gateway, origin):
    pki_a = make_pki(tmp_path / "a", "a.example")
    pki_b = make_pki(tmp_path / "b", "b.example")
    gateway = start_gateway([site_config(pki_a, origin.url, names=("a.example",)),
                             site_config(pki_b, origin.url, names=("b.example",))])
    with tls_connect(gateway.https_port, pki_a / "ecc-root.pem", server_name="a.example") as sock:
        sock.sendall(b"GET /echo HTTP/1.1\r\nHost: a.example\r\n\r\n")
        assert read_head(sock)[0].startswith("HTTP/1.1 200")
    with tls_connect(gateway.https_port, pki_a / "ecc-root.pem", server_name="a.example") as sock:
        sock.sendall(b"GET /echo HTTP/1.1\r\nHost: b.example\r\n\r\n")
        assert read_head(sock)[0].startswith("HTTP/1.1 421")


def test_request_head_too_slow_gets_408(start_gateway, demo_pki, origin):
    gateway = start_gateway([site_config(demo_pki, origin.url, default=True)], timeouts={"header": "1s"})
    with tls_connect(gateway.https_port, demo_pki / "ecc-root.pem") as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: local")
        started = time.monotonic()
        head, _ = read_head(sock)
        assert head.startswith("HTTP/1.1 408"), head
        assert time.monotonic() - started < 3


def test_tlcp_session_is_resumed_through_the_gateway(start_gateway, demo_pki, origin):
    gateway = start_gateway([site_config(demo_pki, origin.url, default=True)], workers=2)
    resumed = 0
    for _ in range(4):  # whichever worker takes the second connection, the shared cache has the session
        proc = run([SMTRUST, "tlcp-client", "--cafile", demo_pki / "sm2-root.pem", "--resume", "-v",
                    f"https://localhost:{gateway.https_port}/echo"])
        resumed += len(re.findall(r"resumed:? *(yes|true)", proc.stderr.decode(), re.I))
    assert resumed >= 4, proc.stderr.decode()


def test_workers_run_as_the_configured_user(start_gateway, demo_pki, origin):
    if os.geteuid() != 0:
        # Not root: the gateway must refuse to start rather than run as someone other than configured.
        with pytest.raises(BaseException):
            start_gateway([site_config(demo_pki, origin.url, default=True)], user="nobody", timeout=5)
        return
    for key in demo_pki.glob("*.key"):  # key files belong to the user that serves them (0600)
        os.chown(key, 65534, 65534)
    gateway = start_gateway([site_config(demo_pki, origin.url, default=True)], user="nobody")
    status = open(f"/proc/{gateway.proc.pid}/status").read()
    assert re.search(r"^Uid:\s+65534\s+65534\s+65534\s+65534", status, re.M), status
    proc = curl("-s", "--cacert", demo_pki / "ecc-root.pem", *resolve(gateway.https_port),
                f"https://localhost:{gateway.https_port}/echo")
    assert b'"method": "GET"' in proc.stdout


def test_tls_session_resumes_across_a_reload(tmp_path, start_gateway, demo_pki, origin, openssl):
    gateway = start_gateway([site_config(demo_pki, origin.url, default=True)])
    session = tmp_path / "session.pem"
    common = ["s_client", "-connect", f"127.0.0.1:{gateway.https_port}", "-servername", "localhost", "-tls1_2",
              "-CAfile", demo_pki / "ecc-root.pem"]
    first = openssl(*common, "-sess_out", session, input=b"", ok=None).stdout.decode()
    assert "New, TLSv1.2" in first, first
    assert "reloaded" in gateway.reload()
    again = openssl(*common, "-sess_in", session, input=b"", ok=None).stdout.decode()
    assert "Reused, TLSv1.2" in again, again
