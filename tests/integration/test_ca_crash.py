"""kill -9 of `smtrust ca` in the middle of a run of issuances: after a restart no serial is duplicated, no
order is left half-done (every valid order has its certificate stored, none is stuck "processing"), every
challenge a dead process was validating is validated again, and clients carry on."""
import os
import sqlite3
import threading
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography import x509
from cryptography.x509.oid import NameOID

from acme_client import AcmeClient, HTTP01Responder
from ca_util import CA, DNSServer, free_port, write_ca_config


def csr_for(name):
    key = ec.generate_private_key(ec.SECP256R1())
    return (x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))


def issue_forever(ca, responder, worker, stop, counts):
    """One client issuing certificates until stop is set or the CA goes away."""
    try:
        client = AcmeClient(ca.directory, ca.roots)
        client.new_account()
        n = 0
        while not stop.is_set():
            name = f"w{worker}-{n}.crash.example.test"
            n += 1
            resp = client.new_order([name])
            order = resp.json() | {"url": resp.headers["Location"]}
            client.authorize_http01(order, responder)
            if client.finalize(order, csr_for(name)).status == 200:
                counts[worker] += 1
    except Exception:  # the CA was killed under us: that is the point
        pass


def test_kill_9_during_issuance(tmp_path):
    dns = DNSServer(str(tmp_path))
    http_port = free_port()
    config, _, _ = write_ca_config(str(tmp_path), http_port=http_port, resolver=dns.address)
    responder = HTTP01Responder(http_port)
    ca = CA(config)
    ca.init()
    ca.start()
    stop = threading.Event()
    counts = [0] * 4
    workers = [threading.Thread(target=issue_forever, args=(ca, responder, i, stop, counts)) for i in range(4)]
    for w in workers:
        w.start()
    deadline = time.time() + 60
    while sum(counts) < 12 and time.time() < deadline:
        time.sleep(0.1)
    assert sum(counts) >= 12, "no issuance before the kill"
    ca.kill()
    stop.set()
    for w in workers:
        w.join(timeout=60)

    ca.start()
    try:
        db = os.path.join(ca.state, "ca.db")
        # Challenges left "processing" by the dead process are validated again after the restart.
        deadline = time.time() + 30
        while True:
            with sqlite3.connect(db) as conn:
                processing = conn.execute("SELECT count(*) FROM challenges WHERE status = 2").fetchone()[0]
            if processing == 0 or time.time() > deadline:
                break
            time.sleep(0.2)
        assert processing == 0
        with sqlite3.connect(db) as conn:
            total, distinct = conn.execute("SELECT count(*), count(DISTINCT serial) FROM certificates").fetchone()
            assert total == distinct and total >= sum(counts)
            assert conn.execute("SELECT count(*) FROM orders WHERE status = 3").fetchone()[0] == 0
            missing = conn.execute("SELECT count(*) FROM orders o WHERE o.status = 4 AND NOT EXISTS"
                                   " (SELECT 1 FROM certificates c WHERE c.serial = o.cert_serial)").fetchone()[0]
            assert missing == 0
            orphans = conn.execute("SELECT count(*) FROM certificates c WHERE c.order_id != '' AND NOT EXISTS"
                                   " (SELECT 1 FROM orders o WHERE o.id = c.order_id AND o.status = 4"
                                   " AND o.cert_serial = c.serial)").fetchone()[0]
            assert orphans == 0
        # And the CA serves on: a new client gets a certificate.
        counts2 = [0]
        stop2 = threading.Event()
        t = threading.Thread(target=issue_forever, args=(ca, responder, 0, stop2, counts2))
        t.start()
        deadline = time.time() + 30
        while counts2[0] < 1 and time.time() < deadline:
            time.sleep(0.1)
        stop2.set()
        t.join(timeout=60)
        assert counts2[0] >= 1
    finally:
        responder.stop()
        ca.stop()
        dns.stop()


def revocation_views(ca, serial, leaf, issuer, folder):
    """What the store (API), the CRL and the OCSP responder of this process (the URLs its API gives) say
    about serial: True = revoked."""
    import subprocess
    from test_ca_api import call
    from test_ca_crl import fetch
    status, shown = call(ca, f"/api/v1/certificates/{serial}")
    assert status == 200, shown
    store = shown["status"] == "revoked"
    crl_der = fetch(shown["crl"]["url"])[2]
    crl = x509.load_der_x509_crl(crl_der)
    in_crl = crl.get_revoked_certificate_by_serial_number(int(serial, 16)) is not None
    out = subprocess.run(["openssl", "ocsp", "-issuer", issuer, "-cert", leaf, "-url", shown["ocsp"]["url"],
                          "-CAfile", ca.roots, "-no_nonce"], capture_output=True)
    text = (out.stdout + out.stderr).decode()
    assert "Response verify OK" in text, text
    ocsp = f"{leaf}: revoked" in text
    assert ocsp or f"{leaf}: good" in text, text
    return store, in_crl, ocsp


def test_kill_9_right_after_revocations(tmp_path):
    """Revocations sent through the API, the CA killed with SIGKILL while they are in flight or just
    answered: after a restart the store, the CRL and the OCSP answers agree for every certificate, and every
    revocation that was answered 200 is in all three."""
    import subprocess
    from test_ca_api import call, make_csr
    from test_ca_crl import issuing_pem, write
    config, _, _ = write_ca_config(str(tmp_path))
    ca = CA(config)
    ca.init()
    ca.start()
    certs = []
    for i in range(6):
        _, csr = make_csr(str(tmp_path), f"k{i}", "ec-p256", f"k{i}.kill.example.test")
        status, body = call(ca, "/api/v1/certificates", "POST", {"csr": csr, "ca": "ssl-ecc-dv"})
        assert status == 201, body
        leaf = write(tmp_path / f"k{i}.pem", body["certificate"])
        issuer = write(tmp_path / "issuer.pem", issuing_pem(body["chain"]))
        certs.append((body["serial"], leaf))
    answered = set()
    for round_, delay in enumerate((0.0, 0.002, 0.02)):
        serials = [certs[2 * round_][0], certs[2 * round_ + 1][0]]
        base = ca.directory.rsplit("/acme/", 1)[0]
        admin = os.path.join(ca.state, "admin")
        curls = [subprocess.Popen(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca.roots,
                                   "--cert", os.path.join(admin, "operator.crt"), "--key",
                                   os.path.join(admin, "operator.key"), "-X", "POST", "-H",
                                   "Content-Type: application/json", "--data-binary", '{"reason": 1}',
                                   f"{base}/api/v1/certificates/{s}/revoke"], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL) for s in serials]
        time.sleep(delay)
        if round_ == 2:  # the last round waits for the answers: revoked for sure, then killed at once
            for c in curls:
                c.wait()
        ca.kill()
        for serial, c in zip(serials, curls):
            if c.wait() == 0 and c.stdout.read() == b"200":
                answered.add(serial)
        ca.start()
        for serial, leaf in certs:
            store, in_crl, ocsp = revocation_views(ca, serial, leaf, issuer, str(tmp_path))
            assert store == in_crl == ocsp, (serial, store, in_crl, ocsp)
            if serial in answered:
                assert store, serial
    assert len(answered) >= 2
    ca.stop()
