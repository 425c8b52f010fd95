"""Request smuggling vectors sent raw over TLS (RFC 9112 §6.3, §5.2, §2.2; RFC 9110 §5.5): each gets "400" from the
gateway itself and the connection closed, and a request hidden behind one never reaches the origin. A well-formed
request on the same gateway passes, so the raw path is known to work."""
import pytest

from gateway_util import Origin, read_head, recv_until_close, site_config, tls_connect

pytest_plugins = ("gateway_util",)  # the demo_pki, origin and start_gateway fixtures

HEAD = b"POST /echo?vector=%s HTTP/1.1\r\nHost: localhost\r\n"

VECTORS = {
    # RFC 9112 §6.1: Transfer-Encoding with Content-Length is a smuggling attempt; a proxy must not forward it.
    "cl-and-te": b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /echo?vector=hidden HTTP/1.1\r\n"
                 b"Host: localhost\r\n\r\n",
    # RFC 9112 §6.3 item 5: differing Content-Length values are unrecoverable.
    "two-content-lengths": b"Content-Length: 5\r\nContent-Length: 48\r\n\r\nhelloGET /echo?vector=hidden HTTP/1.1\r\n"
                           b"Host: localhost\r\n\r\n",
    # RFC 9112 §7.1: chunk-size is 1*HEXDIG.
    "bad-chunk-size": b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    # RFC 9112 §5.2: a server must reject obs-fold in a request (or replace it; a proxy must not pass it on).
    "obs-fold": b"X-Folded: one\r\n two\r\nContent-Length: 0\r\n\r\n",
    # RFC 9110 §5.5: NUL in a field value is invalid and must be rejected.
    "nul-in-header": b"X-Nul: a\x00b\r\nContent-Length: 0\r\n\r\n",
    # RFC 9112 §2.2: a bare CR outside content is invalid (reject or replace by SP; never forward).
    "bare-cr": b"X-Cr: a\rb\r\nContent-Length: 0\r\n\r\n",
}
# Vectors refused from the head alone: nothing of them may reach the origin.
HEAD_VECTORS = ["cl-and-te", "two-content-lengths", "obs-fold", "nul-in-header", "bare-cr"]


@pytest.fixture
def logged_origin(tmp_path):
    server = Origin(tmp_path, "--log")
    yield server
    server.stop()


@pytest.fixture
def gateway(start_gateway, demo_pki, logged_origin):
    return start_gateway([site_config(demo_pki, logged_origin.url, default=True)])


def send_raw(gateway, pki, data):
    with tls_connect(gateway.https_port, pki / "ecc-root.pem") as sock:
        sock.sendall(data)
        return recv_until_close(sock, timeout=15)


@pytest.mark.parametrize("name", list(VECTORS))
def test_vector_gets_400_and_close(gateway, demo_pki, logged_origin, name):
    answer = send_raw(gateway, demo_pki, HEAD % name.encode() + VECTORS[name])
    # recv_until_close returned: the gateway closed the connection (a timeout would have raised).
    assert answer.startswith(b"HTTP/1.1 400"), answer[:300]
    assert answer.count(b"HTTP/1.1 ") == 1, answer[:600]
    assert b'"method"' not in answer  # no response of the origin's (its /echo answers JSON)
    log = logged_origin.log_path.read_text(errors="replace")
    assert "vector=hidden" not in log
    if name in HEAD_VECTORS:
        assert f"vector={name}" not in log, log


def test_well_formed_requests_pass(gateway, demo_pki, logged_origin):
    with tls_connect(gateway.https_port, demo_pki / "ecc-root.pem") as sock:
        sock.sendall(HEAD % b"chunked" + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        head, _ = read_head(sock)
        assert head.startswith("HTTP/1.1 200"), head
    answer = send_raw(gateway, demo_pki, HEAD % b"length" + b"Content-Length: 3\r\nConnection: close\r\n\r\nabc")
    assert answer.startswith(b"HTTP/1.1 200") and b'"body_length": 3' in answer
