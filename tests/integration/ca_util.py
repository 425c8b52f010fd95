"""Running `smtrust ca` in tests: a config on loopback with free ports, init, start (waiting for the
"ACME directory:" line), stop with SIGTERM (exit status 0, so the ASan build's leak check counts).

Challenge validation goes to the ports and the DNS server the test names, so certbot and lego answer
http-01 / tls-alpn-01 on high ports and dns_server.py answers every name with 127.0.0.1."""
import atexit
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time

from conftest import SMTRUST, run

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_ca_config(folder, *, name="ca.yaml", base_url=None, store=None, http_port=80, tls_alpn_port=443, resolver=None, eab_required=False,
                    orders_per_hour=300, min_validity="1h", listen_port=None, http_listen_port=None, extra_cas=(),
                    extra_lines=()):
    """Writes folder/ca.yaml (state in folder/state) and returns its path and the ports chosen."""
    listen_port = listen_port or free_port()
    http_listen_port = http_listen_port or free_port()
    lines = [
        'organization: "Test Trust Services"',
        "country: CN",
        "state_dir: state",
        f"listen: 127.0.0.1:{listen_port}",
        f"http_listen: 127.0.0.1:{http_listen_port}",
        f"base_url: {base_url or f'https://127.0.0.1:{listen_port}'}",
        f"public_url: http://127.0.0.1:{http_listen_port}",
        "server_names: [localhost, 127.0.0.1]",
        "threads: 16",
        "store_pool: 8",
        "ecc_root:",
        "  algorithm: ec-p256",
        "issuing_cas:",
        "  - {name: ssl-sm2-ov, kind: ssl-sm2-ov, common_name: Test SM2 OV SSL CA}",
        "  - {name: ssl-sm2-dv, kind: ssl-sm2-dv, common_name: Test SM2 DV SSL CA}",
        "  - {name: ssl-ecc-dv, kind: ssl-ecc-dv, common_name: Test ECC DV SSL CA}",
        *[f"  - {ca}" for ca in extra_cas],
        "certificates:",
        f"  min_validity: {min_validity}",
        "acme:",
        "  challenges:",
        f"    http_port: {http_port}",
        f"    tls_alpn_port: {tls_alpn_port}",
        "    timeout: 5s",
    ]
    if resolver:
        lines.append(f"    resolver: {resolver}")
    lines += [
        "  external_account_binding:",
        f"    required: {'true' if eab_required else 'false'}",
        "  rate_limits:",
        f"    orders_per_hour: {orders_per_hour}",
    ]
    lines += list(extra_lines)
    if store:
        lines.insert(3, f"store: {store}")
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path, listen_port, http_listen_port


class CA:
    """One `smtrust ca` process over a config written by write_ca_config."""

    def __init__(self, config_path):
        self.config = config_path
        self.folder = os.path.dirname(config_path)
        self.state = os.path.join(self.folder, "state")
        self.proc = None
        self.directory = None
        self.stderr_path = os.path.join(self.folder, os.path.basename(config_path) + ".stderr")

    @property
    def roots(self):
        """The ECC root: what the CA's own HTTPS certificate chains to."""
        return os.path.join(self.state, "roots", "ecc-root.crt")

    @property
    def sm2_root(self):
        return os.path.join(self.state, "roots", "sm2-root.crt")

    def init(self):
        return run([SMTRUST, "ca", "init", "-c", self.config])

    def api(self, path, method="GET", data=None, ok=True):
        """The CA API through curl with the operator's client certificate made by `smtrust ca init`."""
        admin = os.path.join(self.state, "admin")
        base = self.directory.rsplit("/acme/", 1)[0]
        args = ["curl", "-sS", "--cacert", self.roots, "--cert", os.path.join(admin, "operator.crt"),
                "--key", os.path.join(admin, "operator.key"), "-X", method, base + path]
        if ok:
            args.insert(2, "--fail-with-body")
        if data is not None:
            args += ["-H", "Content-Type: application/json", "--data-binary", json.dumps(data)]
        return json.loads(run(args).stdout)

    def start(self, timeout=30):
        self.stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([SMTRUST, "ca", "-c", self.config], stdout=subprocess.PIPE,
                                     stderr=self.stderr)
        atexit.register(self.kill_if_running)
        deadline = time.time() + timeout
        line = b""
        while time.time() < deadline and not line.endswith(b"\n"):
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                line += chunk
        text = line.decode(errors="replace").strip()
        if not text.startswith("ACME directory: "):
            self.stop(check=False)
            raise AssertionError(f"smtrust ca did not start: {text!r}\n{self.stderr_text()}")
        self.directory = text.split(": ", 1)[1]
        return self

    def stderr_text(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def kill_if_running(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def stop(self, check=True):
        if not self.proc:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.proc = None
        self.stderr.close()
        if check:
            assert code == 0, f"smtrust ca exited {code}\n{self.stderr_text()}"


class DNSServer:
    """tests/integration/dns_server.py: A 127.0.0.1 for every name, TXT records from the files of a folder
    (one file per record, "NAME VALUE"), re-read on every query."""

    def __init__(self, folder):
        self.records = os.path.join(folder, "dns-records")
        os.makedirs(self.records, exist_ok=True)
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "dns_server.py"), "--port", "0",
                                      "--records", self.records], stdout=subprocess.PIPE)
        # A test that fails before its own stop() must not leave the server holding pytest's stderr (and so
        # ctest's pipe) open: it is stopped when pytest exits at the latest.
        atexit.register(self.stop)
        line = self.proc.stdout.readline().decode().strip()
        assert line.startswith("listening on "), line
        self.port = int(line.rsplit(":", 1)[1])

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def set_txt(self, name, value):
        with open(os.path.join(self.records, value), "w") as f:
            f.write(f"{name} {value}\n")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        if not self.proc.stdout.closed:
            self.proc.stdout.close()
