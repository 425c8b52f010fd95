"""The OCSP responder of `smtrust ca`, asked by `openssl ocsp` (POST) and by plain HTTP GET (RFC 5019) at
the URL in the certificates' AIA: good, then revoked (with reason) within a second of an API revoke and
of an ACME revokeCert, unknown for a serial never issued, unauthorized for another CA's certificate,
malformedRequest for broken DER and for a request listing 1,000 serials; responses signed by a delegated
responder certificate (OCSP Signing, OCSP No Check) that openssl verifies for ECC and RSA CAs; SM2 CAs
answer with SM2-with-SM3 signatures; kept answers carry the RFC 5019 caching fields."""
import base64
import os
import time
import urllib.parse

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from acme_client import AcmeClient, HTTP01Responder, b64
from ca_util import CA, DNSServer, free_port, write_ca_config
from conftest import run
from test_ca_acme import ec_csr, fetch_chain, ready_order
from test_ca_api import call, make_csr
from test_ca_crl import fetch, issuing_pem, write


@pytest.fixture(scope="module")
def ocsp_ca(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("ca-ocsp"))
    dns = DNSServer(folder)
    http_port = free_port()
    config, _, _ = write_ca_config(folder, http_port=http_port, tls_alpn_port=free_port(), resolver=dns.address,
                                   extra_cas=["{name: email-rsa, kind: email-ecc, algorithm: rsa-2048, "
                                              "common_name: Test RSA E-mail CA}"])
    ca = CA(config)
    ca.init()
    ca.start()
    responder = HTTP01Responder(http_port)
    ca.responder = responder
    yield ca
    responder.stop()
    ca.stop()
    dns.stop()


def ocsp_url(cert_pem):
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    return [d.access_location.value for d in aia if d.access_method == x509.AuthorityInformationAccessOID.OCSP][0]


def issue(ca, folder, ca_name, alg, name, email=False):
    if email:  # an RSA key and an e-mail address in the request's subjectAltName
        key = os.path.join(folder, "email.key")
        run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key])
        csr = os.path.join(folder, "email.csr")
        run(["openssl", "req", "-new", "-key", key, "-subj", f"/CN={name}", "-addext", f"subjectAltName=email:{name}",
             "-out", csr])
        csr_text = open(csr).read()
    else:
        _, csr_text = make_csr(folder, name, alg, name)
    status, body = call(ca, "/api/v1/certificates", "POST", {"csr": csr_text, "ca": ca_name})
    assert status == 201, body
    leaf = write(os.path.join(folder, f"{name}.pem"), body["certificate"])
    issuer = write(os.path.join(folder, f"{name}-issuer.pem"), issuing_pem(body["chain"]))
    return body, leaf, issuer


def openssl_ocsp(ca, leaf, issuer, url, *extra, roots=None):
    out = run(["openssl", "ocsp", "-issuer", issuer, "-cert", leaf, "-url", url, "-CAfile", roots or ca.roots,
               "-no_nonce", "-resp_text", *extra], ok=None)
    return (out.stdout + out.stderr).decode()


def wait_for(predicate, seconds=1.0):
    deadline = time.time() + seconds
    while True:
        value = predicate()
        if value or time.time() > deadline:
            return value
        time.sleep(0.05)


def test_good_then_revoked_by_api(ocsp_ca, tmp_path):
    body, leaf, issuer = issue(ocsp_ca, str(tmp_path), "ssl-ecc-dv", "ec-p256", "ocsp-api.example.test")
    url = ocsp_url(body["certificate"])
    assert url.endswith("/ocsp/ssl-ecc-dv")
    text = openssl_ocsp(ocsp_ca, leaf, issuer, url)
    assert "Response verify OK" in text and f"{leaf}: good" in text, text
    # The delegated responder: OCSP Signing and OCSP No Check (RFC 6960 4.2.2.2), issued by the CA.
    assert "OCSP Signing" in text and "OCSP No Check" in text, text
    assert "ssl-ecc-dv OCSP Responder" in text
    # The CA API shows what relying parties see, with the URLs the certificate names.
    status, shown = call(ocsp_ca, f"/api/v1/certificates/{body['serial']}")
    assert status == 200 and shown["ocsp"]["status"] == "good" and shown["ocsp"]["url"] == url, shown
    assert "OCSP Responder" in shown["ocsp"]["responder"] and shown["crl"]["listed"] is False, shown
    assert shown["crl"]["url"].endswith("/crl/ssl-ecc-dv.crl")
    started = time.time()
    status, revoked = call(ocsp_ca, f"/api/v1/certificates/{body['serial']}/revoke", "POST",
                           {"reason": "keyCompromise"})
    assert status == 200
    assert revoked["ocsp"]["status"] == "revoked" and revoked["ocsp"]["reason"] == 1, revoked
    text = wait_for(lambda: (lambda t: t if f"{leaf}: revoked" in t else None)(
        openssl_ocsp(ocsp_ca, leaf, issuer, url)))
    elapsed = time.time() - started
    assert text and "Response verify OK" in text and "Reason: keyCompromise" in text, text
    assert "Revocation Time" in text
    assert elapsed < 1.0, elapsed
    listed = wait_for(lambda: call(ocsp_ca, f"/api/v1/certificates/{body['serial']}")[1]["crl"]["listed"], 1.5)
    assert listed is True


def test_revoked_after_acme_revoke_cert(ocsp_ca, tmp_path):
    client = AcmeClient(ocsp_ca.directory, ocsp_ca.roots)
    assert client.new_account().status == 201
    order = ready_order(client, ocsp_ca, ["acme-ocsp.example.test"])
    csr, _ = ec_csr(["acme-ocsp.example.test"])
    assert client.finalize(order, csr).status == 200
    chain = fetch_chain(client, order).decode()
    leaf_pem = chain.split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    leaf = write(tmp_path / "leaf.pem", leaf_pem)
    issuer = write(tmp_path / "issuer.pem", issuing_pem(chain.split("-----END CERTIFICATE-----", 1)[1]))
    url = ocsp_url(leaf_pem)
    assert f"{leaf}: good" in openssl_ocsp(ocsp_ca, leaf, issuer, url)
    der = x509.load_pem_x509_certificate(leaf_pem.encode()).public_bytes(serialization.Encoding.DER)
    assert client.post(client.directory["revokeCert"], {"certificate": b64(der), "reason": 4}).status == 200
    text = wait_for(lambda: (lambda t: t if f"{leaf}: revoked" in t else None)(
        openssl_ocsp(ocsp_ca, leaf, issuer, url)))
    assert text and "Reason: superseded" in text and "Response verify OK" in text, text


def test_rsa_ca_and_unknown_serial(ocsp_ca, tmp_path):
    body, leaf, issuer = issue(ocsp_ca, str(tmp_path), "email-rsa", "rsa-2048", "rsa@example.test", email=True)
    url = ocsp_url(body["certificate"])
    text = openssl_ocsp(ocsp_ca, leaf, issuer, url)
    assert "Response verify OK" in text and f"{leaf}: good" in text, text
    assert "sha256WithRSAEncryption" in text
    # A serial this CA never issued: "unknown", still signed and verifiable.
    out = run(["openssl", "ocsp", "-issuer", issuer, "-serial", "0x1234567890abcdef", "-url", url, "-CAfile",
               ocsp_ca.roots, "-no_nonce"], ok=None)
    text = (out.stdout + out.stderr).decode()
    assert "0x1234567890abcdef: unknown" in text and "Response verify OK" in text, text


def test_other_ca_is_unauthorized(ocsp_ca, tmp_path):
    folder = str(tmp_path)
    key = os.path.join(folder, "other.key")
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
         "-subj", "/CN=Other CA", "-days", "1", "-out", os.path.join(folder, "other.pem")])
    url = f"http://127.0.0.1:{http_port_of(ocsp_ca)}/ocsp/ssl-ecc-dv"
    out = run(["openssl", "ocsp", "-issuer", os.path.join(folder, "other.pem"), "-serial", "0x01", "-url", url,
               "-no_nonce"], ok=None)
    assert "Responder Error: unauthorized (6)" in (out.stdout + out.stderr).decode()


def http_port_of(ca):
    for line in open(ca.config):
        if line.startswith("http_listen:"):
            return int(line.rsplit(":", 1)[1])
    raise AssertionError("no http_listen")


def post(ca, body, path="/ocsp/ssl-ecc-dv"):
    import urllib.request
    request = urllib.request.Request(f"http://127.0.0.1:{http_port_of(ca)}{path}", data=body,
                                     headers={"Content-Type": "application/ocsp-request"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        return resp.status, dict(resp.headers), resp.read()


# DER helpers for requests openssl will not build.
def der(tag, content):
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        octets = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(octets)]) + octets
    return bytes([tag]) + length + content


def cert_id(hash_oid, serial):
    algorithm = der(0x30, der(0x06, hash_oid) + b"\x05\x00")
    return der(0x30, algorithm + der(0x04, b"\x11" * 20) + der(0x04, b"\x22" * 20) + der(0x02, serial))


def ocsp_request(ids):
    return der(0x30, der(0x30, der(0x30, b"".join(der(0x30, i) for i in ids))))


SHA1 = bytes.fromhex("2b0e03021a")
MD5 = bytes.fromhex("2a864886f70d0205")


def response_status(data):
    assert data[0] == 0x30
    # OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, ... }: find the ENUMERATED after the header.
    at = 2 if data[1] < 0x80 else 2 + (data[1] & 0x7F)
    assert data[at] == 0x0A and data[at + 1] == 1
    return data[at + 2]


def test_malformed_and_oversized_requests(ocsp_ca):
    status, headers, data = post(ocsp_ca, b"\x30\x05\x30\x03\x30\x01")
    assert status == 200 and headers["Content-Type"] == "application/ocsp-response"
    assert response_status(data) == 1  # malformedRequest
    good = ocsp_request([cert_id(SHA1, b"\x01")])
    for cut in (1, 5, len(good) - 1):
        assert response_status(post(ocsp_ca, good[:cut])[2]) == 1
    many = ocsp_request([cert_id(SHA1, i.to_bytes(2, "big")) for i in range(1, 1001)])
    status, _, data = post(ocsp_ca, many)
    assert status == 200 and response_status(data) == 1
    # An unknown hash algorithm cannot name any of our CAs: unauthorized (RFC 6960 2.3).
    assert response_status(post(ocsp_ca, ocsp_request([cert_id(MD5, b"\x01")]))[2]) == 6
    # Another method.
    import urllib.request
    import urllib.error
    request = urllib.request.Request(f"http://127.0.0.1:{http_port_of(ocsp_ca)}/ocsp/ssl-ecc-dv", method="PUT",
                                     data=b"x")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(request, timeout=10)
    assert e.value.code == 405


def test_get_with_caching_fields(ocsp_ca, tmp_path):
    body, leaf, issuer = issue(ocsp_ca, str(tmp_path), "ssl-ecc-dv", "ec-p256", "ocsp-get.example.test")
    url = ocsp_url(body["certificate"])
    req = os.path.join(str(tmp_path), "req.der")
    run(["openssl", "ocsp", "-issuer", issuer, "-cert", leaf, "-no_nonce", "-reqout", req])
    encoded = urllib.parse.quote(base64.b64encode(open(req, "rb").read()).decode(), safe="")
    status, headers, data = fetch(f"{url}/{encoded}")
    assert status == 200 and headers["Content-Type"] == "application/ocsp-response"
    max_age = int(headers["Cache-Control"].split("max-age=")[1].split(",")[0])
    assert 0 < max_age <= 12 * 3600 and "public" in headers["Cache-Control"]
    assert headers["Last-Modified"] and headers["Expires"] and headers["ETag"].startswith('"')
    resp = write(os.path.join(str(tmp_path), "resp.der"), data)
    out = run(["openssl", "ocsp", "-respin", resp, "-issuer", issuer, "-cert", leaf, "-CAfile", ocsp_ca.roots,
               "-no_nonce"], ok=None)
    text = (out.stdout + out.stderr).decode()
    assert "Response verify OK" in text and f"{leaf}: good" in text, text
    assert fetch(f"{url}/{encoded}", {"If-None-Match": headers["ETag"]})[0] == 304
    # Served from memory: the same bytes again, no new signature.
    assert fetch(f"{url}/{encoded}")[2] == data


def test_sm2_ca_answers_with_sm2(ocsp_ca, tmp_path):
    body, leaf, issuer = issue(ocsp_ca, str(tmp_path), "ssl-sm2-dv", "sm2", "ocsp-sm2.example.test")
    url = ocsp_url(body["certificate"])
    resp = os.path.join(str(tmp_path), "sm2-resp.der")
    # OpenSSL 3.0 cannot verify SM2 OCSP signatures: read the answer without verifying here; smtrust's
    # own check (ocsp status) and libgcrypt's (unit tests) verify it.
    out = run(["openssl", "ocsp", "-issuer", issuer, "-cert", leaf, "-url", url, "-no_nonce", "-noverify",
               "-respout", resp, "-resp_text"], ok=None)
    text = (out.stdout + out.stderr).decode()
    assert f"{leaf}: good" in text, text
    assert "SM2-with-SM3" in text or "1.2.156.10197.1.501" in text, text
    assert "ssl-sm2-dv OCSP Responder" in text and "OCSP No Check" in text


def test_responder_certificate_survives_restart(ocsp_ca):
    path = os.path.join(ocsp_ca.state, "ocsp", "ssl-ecc-dv.pem")
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    before = open(path, "rb").read()
    ocsp_ca.stop()
    ocsp_ca.start()
    assert open(path, "rb").read() == before
