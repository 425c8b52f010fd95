"""Helpers for the gateway's integration tests: free ports, a demo PKI, gateway.yaml writing, the gateway and
origin.py as subprocesses, and small TLS / HTTP / WebSocket clients built on Python's ssl module.

The gateway prints "smtrust gateway: listening on ADDR (...)" per listener, then "smtrust gateway: ready (N
workers, M sites)" on standard error; SIGHUP reloads ("reloaded" or "reload refused: ..."), SIGUSR1 reopens the
logs, SIGTERM stops it."""
import base64
import hashlib
import http.client
import json
import os
import signal
import socket
import ssl
import struct
import subprocess
import sys
import time

import pytest

from conftest import SMTRUST, run

HERE = os.path.dirname(os.path.abspath(__file__))
ORIGIN_PY = os.path.join(HERE, "origin.py")
PYTHON = sys.executable or "/usr/bin/python3"
sys.path.insert(0, HERE)
import origin as origin_module  # noqa: E402  (pattern(), websocket_accept() shared with the origin)

pattern = origin_module.pattern
pattern_sha256 = origin_module.pattern_sha256


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def make_pki(smtrust_dir, *names):
    """Runs `smtrust demo-pki smtrust_dir [--name N]...` and returns the folder as a Path."""
    args = [SMTRUST, "demo-pki", str(smtrust_dir)]
    for name in names:
        args += ["--name", name]
    run(args)
    return smtrust_dir


# --- gateway.yaml ---

def _yaml_scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(str(value))  # a double-quoted YAML scalar is a JSON string


def to_yaml(value, indent=0):
    """Block-style YAML for dicts, lists and scalars (enough for gateway.yaml)."""
    pad = " " * indent
    lines = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                lines.append(to_yaml(item, indent + 2))
            elif isinstance(item, list):
                lines.append(f"{pad}{key}: []")
            else:
                lines.append(f"{pad}{key}: {_yaml_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                inner = to_yaml(item, indent + 2).split("\n")
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines.extend(inner[1:])
            else:
                lines.append(f"{pad}- {_yaml_scalar(item)}")
    else:
        lines.append(pad + _yaml_scalar(value))
    return "\n".join(lines)


def site_config(pki, origin_url, names=("localhost",), name=None, default=False, sm2=True, ecc=True, **extra):
    """One site with the demo PKI's SM2 pair and ECC certificate."""
    site = {}
    if name:
        site["name"] = name
    if names:
        site["names"] = list(names)
    if default:
        site["default"] = True
    if sm2:
        site["sm2"] = {"sign_cert": str(pki / "sm2-sign.pem"), "sign_key": str(pki / "sm2-sign.key"),
                       "enc_cert": str(pki / "sm2-enc.pem"), "enc_key": str(pki / "sm2-enc.key")}
    if ecc:
        site["ecc"] = {"cert": str(pki / "ecc.pem"), "key": str(pki / "ecc.key")}
    site["origin"] = origin_url
    site.update(extra)
    return site


def gateway_config(https_port, sites, access_log, admin_port=None, redirect_port=None, http_port=None, workers=2,
                   error_log="-", listener_protocol="https", **extra):
    listeners = [{"listen": f"127.0.0.1:{https_port}", "protocol": listener_protocol}]
    if redirect_port:
        listeners.append({"listen": f"127.0.0.1:{redirect_port}", "protocol": "redirect",
                          "redirect_port": https_port})
    if http_port:
        listeners.append({"listen": f"127.0.0.1:{http_port}", "protocol": "http"})
    config = {"workers": workers, "log": {"access": str(access_log), "error": error_log, "level": "info"}}
    if admin_port:
        config["admin"] = {"listen": f"127.0.0.1:{admin_port}"}
    config.update(extra)
    config["listeners"] = listeners
    config["sites"] = sites
    return config


def write_config(path, config):
    path.write_text(to_yaml(config) + "\n")
    return path


# --- processes ---

class Origin:
    """origin.py as a subprocess; port chosen by the origin itself (--port 0)."""

    def __init__(self, tmp_path, *extra):
        self.log_path = tmp_path / f"origin-{time.monotonic_ns()}.log"
        self.out_path = tmp_path / f"origin-{time.monotonic_ns()}.out"
        with open(self.out_path, "wb") as out, open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([PYTHON, ORIGIN_PY, "--port", "0", *map(str, extra)], stdout=out,
                                         stderr=log)
        line = wait_until(lambda: self._ready_line() or self._dead(), 15, "origin.py to print ready")
        if not line.startswith("ready "):
            pytest.fail(f"origin.py did not start: {self.log_path.read_text(errors='replace')}")
        self.port = int(line.split()[1])
        self.scheme = "https" if "--tls-cert" in map(str, extra) else "http"
        self.url = f"{self.scheme}://127.0.0.1:{self.port}"

    def _ready_line(self):
        text = self.out_path.read_text(errors="replace")
        return next((line for line in text.splitlines() if line.startswith("ready")), None)

    def _dead(self):
        return "exited" if self.proc.poll() is not None else None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Gateway:
    """`smtrust gateway -c CONFIG` as a subprocess, standard error (and output) in files."""

    def __init__(self, config_path, tmp_path, timeout=20, expect_ready=True):
        self.config_path = config_path
        stamp = time.monotonic_ns()
        self.err_path = tmp_path / f"gateway-{stamp}.err"
        self.out_path = tmp_path / f"gateway-{stamp}.out"
        self.started = time.monotonic()
        with open(self.err_path, "wb") as err, open(self.out_path, "wb") as out:
            self.proc = subprocess.Popen([SMTRUST, "gateway", "-c", str(config_path)], stdout=out, stderr=err,
                                         env=clean_env())
        if expect_ready:
            self.wait_ready(timeout)

    def wait_ready(self, timeout):
        wait_until(lambda: "smtrust gateway: ready" in self.log() or self.proc.poll() is not None, timeout,
                   f"the gateway's ready line; its log so far:\n{self.log()}")
        if "smtrust gateway: ready" not in self.log():
            pytest.fail(f"gateway exited {self.proc.returncode} before ready:\n{self.log()}")
        self.ready_seconds = time.monotonic() - self.started

    def log(self):
        return self.err_path.read_text(errors="replace")

    def stdout(self):
        return self.out_path.read_text(errors="replace")

    def alive(self):
        return self.proc.poll() is None

    def signal(self, signum):
        self.proc.send_signal(signum)

    def reload(self, timeout=20):
        """Sends SIGHUP and returns the "reloaded" or "reload refused" line it caused."""
        def outcome_lines():
            return [line for line in self.log().splitlines() if "reloaded" in line or "reload refused" in line]
        before = len(outcome_lines())
        self.signal(signal.SIGHUP)
        wait_until(lambda: len(outcome_lines()) > before or not self.alive(), timeout,
                   f"a reload outcome; log:\n{self.log()}")
        assert self.alive(), f"gateway died on SIGHUP:\n{self.log()}"
        return outcome_lines()[before]

    def stop(self, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                pytest.fail(f"gateway ignored SIGTERM for {timeout}s:\n{self.log()}")
        return self.proc.returncode


def clean_env():
    env = dict(os.environ)
    for name in ("SSL_CERT_FILE", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "OPENSSL_CONF"):
        env.pop(name, None)
    return env


# --- clients ---

def curl(*args, ok=True, input=None):
    """curl -sS with the given arguments; the machine's CA presets are removed by run()."""
    return run(["curl", "-sS", "--max-time", "60", *map(str, args)], ok=ok, input=input)


def tls_context(cafile, minimum=None, maximum=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=str(cafile))
    if minimum:
        context.minimum_version = minimum
    if maximum:
        context.maximum_version = maximum
    return context


def tls_connect(port, cafile, server_name="localhost", timeout=10, **versions):
    """A TLS connection to 127.0.0.1:port with SNI server_name, verified against cafile."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        return tls_context(cafile, **versions).wrap_socket(raw, server_hostname=server_name)
    except BaseException:
        raw.close()
        raise


class HTTPSConnection(http.client.HTTPSConnection):
    """http.client over TLS to 127.0.0.1:port, sending SNI and Host server_name (keep-alive by default)."""

    def __init__(self, port, cafile, server_name="localhost", timeout=10):
        super().__init__(server_name, port, context=tls_context(cafile), timeout=timeout)
        self.port_number = port

    def connect(self):
        raw = socket.create_connection(("127.0.0.1", self.port_number), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


def recv_until_close(sock, limit=1 << 20, timeout=10):
    """Everything sock sends until it closes (or limit bytes); raises on a timeout (the peer kept it open)."""
    sock.settimeout(timeout)
    data = b""
    while len(data) < limit:
        try:
            piece = sock.recv(65536)
        except (ssl.SSLError, ConnectionResetError):
            break  # a reset or an unexpected EOF is a close too
        if not piece:
            break
        data += piece
    return data


def read_head(sock, timeout=10):
    """Reads bytes until the end of a response head; returns (head text, bytes after it)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece:
            raise ConnectionError(f"closed after {data!r}")
        data += piece
    head, rest = data.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def header_values(head, name):
    values = []
    for line in head.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            values.append(value.strip())
    return values


class WebSocket:
    """A minimal RFC 6455 client over an already connected socket (masked frames, §5.3)."""

    def __init__(self, sock, host, path="/ws"):
        self.sock = sock
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        self.head, self.buffer = read_head(sock)
        self.status = int(self.head.split(" ", 2)[1])
        self.accept = (header_values(self.head, "Sec-WebSocket-Accept") or [None])[0]
        self.expected_accept = origin_module.websocket_accept(key)

    def send(self, opcode, payload, fin=True):
        mask = os.urandom(4)
        head = bytes([(0x80 if fin else 0) | opcode])
        if len(payload) < 126:
            head += bytes([0x80 | len(payload)])
        elif len(payload) < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", len(payload))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def _take(self, n):
        while len(self.buffer) < n:
            piece = self.sock.recv(65536)
            if not piece:
                raise ConnectionError("closed inside a frame")
            self.buffer += piece
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def recv(self):
        """One frame from the server: (opcode, payload); server frames are never masked (§5.1)."""
        first, second = self._take(2)
        assert not second & 0x80, "server frame is masked"
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._take(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._take(8))[0]
        return first & 0x0F, self._take(length)


def echo_json(response_body):
    """The origin's /echo answer, with headers as a dict of lists (lowercase names)."""
    data = json.loads(response_body)
    headers = {}
    for name, value in data["headers"]:
        headers.setdefault(name.lower(), []).append(value)
    data["header_map"] = headers
    return data


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# --- fixtures (import them by name into a test module) ---

@pytest.fixture
def demo_pki(tmp_path):
    """A fresh demo PKI (localhost, 127.0.0.1, ::1) in tmp_path/pki."""
    return make_pki(tmp_path / "pki")


@pytest.fixture
def origin(tmp_path):
    """origin.py over plain HTTP on a port of its choosing."""
    server = Origin(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def start_gateway(tmp_path):
    """start_gateway(sites, **gateway_config options) writes tmp_path/gateway.yaml with fresh ports and runs the
    gateway until it is ready; the result has https_port, redirect_port, admin_port, access_log, config and
    config_path. Every gateway started is stopped at the end and must exit 0 on SIGTERM."""
    started = []

    def start(sites, redirect=False, admin=False, name="gateway", timeout=20, **options):
        for attempt in range(3):
            ports = {"https_port": free_port(), "redirect_port": free_port() if redirect else None,
                     "admin_port": free_port() if admin else None}
            access_log = tmp_path / f"{name}-access.log"
            config = gateway_config(ports["https_port"], sites, access_log, admin_port=ports["admin_port"],
                                    redirect_port=ports["redirect_port"], **options)
            config_path = write_config(tmp_path / f"{name}.yaml", config)
            gateway = Gateway(config_path, tmp_path, expect_ready=False)
            wait_until(lambda: "smtrust gateway: ready" in gateway.log() or not gateway.alive(), timeout,
                       f"the gateway's ready line; its log so far:\n{gateway.log()}")
            if gateway.alive():
                break
            if "in use" not in gateway.log() or attempt == 2:
                pytest.fail(f"gateway exited {gateway.proc.returncode} before ready:\n{gateway.log()}")
        gateway.ready_seconds = time.monotonic() - gateway.started
        gateway.config, gateway.access_log = config, access_log
        for key, value in ports.items():
            setattr(gateway, key, value)
        started.append(gateway)
        return gateway

    yield start
    failures = []
    for gateway in started:
        code = gateway.stop()
        # Shown by pytest only when the test failed.
        print(f"--- {gateway.config_path.name}: the gateway's standard error ---\n{gateway.log()[-6000:]}")
        if code != 0:
            failures.append(f"gateway exited {code} on SIGTERM:\n{gateway.log()[-3000:]}")
    if failures:
        pytest.fail("\n".join(failures))
