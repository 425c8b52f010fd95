"""The RFC 3161 time-stamping authority of `smtrust ca`: `openssl ts -query` POSTed with curl to /tsa gets an
ECC token that `openssl ts -verify` accepts, with the policy, nonce and accuracy `openssl ts -reply -text`
shows; an SM3 query gets an SM2 token that `smtrust ts verify` accepts and refuses for data one byte off;
genTime strictly increases and serials differ over 50 tokens from both TSAs; bad queries (truncated, SHA-1, an
unknown hash, another policy, an extension) get a rejection naming the right failure; HTTP errors for wrong
methods, types and paths; the TSA certificates have the critical EKU timeStamping and survive a restart."""
import os
import subprocess

import pytest

from ca_util import CA, free_port, write_ca_config
from conftest import SMTRUST, run

DEFAULT_POLICY = "2.25.221790257517122638238211225828340011145"
SHA256_OID = bytes.fromhex("608648016503040201")


@pytest.fixture(scope="module")
def tsa_ca(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("ca-tsa"))
    config, _, http_port = write_ca_config(
        folder, http_port=free_port(), tls_alpn_port=free_port(),
        extra_cas=["{name: doc-sm2, kind: document-sm2, common_name: Test SM2 Document CA}",
                   "{name: doc-ecc, kind: document-ecc, common_name: Test ECC Document CA}"])
    ca = CA(config)
    ca.init()
    ca.start()
    ca.tsa_url = f"http://127.0.0.1:{http_port}/tsa"
    ca.folder_path = folder
    yield ca
    ca.stop()


def write(path, data):
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    return str(path)


def post(url, body, content_type="application/timestamp-query", method="POST", cacert=None):
    """POSTs body with curl; returns (HTTP status, Content-Type, reply bytes)."""
    args = ["curl", "-sS", "-X", method, "-H", f"Content-Type: {content_type}", "--data-binary", "@-",
            "-o", "-", "-w", "\n%{http_code} %{content_type}", url]
    if cacert:
        args[1:1] = ["--cacert", cacert]
    out = run(args, input=body).stdout
    reply, _, tail = out.rpartition(b"\n")
    code, _, ctype = tail.decode().partition(" ")
    return int(code), ctype, reply


def query(tmp_path, data, *options):
    """`openssl ts -query` over data (bytes) with options; returns the query's DER."""
    path = write(tmp_path / "data", data)
    return run(["openssl", "ts", "-query", "-data", path, *options]).stdout


def reply_text(tmp_path, reply):
    return run(["openssl", "ts", "-reply", "-in", write(tmp_path / "reply.tsr", reply), "-text"]).stdout.decode()


def field(text, name):
    for line in text.splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {name} in {text}")


def test_ecc_token_verifies_with_openssl(tsa_ca, tmp_path):
    q = query(tmp_path, b"the document", "-sha256", "-cert")
    code, ctype, reply = post(tsa_ca.tsa_url, q)
    assert (code, ctype) == (200, "application/timestamp-reply")
    data = write(tmp_path / "data", b"the document")
    tsr = write(tmp_path / "reply.tsr", reply)
    out = run(["openssl", "ts", "-verify", "-data", data, "-in", tsr, "-CAfile", tsa_ca.roots]).stdout.decode()
    assert "Verification: OK" in out
    # openssl also checks the nonce and imprint against the query itself
    tsq = write(tmp_path / "q.tsq", q)
    out = run(["openssl", "ts", "-verify", "-queryfile", tsq, "-in", tsr, "-CAfile", tsa_ca.roots]).stdout.decode()
    assert "Verification: OK" in out
    text = reply_text(tmp_path, reply)
    assert field(text, "Status") == "Granted."
    assert field(text, "Policy OID") == DEFAULT_POLICY
    assert field(text, "Hash Algorithm") == "sha256"
    assert field(text, "Accuracy").startswith("0x01 seconds")
    assert "doc-ecc Time Stamping Authority" in field(text, "TSA")
    sent = run(["openssl", "ts", "-query", "-in", tsq, "-text"]).stdout.decode()
    assert field(text, "Nonce") == field(sent, "Nonce")
    # one byte of data changed: openssl refuses
    other = write(tmp_path / "other", b"the documenT")
    assert run(["openssl", "ts", "-verify", "-data", other, "-in", tsr, "-CAfile", tsa_ca.roots], ok=False)


def test_sm2_token_verifies_with_smtrust(tsa_ca, tmp_path):
    data = write(tmp_path / "contract", b"contract text\n")
    reply = str(tmp_path / "reply.tsr")
    proc = run([SMTRUST, "ts", "query", "--data", data, "--cert", "--url", tsa_ca.tsa_url, "-o", reply])
    nonce = proc.stderr.decode().split("nonce: ")[1].split()[0]
    out = run([SMTRUST, "ts", "verify", "--in", reply, "--data", data, "--ca-file", tsa_ca.sm2_root,
               "--nonce", nonce]).stdout.decode()
    assert "Verification: OK" in out and "algorithm: SM2" in out
    assert field(out, "hash") == "sm3" and field(out, "policy") == DEFAULT_POLICY
    assert field(out, "nonce") == nonce
    assert "doc-sm2 Time Stamping Authority" in field(out, "tsa")
    changed = write(tmp_path / "changed", b"contract text\r")
    out = run([SMTRUST, "ts", "verify", "--in", reply, "--data", changed, "--ca-file", tsa_ca.sm2_root],
              ok=False).stdout.decode()
    assert "Verification: FAILED" in out
    # another nonce, or the ECC root as trust anchor, fail too
    run([SMTRUST, "ts", "verify", "--in", reply, "--data", data, "--ca-file", tsa_ca.sm2_root, "--nonce", "01"],
        ok=False)
    run([SMTRUST, "ts", "verify", "--in", reply, "--data", data, "--ca-file", tsa_ca.roots], ok=False)


def test_sm2_token_from_openssl_query_without_certificates(tsa_ca, tmp_path):
    """/tsa/sm2 signs a SHA-256 query too; without certReq the token carries no certificate (RFC 3161 2.4.1)
    and verifies when the TSA certificate and its CA are given."""
    code, _, reply = post(tsa_ca.tsa_url + "/sm2", query(tmp_path, b"x", "-sha256", "-no_nonce"))
    assert code == 200
    tsr = write(tmp_path / "reply.tsr", reply)
    data = write(tmp_path / "x", b"x")
    run([SMTRUST, "ts", "verify", "--in", tsr, "--data", data, "--ca-file", tsa_ca.sm2_root], ok=False)
    state = os.path.join(tsa_ca.folder_path, "state")
    with open(os.path.join(state, "tsa", "doc-sm2.pem")) as f, open(os.path.join(state, "cas", "doc-sm2.crt")) as g:
        certs = write(tmp_path / "certs.pem", f.read().split("-----BEGIN PRIVATE KEY-----")[0] + g.read())
    out = run([SMTRUST, "ts", "verify", "--in", tsr, "--data", data, "--ca-file", tsa_ca.sm2_root,
               "--untrusted", certs]).stdout.decode()
    assert "algorithm: SM2" in out and field(out, "hash") == "sha256"


def gen_time_key(text):
    """"YYYYMMDDHHMMSS[.f]Z" as a number of microseconds' text, comparable as integers."""
    whole, _, fraction = text.rstrip("Z").partition(".")
    return int(whole) * 1000000 + int((fraction + "000000")[:6])


def test_gen_time_increases_and_serials_differ(tsa_ca, tmp_path):
    times, serials = [], set()
    for i in range(50):
        hash_option = "-sm3" if i % 2 else "-sha256"  # alternately the SM2 and the ECC TSA
        code, _, reply = post(tsa_ca.tsa_url, query(tmp_path, b"%d" % i, hash_option))
        assert code == 200
        out = run([SMTRUST, "ts", "show", "--in", write(tmp_path / "r.tsr", reply)]).stdout.decode()
        assert field(out, "status") == "granted"
        times.append(gen_time_key(field(out, "genTime")))
        serials.add(field(out, "serial"))
    assert all(a < b for a, b in zip(times, times[1:])), times
    assert len(serials) == 50


def rejection(tmp_path, url, body):
    code, ctype, reply = post(url, body)
    assert (code, ctype) == (200, "application/timestamp-reply")
    text = reply_text(tmp_path, reply)
    assert field(text, "Status") == "Rejected."
    return field(text, "Failure info")


def test_bad_queries_are_rejected_with_the_right_failure(tsa_ca, tmp_path):
    good = query(tmp_path, b"y", "-sha256", "-cert")
    assert rejection(tmp_path, tsa_ca.tsa_url, good[:len(good) // 2]) == "the data submitted has the wrong format"
    assert rejection(tmp_path, tsa_ca.tsa_url, b"") == "the data submitted has the wrong format"
    assert rejection(tmp_path, tsa_ca.tsa_url, query(tmp_path, b"y", "-sha1")) == \
        "unrecognized or unsupported algorithm identifier"
    unknown = good.replace(SHA256_OID, SHA256_OID[:-1] + b"\x63")  # 2.16.840.1.101.3.4.2.99
    assert unknown != good
    assert rejection(tmp_path, tsa_ca.tsa_url, unknown) == "unrecognized or unsupported algorithm identifier"
    other_policy = query(tmp_path, b"y", "-sha256", "-tspolicy", "1.2.3.4")
    assert rejection(tmp_path, tsa_ca.tsa_url, other_policy) == \
        "the requested TSA policy is not supported by the TSA"
    # the TSA's own policy is accepted
    code, _, reply = post(tsa_ca.tsa_url, query(tmp_path, b"y", "-sha256", "-tspolicy", DEFAULT_POLICY))
    assert field(reply_text(tmp_path, reply), "Status") == "Granted."
    # an extension (subjectKeyIdentifier, not critical) appended to the request: unacceptedExtension
    body = query(tmp_path, b"y", "-sha256", "-no_nonce")
    assert body[0] == 0x30 and body[1] < 0x80
    ext = bytes.fromhex("3009060355 1d0e04020400".replace(" ", ""))
    inner = body[2:] + bytes([0xA0, len(ext)]) + ext
    assert rejection(tmp_path, tsa_ca.tsa_url, bytes([0x30, len(inner)]) + inner) == \
        "the requested extension is not supported by the TSA"


def test_http_errors(tsa_ca, tmp_path):
    q = query(tmp_path, b"z", "-sha256")
    assert post(tsa_ca.tsa_url, q, method="PUT")[0] == 405
    assert run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", tsa_ca.tsa_url]).stdout == b"405"
    assert post(tsa_ca.tsa_url, q, content_type="application/octet-stream")[0] == 415
    assert post(tsa_ca.tsa_url + "/rsa", q)[0] == 404
    assert post(tsa_ca.tsa_url, q, content_type="Application/TimeStamp-Query; charset=binary")[0] == 200
    # the HTTPS listener serves the same
    https = tsa_ca.directory.rsplit("/acme/", 1)[0] + "/tsa/ecc"
    code, ctype, reply = post(https, q, cacert=tsa_ca.roots)
    assert (code, ctype) == (200, "application/timestamp-reply")
    assert field(reply_text(tmp_path, reply), "Status") == "Granted."


def tsa_certificate(ca, name):
    return os.path.join(ca.folder_path, "state", "tsa", f"{name}.pem")


def test_tsa_certificates_and_restart(tsa_ca, tmp_path):
    before = {}
    for name in ("doc-sm2", "doc-ecc"):
        text = run(["openssl", "x509", "-in", tsa_certificate(tsa_ca, name), "-noout", "-text"]).stdout.decode()
        eku = text.split("X509v3 Extended Key Usage:")[1].splitlines()
        assert eku[0].strip() == "critical" and eku[1].strip() == "Time Stamping"
        assert "Digital Signature, Non Repudiation" in text
        assert os.stat(tsa_certificate(tsa_ca, name)).st_mode & 0o077 == 0
        before[name] = run(["openssl", "x509", "-in", tsa_certificate(tsa_ca, name), "-noout",
                            "-fingerprint", "-sha256"]).stdout
    tsa_ca.stop()
    tsa_ca.start()
    for name in before:
        assert run(["openssl", "x509", "-in", tsa_certificate(tsa_ca, name), "-noout", "-fingerprint",
                    "-sha256"]).stdout == before[name]
    code, _, reply = post(tsa_ca.tsa_url, query(tmp_path, b"after", "-sha256", "-cert"))
    tsr = write(tmp_path / "reply.tsr", reply)
    data = write(tmp_path / "after", b"after")
    assert "Verification: OK" in run(["openssl", "ts", "-verify", "-data", data, "-in", tsr, "-CAfile",
                                      tsa_ca.roots]).stdout.decode()
    # the token names the same certificate: it verifies with it as the only certificate offered
    pem = write(tmp_path / "tsa.pem", open(tsa_certificate(tsa_ca, "doc-ecc")).read().split("-----BEGIN PRIVATE")[0])
    tsr_nocert = write(tmp_path / "nocert.tsr", post(tsa_ca.tsa_url, query(tmp_path, b"after", "-sha256"))[2])
    cas = os.path.join(tsa_ca.folder_path, "state", "cas", "doc-ecc.crt")
    untrusted = write(tmp_path / "untrusted.pem", open(pem).read() + open(cas).read())
    assert "Verification: OK" in run(["openssl", "ts", "-verify", "-data", data, "-in", tsr_nocert, "-CAfile",
                                      tsa_ca.roots, "-untrusted", untrusted]).stdout.decode()
