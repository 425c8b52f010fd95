"""`smtrust ocsp status CERT` against OpenSSL's own responder (`openssl ocsp -index`): good (exit 0), revoked
with the reason (exit 1), unknown for a serial the index does not list (exit 3), by GET and by POST, with and
without a nonce, the issuer from the PEM chain, from --issuer and from the caIssuers URL, the --json form; a
response signed by a responder the issuer never certified is refused (exit 2), as is an unreachable
responder; and against the OCSP responder of `smtrust ca` (a certificate issued through its API)."""
import json

import pytest

from conftest import SMTRUST, run
from ocsp_util import PKI, FileServer, Responder, free_port


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ocsp-client")
    pki = PKI(folder)
    port = free_port()
    issuers = FileServer(pki.root_der)
    url = f"http://127.0.0.1:{port}"
    ca_issuers = f"http://127.0.0.1:{issuers.port}/root.der"
    good = pki.leaf("good", "good.test", 0x1001, url, ca_issuers)
    revoked = pki.leaf("revoked", "revoked.test", 0x1002, url, ca_issuers)
    unknown = pki.leaf("unknown", "unknown.test", 0x1003, url, ca_issuers, listed=False)
    pki.revoke(0x1002, "keyCompromise")
    responder = Responder(pki, port)
    yield {"pki": pki, "url": url, "good": good[0], "revoked": revoked[0], "unknown": unknown[0], "folder": folder}
    responder.stop()
    issuers.stop()


def status(*args):
    return run([SMTRUST, "ocsp", "status", *map(str, args)], ok=None)


def test_good_with_the_issuer_given(world):
    out = status(world["good"], "--issuer", world["pki"].root)
    text = out.stdout.decode()
    assert out.returncode == 0, out.stderr
    assert "status: good" in text
    assert "thisUpdate: 20" in text and "producedAt: 20" in text
    # openssl ocsp -index without -nmin/-ndays gives no nextUpdate
    assert "nextUpdate: none" in text
    assert "responder: CN=OCSP Responder (delegated)" in text, text
    # RFC 5019 5: a short request goes by GET, base64 URL-encoded after the responder URL
    assert f"asked: GET {world['url']}/M" in text, text


def test_revoked_shows_time_and_reason(world):
    out = status(world["revoked"], "--issuer", world["pki"].root, "--post")
    text = out.stdout.decode()
    assert out.returncode == 1, (out.stdout, out.stderr)
    assert "status: revoked" in text and "revocation reason: keyCompromise" in text, text
    assert "revocation time: 20" in text
    assert f"asked: POST {world['url']}\n" in text, text


def test_unknown_serial(world):
    out = status(world["unknown"], "--issuer", world["pki"].root)
    assert out.returncode == 3, (out.stdout, out.stderr)
    assert "status: unknown" in out.stdout.decode()


def test_issuer_from_the_pem_chain_and_from_ca_issuers(world):
    chain = world["folder"] / "good-chain.pem"
    chain.write_text(world["good"].read_text() + world["pki"].root.read_text())
    assert status(chain).returncode == 0
    # one certificate alone: the issuer comes from the caIssuers URL (DER served over HTTP)
    out = status(world["good"], "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["status"] == "good" and doc["delegated"] is True and "OCSP Responder" in doc["responder"], doc
    assert doc["method"] == "GET" and doc["url"].startswith(world["url"] + "/")
    assert doc["next_update"] is None and doc["this_update"].endswith("Z")


def test_nonce_is_echoed_by_openssl(world):
    # OpenSSL's responder copies the nonce back (RFC 8954); a nonce sent must come back, so this verifies it
    out = status(world["revoked"], "--issuer", world["pki"].root, "--nonce", "--json")
    assert out.returncode == 1, out.stderr
    assert json.loads(out.stdout)["revocation_reason"] == "keyCompromise"


def test_wrong_signer_is_refused(world, tmp_path):
    other = PKI(tmp_path, name="Other Root")
    port = free_port()
    # the responder signs with a certificate of another CA, claiming to answer for our root
    rogue = Responder(world["pki"], port, rsigner=other.responder, rkey=other.responder_key)
    try:
        out = status(world["good"], "--issuer", world["pki"].root, "--url", f"http://127.0.0.1:{port}")
    finally:
        rogue.stop()
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert out.stdout == b""
    assert b"the responder certificate is not issued by the certificate's issuer" in out.stderr, out.stderr


def test_unreachable_responder_and_usage(world):
    out = status(world["good"], "--issuer", world["pki"].root, "--url", f"http://127.0.0.1:{free_port()}",
                 "--timeout", "2")
    assert out.returncode == 2 and b"127.0.0.1" in out.stderr, out.stderr
    assert status().returncode == 2
    assert run([SMTRUST, "ocsp", "--help"]).stdout.decode().count("exit status") == 1


@pytest.fixture(scope="module")
def smtrust_ca(tmp_path_factory):
    from ca_util import CA, write_ca_config
    folder = str(tmp_path_factory.mktemp("ocsp-client-ca"))
    config, _, _ = write_ca_config(folder, http_port=free_port(), tls_alpn_port=free_port())
    ca = CA(config)
    ca.init()
    ca.start()
    yield ca
    ca.stop()


@pytest.mark.parametrize("ca_name,alg", [("ssl-ecc-dv", "ec-p256"), ("ssl-sm2-dv", "sm2")])
def test_smtrust_ca_responder(smtrust_ca, tmp_path, ca_name, alg):
    """A certificate from the CA's API: its AIA names the CA's responder and its caIssuers URL; the answer is
    signed by the CA's delegated responder (SM2-with-SM3 for the SM2 CA), good, then revoked after a revoke."""
    from test_ca_api import call, make_csr
    _, csr = make_csr(str(tmp_path), "leaf", alg, f"client-{alg}.example.test")
    code, body = call(smtrust_ca, "/api/v1/certificates", "POST", {"csr": csr, "ca": ca_name})
    assert code == 201, body
    leaf = tmp_path / "leaf.pem"
    leaf.write_text(body["certificate"])
    out = status(leaf, "--json")  # the issuer from the certificate's caIssuers URL
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["status"] == "good" and f"{ca_name} OCSP Responder" in doc["responder"], doc
    assert doc["method"] == "GET" and f"/ocsp/{ca_name}/" in doc["url"], doc
    assert doc["next_update"] is not None
    code, _ = call(smtrust_ca, f"/api/v1/certificates/{body['serial']}/revoke", "POST", {"reason": "superseded"})
    assert code == 200
    out = status(leaf, "--post")
    assert out.returncode == 1, (out.stdout, out.stderr)
    assert "revocation reason: superseded" in out.stdout.decode()
