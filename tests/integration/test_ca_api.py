"""The operators' CA API of `smtrust ca` through curl with the operator's client certificate: a
custom-branded issuing CA made at run time (POST /api/v1/cas) issues under its name constraints, its
certificates verify with `openssl verify`, and it is still there, with what it issued, after a restart;
search, revoke, EAB keys; and the API refuses a request without a client certificate (401) or with one
from another CA than the admin CA (403)."""
import json
import os

import pytest

from ca_util import CA, write_ca_config
from conftest import SMTRUST, run

GOV_CA = "acme-gov-sm2"
DISTID = ["-vfyopt", "distid:1234567812345678"]


def call(ca, path, method="GET", data=None, cert=None, key=None, client_cert=True):
    """One API request through curl; returns (HTTP status, parsed JSON body). cert/key default to the
    operator's (state/admin/operator.*); client_cert=False sends none."""
    base = ca.directory.rsplit("/acme/", 1)[0]
    out = os.path.join(ca.folder, "api-response.json")
    args = ["curl", "-sS", "--cacert", ca.roots, "-o", out, "-w", "%{http_code}", "-X", method, base + path]
    if client_cert:
        admin = os.path.join(ca.state, "admin")
        args += ["--cert", cert or os.path.join(admin, "operator.crt"),
                 "--key", key or os.path.join(admin, "operator.key")]
    if data is not None:
        args += ["-H", "Content-Type: application/json", "--data-binary", json.dumps(data)]
    status = int(run(args).stdout.decode())
    with open(out, "rb") as f:
        text = f.read()
    return status, (json.loads(text) if text.strip() else None)


def make_key(folder, name, alg):
    key = os.path.join(folder, f"{name}.key")
    run([SMTRUST, "key", "gen", "--alg", alg, "--out", key])
    return key


def make_csr(folder, name, alg, dns):
    key = make_key(folder, name, alg)
    csr = os.path.join(folder, f"{name}.csr")
    run([SMTRUST, "cert", "req", "--key", key, "--dns", dns, "--out", csr])
    with open(csr) as f:
        return key, f.read()


def verify_sm2_link_by_link(folder, root, leaf_pem, chain_pem):
    """openssl verify sets the SM2 ID only on the certificate it verifies: the issuing CA is checked under
    the root, then the leaf under the issuing CA."""
    issuer_pem = chain_pem.split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    leaf, issuer = os.path.join(folder, "link-leaf.pem"), os.path.join(folder, "link-issuer.pem")
    with open(leaf, "w") as f:
        f.write(leaf_pem)
    with open(issuer, "w") as f:
        f.write(issuer_pem.lstrip())
    run(["openssl", "verify", *DISTID, "-CAfile", root, issuer])
    run(["openssl", "verify", *DISTID, "-partial_chain", "-CAfile", issuer, leaf])
    return issuer


@pytest.fixture(scope="module")
def api_ca(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("ca-api"))
    config, _, http_port = write_ca_config(folder)
    ca = CA(config)
    ca.http_port = http_port
    ca.init()
    ca.start()
    yield ca
    ca.stop()


@pytest.fixture(scope="module")
def gov_ca(api_ca):
    """The branded CA, made once for the module: kind ssl-sm2-dv, names under gov.example only."""
    status, body = call(api_ca, "/api/v1/cas", "POST", {
        "name": GOV_CA, "kind": "ssl-sm2-dv", "common_name": "Gov SM2 DV CA", "organization": "Gov Example Bureau",
        "permitted_dns": ["gov.example"], "excluded_dns": ["secret.gov.example"]})
    assert status == 201, body
    return body


def test_create_branded_ca(api_ca, gov_ca):
    assert gov_ca["name"] == GOV_CA and gov_ca["kind"] == "ssl-sm2-dv"
    assert gov_ca["subject"] == "C=CN, O=Gov Example Bureau, CN=Gov SM2 DV CA"
    crt = os.path.join(api_ca.folder, "gov-ca.pem")
    with open(crt, "w") as f:
        f.write(gov_ca["certificate"])
    # Signed by the SM2 root, a CA for leaves only, with the constraints asked for.
    run(["openssl", "verify", *DISTID, "-CAfile", api_ca.sm2_root, crt])
    text = run(["openssl", "x509", "-in", crt, "-noout", "-text"]).stdout.decode()
    assert "CA:TRUE, pathlen:0" in text
    assert "Permitted:\n                  DNS:gov.example" in text
    assert "Excluded:\n                  DNS:secret.gov.example" in text
    # Like the SM2 CAs of ca.yaml: no EKU in an SM2 issuing CA (GmSSL refuses one in a TLCP chain).
    assert "Extended Key Usage" not in text
    # Its files, the key private.
    key = os.path.join(api_ca.state, "cas", f"{GOV_CA}.key")
    assert os.stat(key).st_mode & 0o777 == 0o600
    assert os.path.exists(os.path.join(api_ca.state, "cas", f"{GOV_CA}.crt"))
    status, body = call(api_ca, "/api/v1/cas")
    assert status == 200
    assert GOV_CA in [c["name"] for c in body["cas"]]
    # What its leaves' AIA caIssuers URL points to is served at once, in DER.
    served = run(["curl", "-sS", "--fail", f"http://127.0.0.1:{api_ca.http_port}/ca/{GOV_CA}.crt"]).stdout
    assert served == run(["openssl", "x509", "-in", crt, "-outform", "DER"]).stdout


@pytest.mark.parametrize("change, word", [
    ({"name": "Bad_Name"}, "name"),
    ({"name": "admin"}, "name"),
    ({"name": "sm2-root"}, "name"),
    ({"kind": "ssl-sm2-xx"}, "kind"),
    ({"kind": "admin"}, "kind"),
    ({"algorithm": "ec-p256"}, "algorithm"),
    ({"validity": 60}, "validity"),
    ({"validity": "ten years"}, "validity"),
    ({"validity": 100 * 365 * 86400}, "validity"),
    ({"permitted_dns": ["not a name"]}, "permitted_dns"),
    ({"common_name": None}, "common_name"),
])
def test_create_refused(api_ca, change, word):
    request = {"name": "refused-ca", "kind": "ssl-sm2-dv", "common_name": "Refused"} | change
    request = {k: v for k, v in request.items() if v is not None}
    files = sorted(os.listdir(os.path.join(api_ca.state, "cas")))
    status, body = call(api_ca, "/api/v1/cas", "POST", request)
    assert status == 400, body
    assert body["status"] == 400 and word in body["detail"], body
    assert sorted(os.listdir(os.path.join(api_ca.state, "cas"))) == files


def test_create_existing_name(api_ca, gov_ca):
    for name in (GOV_CA, "ssl-ecc-dv"):
        status, body = call(api_ca, "/api/v1/cas", "POST", {"name": name, "kind": "ssl-ecc-dv", "common_name": "X"})
        assert status == 409, body
        assert "exists" in body["detail"]


def issue(ca, folder, name, tag, ca_name=GOV_CA, alg="sm2"):
    _, csr = make_csr(folder, f"{name}-{tag}", alg, name)
    return call(ca, "/api/v1/certificates", "POST", {"csr": csr, "ca": ca_name})


def test_issue_under_constraints_and_restart(api_ca, gov_ca):
    folder = api_ca.folder
    status, body = issue(api_ca, folder, "portal.gov.example", "first")
    assert status == 201, body
    serial = body["serial"]
    issuer = verify_sm2_link_by_link(folder, api_ca.sm2_root, body["certificate"], body["chain"])
    issuer_text = run(["openssl", "x509", "-in", issuer, "-noout", "-subject"]).stdout.decode()
    assert "Gov Example Bureau" in issuer_text
    leaf_text = run(["openssl", "x509", "-noout", "-text"], input=body["certificate"].encode()).stdout.decode()
    assert "DNS:portal.gov.example" in leaf_text
    assert f"CA Issuers - URI:http://127.0.0.1:{api_ca.http_port}/ca/{GOV_CA}.crt" in leaf_text
    for outside in ("www.other.example", "x.secret.gov.example"):
        status, refused = issue(api_ca, folder, outside, "first")
        assert status == 400, refused
        assert GOV_CA in refused["detail"]
    # After a restart the CA is loaded from the store, with its constraints.
    api_ca.stop()
    api_ca.start()
    status, body = call(api_ca, "/api/v1/cas")
    assert status == 200
    made = [c for c in body["cas"] if c["name"] == GOV_CA]
    assert made and made[0]["kind"] == "ssl-sm2-dv" and "Gov Example Bureau" in made[0]["subject"]
    status, refused = issue(api_ca, folder, "www.other.example", "restarted")
    assert status == 400, refused
    status, again = issue(api_ca, folder, "www.gov.example", "restarted")
    assert status == 201, again
    verify_sm2_link_by_link(folder, api_ca.sm2_root, again["certificate"], again["chain"])
    # The certificate issued before the restart: searched, revoked, found as revoked.
    status, found = call(api_ca, "/api/v1/certificates?name=portal.gov.example&status=valid")
    assert status == 200 and [c["serial"] for c in found["certificates"]] == [serial], found
    assert found["certificates"][0]["ca"] == GOV_CA
    status, revoked = call(api_ca, f"/api/v1/certificates/{serial}/revoke", "POST", {"reason": "keyCompromise"})
    assert status == 200 and revoked["status"] == "revoked" and revoked["revocation_reason"] == 1, revoked
    status, found = call(api_ca, "/api/v1/certificates?name=portal.gov.example&status=revoked")
    assert status == 200 and [c["serial"] for c in found["certificates"]] == [serial], found
    status, found = call(api_ca, "/api/v1/certificates?name=portal.gov.example&status=valid")
    assert status == 200 and found["certificates"] == [], found


def test_eab_key(api_ca):
    status, body = call(api_ca, "/api/v1/eab-keys", "POST")
    assert status == 201, body
    assert len(body["kid"]) >= 16 and len(body["hmac_key"]) == 43  # 32 bytes in base64url


def test_no_client_certificate(api_ca):
    status, body = call(api_ca, "/api/v1/cas", client_cert=False)
    assert status == 401, body
    status, body = call(api_ca, "/api/v1/cas", "POST", {"name": "sneaky", "kind": "iot-ecc", "common_name": "S"},
                        client_cert=False)
    assert status == 401, body
    assert not os.path.exists(os.path.join(api_ca.state, "cas", "sneaky.key"))


def test_client_certificate_of_another_ca(api_ca):
    """A certificate of ssl-ecc-dv (serverAuth + clientAuth), sent with its chain so TLS accepts it: the API
    still refuses it, because its issuer is not the admin CA."""
    folder = api_ca.folder
    key, csr = make_csr(folder, "client", "ec-p256", "client.example")
    status, body = call(api_ca, "/api/v1/certificates", "POST", {"csr": csr, "ca": "ssl-ecc-dv"})
    assert status == 201, body
    cert = os.path.join(folder, "client-chain.pem")
    with open(cert, "w") as f:
        f.write(body["certificate"] + body["chain"])
    run(["openssl", "verify", "-CAfile", api_ca.roots, "-untrusted", cert, cert])
    status, refused = call(api_ca, "/api/v1/cas", cert=cert, key=key)
    assert status == 403, refused
    status, refused = call(api_ca, "/api/v1/cas", "POST", {"name": "sneaky", "kind": "iot-ecc", "common_name": "S"},
                           cert=cert, key=key)
    assert status == 403, refused
    assert not os.path.exists(os.path.join(api_ca.state, "cas", "sneaky.key"))
