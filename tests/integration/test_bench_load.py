"""`smtrust bench load` against real servers on loopback: origin.py over TLS (Python's ssl module, keep-alive,
Content-Length and chunked bodies) and `smtrust tlcp-server --www` over TLCP. The figures it prints must match
what the servers saw, and every failure it meets must be counted, not hidden."""
import re
import subprocess
import time

import pytest

from conftest import SMTRUST, run
from gateway_util import Origin, free_port, make_pki, wait_until


def load(url, *args, ok=True):
    """Runs bench load; returns (the result line as a dict, the whole output)."""
    proc = run([SMTRUST, "bench", "load", url, *map(str, args)], ok=ok)
    out = proc.stdout.decode()
    line = next(line for line in out.splitlines() if line.startswith("result "))
    fields = dict(item.split("=", 1) for item in line.split()[1:])
    return {key: float(value) for key, value in fields.items()}, out


def count(out, what):
    """The exact count of a report line ("  requests    3601    3599.5/s")."""
    return int(re.search(rf"^  {what} +(\d+) ", out, re.M).group(1))


@pytest.fixture
def pki(tmp_path):
    return make_pki(tmp_path / "pki")


@pytest.fixture
def tls_origin(tmp_path, pki):
    origin = Origin(tmp_path, "--tls-cert", pki / "ecc.pem", "--tls-key", pki / "ecc.key", "--log")
    yield origin
    origin.stop()


def origin_requests(origin, path):
    """How many requests for path the origin logged (origin.py --log: one line per request)."""
    time.sleep(0.2)  # the last log lines of requests answered just before the client stopped
    return sum(1 for line in origin.log_path.read_text(errors="replace").splitlines() if f"GET {path} " in line)


def test_keep_alive_counts_every_response_on_few_connections(tls_origin, pki):
    url = f"https://localhost:{tls_origin.port}/bytes?n=5000"
    result, out = load(url, "--connections", 4, "--seconds", 1, "--cafile", pki / "ecc-root.pem")
    assert result["errors"] == 0, out
    assert result["requests_per_s"] > 20, out
    requests = count(out, "requests")
    # One handshake per connection: the connections were kept alive.
    assert count(out, "handshakes") == 4, out
    # Every counted response was served by the origin (at most one per connection in flight at the end).
    served = origin_requests(tls_origin, "/bytes?n=5000")
    assert requests <= served <= requests + 4, out
    assert "over TLSv1.3" in out


def test_new_connection_per_request_makes_a_handshake_for_each(tls_origin, pki):
    url = f"https://localhost:{tls_origin.port}/"
    result, out = load(url, "--connections", 2, "--seconds", 1, "--new-connection-per-request",
                       "--cafile", pki / "ecc-root.pem")
    assert result["errors"] == 0, out
    assert result["requests_per_s"] > 10, out
    requests, handshakes = count(out, "requests"), count(out, "handshakes")
    assert requests <= handshakes <= requests + 2, out


def test_chunked_responses_are_read_whole(tls_origin, pki):
    url = f"https://localhost:{tls_origin.port}/chunked?n=100000&size=999"
    result, out = load(url, "--connections", 2, "--seconds", 1, "--cafile", pki / "ecc-root.pem")
    assert result["errors"] == 0, out
    assert result["requests_per_s"] > 5, out
    assert count(out, "handshakes") == 2, out


def test_error_statuses_are_errors_not_requests(tls_origin):
    result, out = load(f"https://localhost:{tls_origin.port}/", "--path", "/status/503", "--connections", 2,
                       "--seconds", 0.5, ok=False)
    assert result["requests_per_s"] == 0
    assert result["errors"] > 0
    assert "first: HTTP status 503" in out


def test_untrusted_certificate_fails_every_handshake(tls_origin, pki):
    result, out = load(f"https://localhost:{tls_origin.port}/", "--connections", 2, "--seconds", 0.5,
                       "--cafile", pki / "sm2-root.pem", ok=False)
    assert result["requests_per_s"] == 0 and result["handshakes_per_s"] == 0
    assert result["errors"] > 0
    assert "certificate verify failed" in out or "unable to get local issuer" in out, out


def test_refused_port_is_counted_and_fails(tmp_path):
    result, out = load(f"https://localhost:{free_port()}/", "--connections", 2, "--seconds", 0.3, ok=False)
    assert result["errors"] > 0
    assert "Connection refused" in out


def test_idle_connections_are_opened_and_held(tls_origin, pki):
    proc = subprocess.Popen([SMTRUST, "bench", "load", f"https://localhost:{tls_origin.port}/", "--idle",
                             "--connections", "20", "--seconds", "1", "--cafile", str(pki / "ecc-root.pem")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    lines = out.decode().splitlines()
    assert "idle 20" in lines
    result = dict(item.split("=", 1) for item in lines[-1].split()[1:])
    assert result["errors"] == "0" and result["requests_per_s"] == "0.0"
    assert not any("GET" in line for line in tls_origin.log_path.read_text(errors="replace").splitlines())


@pytest.fixture
def tlcp_server(tmp_path, pki):
    port = free_port()
    log_path = tmp_path / "tlcp-server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([SMTRUST, "tlcp-server", "--sign-cert", str(pki / "sm2-sign.pem"),
                                 "--sign-key", str(pki / "sm2-sign.key"), "--enc-cert", str(pki / "sm2-enc.pem"),
                                 "--enc-key", str(pki / "sm2-enc.key"), "--listen", f"127.0.0.1:{port}", "--www"],
                                stdout=log, stderr=subprocess.STDOUT)
    wait_until(lambda: "listening on" in log_path.read_text(errors="replace") or proc.poll() is not None, 10,
               "tlcp-server to listen")
    yield port, log_path
    proc.terminate()
    proc.wait(timeout=10)


def test_tlcp_requests_over_full_handshakes(tlcp_server, pki):
    port, log_path = tlcp_server
    result, out = load(f"https://localhost:{port}/", "--tlcp", "--connections", 1, "--seconds", 1,
                       "--new-connection-per-request", "--cafile", pki / "sm2-root.pem")
    assert result["errors"] == 0, out
    assert result["requests_per_s"] > 5, out
    assert re.search(r"over TLCP ECC_SM4_(GCM|CBC)_SM3", out), out
    requests = count(out, "requests")
    # The server logged a full (not resumed) handshake for each request.
    full = log_path.read_text(errors="replace").count("resumed no")
    assert requests <= full <= requests + 1, out


def test_tlcp_chunked_responses(tlcp_server, pki):
    port, _ = tlcp_server
    result, out = load(f"https://localhost:{port}/chunked", "--tlcp", "--connections", 1, "--seconds", 0.5,
                       "--cafile", pki / "sm2-root.pem")
    assert result["errors"] == 0, out
    assert result["requests_per_s"] > 2, out


@pytest.mark.parametrize("args", [[], ["https://x/", "--connections", "0"], ["https://x/", "--seconds", "-1"],
                                  ["https://x/", "--idle", "--new-connection-per-request"], ["http://x/"]])
def test_usage_errors(args):
    proc = run([SMTRUST, "bench", "load", *args], ok=False)
    assert proc.returncode == (1 if args == ["http://x/"] else 2), proc.stderr
