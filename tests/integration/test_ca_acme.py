"""The ACME server of `smtrust ca` against an independent client (acme_client.py: Python ssl +
cryptography): the whole ECC flow, the SM2 signing + encryption pair (docs/acme-sm2.md), and every refusal
a broken or hostile client gets, with the right problem type and nothing issued."""
import os
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from acme_client import AcmeClient, HTTP01Responder, b64
from ca_util import CA, DNSServer, free_port, write_ca_config
from conftest import SMTRUST, run


@pytest.fixture
def acme_ca(tmp_path):
    dns = DNSServer(str(tmp_path))
    try:
        http_port = free_port()
        config, _, _ = write_ca_config(str(tmp_path), http_port=http_port, tls_alpn_port=free_port(),
                                       resolver=dns.address)
        ca = CA(config)
        ca.init()
        ca.start()
        try:
            responder = HTTP01Responder(http_port)
            ca.responder, ca.dns, ca.tmp = responder, dns, tmp_path
            try:
                yield ca
            finally:
                responder.stop()
        finally:
            ca.stop()
    finally:
        dns.stop()


def ec_csr(names, key=None):
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
    builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER), key


def ready_order(client, ca, names):
    resp = client.new_order(names)
    assert resp.status == 201, resp.body
    order = resp.json()
    order["url"] = resp.headers["Location"]
    client.authorize_http01(order, ca.responder)
    order = client.poll(order["url"], until=("ready", "invalid")).json() | {"url": order["url"]}
    assert order["status"] == "ready", order
    return order


def fetch_chain(client, order):
    final = client.poll(order["url"]).json()
    assert final["status"] == "valid", final
    resp = client.get(final["certificate"])
    assert resp.status == 200 and resp.headers["Content-Type"] == "application/pem-certificate-chain"
    return resp.body


def test_directory_and_nonce(acme_ca):
    client = AcmeClient(acme_ca.directory, acme_ca.roots)
    for name in ("newNonce", "newAccount", "newOrder", "revokeCert", "keyChange", "renewalInfo"):
        assert client.directory[name].startswith(acme_ca.directory.rsplit("/", 1)[0])
    resp = client.request("HEAD", client.directory["newNonce"])
    assert resp.status == 200 and resp.headers["Replay-Nonce"] and resp.headers["Cache-Control"] == "no-store"
    assert client.request("GET", client.directory["newNonce"]).status == 204


def test_ecc_certificate_end_to_end(acme_ca, tmp_path):
    client = AcmeClient(acme_ca.directory, acme_ca.roots)
    resp = client.new_account(contact=["mailto:ops@example.test"])
    assert resp.status == 201 and resp.json()["status"] == "valid"
    assert client.new_account().status == 200  # the same key finds the same account
    order = ready_order(client, acme_ca, ["www.example.test", "example.test"])
    csr, _ = ec_csr(["www.example.test", "example.test"])
    resp = client.finalize(order, csr)
    assert resp.status == 200 and resp.json()["status"] == "valid", resp.body
    chain = tmp_path / "chain.pem"
    chain.write_bytes(fetch_chain(client, order))
    leaf_pem = chain.read_bytes().split(b"-----END CERTIFICATE-----")[0] + b"-----END CERTIFICATE-----\n"
    (tmp_path / "leaf.pem").write_bytes(leaf_pem)
    run(["openssl", "verify", "-CAfile", acme_ca.roots, "-untrusted", str(chain), str(tmp_path / "leaf.pem")])
    text = run(["openssl", "x509", "-in", str(tmp_path / "leaf.pem"), "-noout", "-text"]).stdout.decode()
    assert "DNS:example.test" in text and "DNS:www.example.test" in text
    assert "Subject: CN = www.example.test" in text  # the CSR's CN, not merely the first name in order
    assert "2.23.140.1.2.1" in text and "OCSP - URI:http://127.0.0.1" in text and ".crl" in text
    assert "TLS Web Server Authentication" in text


def sm2_csr(tmp_path, name, names, encryption=False):
    key = tmp_path / f"{name}.key"
    csr = tmp_path / f"{name}.csr"
    run([SMTRUST, "key", "gen", "--alg", "sm2", "--out", str(key)])
    args = [SMTRUST, "cert", "req", "--key", str(key), "--out", str(csr)]
    for n in names:
        args += ["--dns", n]
    if encryption:
        args.append("--encryption")
    run(args)
    der = run(["openssl", "req", "-in", str(csr), "-outform", "DER"]).stdout
    return der


def verify_sm2_chain(tmp_path, root, chain_path):
    """openssl verify sets the SM2 ID only on the certificate it verifies, so an SM2 chain is checked one
    link at a time: the issuing CA under the root, the leaf under the issuing CA."""
    blocks = [b + b"-----END CERTIFICATE-----\n" for b in chain_path.read_bytes().split(b"-----END CERTIFICATE-----")
              if b"BEGIN" in b]
    leaf, issuer = tmp_path / "link-leaf.pem", tmp_path / "link-issuer.pem"
    leaf.write_bytes(blocks[0].lstrip())
    issuer.write_bytes(blocks[1].lstrip())
    distid = ["-vfyopt", "distid:1234567812345678"]
    run(["openssl", "verify", *distid, "-CAfile", root, str(issuer)])
    run(["openssl", "verify", *distid, "-partial_chain", "-CAfile", str(issuer), str(leaf)])


def test_sm2_signing_and_encryption_pair(acme_ca, tmp_path):
    client = AcmeClient(acme_ca.directory, acme_ca.roots)
    resp = client.new_account()
    assert resp.status == 201, resp.body
    names = ["sm2.example.test"]
    order = ready_order(client, acme_ca, names)
    resp = client.finalize(order, sm2_csr(tmp_path, "sign", names))
    assert resp.status == 200, resp.body
    (tmp_path / "sign.pem").write_bytes(fetch_chain(client, order))
    # The second order of the same names reuses the valid authorization: ready at once.
    resp = client.new_order(names)
    assert resp.status == 201 and resp.json()["status"] == "ready", resp.body
    order2 = resp.json() | {"url": resp.headers["Location"]}
    resp = client.finalize(order2, sm2_csr(tmp_path, "enc", names, encryption=True))
    assert resp.status == 200, resp.body
    (tmp_path / "enc.pem").write_bytes(fetch_chain(client, order2))
    texts = {}
    for which in ("sign", "enc"):
        texts[which] = run(["openssl", "x509", "-in", str(tmp_path / f"{which}.pem"), "-noout", "-text"]).stdout.decode()
        verify_sm2_chain(tmp_path, acme_ca.sm2_root, tmp_path / f"{which}.pem")
    assert "Digital Signature" in texts["sign"] and "Key Encipherment" not in texts["sign"]
    assert "Key Encipherment" in texts["enc"] and "Data Encipherment" in texts["enc"]
    assert "Digital Signature" not in texts["enc"]
    for field in ("subject", "issuer", "ext"):
        sign = run(["openssl", "x509", "-in", str(tmp_path / "sign.pem"), "-noout", f"-{field}" if field != "ext" else "-ext",
                    *(["subjectAltName"] if field == "ext" else [])]).stdout
        enc = run(["openssl", "x509", "-in", str(tmp_path / "enc.pem"), "-noout", f"-{field}" if field != "ext" else "-ext",
                   *(["subjectAltName"] if field == "ext" else [])]).stdout
        assert sign == enc, field
    assert "SM2 DV SSL CA" in texts["sign"]


# --- refusals ---

def test_bad_signature_reused_nonce_wrong_url(acme_ca):
    client = AcmeClient(acme_ca.directory, acme_ca.roots)
    assert client.new_account().status == 201
    url = client.directory["newOrder"]
    payload = {"identifiers": [{"type": "dns", "value": "a.example.test"}]}
    body = client.jws(url, payload)
    tampered = body.replace('"signature": "', '"signature": "AAAA', 1)
    resp = client.request("POST", url, tampered)
    assert resp.status == 400 and resp.problem_type == "malformed", resp.body
    # A nonce is good once.
    nonce = client.new_nonce()
    first = client.request("POST", url, client.jws(url, payload, nonce=nonce))
    assert first.status == 201, first.body
    again = client.request("POST", url, client.jws(url, payload, nonce=nonce))
    assert again.status == 400 and again.problem_type == "badNonce"
    assert again.headers["Replay-Nonce"]
    resp = client.request("POST", url, client.jws(client.directory["newAccount"], payload))
    assert resp.status == 401 and resp.problem_type == "unauthorized"
    resp = client.request("POST", url, client.jws(url, payload, alg="none"))
    assert resp.status == 400 and resp.problem_type == "badSignatureAlgorithm"
    resp = client.request("POST", url, client.jws(url, payload), content_type="application/json")
    assert resp.status == 415
    stranger = AcmeClient(acme_ca.directory, acme_ca.roots)
    resp = stranger.post(url, payload, kid=client.kid.rsplit("/", 1)[0] + "/nobody")
    assert resp.status == 400 and resp.problem_type == "accountDoesNotExist"


def test_bad_csr_issues_nothing(acme_ca):
    client = AcmeClient(acme_ca.directory, acme_ca.roots)
    assert client.new_account().status == 201
    order = ready_order(client, acme_ca, ["ok.example.test"])
    csr, _ = ec_csr(["ok.example.test", "other.example.test"])
    resp = client.finalize(order, csr)
    assert resp.status == 400 and resp.problem_type == "badCSR", resp.body
    csr, _ = ec_csr(["ok.example.test"], key=client.key)
    resp = client.finalize(order, csr)
    assert resp.status == 400 and resp.problem_type == "badCSR", resp.body
    resp = client.finalize(order, b"\x30\x03\x02\x01\x00")
    assert resp.status == 400 and resp.problem_type == "badCSR", resp.body
    state = client.get(order["url"]).json()
    assert state["status"] == "ready" and "certificate" not in state
    # Still finalizable with a good CSR afterwards.
    csr, _ = ec_csr(["ok.example.test"])
    assert client.finalize(order, csr).status == 200


def test_rejected_identifiers(acme_ca):
    client = AcmeClient(acme_ca.directory, acme_ca.roots)
    assert client.new_account().status == 201
    for bad in ("-bad.example.test", "a..example.test", "*.*.example.test", "localhost", "x" * 64 + ".test"):
        resp = client.new_order([bad])
        assert resp.status == 400 and resp.problem_type == "rejectedIdentifier", (bad, resp.body)
    resp = client.post(client.directory["newOrder"], {"identifiers": [{"type": "email", "value": "a@b.test"}]})
    assert resp.status == 400 and resp.problem_type == "unsupportedIdentifier"
    wildcard = client.new_order(["*.example.test"]).json()
    authz = client.get(wildcard["authorizations"][0]).json()
    assert [c["type"] for c in authz["challenges"]] == ["dns-01"] and authz["wildcard"] is True


def test_failed_http01_makes_order_invalid(acme_ca):
    client = AcmeClient(acme_ca.directory, acme_ca.roots)
    assert client.new_account().status == 201
    resp = client.new_order(["fail.example.test"])
    order = resp.json() | {"url": resp.headers["Location"]}
    authz = client.get(order["authorizations"][0]).json()
    challenge = next(c for c in authz["challenges"] if c["type"] == "http-01")
    acme_ca.responder.tokens[challenge["token"]] = "wrong"
    assert client.post(challenge["url"], {}).status == 200
    final = client.poll(order["authorizations"][0], until=("valid", "invalid")).json()
    assert final["status"] == "invalid"
    problem = final["challenges"][0]["error"] if "error" in final["challenges"][0] else \
        next(c["error"] for c in final["challenges"] if "error" in c)
    assert problem["type"].endswith("incorrectResponse"), problem
    assert client.get(order["url"]).json()["status"] == "invalid"


def test_revoke_deactivate_and_key_change(acme_ca):
    client = AcmeClient(acme_ca.directory, acme_ca.roots)
    assert client.new_account().status == 201
    order = ready_order(client, acme_ca, ["rev.example.test"])
    csr, cert_key = ec_csr(["rev.example.test"])
    assert client.finalize(order, csr).status == 200
    pem = fetch_chain(client, order)
    cert = x509.load_pem_x509_certificate(pem)
    der = cert.public_bytes(serialization.Encoding.DER)
    # ARI: a window inside the validity.
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    serial = cert.serial_number.to_bytes((cert.serial_number.bit_length() + 8) // 8, "big")
    info = client.request("GET", f"{client.directory['renewalInfo']}/{b64(aki)}.{b64(serial)}")
    assert info.status == 200 and "suggestedWindow" in info.json() and info.headers["Retry-After"]
    other_aki = bytes(len(aki))  # right serial, another issuer: not ours
    assert client.request("GET", f"{client.directory['renewalInfo']}/{b64(other_aki)}.{b64(serial)}").status == 404
    # Another account may not revoke it; the certificate's own key may.
    other = AcmeClient(acme_ca.directory, acme_ca.roots)
    assert other.new_account().status == 201
    resp = other.post(client.directory["revokeCert"], {"certificate": b64(der)})
    assert resp.status == 403 and resp.problem_type == "unauthorized"
    resp = client.post(client.directory["revokeCert"], {"certificate": b64(der), "reason": 7})
    assert resp.status == 400 and resp.problem_type == "badRevocationReason"
    resp = other.post(client.directory["revokeCert"], {"certificate": b64(der), "reason": 1}, key=cert_key,
                      use_jwk=True)
    assert resp.status == 200, resp.body
    resp = client.post(client.directory["revokeCert"], {"certificate": b64(der)})
    assert resp.status == 400 and resp.problem_type == "alreadyRevoked"
    # Key roll-over: the old key stops working, the new one finds the account.
    new_key = ec.generate_private_key(ec.SECP256R1())
    other_key = other.key
    resp = client.key_change(other_key)  # a key another account has: conflict, nothing changed
    assert resp.status == 409 and resp.problem_type == "conflict", resp.body
    resp = client.key_change(new_key)
    assert resp.status == 200, resp.body
    old_kid = client.kid
    assert client.get(old_kid).status == 200
    assert AcmeClient(acme_ca.directory, acme_ca.roots, key=new_key).new_account(onlyReturnExisting=True).headers[
        "Location"] == old_kid
    # Deactivation is final.
    assert client.post(old_kid, {"status": "deactivated"}).json()["status"] == "deactivated"
    resp = client.new_order(["after.example.test"])
    assert resp.status == 401 and resp.problem_type == "unauthorized"


def test_validated_organization_gets_ov(acme_ca, tmp_path):
    """An account the operator marks as a validated organisation (CA API) gets SM2 OV certificates."""
    client = AcmeClient(acme_ca.directory, acme_ca.roots)
    assert client.new_account().status == 201
    account_id = client.kid.rsplit("/", 1)[1]
    marked = acme_ca.api(f"/api/v1/accounts/{account_id}", "POST", {"organization": "Example Gov Bureau"})
    assert marked["organization"] == "Example Gov Bureau"
    names = ["ov.example.test"]
    order = ready_order(client, acme_ca, names)
    resp = client.finalize(order, sm2_csr(tmp_path, "ov", names))
    assert resp.status == 200, resp.body
    (tmp_path / "ov.pem").write_bytes(fetch_chain(client, order))
    text = run(["openssl", "x509", "-in", str(tmp_path / "ov.pem"), "-noout", "-text"]).stdout.decode()
    assert "O = Example Gov Bureau" in text and "2.23.140.1.2.2" in text and "SM2 OV SSL CA" in text
    # An EC key of the same account still gets the ECC DV certificate (there is no ECC OV CA).
    csr, _ = ec_csr(names)
    order = ready_order(client, acme_ca, names)
    assert client.finalize(order, csr).status == 200


def test_order_rate_limit(tmp_path):
    dns = DNSServer(str(tmp_path))
    config, _, _ = write_ca_config(str(tmp_path), resolver=dns.address, orders_per_hour=2)
    ca = CA(config)
    ca.init()
    ca.start()
    try:
        client = AcmeClient(ca.directory, ca.roots)
        assert client.new_account().status == 201
        assert client.new_order(["r1.example.test"]).status == 201
        assert client.new_order(["r2.example.test"]).status == 201
        resp = client.new_order(["r3.example.test"])
        assert resp.status == 429 and resp.problem_type == "rateLimited" and resp.headers["Retry-After"]
        other = AcmeClient(ca.directory, ca.roots)  # the limit is per account
        assert other.new_account().status == 201
        assert other.new_order(["r4.example.test"]).status == 201
    finally:
        ca.stop()
        dns.stop()


def ari_cert_id(pem):
    """RFC 9773 4.1 for a PEM certificate: base64url(AKI keyIdentifier) "." base64url(serial DER octets)."""
    cert = x509.load_pem_x509_certificate(pem)
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    serial = cert.serial_number.to_bytes((cert.serial_number.bit_length() + 8) // 8, "big")
    return f"{b64(aki)}.{b64(serial)}"


def issue(client, ca, names, **order_fields):
    order = ready_order(client, ca, names) if not order_fields else None
    if order is None:
        resp = client.new_order(names, **order_fields)
        assert resp.status == 201, resp.body
        order = resp.json() | {"url": resp.headers["Location"]}
        client.authorize_http01(order, ca.responder)
        order = client.poll(order["url"], until=("ready", "invalid")).json() | {"url": order["url"]}
    csr, _ = ec_csr(names)
    assert client.finalize(order, csr).status == 200
    return fetch_chain(client, order)


def test_replaces_is_checked(acme_ca):
    """RFC 9773 5: a newOrder's "replaces" must name a certificate of this CA issued to this account, and
    not one a finalized order replaced already (409 alreadyReplaced); the order that replaces is kept."""
    names = ["replace.example.test"]
    client = AcmeClient(acme_ca.directory, acme_ca.roots)
    assert client.new_account().status == 201
    first = ari_cert_id(issue(client, acme_ca, names))
    second_pem = issue(client, acme_ca, names, replaces=first)  # renews the first
    again = client.new_order(names, replaces=first)
    assert again.status == 409 and again.problem_type == "alreadyReplaced", again.body
    second = ari_cert_id(second_pem)
    other = AcmeClient(acme_ca.directory, acme_ca.roots)
    assert other.new_account().status == 201
    foreign = other.new_order(names, replaces=second)
    assert foreign.status == 400 and foreign.problem_type == "malformed" and "this account" in foreign.json()["detail"]
    for bad in ("not-an-id", first.split(".")[0] + ".AQID", 42):  # no dot, a serial never issued, not a string
        resp = client.new_order(names, replaces=bad)
        assert resp.status == 400 and resp.problem_type == "malformed", (bad, resp.body)
    assert client.new_order(names, replaces=second).status == 201  # the second is still replaceable
