"""What the origin sees through the gateway and how the gateway treats origins: https origins checked off, by CA
and by pin (a wrong CA or pin gives 502), an origin that is down gives 502, forwarding headers are set by the
gateway (a client's own X-Forwarded-For is replaced), 64 MiB bodies pass both ways intact (chunked upload from
curl, chunked download over TLS and TLCP), and a WebSocket echo works through the gateway."""
import hashlib
import json
import os

import pytest

from conftest import SMTRUST, run
from gateway_util import (HTTPSConnection, Origin, WebSocket, curl, echo_json, free_port, make_pki, pattern,
                          pattern_sha256, site_config, tls_connect)

pytest_plugins = ("gateway_util",)  # the demo_pki, origin and start_gateway fixtures

BIG = 64 * 1024 * 1024


def resolve(port, name="localhost"):
    return ["--resolve", f"{name}:{port}:127.0.0.1"]


def get(gateway, pki, path, *extra, ok=True):
    port = gateway.https_port
    return curl(*extra, "--cacert", pki / "ecc-root.pem", *resolve(port), f"https://localhost:{port}{path}", ok=ok)


def status_of(gateway, pki, path="/echo"):
    proc = get(gateway, pki, path, "-o", "/dev/null", "-w", "%{http_code}")
    return int(proc.stdout)


@pytest.fixture
def self_signed(tmp_path, openssl):
    """A self-signed P-256 certificate for origin.test and 127.0.0.1 that no root vouches for."""
    cert, key = tmp_path / "self.pem", tmp_path / "self.key"
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=origin.test", "-addext", "subjectAltName=DNS:origin.test,IP:127.0.0.1",
            "-keyout", key, "-out", cert)
    return cert, key


def test_https_origin_with_verify_off(tmp_path, start_gateway, demo_pki, self_signed):
    tls_origin = Origin(tmp_path, "--tls-cert", self_signed[0], "--tls-key", self_signed[1])
    try:
        gateway = start_gateway([site_config(demo_pki, tls_origin.url, default=True, origin_tls={"verify": "off"})])
        echo = echo_json(get(gateway, demo_pki, "/echo?over=tls").stdout)
        assert echo["scheme"] == "https" and echo["path"] == "/echo?over=tls"
    finally:
        tls_origin.stop()


def test_https_origin_verify_on_right_and_wrong_ca(tmp_path, start_gateway, demo_pki):
    origin_pki = make_pki(tmp_path / "origin-pki", "127.0.0.1")
    tls_origin = Origin(tmp_path, "--tls-cert", origin_pki / "ecc.pem", "--tls-key", origin_pki / "ecc.key")
    try:
        right = start_gateway([site_config(demo_pki, tls_origin.url, default=True,
                                           origin_tls={"verify": "on", "ca_file": str(origin_pki / "ecc-root.pem")})],
                              name="right")
        assert echo_json(get(right, demo_pki, "/echo").stdout)["scheme"] == "https"
        wrong = start_gateway([site_config(demo_pki, tls_origin.url, default=True,
                                           origin_tls={"verify": "on", "ca_file": str(demo_pki / "ecc-root.pem")})],
                              name="wrong")
        assert status_of(wrong, demo_pki) == 502
        # The origin's name is checked too: the right CA but another name is refused.
        misnamed = start_gateway([site_config(demo_pki, tls_origin.url, default=True,
                                              origin_tls={"verify": "on", "ca_file": str(origin_pki / "ecc-root.pem"),
                                                          "server_name": "elsewhere.test"})], name="misnamed")
        assert status_of(misnamed, demo_pki) == 502
    finally:
        tls_origin.stop()


def test_https_origin_pinned(tmp_path, start_gateway, demo_pki, self_signed, openssl):
    tls_origin = Origin(tmp_path, "--tls-cert", self_signed[0], "--tls-key", self_signed[1])
    try:
        der = openssl("x509", "-in", self_signed[0], "-outform", "DER").stdout
        pin = hashlib.sha256(der).hexdigest()
        pinned = start_gateway([site_config(demo_pki, tls_origin.url, default=True,
                                            origin_tls={"verify": "pin", "pins": [pin]})], name="pinned")
        assert status_of(pinned, demo_pki) == 200
        other = start_gateway([site_config(demo_pki, tls_origin.url, default=True,
                                           origin_tls={"verify": "pin", "pins": ["00" * 32]})], name="other")
        assert status_of(other, demo_pki) == 502
    finally:
        tls_origin.stop()


def test_origin_down_gives_502(start_gateway, demo_pki):
    gateway = start_gateway([site_config(demo_pki, f"http://127.0.0.1:{free_port()}", default=True)])
    assert status_of(gateway, demo_pki) == 502
    proc = run([SMTRUST, "tlcp-client", "-i", "--cafile", demo_pki / "sm2-root.pem",
                f"https://localhost:{gateway.https_port}/"])
    assert proc.stdout.startswith(b"HTTP/1.1 502")


def test_forwarding_headers_set_by_the_gateway(start_gateway, demo_pki, origin):
    gateway = start_gateway([site_config(demo_pki, origin.url, default=True)])
    port = gateway.https_port
    echo = echo_json(get(gateway, demo_pki, "/echo", "-H", "X-Forwarded-For: 203.0.113.66",
                         "-H", "X-Forwarded-Proto: http", "-H", "Forwarded: for=203.0.113.66").stdout)
    headers = echo["header_map"]
    assert headers["x-forwarded-for"] == ["127.0.0.1"]
    assert headers["x-forwarded-proto"] == ["https"]
    assert headers.get("x-forwarded-host") in (["localhost"], [f"localhost:{port}"])
    assert len(headers["forwarded"]) == 1
    forwarded = headers["forwarded"][0].lower()
    assert "for=127.0.0.1" in forwarded or 'for="127.0.0.1' in forwarded
    assert "proto=https" in forwarded
    assert "203.0.113.66" not in repr(echo["headers"])
    assert headers["host"] == [f"localhost:{port}"]
    # Over TLCP the origin is told the same.
    proc = run([SMTRUST, "tlcp-client", "--cafile", demo_pki / "sm2-root.pem", f"https://localhost:{port}/echo"])
    headers = echo_json(proc.stdout)["header_map"]
    assert headers["x-forwarded-for"] == ["127.0.0.1"] and headers["x-forwarded-proto"] == ["https"]


def test_forwarding_headers_off(start_gateway, demo_pki, origin):
    gateway = start_gateway([site_config(demo_pki, origin.url, default=True, forwarded_headers=False)])
    headers = echo_json(get(gateway, demo_pki, "/echo").stdout)["header_map"]
    assert "x-forwarded-for" not in headers and "forwarded" not in headers and "x-forwarded-proto" not in headers


def test_64_mib_chunked_upload(start_gateway, demo_pki, origin):
    gateway = start_gateway([site_config(demo_pki, origin.url, default=True)])
    body = pattern(BIG, 7)
    port = gateway.https_port
    # curl -T - streams standard input as a chunked body (its size is unknown up front).
    proc = run(["curl", "-sS", "--max-time", "120", "--http1.1", "-X", "POST", "-T", "-", "-H",
                "Transfer-Encoding: chunked", "--cacert", str(demo_pki / "ecc-root.pem"), *resolve(port),
                f"https://localhost:{port}/upload"], input=body)
    assert json.loads(proc.stdout) == {"length": BIG, "sha256": hashlib.sha256(body).hexdigest()}


@pytest.mark.parametrize("path", [f"/chunked?n={BIG}&size=100000", f"/bytes?n={BIG}"])
def test_64_mib_download(start_gateway, demo_pki, origin, path):
    gateway = start_gateway([site_config(demo_pki, origin.url, default=True)])
    proc = get(gateway, demo_pki, path)
    assert len(proc.stdout) == BIG
    assert hashlib.sha256(proc.stdout).hexdigest() == pattern_sha256(BIG)


def test_16_mib_chunked_download_over_tlcp(start_gateway, demo_pki, origin):
    gateway = start_gateway([site_config(demo_pki, origin.url, default=True)])
    n = 16 * 1024 * 1024
    proc = run([SMTRUST, "tlcp-client", "--cafile", demo_pki / "sm2-root.pem",
                f"https://localhost:{gateway.https_port}/chunked?n={n}&size=65536"])
    assert len(proc.stdout) == n
    assert hashlib.sha256(proc.stdout).hexdigest() == pattern_sha256(n)


def test_keep_alive_requests_share_one_connection(start_gateway, demo_pki, origin):
    gateway = start_gateway([site_config(demo_pki, origin.url, default=True)])
    connection = HTTPSConnection(gateway.https_port, demo_pki / "ecc-root.pem")
    try:
        connection.request("GET", "/bytes?n=10")
        first = connection.getresponse()
        assert first.read() == pattern(10)
        sock = connection.sock
        for i in range(20):
            connection.request("POST", f"/echo?i={i}", body=b"x" * i)
            response = connection.getresponse()
            echo = echo_json(response.read())
            assert response.status == 200 and echo["body_length"] == i
            assert connection.sock is sock, "the gateway closed a keep-alive connection"
    finally:
        connection.close()


def test_websocket_echo_through_the_gateway(start_gateway, demo_pki, origin):
    gateway = start_gateway([site_config(demo_pki, origin.url, default=True)])
    with tls_connect(gateway.https_port, demo_pki / "ecc-root.pem") as sock:
        ws = WebSocket(sock, f"localhost:{gateway.https_port}")
        assert ws.status == 101, ws.head
        assert ws.accept == ws.expected_accept
        ws.send(0x1, "héllo, 国密".encode())
        assert ws.recv() == (0x1, "héllo, 国密".encode())
        blob = os.urandom(200_000)
        ws.send(0x2, blob)
        assert ws.recv() == (0x2, blob)
        ws.send(0x1, b"frag", fin=False)
        ws.send(0x0, b"mented")
        assert ws.recv() == (0x1, b"fragmented")
        ws.send(0x9, b"are you there")
        assert ws.recv() == (0xA, b"are you there")
        ws.send(0x8, (1000).to_bytes(2, "big"))
        assert ws.recv() == (0x8, (1000).to_bytes(2, "big"))
