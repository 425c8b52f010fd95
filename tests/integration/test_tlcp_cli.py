"""`smtrust tlcp-client` against `smtrust tlcp-server` over real sockets on loopback, with the shared SM2 test
PKI (vectors/tlcp/pki/sm2): every suite, -i, chunked bodies, resumption, client authentication, the two ECDHE
forms, certificate and host-name failures, and a server that survives garbage, hang-ups and TLS clients."""
import os
import re
import shutil
import signal
import socket
import ssl
import select
import subprocess
import threading
import time

import pytest

from conftest import SMTRUST, run

SUITES = ["ECC_SM4_GCM_SM3", "ECC_SM4_CBC_SM3", "ECDHE_SM4_GCM_SM3", "ECDHE_SM4_CBC_SM3"]
SUITE_IDS = {"ECC_SM4_GCM_SM3": "0xE053", "ECC_SM4_CBC_SM3": "0xE013",
             "ECDHE_SM4_GCM_SM3": "0xE051", "ECDHE_SM4_CBC_SM3": "0xE011"}
PKI_FILES = ["ca.crt", "server_sign.crt", "server_sign.key", "server_enc.crt", "server_enc.key",
             "client_sign.crt", "client_sign.key", "client_enc.crt", "client_enc.key"]


@pytest.fixture
def pki(tmp_path):
    """The shared SM2 PKI copied to tmp_path, keys mode 0600 (key_load refuses group-readable keys)."""
    shared = os.environ.get("SMT_SHARED_DIR") or os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared")
    source = os.path.join(shared, "vectors", "tlcp", "pki", "sm2")
    if not os.path.isdir(source):
        pytest.skip(f"no shared test PKI at {source}")
    folder = tmp_path / "pki"
    folder.mkdir()
    for name in PKI_FILES:
        shutil.copyfile(os.path.join(source, name), folder / name)
        os.chmod(folder / name, 0o600 if name.endswith(".key") else 0o644)
    return folder


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A running `smtrust tlcp-server`; its log goes to a file so a full pipe never blocks it."""

    def __init__(self, pki, tmp_path, *extra):
        self.log_path = tmp_path / f"server-{time.monotonic_ns()}.log"
        for _ in range(5):
            self.port = free_port()
            args = [SMTRUST, "tlcp-server", "--sign-cert", pki / "server_sign.crt", "--sign-key", pki / "server_sign.key",
                    "--enc-cert", pki / "server_enc.crt", "--enc-key", pki / "server_enc.key",
                    "--listen", f"127.0.0.1:{self.port}", *extra]
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen([str(a) for a in args], stdout=log, stderr=subprocess.STDOUT)
            if self._wait_listening():
                return
            self.proc.kill()
            self.proc.wait()
        pytest.fail(f"tlcp-server did not start: {self.log()}")

    def _wait_listening(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if "listening on" in self.log():
                return True
            time.sleep(0.02)
        return False

    def log(self):
        return self.log_path.read_text(errors="replace")

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM must stop the server cleanly (exit 0) and quickly."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                pytest.fail("tlcp-server ignored SIGTERM")
        return self.proc.returncode


@pytest.fixture
def start_server(pki, tmp_path):
    servers = []

    def start(*extra):
        server = Server(pki, tmp_path, *extra)
        servers.append(server)
        return server
    yield start
    for server in servers:
        code = server.stop()
        assert code == 0, f"tlcp-server exited {code} after SIGTERM: {server.log()}"
        assert "stopping" in server.log()


@pytest.fixture
def www(start_server, pki):
    """A --www server that asks for (and verifies) a client certificate pair, as the ECDHE suites need."""
    return start_server("--www", "--cafile", pki / "ca.crt")


def client(pki, url, *extra, ok=True, pair=False):
    args = [SMTRUST, "tlcp-client", url, *extra]
    if "--insecure" not in extra and "--cafile" not in extra:
        args += ["--cafile", pki / "ca.crt"]
    if pair:
        args += ["--sign-cert", pki / "client_sign.crt", "--sign-key", pki / "client_sign.key",
                 "--enc-cert", pki / "client_enc.crt", "--enc-key", pki / "client_enc.key"]
    return run([str(a) for a in args], ok=ok)


def page_facts(text):
    """The "name: value" lines of the --www page."""
    return dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)


@pytest.mark.parametrize("suite", SUITES)
def test_every_suite_fetches_the_page(www, pki, suite):
    proc = client(pki, f"https://localhost:{www.port}/", "--cipher", suite, "-v", pair=suite.startswith("ECDHE"))
    page = page_facts(proc.stdout.decode())
    assert page["cipher suite"] == f"{suite} ({SUITE_IDS[suite]})"
    assert page["resumed"] == "no"
    assert page["server name (SNI)"] == "localhost"
    expected_client = "CN=tlcp-client" if suite.startswith("ECDHE") else "none"
    assert expected_client in page["client signing certificate"]
    verbose = proc.stderr.decode()
    assert "protocol: TLCP 1.1 (0x0101)" in verbose
    assert f"cipher suite: {suite} ({SUITE_IDS[suite]})" in verbose
    assert "resumed: no" in verbose
    assert "server name (SNI): localhost" in verbose
    # Both server certificates are described: the signing one and the encryption one.
    assert "server signing certificate:" in verbose and "server encryption certificate:" in verbose
    assert verbose.count("CN=localhost") >= 2, verbose
    assert "SM2 Test Root CA" in verbose
    assert f"{suite}, resumed no" in www.log()


def test_default_offer_without_a_pair_uses_an_ecc_suite(www, pki):
    proc = client(pki, f"https://localhost:{www.port}/some/path?q=1")
    assert page_facts(proc.stdout.decode())["cipher suite"].startswith("ECC_")


def test_include_shows_status_line_and_headers(www, pki):
    out = client(pki, f"https://localhost:{www.port}/", "-i").stdout.decode()
    head, _, body = out.partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 200 OK\r\n")
    length = re.search(r"^Content-Length: (\d+)\r?$", head, re.M | re.I)
    assert length and int(length.group(1)) == len(body.encode())
    assert "smtrust tlcp-server" in body


def test_chunked_body_is_decoded(www, pki):
    plain = client(pki, f"https://localhost:{www.port}/").stdout
    chunked = client(pki, f"https://localhost:{www.port}/chunked", "-i").stdout.decode()
    head, _, body = chunked.partition("\r\n\r\n")
    assert "Transfer-Encoding: chunked" in head
    # Same page once the chunk framing is gone (the client addresses differ: drop that line).
    strip = lambda text: re.sub(r"client address: .*\n", "", text)
    assert strip(body) == strip(plain.decode())
    assert "\r\n0\r\n" not in body


@pytest.mark.parametrize("suite", ["ECC_SM4_GCM_SM3", "ECDHE_SM4_CBC_SM3"])
def test_resume_reuses_the_session(www, pki, suite):
    proc = client(pki, f"https://localhost:{www.port}/", "--resume", "-v", "--cipher", suite,
                  pair=suite.startswith("ECDHE"))
    verbose = proc.stderr.decode()
    assert verbose.count("resumed: no") == 1 and verbose.count("resumed: yes") == 1, verbose
    pages = proc.stdout.decode().split("smtrust tlcp-server\n")[1:]
    assert [page_facts(p)["resumed"] for p in pages] == ["no", "yes"]
    assert all(page_facts(p)["cipher suite"].startswith(suite) for p in pages)
    assert f"{suite}, resumed yes" in www.log()
    # The server remembers who authenticated: the resumed connection shows the same client certificates.
    expected_client = "C=CN, O=SM2 Test Bench, CN=tlcp-client" if suite.startswith("ECDHE") else "none"
    for p in pages:
        assert page_facts(p)["client signing certificate"] == expected_client
        assert page_facts(p)["client encryption certificate"] == expected_client
    assert f"{suite}, resumed yes, SNI localhost, client certificate {expected_client}" in www.log()


def test_no_resumption_without_a_session_cache(start_server, pki):
    server = start_server("--www", "--session-cache", "0")
    proc = client(pki, f"https://localhost:{server.port}/", "--resume", "-v")
    assert proc.stderr.decode().count("resumed: no") == 2


@pytest.mark.parametrize("form", ["tongsuo", "gmssl"])
def test_server_accepts_both_ecdhe_forms(www, pki, form):
    proc = client(pki, f"https://localhost:{www.port}/", "--cipher", "ECDHE_SM4_GCM_SM3", "--ecdhe-form", form,
                  "-v", pair=True)
    assert f"ECDHE form: {form}" in proc.stderr.decode()
    assert page_facts(proc.stdout.decode())["cipher suite"].startswith("ECDHE_SM4_GCM_SM3")


class FormFilter(threading.Thread):
    """A TCP relay in front of the server that refuses one ECDHE ClientKeyExchange form the way a Tongsuo or
    GmSSL server refuses the other's (tlcp-wire.md): the Tongsuo form has a 69-byte body, the GmSSL form 71.
    It answers with a fatal decode_error alert or just hangs up, and counts the refusals."""

    def __init__(self, upstream_port, refused_len, answer):
        super().__init__(daemon=True)
        self.upstream_port, self.refused_len, self.answer = upstream_port, refused_len, answer
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.refused = 0
        self.stopped = False
        self.start()

    def run(self):
        while not self.stopped:
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            with conn, socket.create_connection(("127.0.0.1", self.upstream_port)) as upstream:
                self.relay(conn, upstream)

    def refuses(self, handshake):
        """Whether the plaintext handshake bytes so far hold the refused ClientKeyExchange."""
        while len(handshake) >= 4:
            length = int.from_bytes(handshake[1:4], "big")
            if handshake[0] == 16 and length == self.refused_len:
                return True
            handshake = handshake[4 + length:]
        return False

    def relay(self, client, upstream):
        pending, handshake, encrypted = b"", b"", False
        while True:
            ready, _, _ = select.select([client, upstream], [], [], 10)
            if not ready:
                return
            if upstream in ready:
                data = upstream.recv(65536)
                if not data:
                    return
                client.sendall(data)
            if client in ready:
                data = client.recv(65536)
                if not data:
                    return
                if encrypted:
                    upstream.sendall(data)
                    continue
                pending += data
                # Forward whole records only, after looking into the plaintext handshake ones.
                while len(pending) >= 5 and len(pending) >= 5 + int.from_bytes(pending[3:5], "big"):
                    end = 5 + int.from_bytes(pending[3:5], "big")
                    record, pending = pending[:end], pending[end:]
                    if record[0] == 22 and not encrypted:
                        handshake += record[5:]
                        if self.refuses(handshake):
                            self.refused += 1
                            if self.answer == "alert":
                                client.sendall(bytes([21, 1, 1, 0, 2, 2, 50]))
                            return
                    encrypted = encrypted or record[0] == 20
                    upstream.sendall(record)
                if encrypted and pending:
                    upstream.sendall(pending)
                    pending = b""

    def stop(self):
        self.stopped = True
        self.join(timeout=5)
        self.listener.close()


@pytest.mark.parametrize("answer", ["alert", "close"])
def test_default_client_falls_back_to_the_gmssl_form(www, pki, answer):
    relay = FormFilter(www.port, 69, answer)
    try:
        url = f"https://localhost:{relay.port}/"
        proc = client(pki, url, "--cipher", "ECDHE_SM4_CBC_SM3", "-v", pair=True)
        verbose = proc.stderr.decode()
        assert "trying the gmssl form" in verbose and "ECDHE form: gmssl" in verbose, verbose
        assert page_facts(proc.stdout.decode())["cipher suite"].startswith("ECDHE_SM4_CBC_SM3")
        assert relay.refused == 1
        # Told to use the refused form, the client fails and says why.
        proc = client(pki, url, "--cipher", "ECDHE_SM4_CBC_SM3", "--ecdhe-form", "tongsuo", pair=True, ok=False)
        message = proc.stderr.decode()
        assert proc.returncode == 1 and message.startswith(f"smtrust: tlcp-client: localhost:{relay.port}: ")
        assert ("decode_error" if answer == "alert" else "closed the connection") in message, message
        assert relay.refused == 2
    finally:
        relay.stop()


def test_default_client_needs_no_fallback_when_tongsuo_form_is_accepted(www, pki):
    relay = FormFilter(www.port, 71, "alert")
    try:
        proc = client(pki, f"https://localhost:{relay.port}/", "--cipher", "ECDHE_SM4_GCM_SM3", "-v", pair=True)
        assert "ECDHE form: tongsuo" in proc.stderr.decode() and "trying" not in proc.stderr.decode()
        assert relay.refused == 0
        proc = client(pki, f"https://localhost:{relay.port}/", "--cipher", "ECDHE_SM4_GCM_SM3", "--ecdhe-form",
                      "gmssl", pair=True, ok=False)
        assert "decode_error" in proc.stderr.decode() and relay.refused == 1
    finally:
        relay.stop()


def test_required_client_authentication(start_server, pki):
    server = start_server("--www", "--cafile", pki / "ca.crt", "--verify-client")
    proc = client(pki, f"https://localhost:{server.port}/", "--cipher", "ECC_SM4_GCM_SM3", ok=False)
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith(f"smtrust: tlcp-client: localhost:{server.port}: ")
    assert "handshake failed" in server.log()
    proc = client(pki, f"https://localhost:{server.port}/", "--cipher", "ECC_SM4_GCM_SM3", pair=True)
    assert "CN=tlcp-client" in page_facts(proc.stdout.decode())["client encryption certificate"]


def test_untrusted_chain_fails(www, pki, tmp_path, openssl):
    # A fresh CA the server's certificates do not chain to.
    other_key, other_ca = tmp_path / "other.key", tmp_path / "other.crt"
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", other_key,
            "-out", other_ca, "-subj", "/CN=Some Other Root", "-days", "30")
    proc = client(pki, f"https://localhost:{www.port}/", "--cafile", other_ca, ok=False)
    message = proc.stderr.decode()
    assert proc.returncode == 1 and proc.stdout == b""
    assert message.startswith(f"smtrust: tlcp-client: localhost:{www.port}: "), message
    assert re.search(r"chain|trusted|issuer|unknown_ca", message, re.I), message
    assert www.alive()


def test_host_name_mismatch_fails(www, pki):
    # The certificates name localhost and 127.0.0.1: reach the same server under another name.
    port = www.port
    proc = client(pki, f"https://wrong.example:{port}/", "--resolve", f"wrong.example:{port}:127.0.0.1", ok=False)
    message = proc.stderr.decode()
    assert proc.returncode == 1
    assert message.startswith(f"smtrust: tlcp-client: wrong.example:{port}: "), message
    assert "wrong.example" in message.split(": ", 3)[3] and re.search(r"host|name", message, re.I), message


def test_ip_address_in_the_certificate_matches(www, pki):
    # The certificates list IP 127.0.0.1; an IP is checked but never sent as SNI (RFC 6066 §3).
    proc = client(pki, f"https://127.0.0.1:{www.port}/", "-v")
    assert page_facts(proc.stdout.decode())["server name (SNI)"] == "(none)"
    assert "server name (SNI): (none)" in proc.stderr.decode()


def test_insecure_skips_verification_with_a_warning(www, pki):
    proc = client(pki, f"https://wrong.example:{www.port}/", "--insecure",
                  "--resolve", f"wrong.example:{www.port}:127.0.0.1")
    assert "warning" in proc.stderr.decode() and "not verified" in proc.stderr.decode()
    assert "smtrust tlcp-server" in proc.stdout.decode()


def test_client_without_trust_roots_is_refused(pki):
    proc = run([SMTRUST, "tlcp-client", "https://localhost:1/"], ok=False)
    assert proc.returncode == 2
    assert "--cafile" in proc.stderr.decode() and "--insecure" in proc.stderr.decode()


def test_unknown_cipher_name_is_a_usage_error(pki):
    proc = client(pki, "https://localhost:1/", "--cipher", "AES128-SHA", ok=False)
    assert proc.returncode == 1 and "AES128-SHA" in proc.stderr.decode()


def test_connection_refused_names_the_address(pki):
    port = free_port()
    proc = client(pki, f"https://localhost:{port}/", ok=False)
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith(f"smtrust: tlcp-client: localhost:{port}: ")
    assert "refused" in proc.stderr.decode().lower()


def send_raw(port, data, read=True):
    """Sends data over plain TCP and returns what the server answers until it closes (at most 5 s)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while read:
            try:
                chunk = sock.recv(4096)
            except ConnectionResetError:
                break
            if not chunk:
                break
            answer += chunk
        return answer


def tls_client_hello():
    """A real TLS 1.2/1.3 ClientHello from Python's ssl module, as bytes."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def test_server_survives_garbage_and_hang_ups(www, pki):
    answer = send_raw(www.port, b"hello\r\n")
    # Nothing but (at most) one alert record goes back to a client that is not speaking TLCP.
    assert answer == b"" or (answer[0] == 21 and len(answer) == 7), answer
    # A client that hangs up in the middle of its ClientHello record.
    send_raw(www.port, bytes.fromhex("16010100c8010000c40101"), read=False)
    # One that connects and says nothing at all.
    socket.create_connection(("127.0.0.1", www.port), timeout=5).close()
    assert www.alive()
    assert "smtrust tlcp-server" in client(pki, f"https://localhost:{www.port}/").stdout.decode()
    assert www.log().count("handshake failed") >= 2, www.log()


def test_tls_client_hello_gets_protocol_version_or_close(www, pki):
    answer = send_raw(www.port, tls_client_hello())
    if answer:
        # alert record: type 21, then level fatal (2) and protocol_version (70) in the clear.
        assert answer[0] == 21 and answer[-2:] == bytes([2, 70]), answer.hex()
    assert www.alive()
    assert "smtrust tlcp-server" in client(pki, f"https://localhost:{www.port}/").stdout.decode()


def test_openssl_s_client_is_refused_and_server_keeps_running(www, pki):
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command")
    proc = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{www.port}"], input=b"",
                          capture_output=True, timeout=30)
    assert proc.returncode != 0
    assert www.alive()
    assert "smtrust tlcp-server" in client(pki, f"https://localhost:{www.port}/").stdout.decode()


def test_server_refuses_a_key_that_is_not_its_certificates(pki, tmp_path):
    args = [SMTRUST, "tlcp-server", "--sign-cert", pki / "server_sign.crt", "--sign-key", pki / "server_enc.key",
            "--enc-cert", pki / "server_enc.crt", "--enc-key", pki / "server_enc.key", "--listen", "127.0.0.1:1"]
    proc = run([str(a) for a in args], ok=False)
    assert proc.returncode == 1
    assert "server_enc.key is not the private key of" in proc.stderr.decode()


def test_sigterm_stops_the_server_while_a_client_stalls(start_server, pki):
    server = start_server("--www", "--timeout", "60")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as stalled:
        stalled.sendall(bytes.fromhex("1601010004"))  # a record header, then nothing
        time.sleep(0.3)
        started = time.monotonic()
        assert server.stop() == 0
        assert time.monotonic() - started < 5
    assert "interrupted" in server.log() and "stopping" in server.log()


def test_encrypted_keys_and_a_chain_file(pki, tmp_path, openssl):
    passfile = tmp_path / "pass.txt"
    passfile.write_text("tlcp test passphrase\n")
    for name in ("server_sign", "server_enc"):
        openssl("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", pki / f"{name}.key", "-out", pki / f"{name}.key.enc",
                "-passout", f"file:{passfile}")
        os.replace(pki / f"{name}.key.enc", pki / f"{name}.key")
        os.chmod(pki / f"{name}.key", 0o600)
    assert b"ENCRYPTED PRIVATE KEY" in (pki / "server_sign.key").read_bytes()
    server = Server(pki, tmp_path, "--www", "--passphrase-file", passfile, "--chain", pki / "ca.crt")
    try:
        proc = client(pki, f"https://localhost:{server.port}/")
        assert "smtrust tlcp-server" in proc.stdout.decode()
    finally:
        assert server.stop() == 0
