"""A small PKI made with the openssl command (a root CA, delegated OCSP responders, leaves whose AIA names a
local OCSP URL and a caIssuers URL) and OpenSSL's own OCSP responder (`openssl ocsp -index`) as an independent
peer, for the OCSP client and gateway stapling tests."""
import datetime
import http.server
import os
import socket
import subprocess
import threading
import time

from conftest import run


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ec_key(path):
    run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(path)])


class PKI:
    """root.pem/root.key, a delegated responder (OCSP Signing) and leaves issued with fixed serials."""

    def __init__(self, folder, name="OCSP Test Root"):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.root_key, self.root = folder / "root.key", folder / "root.pem"
        _ec_key(self.root_key)
        run(["openssl", "req", "-x509", "-new", "-key", self.root_key, "-subj", f"/CN={name}", "-days", "30",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-out", self.root])
        self.root_der = folder / "root.der"
        run(["openssl", "x509", "-in", self.root, "-outform", "DER", "-out", self.root_der])
        self.index = folder / "index.txt"
        self.index.write_text("")
        self.entries = {}
        self.responder, self.responder_key = self.issue("responder", "OCSP Responder", 0x7001,
                                                        ["extendedKeyUsage=OCSPSigning",
                                                         "keyUsage=critical,digitalSignature"], listed=False)

    def issue(self, stem, cn, serial, ext_lines, listed=True, status="V", days=30):
        """Issues stem.pem/stem.key under the root with the extension lines given; lists it in the index."""
        key, csr, cert = self.folder / f"{stem}.key", self.folder / f"{stem}.csr", self.folder / f"{stem}.pem"
        ext = self.folder / f"{stem}.ext"
        ext.write_text("\n".join(ext_lines) + "\n")
        _ec_key(key)
        run(["openssl", "req", "-new", "-key", key, "-subj", f"/CN={cn}", "-out", csr])
        run(["openssl", "x509", "-req", "-in", csr, "-CA", self.root, "-CAkey", self.root_key, "-set_serial",
             str(serial), "-days", str(days), "-extfile", ext, "-out", cert])
        if listed:
            self.entries[serial] = (status, cn, None)
            self.write_index()
        return cert, key

    def leaf(self, stem, cn, serial, ocsp_url, ca_issuers_url=None, listed=True):
        aia = f"OCSP;URI:{ocsp_url}" + (f",caIssuers;URI:{ca_issuers_url}" if ca_issuers_url else "")
        return self.issue(stem, cn, serial, [f"subjectAltName=DNS:{cn}", f"authorityInfoAccess={aia}",
                                             "keyUsage=critical,digitalSignature", "extendedKeyUsage=serverAuth"],
                          listed=listed)

    def revoke(self, serial, reason="keyCompromise"):
        status, cn, _ = self.entries[serial]
        self.entries[serial] = ("R", cn, reason)
        self.write_index()

    def write_index(self):
        # OpenSSL's CA database: status, expiry, revocation "time,reason", serial (hex), file, subject
        expiry = (datetime.datetime.utcnow() + datetime.timedelta(days=30)).strftime("%y%m%d%H%M%SZ")
        revoked_at = (datetime.datetime.utcnow() - datetime.timedelta(hours=1)).strftime("%y%m%d%H%M%SZ")
        lines = []
        for serial, (status, cn, reason) in sorted(self.entries.items()):
            revocation = f"{revoked_at},{reason}" if status == "R" else ""
            lines.append(f"{status}\t{expiry}\t{revocation}\t{serial:04X}\tunknown\t/CN={cn}")
        self.index.write_text("\n".join(lines) + "\n")
        attr = self.folder / "index.txt.attr"
        attr.write_text("unique_subject = no\n")


class Responder:
    """`openssl ocsp -index` on a port: signs with rsigner/rkey for the CA ca (-nmin minutes of validity)."""

    def __init__(self, pki, port, rsigner=None, rkey=None, nmin=None, ca=None):
        self.port = port
        args = ["openssl", "ocsp", "-index", str(pki.index), "-port", str(port), "-rsigner",
                str(rsigner or pki.responder), "-rkey", str(rkey or pki.responder_key), "-CA", str(ca or pki.root),
                "-ignore_err"]
        if nmin:
            args += ["-nmin", str(nmin)]
        self.log = open(pki.folder / f"responder-{port}.log", "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        # a probe connection would hold the single-threaded responder up: wait for its own word instead
        log_path = pki.folder / f"responder-{port}.log"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if b"waiting for OCSP client connections" in log_path.read_bytes():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"openssl ocsp did not start: {log_path.read_bytes()!r}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)
        self.log.close()


class FileServer:
    """Serves one file's bytes at any path (a caIssuers URL)."""

    def __init__(self, path, content_type="application/pkix-cert"):
        data = path.read_bytes()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()



class ShortResponder:
    """An OCSP responder written with Python's cryptography (its ocsp builder): answers every request about one
    leaf with a response valid for `validity` seconds (thisUpdate a second ago), signed by signer/signer_key,
    with the status of the moment (self.status: "good" or "revoked"). Counts the requests it answered."""

    def __init__(self, leaf, issuer, signer, signer_key, validity=4, port=0):
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        load = lambda p: x509.load_pem_x509_certificate(p.read_bytes())  # noqa: E731
        self.leaf, self.issuer, self.signer = load(leaf), load(issuer), load(signer)
        self.key = serialization.load_pem_private_key(signer_key.read_bytes(), None)
        self.validity, self.status, self.requests = validity, "good", 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self):
                outer.requests += 1
                body = outer.response()
                self.send_response(200)
                self.send_header("Content-Type", "application/ocsp-response")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                self.answer()

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.answer()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def response(self):
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.x509 import ReasonFlags, ocsp
        now = datetime.datetime.utcnow()
        revoked = self.status == "revoked"
        builder = ocsp.OCSPResponseBuilder().add_response(
            cert=self.leaf, issuer=self.issuer, algorithm=hashes.SHA1(),
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
            this_update=now - datetime.timedelta(seconds=1), next_update=now + datetime.timedelta(seconds=self.validity),
            revocation_time=now - datetime.timedelta(hours=1) if revoked else None,
            revocation_reason=ReasonFlags.key_compromise if revoked else None)
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, self.signer).certificates([self.signer])
        return builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
