"""Issue 7, renewal: certificates that `smtrust ca` makes valid for one minute (the least it allows) and a
gateway renewing when 90 % of their lifetime is left (about 6 s after each issuance), so renewals happen
within a test:

  - under load: TLS clients (a new connection per request, and keep-alive) and TLCP clients keep requesting
    while the gateway renews; they see the serial change at least twice and not one request fails.
  - the CA down: the gateway goes on serving the certificate it has, its status counts the failures, names the
    error and backs off (growing gaps); once the CA is back the renewal succeeds within retry_max and a bit,
    a new serial is served and the failures are back to 0.
  - revoked: the CA revokes the served ECC certificate (its API); the gateway's OCSP staple says so within a
    refresh, and it orders a new certificate at once (without waiting for its renewal time): a new serial is
    served, stapled "good", and the order named the certificate it replaces (RFC 9773 "replaces")."""
import base64
import http.client
import os
import sqlite3
import socket
import ssl
import threading
import time
from datetime import datetime

import pytest
from cryptography import x509

from conftest import SMTRUST, run
from gateway_util import Origin
from pebble_util import DNSServer, certificate_status, serial_hex, status_cli, stop_all, tlcp_sign_serial, \
    tls_certificate, wait_tls_certificate
from test_gateway_acme import ISSUE_TIMEOUT, start_ca_and_gateway, wait_tlcp

LOAD_SECONDS = 25


@pytest.fixture
def dns(tmp_path):
    server = DNSServer(str(tmp_path))
    yield server
    server.stop()


@pytest.fixture
def origin(tmp_path):
    server = Origin(tmp_path)
    yield server
    server.stop()


class Load:
    """Requests in a loop until stop is set; serials seen in order of change, failures with their reason."""

    def __init__(self, name, stop):
        self.name, self.stop = name, stop
        self.serials, self.failures, self.requests = [], [], 0
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def saw(self, serial):
        if serial and (not self.serials or self.serials[-1] != serial):
            self.serials.append(serial)

    def fail(self, what):
        self.failures.append(f"{time.strftime('%H:%M:%S')} {self.name}: {what}")

    def loop(self):
        raise NotImplementedError


class TLSNewConnections(Load):
    """Python's ssl verifying against the ECC root and the name, one connection per request."""

    def __init__(self, stop, port, name, cafile):
        super().__init__("tls (new connection each time)", stop)
        self.port, self.host, self.cafile = port, name, cafile

    def loop(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(cafile=str(self.cafile))
        while not self.stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=10) as raw:
                    with context.wrap_socket(raw, server_hostname=self.host) as conn:
                        self.saw(serial_hex(x509.load_der_x509_certificate(conn.getpeercert(binary_form=True))))
                        conn.sendall(f"GET /echo HTTP/1.1\r\nHost: {self.host}\r\nConnection: close\r\n\r\n"
                                     .encode())
                        data = b""
                        while True:
                            piece = conn.recv(65536)
                            if not piece:
                                break
                            data += piece
                self.requests += 1
                if not data.startswith(b"HTTP/1.1 200 "):
                    self.fail(f"answer {data[:200]!r}")
            except (OSError, ssl.SSLError) as exc:
                self.fail(repr(exc))


class TLSKeepAlive(Load):
    """http.client over one verified TLS connection for as long as the gateway keeps it; a response with
    "Connection: close" makes the next request open a new one (that is not a failure, a dropped request is)."""

    def __init__(self, stop, port, name, cafile):
        super().__init__("tls (keep-alive)", stop)
        self.port, self.host, self.cafile = port, name, cafile
        self.connections = 0

    def connect(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(cafile=str(self.cafile))
        conn = http.client.HTTPSConnection(self.host, self.port, context=context, timeout=10)
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        conn.sock = context.wrap_socket(raw, server_hostname=self.host)
        self.saw(serial_hex(x509.load_der_x509_certificate(conn.sock.getpeercert(binary_form=True))))
        self.connections += 1
        return conn

    def loop(self):
        conn = None
        while not self.stop.is_set():
            try:
                if conn is None:
                    conn = self.connect()
                conn.request("GET", "/echo")
                response = conn.getresponse()
                response.read()
                self.requests += 1
                if response.status != 200:
                    self.fail(f"status {response.status}")
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, ssl.SSLError, http.client.HTTPException) as exc:
                self.fail(f"on connection {self.connections}: {exc!r}")
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()


class TLCPClients(Load):
    """`smtrust tlcp-client` in a loop (a new TLCP handshake each time), verifying against the SM2 root."""

    def __init__(self, stop, port, name, sm2_root):
        super().__init__("tlcp", stop)
        self.port, self.host, self.sm2_root = port, name, sm2_root

    def loop(self):
        while not self.stop.is_set():
            proc = run([SMTRUST, "tlcp-client", "-v", "--cafile", str(self.sm2_root), "--timeout", "10",
                        "--resolve", f"{self.host}:{self.port}:127.0.0.1", f"https://{self.host}:{self.port}/echo"],
                       ok=None)
            self.requests += 1
            text = proc.stderr.decode(errors="replace")
            if proc.returncode != 0 or "* HTTP status: 200" not in text:
                self.fail(f"exit {proc.returncode}: {text[-600:]}")
            else:
                self.saw(tlcp_sign_serial(text))


def test_renewal_under_load_drops_nothing(tmp_path, dns, origin):
    name = "busy.example.test"
    ca, gateway, port, _, _ = start_ca_and_gateway(tmp_path, dns, origin, name, validity="1m", renewal_window=90)
    stop = threading.Event()
    loads = []
    try:
        log = lambda: gateway.log()[-6000:] + "\n--- ca ---\n" + ca.stderr_text()[-3000:]  # noqa: E731
        wait_tls_certificate(port, name, ca.roots, ISSUE_TIMEOUT, log=log)
        wait_tlcp(port, name, ca.sm2_root, ISSUE_TIMEOUT, log=log)
        loads = [TLSNewConnections(stop, port, name, ca.roots), TLSKeepAlive(stop, port, name, ca.roots),
                 TLCPClients(stop, port, name, ca.sm2_root)]
        for load in loads:
            load.thread.start()
        time.sleep(LOAD_SECONDS)
        stop.set()
        for load in loads:
            load.thread.join(timeout=30)
        report = "\n".join(f"{load.name}: {load.requests} requests, serials {load.serials}, "
                           f"{len(load.failures)} failures {load.failures[:5]}" for load in loads)
        print(report)
        for load in loads:
            assert load.requests > 10, report
            assert not load.failures, f"{report}\n{log()}"
        # Two renewals at least, seen by the TLS clients and by the TLCP clients.
        assert len(set(loads[0].serials)) >= 3, f"{report}\n{log()}"
        assert len(set(loads[2].serials)) >= 3, f"{report}\n{log()}"
        assert gateway.alive(), log()
    finally:
        stop.set()
        for load in loads:
            load.thread.join(timeout=30)
        stop_all(gateway, ca)


def timestamp(value):
    """A status time: seconds since 1970 or RFC 3339 text; None when absent."""
    if value in (None, "", 0):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def test_ca_down_keeps_the_certificate_and_backs_off(tmp_path, dns, origin):
    name = "steady.example.test"
    ca, gateway, port, config, admin_port = start_ca_and_gateway(tmp_path, dns, origin, name, validity="1m",
                                                                 renewal_window=90, admin=True)
    try:
        log = lambda: gateway.log()[-6000:] + "\n--- ca ---\n" + ca.stderr_text()[-3000:]  # noqa: E731
        first = serial_hex(wait_tls_certificate(port, name, ca.roots, ISSUE_TIMEOUT, log=log))
        first_tlcp = wait_tlcp(port, name, ca.sm2_root, ISSUE_TIMEOUT, log=log)[1]
        ca.stop()
        ecc = (name, "ecc")
        # Until several failures are counted (the renewal is due ~6 s after issuance, then 1 s, 2 s, 4 s...),
        # the certificate in hand is still the one served, to TLS and to TLCP clients.
        samples = {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = certificate_status(admin_port)[ecc]
            if status["failures"] >= 1:
                samples.setdefault(status["failures"], status)
            if status["failures"] >= 3:
                break
            assert serial_hex(tls_certificate(port, name, ca.roots)) == first, log()
            time.sleep(0.2)
        assert max(samples, default=0) >= 3, (samples, log())
        assert wait_tlcp(port, name, ca.sm2_root, 10, log=log)[1] == first_tlcp
        status = certificate_status(admin_port)[ecc]
        assert status["has_certificate"] and status["serial"].lower().lstrip("0") == first, status
        print(f"status while the CA is down: {status}")
        assert status["last_error"] and timestamp(status["last_error_at"]), status
        # Back-off: the wait before the next try grows with the failures (retry_min 1 s doubling, to 5 s).
        gaps = {n: timestamp(s["next_renewal"]) - timestamp(s["last_error_at"]) for n, s in samples.items()}
        print(f"back-off gaps by failures: {gaps}")
        assert gaps[max(gaps)] > gaps[min(gaps)], (gaps, samples)
        # `smtrust gateway status --json` shows the same: the CA is still down.
        cli = status_cli(config)[ecc]
        assert cli["failures"] >= 3 and cli["last_error"] and cli["serial"].lower().lstrip("0") == first, cli
        table = run([SMTRUST, "gateway", "status", "-c", config]).stdout.decode()
        assert name in table, table
        # The CA back on its ports: the next try succeeds, within retry_max (5 s) and a few seconds.
        ca.start()
        back = time.monotonic()
        renewed = None
        while time.monotonic() < back + 5 + 8:
            renewed = serial_hex(tls_certificate(port, name, ca.roots))
            if renewed != first:
                break
            time.sleep(0.2)
        assert renewed != first, f"still {first} {time.monotonic() - back:.1f}s after the CA came back\n{log()}"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and certificate_status(admin_port)[ecc]["failures"] != 0:
            time.sleep(0.2)
        status = certificate_status(admin_port)[ecc]
        assert status["failures"] == 0 and status["serial"].lower().lstrip("0") == renewed, status
        assert gateway.alive(), log()
    finally:
        stop_all(gateway, ca)


def test_revoked_certificate_is_renewed_at_once(tmp_path, dns, origin):
    name = "revoked.example.test"
    ca, gateway, port, _, _ = start_ca_and_gateway(tmp_path, dns, origin, name, admin=True,
                                                   gateway_extra={"ocsp_stapling_refresh": "1s"})
    try:
        log = lambda: gateway.log()[-4000:] + "\n--- ca ---\n" + ca.stderr_text()[-2000:]  # noqa: E731
        first = wait_tls_certificate(port, name, ca.roots, ISSUE_TIMEOUT, "from smtrust ca", log=log)
        connect = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", name, "-status",
                   "-CAfile", ca.roots]
        staple = lambda: run(connect, input=b"", ok=None).stdout.decode(errors="replace")  # noqa: E731
        deadline = time.monotonic() + 15
        while "Cert Status: good" not in staple():
            assert time.monotonic() < deadline, log()
            time.sleep(0.3)
        records = ca.api(f"/api/v1/certificates?name={name}&limit=100")["certificates"]
        [record] = [r for r in records if r["serial"].lower().lstrip("0") == serial_hex(first)]
        ca.api(f"/api/v1/certificates/{record['serial']}/revoke", "POST", {"reason": "keyCompromise"})
        # the certificate is not near its renewal time (a 90-day default): only the revocation renews it
        deadline = time.monotonic() + ISSUE_TIMEOUT
        while True:
            cert = tls_certificate(port, name, ca.roots)
            if serial_hex(cert) != serial_hex(first):
                break
            assert time.monotonic() < deadline, log()
            time.sleep(0.3)
        assert f"certificate {record['serial']}" in gateway.log() and "is revoked (OCSP): renewing it now" in \
            gateway.log(), log()
        deadline = time.monotonic() + 15
        while "Cert Status: good" not in staple():  # the new certificate's own staple
            assert time.monotonic() < deadline, log()
            time.sleep(0.3)
        # the renewal's order named the certificate it replaces (RFC 9773 5), as the CA recorded it
        with sqlite3.connect(os.path.join(ca.state, "ca.db")) as db:
            replaces = {row[0] for row in db.execute("SELECT replaces FROM orders WHERE replaces != ''")}
        assert replaces == {ari_cert_id(first)}, (replaces, ari_cert_id(first))
    finally:
        stop_all(gateway, ca)


def ari_cert_id(cert):
    """RFC 9773 4.1: base64url(AKI keyIdentifier) "." base64url(the serial's DER content octets)."""
    b64 = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()  # noqa: E731
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    serial = cert.serial_number.to_bytes((cert.serial_number.bit_length() + 8) // 8, "big")  # DER: room for a sign bit
    return f"{b64(aki)}.{b64(serial)}"
