"""CRLs of `smtrust ca`: fetched at the URL the certificates' CRL distribution point names, checked with
`openssl crl -verify` and `openssl verify -crl_check`: valid before, "certificate revoked" within about a
second after an API revoke and after an ACME revokeCert (acme_client.py, an independent client); the
caching fields; a 404 for an unknown CA; an SM2 CA's CRL verified by `smtrust crl verify` (SM2 with the
default ID) and refused when a byte of it changes."""
import datetime
import os
import time
import urllib.error
import urllib.request

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from acme_client import AcmeClient, HTTP01Responder, b64
from ca_util import CA, DNSServer, free_port, write_ca_config
from conftest import SMTRUST, run
from test_ca_acme import ec_csr, fetch_chain, ready_order
from test_ca_api import call, make_csr


@pytest.fixture(scope="module")
def crl_ca(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("ca-crl"))
    dns = DNSServer(folder)  # every name resolves to 127.0.0.1, where the http-01 responder listens
    http_port = free_port()
    config, _, _ = write_ca_config(folder, http_port=http_port, tls_alpn_port=free_port(), resolver=dns.address)
    ca = CA(config)
    ca.init()
    ca.start()
    responder = HTTP01Responder(http_port)
    ca.responder = responder
    yield ca
    responder.stop()
    ca.stop()
    dns.stop()


def crl_url(cert_pem):
    cert = x509.load_pem_x509_certificate(cert_pem.encode() if isinstance(cert_pem, str) else cert_pem)
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    return points[0].full_name[0].value


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def write(path, data):
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    return str(path)


def issuing_pem(chain_pem):
    return chain_pem.split("-----END CERTIFICATE-----")[0].lstrip() + "-----END CERTIFICATE-----\n"


def crl_check(folder, ca, leaf, issuer, url, tag):
    """Fetches the CRL at url, verifies it with openssl, then the leaf with -crl_check: openssl's output."""
    status, _, der = fetch(url)
    assert status == 200
    crl = write(os.path.join(folder, f"{tag}.crl"), der)
    out = run(["openssl", "crl", "-inform", "DER", "-in", crl, "-noout", "-verify", "-CAfile", issuer])
    assert b"verify OK" in out.stdout + out.stderr
    pem = run(["openssl", "crl", "-inform", "DER", "-in", crl]).stdout
    crl_pem = write(os.path.join(folder, f"{tag}.crl.pem"), pem)
    result = run(["openssl", "verify", "-crl_check", "-CAfile", ca.roots, "-untrusted", issuer, "-CRLfile", crl_pem,
                  leaf], ok=None)
    return (result.stdout + result.stderr).decode()


def wait_revoked(folder, ca, leaf, issuer, url, tag):
    deadline = time.time() + 1.5
    while True:
        text = crl_check(folder, ca, leaf, issuer, url, tag)
        if "certificate revoked" in text or time.time() > deadline:
            return text
        time.sleep(0.1)


def test_api_revoke_reaches_crl(crl_ca, tmp_path):
    _, csr = make_csr(str(tmp_path), "leaf", "ec-p256", "crl.example.test")
    status, body = call(crl_ca, "/api/v1/certificates", "POST", {"csr": csr, "ca": "ssl-ecc-dv"})
    assert status == 201, body
    leaf = write(tmp_path / "leaf.pem", body["certificate"])
    issuer = write(tmp_path / "issuer.pem", issuing_pem(body["chain"]))
    url = crl_url(body["certificate"])
    assert url.endswith("/crl/ssl-ecc-dv.crl")
    assert crl_check(str(tmp_path), crl_ca, leaf, issuer, url, "before").strip().endswith("OK")
    started = time.time()
    status, revoked = call(crl_ca, f"/api/v1/certificates/{body['serial']}/revoke", "POST",
                           {"reason": "keyCompromise"})
    assert status == 200, revoked
    text = wait_revoked(str(tmp_path), crl_ca, leaf, issuer, url, "after")
    assert "certificate revoked" in text, text
    assert time.time() - started < 1.5
    crl = x509.load_der_x509_crl(fetch(url)[2])
    entry = crl.get_revoked_certificate_by_serial_number(int(body["serial"], 16))
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.key_compromise


def test_acme_revoke_reaches_crl(crl_ca, tmp_path):
    client = AcmeClient(crl_ca.directory, crl_ca.roots)
    assert client.new_account().status == 201
    order = ready_order(client, crl_ca, ["acme-crl.example.test"])
    csr, _ = ec_csr(["acme-crl.example.test"])
    assert client.finalize(order, csr).status == 200
    chain = fetch_chain(client, order).decode()
    leaf = write(tmp_path / "leaf.pem", chain.split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n")
    rest = chain.split("-----END CERTIFICATE-----", 1)[1]
    issuer = write(tmp_path / "issuer.pem", issuing_pem(rest))
    url = crl_url(open(leaf).read())
    assert crl_check(str(tmp_path), crl_ca, leaf, issuer, url, "before").strip().endswith("OK")
    der = x509.load_pem_x509_certificate(open(leaf, "rb").read()).public_bytes(serialization.Encoding.DER)
    resp = client.post(client.directory["revokeCert"], {"certificate": b64(der), "reason": 4})
    assert resp.status == 200, resp.body
    text = wait_revoked(str(tmp_path), crl_ca, leaf, issuer, url, "after")
    assert "certificate revoked" in text, text


def test_caching_fields_and_numbers(crl_ca):
    base = crl_ca.directory.rsplit("/acme/", 1)[0]
    http = f"http://127.0.0.1:{write_ca_port(crl_ca)}"
    status, headers, first = fetch(f"{http}/crl/ssl-ecc-dv.crl")
    assert status == 200 and headers["Content-Type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(first)
    max_age = int(headers["Cache-Control"].split("max-age=")[1].split(",")[0])
    next_update = crl.next_update.replace(tzinfo=datetime.timezone.utc).timestamp()
    assert 0 < max_age <= next_update - time.time() + 1
    assert headers["Last-Modified"] and headers["ETag"].startswith('"')
    status, _, _ = fetch(f"{http}/crl/ssl-ecc-dv.crl", {"If-None-Match": headers["ETag"]})
    assert status == 304
    number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    _, csr = make_csr(crl_ca.folder, "numbering", "ec-p256", "numbering.example.test")
    status, body = call(crl_ca, "/api/v1/certificates", "POST", {"csr": csr, "ca": "ssl-ecc-dv"})
    assert call(crl_ca, f"/api/v1/certificates/{body['serial']}/revoke", "POST", {})[0] == 200
    deadline = time.time() + 1.5
    while time.time() < deadline:
        later = x509.load_der_x509_crl(fetch(f"{http}/crl/ssl-ecc-dv.crl")[2])
        if later.get_revoked_certificate_by_serial_number(int(body["serial"], 16)) is not None:
            break
        time.sleep(0.1)
    entry = later.get_revoked_certificate_by_serial_number(int(body["serial"], 16))
    assert entry is not None and len(entry.extensions) == 0  # unspecified: no reasonCode (RFC 5280 5.3.1)
    assert later.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number > number
    assert fetch(f"{http}/crl/no-such-ca.crl")[0] == 404
    assert base.startswith("https://")


def write_ca_port(ca):
    for line in open(ca.config):
        if line.startswith("http_listen:"):
            return int(line.rsplit(":", 1)[1])
    raise AssertionError("no http_listen")


def test_sm2_crl_verified_by_smtrust(crl_ca, tmp_path):
    _, csr = make_csr(str(tmp_path), "sm2leaf", "sm2", "sm2-crl.example.test")
    status, body = call(crl_ca, "/api/v1/certificates", "POST", {"csr": csr, "ca": "ssl-sm2-dv"})
    assert status == 201, body
    assert call(crl_ca, f"/api/v1/certificates/{body['serial']}/revoke", "POST", {"reason": "superseded"})[0] == 200
    issuer = write(tmp_path / "issuer.pem", issuing_pem(body["chain"]))
    url = crl_url(body["certificate"])
    assert url.endswith("/crl/ssl-sm2-dv.crl")
    deadline = time.time() + 1.5
    while True:
        der = fetch(url)[2]
        crl = x509.load_der_x509_crl(der)
        if crl.get_revoked_certificate_by_serial_number(int(body["serial"], 16)) or time.time() > deadline:
            break
        time.sleep(0.1)
    assert crl.signature_algorithm_oid.dotted_string == "1.2.156.10197.1.501"  # SM2-with-SM3
    path = write(tmp_path / "sm2.crl", der)
    out = run([SMTRUST, "crl", "verify", path, "--issuer", issuer]).stdout.decode()
    assert "signature ok" in out and "1 revoked" in out, out
    broken = bytearray(der)
    broken[-10] ^= 0x01  # inside the signature value
    bad = write(tmp_path / "broken.crl", bytes(broken))
    result = run([SMTRUST, "crl", "verify", bad, "--issuer", issuer], ok=False)
    assert result.returncode != 0
    # The ECC root is not this CRL's issuer.
    result = run([SMTRUST, "crl", "verify", path, "--issuer", crl_ca.roots], ok=False)
    assert result.returncode != 0


def test_root_crls_complete_the_chain(crl_ca, tmp_path):
    """The issuing CA certificates name their root's CRL: served and signed by the root, so
    `openssl verify -crl_check_all` (every certificate of the chain checked against its issuer's CRL) passes."""
    _, csr = make_csr(str(tmp_path), "all", "ec-p256", "crl-all.example.test")
    status, body = call(crl_ca, "/api/v1/certificates", "POST", {"csr": csr, "ca": "ssl-ecc-dv"})
    assert status == 201, body
    leaf = write(tmp_path / "leaf.pem", body["certificate"])
    issuer_pem = issuing_pem(body["chain"])
    issuer = write(tmp_path / "issuer.pem", issuer_pem)
    root_url = crl_url(issuer_pem)
    assert root_url.endswith("/crl/ecc-root.crl")
    status, _, root_der = fetch(root_url)
    assert status == 200
    root_crl = write(tmp_path / "root.crl", root_der)
    out = run(["openssl", "crl", "-inform", "DER", "-in", root_crl, "-noout", "-verify", "-CAfile", crl_ca.roots])
    assert b"verify OK" in out.stdout + out.stderr
    crls = b""
    for url in (crl_url(body["certificate"]), root_url):
        der_path = write(tmp_path / "one.crl", fetch(url)[2])
        crls += run(["openssl", "crl", "-inform", "DER", "-in", der_path]).stdout
    both = write(tmp_path / "both.pem", crls)
    result = run(["openssl", "verify", "-crl_check_all", "-CAfile", crl_ca.roots, "-untrusted", issuer, "-CRLfile",
                  both, leaf], ok=None)
    assert (result.stdout + result.stderr).decode().strip().endswith("OK"), result
    # The SM2 root's CRL, checked by smtrust (SM2 with the default ID).
    status, _, sm2_der = fetch(root_url.replace("ecc-root", "sm2-root"))
    assert status == 200
    path = write(tmp_path / "sm2-root.crl", sm2_der)
    out = run([SMTRUST, "crl", "verify", path, "--issuer", crl_ca.sm2_root]).stdout.decode()
    assert "signature ok" in out and "0 revoked" in out, out
