"""TCP mode: a tcp listener terminates TLS or TLCP and hands the decrypted bytes to the site's servers as
they are (a plain TCP echo service here; origin.py is just another byte stream behind it), and a
passthrough listener routes a client's TLS by the SNI of its ClientHello without terminating it."""
import socket
import threading

from conftest import SMTRUST, run
from gateway_util import curl, echo_json, make_pki, site_config, tls_connect, wait_until

pytest_plugins = ("gateway_util",)


class EchoServer:
    """A plain TCP echo service on loopback: every byte comes back; counts its connections."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn):
        with conn:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                conn.sendall(data)

    def close(self):
        self.sock.close()


def test_tls_to_a_tcp_echo_service(start_gateway, demo_pki):
    echo = EchoServer()
    try:
        gateway = start_gateway([site_config(demo_pki, f"http://127.0.0.1:{echo.port}", default=True)],
                                listener_protocol="tcp")
        with tls_connect(gateway.https_port, demo_pki / "ecc-root.pem") as sock:
            blob = bytes(range(256)) * 4000  # 1 MB through, both ways
            sender = threading.Thread(target=sock.sendall, args=(blob,))
            sender.start()
            got = b""
            while len(got) < len(blob):
                got += sock.recv(65536)
            sender.join()
            assert got == blob
        wait_until(lambda: "TCP" in gateway.access_log.read_text(), 10, "the tcp connection's log line")
        assert echo.connections == 1
    finally:
        echo.close()


def test_tlcp_to_a_byte_stream_service(start_gateway, demo_pki, origin):
    gateway = start_gateway([site_config(demo_pki, origin.url, default=True)], listener_protocol="tcp")
    proc = run([SMTRUST, "tlcp-client", "--cafile", demo_pki / "sm2-root.pem",
                f"https://localhost:{gateway.https_port}/echo?via=tcp"])
    echo = echo_json(proc.stdout)
    # Bytes, not HTTP: the gateway added no forwarding field.
    assert echo["path"] == "/echo?via=tcp" and "x-forwarded-for" not in echo["header_map"], echo


def test_passthrough_routes_by_sni_without_terminating(tmp_path, start_gateway, demo_pki):
    from gateway_util import Origin
    pki_b = make_pki(tmp_path / "b", "b.example")
    a = Origin(tmp_path, "--name", "a", "--tls-cert", demo_pki / "ecc.pem", "--tls-key", demo_pki / "ecc.key")
    b = Origin(tmp_path, "--name", "b", "--tls-cert", pki_b / "ecc.pem", "--tls-key", pki_b / "ecc.key")
    try:
        gateway = start_gateway([site_config(demo_pki, a.url, names=("localhost",), sm2=False, ecc=False),
                                 site_config(demo_pki, b.url, names=("b.example",), sm2=False, ecc=False)],
                                listener_protocol="passthrough")
        port = gateway.https_port
        # Each client sees its own origin's certificate (end to end), chosen by its SNI alone.
        page = curl("--cacert", demo_pki / "ecc-root.pem", "--resolve", f"localhost:{port}:127.0.0.1",
                    f"https://localhost:{port}/").stdout
        assert b"Hello from a" in page
        page = curl("--cacert", pki_b / "ecc-root.pem", "--resolve", f"b.example:{port}:127.0.0.1",
                    f"https://b.example:{port}/").stdout
        assert b"Hello from b" in page
    finally:
        a.stop()
        b.stop()


def test_tlcp_to_a_tcp_echo_service(start_gateway, demo_pki, tmp_path):
    echo = EchoServer()
    try:
        gateway = start_gateway([site_config(demo_pki, f"http://127.0.0.1:{echo.port}", default=True)],
                                listener_protocol="tcp")
        blob = bytes(range(256)) * 400  # 100 kB
        (tmp_path / "blob").write_bytes(blob)
        proc = run([SMTRUST, "tlcp-client", "--cafile", demo_pki / "sm2-root.pem", "--send", tmp_path / "blob",
                    "--timeout", "1", f"https://localhost:{gateway.https_port}/"])
        assert proc.stdout == blob
        wait_until(lambda: "TLCP" in gateway.access_log.read_text(), 10, "the connection's log line")
        line = gateway.access_log.read_text().splitlines()[-1]
        assert '"TCP - ' in line and " TLCP " in line, line
    finally:
        echo.close()


def test_passthrough_carries_a_tlcp_handshake_to_a_tlcp_server(tmp_path, start_gateway, demo_pki):
    import subprocess
    import time
    from gateway_util import free_port
    port = free_port()
    log_path = tmp_path / "tlcp-server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([str(a) for a in (SMTRUST, "tlcp-server", "--sign-cert", demo_pki / "sm2-sign.pem",
                                                    "--sign-key", demo_pki / "sm2-sign.key", "--enc-cert",
                                                    demo_pki / "sm2-enc.pem", "--enc-key", demo_pki / "sm2-enc.key",
                                                    "--listen", f"127.0.0.1:{port}", "--www")],
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: "listening on" in log_path.read_text(errors="replace"), 10, "tlcp-server listening")
        gateway = start_gateway([site_config(demo_pki, f"http://127.0.0.1:{port}", names=("localhost",),
                                             sm2=False, ecc=False)], listener_protocol="passthrough")
        proc = run([SMTRUST, "tlcp-client", "--cafile", demo_pki / "sm2-root.pem", "-v",
                    f"https://localhost:{gateway.https_port}/"])
        # The TLCP handshake was the tlcp-server's, end to end: the gateway holds no SM2 key for this site.
        assert b"TLCP" in proc.stderr and proc.stdout, (proc.stdout, proc.stderr)
        wait_until(lambda: "PASSTHROUGH" in gateway.access_log.read_text(), 10, "the connection's log line")
    finally:
        server.terminate()
        server.wait(timeout=10)
