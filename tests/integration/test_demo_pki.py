"""`smtrust demo-pki`: what it makes is accepted by OpenSSL's `openssl verify` (the SM2 leaves with the SM2 ID,
as OpenSSL 3.0 needs), serves a real TLCP handshake between `smtrust tlcp-server` and `smtrust tlcp-client`, keeps
its keys private, and is never overwritten by a second run."""
import os
import stat
import subprocess
import time

import pytest

from conftest import SMTRUST, run
from gateway_util import free_port

FILES = ["sm2-root.pem", "sm2-root.key", "ecc-root.pem", "ecc-root.key", "sm2-sign.pem", "sm2-sign.key",
         "sm2-enc.pem", "sm2-enc.key", "ecc.pem", "ecc.key", "roots.pem"]
SM2_ID = "distid:1234567812345678"


@pytest.fixture
def pki(tmp_path, smtrust):
    folder = tmp_path / "pki"
    out = smtrust("demo-pki", folder).stdout.decode()
    assert f"{folder}: demo PKI created" in out
    return folder


def test_every_file_with_private_keys(pki):
    assert sorted(os.listdir(pki)) == sorted(FILES)
    for name in FILES:
        mode = stat.S_IMODE(os.stat(pki / name).st_mode)
        assert mode == (0o600 if name.endswith(".key") else 0o644), f"{name}: mode {mode:o}"


def test_openssl_verifies_the_ecc_leaf(pki, openssl):
    out = openssl("verify", "-CAfile", pki / "ecc-root.pem", pki / "ecc.pem").stdout.decode()
    assert out.strip() == f"{pki / 'ecc.pem'}: OK"
    # The purpose check reads the EKU: a TLS server certificate for localhost and its addresses.
    openssl("verify", "-purpose", "sslserver", "-verify_hostname", "localhost", "-CAfile", pki / "ecc-root.pem",
            pki / "ecc.pem")
    openssl("verify", "-verify_ip", "::1", "-CAfile", pki / "ecc-root.pem", pki / "ecc.pem")
    # Trusting the other family's root must not do.
    openssl("verify", "-CAfile", pki / "sm2-root.pem", pki / "ecc.pem", ok=False)


def test_ecc_file_holds_the_leaf_only(pki):
    text = (pki / "ecc.pem").read_text()
    assert text.count("BEGIN CERTIFICATE") == 1
    assert (pki / "roots.pem").read_text() == (pki / "sm2-root.pem").read_text() + (pki / "ecc-root.pem").read_text()


def test_openssl_verifies_the_sm2_pair_with_the_sm2_id(pki, openssl):
    for leaf in ("sm2-sign.pem", "sm2-enc.pem"):
        out = openssl("verify", "-vfyopt", SM2_ID, "-CAfile", pki / "sm2-root.pem", pki / leaf).stdout.decode()
        assert out.strip() == f"{pki / leaf}: OK"
    # Without the ID OpenSSL 3.0 computes another Z and the signature fails: the leaves really are SM2-signed.
    openssl("verify", "-CAfile", pki / "sm2-root.pem", pki / "sm2-sign.pem", ok=False)


def test_sm2_pair_text_matches_tlcp_rules(pki, openssl):
    sign = openssl("x509", "-in", pki / "sm2-sign.pem", "-noout", "-text").stdout.decode()
    enc = openssl("x509", "-in", pki / "sm2-enc.pem", "-noout", "-text").stdout.decode()
    for text in (sign, enc):
        assert "SM2-with-SM3" in text
        assert "Basic Constraints" not in text
        assert "TLS Web Server Authentication" in text
        assert "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1" in text
    assert "Digital Signature" in sign and "Key Encipherment" not in sign
    assert "Key Encipherment, Data Encipherment, Key Agreement" in enc and "Digital Signature" not in enc
    for field in ("-subject", "-issuer"):
        assert openssl("x509", "-in", pki / "sm2-sign.pem", "-noout", field).stdout == \
            openssl("x509", "-in", pki / "sm2-enc.pem", "-noout", field).stdout
    # The key files are what openssl pkey reads, and each matches its certificate.
    for cert, key in (("sm2-sign.pem", "sm2-sign.key"), ("sm2-enc.pem", "sm2-enc.key"), ("ecc.pem", "ecc.key")):
        from_cert = openssl("x509", "-in", pki / cert, "-noout", "-pubkey").stdout
        from_key = openssl("pkey", "-in", pki / key, "-pubout").stdout
        assert from_cert == from_key, cert


def test_tlcp_server_and_client_use_the_pair(pki, tmp_path):
    log_path = tmp_path / "server.log"
    port = free_port()
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [SMTRUST, "tlcp-server", "--sign-cert", pki / "sm2-sign.pem", "--sign-key", pki / "sm2-sign.key",
             "--enc-cert", pki / "sm2-enc.pem", "--enc-key", pki / "sm2-enc.key", "--listen", f"127.0.0.1:{port}",
             "--www"], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while "listening on" not in log_path.read_text(errors="replace"):
            assert server.poll() is None and time.monotonic() < deadline, log_path.read_text(errors="replace")
            time.sleep(0.02)
        for url in (f"https://localhost:{port}/", f"https://127.0.0.1:{port}/"):
            out = run([SMTRUST, "tlcp-client", "--cafile", pki / "sm2-root.pem", url]).stdout.decode()
            assert "protocol: TLCP" in out
        # The ECC root does not vouch for the SM2 pair.
        proc = run([SMTRUST, "tlcp-client", "--cafile", pki / "ecc-root.pem", f"https://localhost:{port}/"], ok=False)
        assert proc.returncode == 1
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_rerun_keeps_every_byte(pki, smtrust):
    before = {name: (pki / name).read_bytes() for name in FILES}
    times = {name: os.stat(pki / name).st_mtime_ns for name in FILES}
    out = smtrust("demo-pki", pki, "--name", "other.example").stdout.decode()
    assert out.strip() == f"{pki}: demo PKI already present"
    assert {name: (pki / name).read_bytes() for name in FILES} == before
    assert {name: os.stat(pki / name).st_mtime_ns for name in FILES} == times


def test_partial_folder_refused(pki, smtrust):
    os.unlink(pki / "sm2-enc.key")
    proc = smtrust("demo-pki", pki, ok=False)
    assert proc.returncode == 1
    assert "sm2-enc.key is missing" in proc.stderr.decode()
    assert not (pki / "sm2-enc.key").exists()


def test_names_and_days(tmp_path, smtrust, openssl):
    folder = tmp_path / "named"
    smtrust("demo-pki", folder, "--name", "shop.example.test", "--name", "10.9.8.7", "--days", "7")
    text = openssl("x509", "-in", folder / "ecc.pem", "-noout", "-text", "-dates").stdout.decode()
    assert "DNS:shop.example.test, IP Address:10.9.8.7" in text
    assert "localhost" not in text
    end = openssl("x509", "-in", folder / "ecc.pem", "-noout", "-checkend", str(6 * 86400))
    assert end.returncode == 0
    openssl("x509", "-in", folder / "ecc.pem", "-noout", "-checkend", str(8 * 86400), ok=False)


def test_usage_errors(tmp_path, smtrust):
    assert smtrust("demo-pki", ok=False).returncode == 2
    assert smtrust("demo-pki", tmp_path / "a", "--days", "0", ok=False).returncode == 2
    assert smtrust("demo-pki", tmp_path / "a", "--days", "x", ok=False).returncode == 2
    proc = smtrust("demo-pki", tmp_path / "a", "--name", "not a name", ok=False)
    assert proc.returncode == 1 and b"not a name" in proc.stderr
    assert not (tmp_path / "a").exists()
