"""`smtrust cert req|issue|show|verify` against the `openssl` command (OpenSSL 3.0) as an independent peer:
for SM2 and ECC, key -> request -> issue -> show -> verify, where `openssl req -verify` accepts our requests,
`openssl x509 -text` reads our certificates and `openssl verify -x509_strict` accepts our chains under an
openssl-made root; requests made by `openssl req` are issued by smtrust; bad requests are refused with a
clear message and leave no output file.

OpenSSL 3.0 needs the SM2 ID spelled out (it hashes an empty one otherwise):
  openssl req -x509 -new -key root.key -sm3 -sigopt distid:1234567812345678 ...   (an SM2 root)
  openssl req -in r.csr -verify -vfyopt distid:1234567812345678
  openssl verify -x509_strict -vfyopt distid:1234567812345678 -CAfile root.crt -untrusted int.crt leaf.crt
"""
import re

import pytest

DEFAULT_ID = "1234567812345678"
ALGS = {
    # smtrust key algorithm: (openssl signing options, verification options, signature algorithm shown)
    "sm2": (["-sm3", "-sigopt", f"distid:{DEFAULT_ID}"], ["-vfyopt", f"distid:{DEFAULT_ID}"], "SM2-with-SM3"),
    "ec-p256": (["-sha256"], [], "ecdsa-with-SHA256"),
}


def show(smtrust, path):
    """`smtrust cert show` of a one-certificate file as a dict of its "Label: value" lines."""
    out = smtrust("cert", "show", path).stdout.decode()
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines() if ":" in line[:20])}


def openssl_verify(openssl, pki, leaf, ok=True):
    """`openssl verify -x509_strict` of leaf under the intermediate and the root. OpenSSL 3.0 sets the -vfyopt
    distid only on the certificate being verified, so an SM2 chain is checked one link at a time: the
    intermediate under the root, then the leaf under the intermediate as a partial chain."""
    if pki["alg"] != "sm2":
        return openssl("verify", "-x509_strict", "-CAfile", pki["root"], "-untrusted", pki["int"], leaf, ok=ok)
    openssl("verify", "-x509_strict", *pki["verify_opts"], "-CAfile", pki["root"], pki["int"])
    return openssl("verify", "-x509_strict", *pki["verify_opts"], "-partial_chain", "-CAfile", pki["int"], leaf, ok=ok)


def x509_text(openssl, path):
    return openssl("x509", "-in", path, "-noout", "-text").stdout.decode()


@pytest.fixture(params=sorted(ALGS))
def pki(request, tmp_path, smtrust, openssl):
    """An openssl-made root and an smtrust-issued intermediate CA under it, of one algorithm."""
    alg = request.param
    sign_opts, verify_opts, _ = ALGS[alg]
    root_key, root = tmp_path / "root.key", tmp_path / "root.crt"
    smtrust("key", "gen", "--alg", alg, "-o", root_key)
    openssl("req", "-x509", "-new", "-key", root_key, *sign_opts, "-subj", "/C=CN/O=smtrust tests/CN=Test Root",
            "-days", "365", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", root)
    int_key, int_csr, intermediate = tmp_path / "int.key", tmp_path / "int.csr", tmp_path / "int.crt"
    smtrust("key", "gen", "--alg", alg, "-o", int_key)
    smtrust("cert", "req", "--key", int_key, "--cn", "Test Issuing CA", "--org", "smtrust tests", "-o", int_csr)
    smtrust("cert", "issue", "--csr", int_csr, "--ca-cert", root, "--ca-key", root_key, "--ca", "--days", "200",
            "-o", intermediate)
    return dict(alg=alg, dir=tmp_path, root=root, root_key=root_key, int=intermediate, int_key=int_key,
                sign_opts=sign_opts, verify_opts=verify_opts, sig_name=ALGS[alg][2])


def test_key_req_issue_show_verify(pki, smtrust, openssl):
    d = pki["dir"]
    key, csr, leaf = d / "leaf.key", d / "leaf.csr", d / "leaf.crt"
    smtrust("key", "gen", "--alg", pki["alg"], "-o", key)
    smtrust("cert", "req", "--key", key, "--dns", "www.example.com", "--dns", "example.com", "--ip", "127.0.0.1",
            "--email", "admin@example.com", "--org", "Example", "--country", "CN", "-o", csr)

    # openssl checks our request's signature (SM2: only with the ID) and reads its names
    text = openssl("req", "-in", csr, "-verify", *pki["verify_opts"], "-noout", "-text")
    assert b"verify OK" in text.stdout + text.stderr
    assert "Subject: C = CN, O = Example, CN = www.example.com" in text.stdout.decode()
    assert "DNS:www.example.com, DNS:example.com, IP Address:127.0.0.1, email:admin@example.com" in text.stdout.decode()
    if pki["alg"] == "sm2":  # without the ID it fails (openssl req still exits 0 then)
        plain = openssl("req", "-in", csr, "-verify", "-noout", ok=None)
        assert b"verify failure" in plain.stdout + plain.stderr

    smtrust("cert", "issue", "--csr", csr, "--ca-cert", pki["int"], "--ca-key", pki["int_key"], "--days", "30",
            "--usage", "server", "--usage", "client", "-o", leaf)
    text = x509_text(openssl, leaf)
    assert "Issuer: CN = Test Issuing CA, O = smtrust tests" in text or "Issuer: O = smtrust tests, CN = Test Issuing CA" in text
    assert "Subject: C = CN, O = Example, CN = www.example.com" in text
    assert "DNS:www.example.com, DNS:example.com, IP Address:127.0.0.1, email:admin@example.com" in text
    assert "TLS Web Server Authentication, TLS Web Client Authentication" in text
    assert re.search(r"Key Usage: critical\s+Digital Signature\n", text)
    assert "Basic Constraints" not in text  # leaves carry none (GmSSL refuses CA:FALSE)
    assert f"Signature Algorithm: {pki['sig_name']}" in text
    assert "CA:TRUE" in x509_text(openssl, pki["int"])

    fields = show(smtrust, leaf)
    assert fields["Subject"] == "C=CN, O=Example, CN=www.example.com"
    assert fields["Extended usage"] == "serverAuth, clientAuth"
    assert fields["CA"] == "no"
    assert show(smtrust, pki["int"])["CA"] == "yes"

    out = smtrust("cert", "verify", leaf, "--ca", pki["root"], "--chain", pki["int"], "--host", "www.example.com")
    assert out.stdout == b"OK\n"
    smtrust("cert", "verify", leaf, "--ca", pki["root"], "--chain", pki["int"], "--host", "127.0.0.1")
    openssl_verify(openssl, pki, leaf)
    if pki["alg"] == "sm2":  # the signatures really are over Z with the default ID
        openssl("verify", "-x509_strict", "-partial_chain", "-CAfile", pki["int"], leaf, ok=False)
        openssl("verify", "-x509_strict", "-CAfile", pki["root"], pki["int"], ok=False)

    # DER files are read too
    der = d / "leaf.der"
    der.write_bytes(openssl("x509", "-in", leaf, "-outform", "DER").stdout)
    smtrust("cert", "verify", der, "--ca", pki["root"], "--chain", pki["int"])
    assert show(smtrust, der)["SHA-256"] == fields["SHA-256"]

    # a served chain (leaf, then intermediate) in one file needs no --chain
    bundle = d / "bundle.pem"
    bundle.write_bytes(leaf.read_bytes() + pki["int"].read_bytes())
    smtrust("cert", "verify", bundle, "--ca", pki["root"])
    out = smtrust("cert", "show", bundle).stdout.decode()
    assert "Certificate 1 of 2:" in out and "Certificate 2 of 2:" in out

    bad = smtrust("cert", "verify", leaf, "--ca", pki["root"], "--chain", pki["int"], "--host", "other.example.org",
                  ok=False)
    assert bad.returncode == 1 and b'does not match host "other.example.org"' in bad.stderr and bad.stdout == b""
    bad = smtrust("cert", "verify", leaf, "--ca", pki["root"], ok=False)  # no intermediate: no path
    assert bad.returncode == 1 and b"smtrust: cert verify:" in bad.stderr


def test_encryption_request_for_a_tlcp_pair(tmp_path, smtrust, openssl):
    """--encryption asks the keyUsage of the SM2 encryption certificate (GB/T 38636), which issue copies."""
    key, root_key, root = tmp_path / "enc.key", tmp_path / "root.key", tmp_path / "root.crt"
    csr, cert = tmp_path / "enc.csr", tmp_path / "enc.crt"
    smtrust("key", "gen", "--alg", "sm2", "-o", root_key)
    openssl("req", "-x509", "-new", "-key", root_key, *ALGS["sm2"][0], "-subj", "/CN=Pair Root", "-days", "30",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-out", root)
    smtrust("key", "gen", "--alg", "sm2", "-o", key)
    smtrust("cert", "req", "--key", key, "--dns", "tlcp.example.com", "--encryption", "-o", csr)
    text = openssl("req", "-in", csr, "-verify", *ALGS["sm2"][1], "-noout", "-text").stdout.decode()
    assert re.search(r"Key Usage: critical\s+Key Encipherment, Data Encipherment, Key Agreement", text)
    smtrust("cert", "issue", "--csr", csr, "--ca-cert", root, "--ca-key", root_key, "--usage", "server", "--days", "20",
            "-o", cert)
    assert show(smtrust, cert)["Key usage"] == "keyEncipherment, dataEncipherment, keyAgreement"
    assert re.search(r"Key Usage: critical\s+Key Encipherment, Data Encipherment, Key Agreement",
                     x509_text(openssl, cert))
    openssl("verify", "-x509_strict", *ALGS["sm2"][1], "-CAfile", root, cert)


def test_issue_of_an_openssl_request(pki, smtrust, openssl):
    d = pki["dir"]
    key, csr, cert = d / "o.key", d / "o.csr", d / "o.crt"
    smtrust("key", "gen", "--alg", pki["alg"], "-o", key)
    openssl("req", "-new", "-key", key, *pki["sign_opts"], "-subj", "/C=CN/ST=Beijing/O=OpenSSL made/OU=Web/CN=shop.example",
            "-addext", "subjectAltName=DNS:shop.example,DNS:*.shop.example,IP:10.1.2.3,URI:https://shop.example/",
            "-outform", "DER", "-out", csr)
    smtrust("cert", "issue", "--csr", csr, "--ca-cert", pki["int"], "--ca-key", pki["int_key"], "--hours", "12",
            "--usage", "server", "-o", cert)
    text = x509_text(openssl, cert)
    assert "Subject: C = CN, ST = Beijing, O = OpenSSL made, OU = Web, CN = shop.example" in text
    assert "DNS:shop.example, DNS:*.shop.example, IP Address:10.1.2.3, URI:https://shop.example/" in text
    assert re.search(r"Key Usage: critical\s+Digital Signature\n", text)  # none asked: the default
    openssl_verify(openssl, pki, cert)
    smtrust("cert", "verify", cert, "--ca", pki["root"], "--chain", pki["int"], "--host", "a.shop.example")
    before, after = show(smtrust, cert)["Not before"], show(smtrust, cert)["Not after"]
    hours = lambda t: int(t[11:13]) + 24 * int(t[8:10])
    assert (hours(after) - hours(before)) % (24 * 31) in (12, 12 - 24 * 30, 12 - 24 * 31)


def corrupt_signature(openssl, csr, out):
    """Writes csr as DER with one bit of its signature flipped (the last bytes are the signature value)."""
    der = bytearray(openssl("req", "-in", csr, "-outform", "DER").stdout)
    der[-3] ^= 0x01
    out.write_bytes(bytes(der))
    return out


def test_bad_requests_are_refused_and_write_nothing(pki, smtrust, openssl):
    d = pki["dir"]
    key, csr, cert = d / "b.key", d / "b.csr", d / "b.crt"
    smtrust("key", "gen", "--alg", pki["alg"], "-o", key)
    smtrust("cert", "req", "--key", key, "--cn", "bad.example", "-o", csr)
    issue = ["cert", "issue", "--ca-cert", pki["int"], "--ca-key", pki["int_key"], "-o", cert]

    tampered = corrupt_signature(openssl, csr, d / "tampered.csr")
    checked = openssl("req", "-in", tampered, "-inform", "DER", "-verify", *pki["verify_opts"], "-noout", ok=None)
    assert b"verify failure" in checked.stdout + checked.stderr
    bad = smtrust(*issue, "--csr", tampered, ok=False)
    assert bad.returncode == 1
    assert b"tampered.csr: refused: CSR: the signature does not verify" in bad.stderr
    assert not cert.exists()

    garbage = d / "garbage.csr"
    garbage.write_bytes(b"\x30\x82\x01\x00 not a request")
    bad = smtrust(*issue, "--csr", garbage, ok=False)
    assert bad.returncode == 1 and b"garbage.csr: CSR: malformed DER" in bad.stderr
    assert not cert.exists()

    weak = d / "weak.csr"  # SHA-1 (openssl's SM2 has no SHA-1 form, so this one is ECC)
    ec_key = d / "ec.key"
    smtrust("key", "gen", "--alg", "ec-p256", "-o", ec_key)
    openssl("req", "-new", "-key", ec_key, "-sha1", "-subj", "/CN=weak.example", "-out", weak)
    bad = smtrust(*issue, "--csr", weak, ok=False)
    assert bad.returncode == 1 and b"too weak" in bad.stderr
    assert not cert.exists()

    # a request that asks certificate signing is only issued as a CA
    ca_csr = d / "ca.csr"
    openssl("req", "-new", "-key", key, *pki["sign_opts"], "-subj", "/CN=sneaky", "-addext",
            "keyUsage=critical,keyCertSign", "-out", ca_csr)
    bad = smtrust(*issue, "--csr", ca_csr, ok=False)
    assert b"issue it with --ca" in bad.stderr and not cert.exists()

    # the CA key must be the CA certificate's, and the CA certificate a CA
    bad = smtrust("cert", "issue", "--csr", csr, "--ca-cert", pki["int"], "--ca-key", key, "-o", cert, ok=False)
    assert b"does not belong" in bad.stderr and not cert.exists()
    leaf_as_ca = d / "leaf_as_ca.crt"
    smtrust(*issue[:-1], leaf_as_ca, "--csr", csr)
    bad = smtrust("cert", "issue", "--csr", csr, "--ca-cert", leaf_as_ca, "--ca-key", key, "-o", cert, ok=False)
    assert b"not a CA certificate" in bad.stderr and not cert.exists()


def test_argument_errors(pki, smtrust):
    d = pki["dir"]
    key, csr, cert = d / "a.key", d / "a.csr", d / "a.crt"
    smtrust("key", "gen", "--alg", pki["alg"], "-o", key)
    smtrust("cert", "req", "--key", key, "--cn", "a.example", "-o", csr)
    ca = ["--ca-cert", pki["int"], "--ca-key", pki["int_key"], "--csr", csr, "-o", cert]
    cases = [
        (["cert", "issue", "--csr", csr], 2, b"--ca-cert is required"),
        (["cert", "issue", *ca, "--days", "3", "--hours", "4"], 2, b"--days and --hours exclude each other"),
        (["cert", "issue", *ca, "--usage", "web"], 1, b"--usage 'web': expected server, client"),
        (["cert", "issue", *ca, "--days", "0"], 1, b"--days '0': expected a whole number"),
        (["cert", "issue", *ca, "--days", "400"], 1, b"would outlive its CA certificate"),
        (["cert", "issue", *ca, "--usage", "timestamp", "--usage", "server"], 1, b"cannot be combined"),
        (["cert", "req", "--key", key], 2, b"give --cn or at least one --dns"),
        (["cert", "req", "--key", key, "--dns", "bad name"], 1, b'"bad name" is not a valid DNS name'),
        (["cert", "verify", cert], 2, b"--ca is required"),
        (["cert", "show"], 2, b"expected one FILE"),
        (["cert", "frobnicate"], 2, b"unknown sub-command"),
        (["cert", "req", "--key", key, "--cn", "x", "--bogus"], 2, b"unknown option '--bogus'"),
    ]
    for args, status, message in cases:
        bad = smtrust(*args, ok=False)
        assert bad.returncode == status, (args, bad.stderr)
        assert message in bad.stderr, (args, bad.stderr)
        assert not cert.exists()
    for sub in ("req", "issue", "show", "verify"):
        out = smtrust("cert", sub, "--help").stdout.decode()
        assert out.startswith(f"usage: smtrust cert {sub}")


def test_timestamp_and_ocsp_usages(pki, smtrust, openssl):
    d = pki["dir"]
    key, csr = d / "t.key", d / "t.csr"
    smtrust("key", "gen", "--alg", pki["alg"], "-o", key)
    smtrust("cert", "req", "--key", key, "--cn", "TSA", "-o", csr)
    smtrust("cert", "issue", "--csr", csr, "--ca-cert", pki["int"], "--ca-key", pki["int_key"],
            "--usage", "timestamp", "-o", d / "tsa.crt")
    assert re.search(r"Extended Key Usage: critical\s+Time Stamping", x509_text(openssl, d / "tsa.crt"))
    smtrust("cert", "issue", "--csr", csr, "--ca-cert", pki["int"], "--ca-key", pki["int_key"],
            "--usage", "ocsp", "-o", d / "ocsp.crt")
    text = x509_text(openssl, d / "ocsp.crt")
    assert "OCSP Signing" in text and "OCSP No Check" in text
