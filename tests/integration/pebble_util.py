"""Helpers for the gateway's automatic certificates (issue 7: `certificates: auto`, src/gateway/autocert.h):

  - Pebble: Let's Encrypt's test ACME server (/usr/bin/pebble) on loopback, with an HTTPS certificate made here
    by openssl, validating against the ports and the DNS server (dns_server.py) the test names; its issuing
    root is read from the management port (/roots/0).
  - start_smtrust_ca: `smtrust ca` (ca_util.CA) whose validations go to the gateway's ports, optionally with
    certificates valid one minute (the least the CA allows) so renewals happen within a test.
  - the client side: the certificate a gateway serves to a TLS client (verified by Python's ssl against a
    root and the name, as a browser would) and to a TLCP client (`smtrust tlcp-client -v`), its serial, the
    gateway's certificate status (admin GET /certificates), and the files of acme.state_dir.

Pebble 2.4 reads PEBBLE_VA_NOSLEEP=1 (validate at once instead of after a random sleep), PEBBLE_WFE_NONCEREJECT=0
(no random badNonce) and PEBBLE_AUTHZREUSE=0 (every order validates again). Every process started here is
stopped by its stop() and, at the latest, when pytest exits (atexit), so a failing test leaves none behind."""
import atexit
import glob
import http.client
import json
import os
import re
import signal
import socket
import ssl
import stat
import subprocess
import time

from cryptography import x509

from ca_util import CA, DNSServer, write_ca_config
from conftest import SMTRUST, run

PEBBLE = "/usr/bin/pebble"


def _wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def make_https_certificate(folder, name="pebble"):
    """A throw-away root and a P-256 server certificate for 127.0.0.1 and localhost signed by it (openssl);
    returns (root, cert, key) paths."""
    root_key, root = os.path.join(folder, f"{name}-root.key"), os.path.join(folder, f"{name}-root.pem")
    key, cert = os.path.join(folder, f"{name}.key"), os.path.join(folder, f"{name}.pem")
    csr, ext = key + ".csr", key + ".ext"
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", root_key, "-out", root, "-subj", f"/CN={name} https test root", "-days", "2"])
    run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
         "-out", csr, "-subj", "/CN=127.0.0.1"])
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    run(["openssl", "x509", "-req", "-in", csr, "-CA", root, "-CAkey", root_key, "-out", cert, "-days", "2",
         "-extfile", ext])
    return root, cert, key


class Pebble:
    """One pebble process: directory on https://127.0.0.1:PORT/dir (trust self.https_root), http-01 checked
    on http_port, tls-alpn-01 on tls_port, names resolved by the DNS server at dns_address."""

    def __init__(self, folder, dns_address, http_port, tls_port):
        os.makedirs(folder, exist_ok=True)
        self.folder = folder
        self.https_root, cert, key = make_https_certificate(folder)
        self.port, self.management_port = free_port(), free_port()
        self.config = os.path.join(folder, "pebble.json")
        with open(self.config, "w") as f:
            json.dump({"pebble": {"listenAddress": f"127.0.0.1:{self.port}",
                                  "managementListenAddress": f"127.0.0.1:{self.management_port}",
                                  "certificate": cert, "privateKey": key, "httpPort": http_port,
                                  "tlsPort": tls_port, "ocspResponderURL": "",
                                  "externalAccountBindingRequired": False}}, f)
        self.log_path = os.path.join(folder, "pebble.log")
        env = dict(os.environ, PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT="0", PEBBLE_AUTHZREUSE="0")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([PEBBLE, "-config", self.config, "-dnsserver", dns_address], env=env,
                                         stdout=log, stderr=subprocess.STDOUT)
        atexit.register(self.stop)
        self.directory = f"https://127.0.0.1:{self.port}/dir"
        try:
            _wait(lambda: self._get(self.port, "/dir") is not None or self.proc.poll() is not None, 30,
                  "pebble's directory")
            if self.proc.poll() is not None:
                raise AssertionError(f"pebble exited {self.proc.returncode}:\n{self.log()}")
            # The root of what pebble issues (made at start, in memory only).
            self.root = os.path.join(folder, "pebble-issuing-root.pem")
            with open(self.root, "wb") as f:
                f.write(self._get(self.management_port, "/roots/0"))
        except BaseException:
            self.stop()
            raise

    def _get(self, port, path):
        context = ssl.create_default_context(cafile=self.https_root)
        try:
            conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=5)
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
            conn.close()
            return body if response.status == 200 else None
        except OSError:
            return None

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- smtrust ca ---

def start_smtrust_ca(folder, dns, http_port, tls_port, validity=None):
    """`smtrust ca` in folder validating http-01 on http_port and tls-alpn-01 on tls_port of the addresses dns
    gives (127.0.0.1); validity ("1m") sets certificates.default_validity and min_validity."""
    os.makedirs(folder, exist_ok=True)
    config, _, _ = write_ca_config(folder, http_port=http_port, tls_alpn_port=tls_port, resolver=dns.address,
                                   min_validity=validity or "1h")
    if validity:
        with open(config) as f:
            text = f.read()
        text = text.replace(f"  min_validity: {validity}\n",
                            f"  min_validity: {validity}\n  default_validity: {validity}\n")
        with open(config, "w") as f:
            f.write(text)
    ca = CA(config)
    ca.init()
    ca.start()
    return ca


def ca_certificates(ca, name):
    """The CA's records of the certificates issued for name (CA API), each with "ca" the issuing CA."""
    return ca.api(f"/api/v1/certificates?name={name}&limit=1000")["certificates"]


def count_by_kind(records):
    """{"ecc": n, "sm2": n} from CA API records: SM2 pairs are two records (signing and encryption)."""
    counts = {"ecc": 0, "sm2": 0}
    for record in records:
        counts["sm2" if "sm2" in record["ca"] else "ecc"] += 1
    return counts


# --- what clients see ---

def serial_hex(cert):
    return format(cert.serial_number, "x")


def tls_certificate(port, server_name, cafile, timeout=5):
    """The leaf the gateway on 127.0.0.1:port serves over TLS for SNI server_name, after Python's ssl checked
    its chain against cafile and its names against server_name (a browser's checks); raises when either fails."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=str(cafile))
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as conn:
            return x509.load_der_x509_certificate(conn.getpeercert(binary_form=True))


def try_tls_certificate(port, server_name, cafile, timeout=5):
    """tls_certificate, or None while the gateway has no (valid) certificate for server_name yet."""
    try:
        return tls_certificate(port, server_name, cafile, timeout)
    except (OSError, ssl.SSLError):
        return None


def wait_tls_certificate(port, server_name, cafile, timeout, what="", log=None):
    """Polls until a verified certificate is served for server_name; returns it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cert = try_tls_certificate(port, server_name, cafile)
        if cert is not None:
            return cert
        time.sleep(0.2)
    raise AssertionError(f"no verified certificate for {server_name} on port {port} after {timeout}s {what}\n"
                         f"{log() if log else ''}")


def tlcp_fetch(port, server_name, sm2_root, path="/", timeout=10, ok=True):
    """`smtrust tlcp-client -v` to https://server_name:port/path (connected to 127.0.0.1), verified against
    sm2_root; returns (CompletedProcess, signing certificate serial (hex, lowercase) or None)."""
    proc = run([SMTRUST, "tlcp-client", "-v", "--cafile", str(sm2_root), "--timeout", str(timeout),
                "--resolve", f"{server_name}:{port}:127.0.0.1", f"https://{server_name}:{port}{path}"], ok=ok)
    return proc, tlcp_sign_serial(proc.stderr.decode(errors="replace"))


def tlcp_sign_serial(verbose_text):
    """The serial of the server signing certificate in `tlcp-client -v`'s description."""
    match = re.search(r"server signing certificate:\n(?:\*   .*\n)*?\*   Serial:\s+([0-9A-Fa-f:]+)", verbose_text)
    return match[1].replace(":", "").lower().lstrip("0") if match else None


def certificate_status(admin_port, timeout=5):
    """The gateway's admin GET /certificates: {(site, kind): entry}."""
    conn = http.client.HTTPConnection("127.0.0.1", admin_port, timeout=timeout)
    try:
        conn.request("GET", "/certificates")
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    assert response.status == 200, (response.status, body)
    document = json.loads(body)
    return {(entry["site"], entry["kind"]): entry for entry in document["certificates"]}


def status_cli(config_path):
    """`smtrust gateway status -c FILE --json` as the same mapping."""
    proc = run([SMTRUST, "gateway", "status", "-c", str(config_path), "--json"])
    document = json.loads(proc.stdout)
    return {(entry["site"], entry["kind"]): entry for entry in document["certificates"]}


def state_files(state_dir):
    """Every regular file under state_dir (symlinks followed), relative path -> mode."""
    found = {}
    for path in glob.glob(os.path.join(str(state_dir), "**", "*"), recursive=True):
        if os.path.isfile(path):
            found[os.path.relpath(path, str(state_dir))] = stat.S_IMODE(os.stat(path).st_mode)
    return found


def private_key_files(state_dir):
    """The private keys acme.state_dir holds (autocert.h: account.key, key.pem, sign.key, enc.key)."""
    return {path: mode for path, mode in state_files(state_dir).items()
            if os.path.basename(path) in ("account.key", "key.pem", "sign.key", "enc.key")}


def stop_all(*things):
    """Stops every object given (gateway, CA, DNS server, pebble, origin), None skipped, each tried even when
    an earlier one fails; the first failure is raised at the end."""
    first = None
    for thing in things:
        if thing is None:
            continue
        try:
            if isinstance(thing, CA):
                thing.stop(check=False)
            elif hasattr(thing, "config_path"):  # a gateway_util.Gateway: SIGTERM must end it cleanly (ASan too)
                code = thing.stop()
                assert code == 0, f"gateway exited {code} on SIGTERM:\n{thing.log()[-4000:]}"
            else:
                thing.stop()
        except BaseException as exc:  # noqa: BLE001 (stop the rest, then report)
            first = first or exc
    if first:
        raise first


def start_gateway(config_path, tmp_path, timeout=20):
    """gateway_util.Gateway on config_path, ready; one that never gets ready is killed before the failure is
    raised, so it cannot outlive the test."""
    from gateway_util import Gateway
    gateway = Gateway(config_path, tmp_path, expect_ready=False)
    try:
        gateway.wait_ready(timeout)
    except BaseException:
        kill_gateway(gateway)
        raise
    return gateway


def kill_gateway(gateway):
    """A gateway that must not outlive a failed test: SIGKILL after a grace period."""
    if gateway is not None and gateway.proc.poll() is None:
        gateway.proc.send_signal(signal.SIGTERM)
        try:
            gateway.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            gateway.proc.kill()
            gateway.proc.wait()


__all__ = ["Pebble", "free_port", "DNSServer", "start_smtrust_ca", "ca_certificates", "count_by_kind", "serial_hex",
           "tls_certificate", "try_tls_certificate", "wait_tls_certificate", "tlcp_fetch", "tlcp_sign_serial",
           "certificate_status", "status_cli", "state_files", "private_key_files", "stop_all", "start_gateway",
           "kill_gateway"]
