"""origin.py on its own, without the gateway: the origin and client helpers the gateway tests stand on answer
curl and Python's clients as documented, over plain HTTP and over TLS, so a gateway test failure points at the
gateway."""
import hashlib
import json
import os
import socket
import time

from gateway_util import (HTTPSConnection, Origin, WebSocket, curl, echo_json, pattern, pattern_sha256, read_head,
                          recv_until_close, tls_connect)

pytest_plugins = ("gateway_util",)  # the demo_pki, origin and start_gateway fixtures


def test_pattern_is_the_documented_sequence():
    assert pattern(5) == bytes([0, 1, 2, 3, 4])
    assert pattern(3, 250) == bytes([250, 0, 1])
    big = pattern(600_000, 123)
    assert all(big[i] == (123 + i) % 251 for i in range(0, 600_000, 997))
    assert pattern_sha256(300_000) == hashlib.sha256(bytes(i % 251 for i in range(300_000))).hexdigest()


def test_home_page_names_the_origin(tmp_path):
    named = Origin(tmp_path, "--name", "the test origin")
    try:
        page = curl("-i", f"{named.url}/").stdout
        assert page.startswith(b"HTTP/1.1 200")
        assert b"Hello from the test origin" in page
    finally:
        named.stop()


def test_echo_reports_method_headers_and_body(origin):
    proc = curl("-H", "X-Test: one", "-H", "X-Test: two", "--data-binary", "hello", f"{origin.url}/echo?q=1")
    echo = echo_json(proc.stdout)
    assert echo["method"] == "POST" and echo["path"] == "/echo?q=1" and echo["scheme"] == "http"
    assert echo["header_map"]["x-test"] == ["one", "two"]
    assert echo["body_length"] == 5 and echo["body_sha256"] == hashlib.sha256(b"hello").hexdigest()
    assert echo["client"] == "127.0.0.1"


def test_chunked_upload_and_downloads(origin):
    body = os.urandom(3_000_001)
    proc = curl("-T", "-", "-H", "Transfer-Encoding: chunked", f"{origin.url}/upload", input=body)
    assert json.loads(proc.stdout) == {"length": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    head = curl("-D", "-", "-o", "/dev/null", f"{origin.url}/chunked?n=100000&size=999").stdout.decode().lower()
    assert "transfer-encoding: chunked" in head and "content-length" not in head
    assert curl(f"{origin.url}/chunked?n=100000&size=999").stdout == pattern(100000)
    head = curl("-D", "-", "-o", "/dev/null", f"{origin.url}/bytes?n=4242").stdout.decode().lower()
    assert "content-length: 4242" in head
    assert curl(f"{origin.url}/bytes?n=4242").stdout == pattern(4242)


def test_status_and_slow(origin):
    assert curl("-o", "/dev/null", "-w", "%{http_code}", f"{origin.url}/status/503").stdout == b"503"
    assert curl("-o", "/dev/null", "-w", "%{http_code}", f"{origin.url}/status/204").stdout == b"204"
    assert curl("-o", "/dev/null", "-w", "%{http_code}", f"{origin.url}/nothing").stdout == b"404"
    started = time.monotonic()
    assert curl(f"{origin.url}/slow?ms=300").stdout == b"slept 300 ms\n"
    assert time.monotonic() - started >= 0.3


def test_keep_alive_and_bad_chunks(origin):
    with socket.create_connection(("127.0.0.1", origin.port), timeout=10) as sock:
        for i in range(3):
            sock.sendall(b"GET /bytes?n=3 HTTP/1.1\r\nHost: x\r\n\r\n")
            head, rest = read_head(sock)
            assert head.startswith("HTTP/1.1 200") and "Content-Length: 3" in head
            while len(rest) < 3:
                rest += sock.recv(10)
            assert rest == pattern(3)
        sock.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")
        assert recv_until_close(sock).startswith(b"HTTP/1.1 400")


def test_tls_origin_and_websocket(tmp_path, demo_pki):
    tls_origin = Origin(tmp_path, "--tls-cert", demo_pki / "ecc.pem", "--tls-key", demo_pki / "ecc.key")
    try:
        assert tls_origin.url.startswith("https://")
        connection = HTTPSConnection(tls_origin.port, demo_pki / "ecc-root.pem")
        for i in range(3):
            connection.request("PUT", "/echo", body=b"x" * i)
            echo = echo_json(connection.getresponse().read())
            assert echo["method"] == "PUT" and echo["scheme"] == "https" and echo["body_length"] == i
        connection.close()
        with tls_connect(tls_origin.port, demo_pki / "ecc-root.pem") as sock:
            ws = WebSocket(sock, "localhost")
            assert ws.status == 101 and ws.accept == ws.expected_accept
            ws.send(0x1, b"hi")
            assert ws.recv() == (0x1, b"hi")
            blob = os.urandom(70_000)
            ws.send(0x2, blob)
            assert ws.recv() == (0x2, blob)
            ws.send(0x2, b"ab", fin=False)
            ws.send(0x0, b"cd")
            assert ws.recv() == (0x2, b"abcd")
            ws.send(0x9, b"p")
            assert ws.recv() == (0xA, b"p")
            ws.send(0x8, (1000).to_bytes(2, "big"))
            assert ws.recv() == (0x8, (1000).to_bytes(2, "big"))
    finally:
        tls_origin.stop()


def test_websocket_needs_a_real_handshake(origin):
    assert curl("-o", "/dev/null", "-w", "%{http_code}", f"{origin.url}/ws").stdout == b"400"


def test_root_folder_is_served_and_contained(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text("<p>static home</p>")
    (root / "a.txt").write_text("file a")
    (tmp_path / "secret.txt").write_text("outside")
    static = Origin(tmp_path, "--root", root)
    try:
        assert curl(f"{static.url}/").stdout == b"<p>static home</p>"
        assert curl(f"{static.url}/a.txt").stdout == b"file a"
        assert curl("--path-as-is", "-o", "/dev/null", "-w", "%{http_code}",
                    f"{static.url}/../secret.txt").stdout == b"404"
    finally:
        static.stop()
