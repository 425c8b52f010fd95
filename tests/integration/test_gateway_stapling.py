"""OCSP stapling in the gateway (RFC 6066 8), seen by `openssl s_client -status`: a site certificate whose AIA
names OpenSSL's own responder (`openssl ocsp -index`) is stapled "good" over TLS 1.3 and 1.2, and "revoked"
(with the reason) once the index says so and a refresh passed; with the responder down the cached response is
stapled until its nextUpdate and then no staple is sent at all; a response signed by a responder the issuer
never certified is never stapled; a reload serving the same certificate fetches nothing new; `ocsp_stapling:
false` staples nothing and asks nobody. The admin GET /certificates and /metrics show the state."""
import http.client
import json
import time

import pytest

from conftest import SMTRUST, run
from gateway_util import site_config, wait_until
from ocsp_util import PKI, Responder, ShortResponder, free_port

pytest_plugins = ("gateway_util",)  # the origin and start_gateway fixtures


def site(pki, leaf, key, origin, names=("site.test",), **extra):
    chain = pki.folder / f"{leaf.stem}-chain.pem"
    chain.write_text(leaf.read_text() + pki.root.read_text())  # the issuer follows the leaf
    config = site_config(pki.folder, origin.url, names=list(names), sm2=False, ecc=False, **extra)
    config["ecc"] = {"cert": str(chain), "key": str(key)}
    return config


def s_client(gateway, pki, *extra, name="site.test"):
    out = run(["openssl", "s_client", "-connect", f"127.0.0.1:{gateway.https_port}", "-servername", name,
               "-status", "-CAfile", str(pki.root), "-verify_return_error", *extra], input=b"", ok=None)
    return out.stdout.decode(errors="replace")


def admin(gateway, path):
    conn = http.client.HTTPConnection("127.0.0.1", gateway.admin_port, timeout=5)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    assert response.status == 200, body
    return body


def stapling(gateway):
    return json.loads(admin(gateway, "/certificates"))["stapling"]


def stapled_leaf(tmp_path, serial, validity):
    """Our PKI's leaf for site.test whose AIA names a ShortResponder (answers valid for `validity` seconds)."""
    pki = PKI(tmp_path)
    port = free_port()
    leaf, key = pki.leaf("site", "site.test", serial, f"http://127.0.0.1:{port}")
    return pki, leaf, key, ShortResponder(leaf, pki.root, pki.responder, pki.responder_key, validity=validity,
                                          port=port)


def test_good_then_revoked(tmp_path, start_gateway, origin):
    pki = PKI(tmp_path)
    port = free_port()
    leaf, key = pki.leaf("site", "site.test", 0x2001, f"http://127.0.0.1:{port}")
    responder = Responder(pki, port, nmin=1)  # nextUpdate a minute after thisUpdate
    try:
        gateway = start_gateway([site(pki, leaf, key, origin)], admin=True, ocsp_stapling_refresh="1s")
        text = wait_until(lambda: (lambda t: t if "Cert Status: good" in t else None)(s_client(gateway, pki)), 10,
                          "a good staple")
        assert "OCSP Response Status: successful" in text and "Verify return code: 0 (ok)" in text, text
        assert "Cert Status: good" in s_client(gateway, pki, "-tls1_2")
        [entry] = stapling(gateway)
        assert entry["site"] == "site.test" and entry["kind"] == "ecc" and entry["stapled"] is True, entry
        assert entry["status"] == "good" and entry["next_update"] is not None and entry["failures"] == 0, entry
        assert entry["url"] == f"http://127.0.0.1:{port}"
        metrics = admin(gateway, "/metrics")
        assert 'smtrust_gateway_ocsp_staple_valid{site="site.test",kind="ecc"} 1' in metrics
        pki.revoke(0x2001, "keyCompromise")
        # OpenSSL 3.0's responder reads its index once: start it again on the same port with the new one; the
        # gateway refreshes within a second or two (ocsp_stapling_refresh: 1s)
        responder.stop()
        responder = Responder(pki, port, nmin=1)
        text = wait_until(lambda: (lambda t: t if "Cert Status: revoked" in t else None)(s_client(gateway, pki)), 15,
                          "a revoked staple")
        assert "Revocation Reason: keyCompromise (0x1)" in text, text
        assert "REVOKED according to its OCSP responder" in gateway.log()
    finally:
        responder.stop()


def test_expired_response_is_not_stapled_when_the_responder_is_down(tmp_path, start_gateway, origin):
    pki, leaf, key, responder = stapled_leaf(tmp_path, 0x2002, validity=4)
    stopped = False
    try:
        gateway = start_gateway([site(pki, leaf, key, origin)], admin=True)
        wait_until(lambda: "Cert Status: good" in s_client(gateway, pki), 10, "a good staple")
        responder.stop()
        stopped = True
        went_down = time.monotonic()
        # stapled while valid, then nothing: never a stale response
        text = wait_until(lambda: (lambda t: t if "OCSP response: no response sent" in t else None)(
            s_client(gateway, pki)), 10, "no staple after nextUpdate")
        assert time.monotonic() - went_down < 8
        assert "Verify return code: 0 (ok)" in text  # the handshake itself goes on
        [entry] = stapling(gateway)
        assert entry["stapled"] is False and entry["failures"] >= 1 and entry["last_error"], entry
        assert 'smtrust_gateway_ocsp_staple_valid{site="site.test",kind="ecc"} 0' in admin(gateway, "/metrics")
    finally:
        if not stopped:
            responder.stop()


def test_untrusted_signer_is_never_stapled(tmp_path, start_gateway, origin):
    pki = PKI(tmp_path / "ours")
    other = PKI(tmp_path / "other", name="Other Root")
    port = free_port()
    leaf, key = pki.leaf("site", "site.test", 0x2003, f"http://127.0.0.1:{port}")
    # a responder certified by another CA answers for our certificate
    rogue = ShortResponder(leaf, pki.root, other.responder, other.responder_key, validity=600, port=port)
    try:
        gateway = start_gateway([site(pki, leaf, key, origin)], admin=True)
        entry = wait_until(lambda: (lambda e: e if e[0]["failures"] >= 1 else None)(stapling(gateway)), 10,
                           "a refused response")[0]
        assert rogue.requests >= 1
        assert "not issued by the certificate's issuer" in entry["last_error"], entry
        assert entry["stapled"] is False and entry["status"] is None, entry
        assert "OCSP response: no response sent" in s_client(gateway, pki)
    finally:
        rogue.stop()


def test_reload_keeps_the_cached_staple_and_off_asks_nobody(tmp_path, start_gateway, origin):
    pki, leaf, key, responder = stapled_leaf(tmp_path, 0x2004, validity=600)
    try:
        gateway = start_gateway([site(pki, leaf, key, origin)], admin=True)
        wait_until(lambda: "Cert Status: good" in s_client(gateway, pki), 10, "a good staple")
        assert responder.requests == 1
        assert "reloaded" in gateway.reload()
        assert "Cert Status: good" in s_client(gateway, pki)  # served by the new runtime at once
        time.sleep(1)
        assert responder.requests == 1  # the new runtime found the cached response
        off = start_gateway([site(pki, leaf, key, origin, ocsp_stapling=False)], name="off")
        assert "OCSP response: no response sent" in s_client(off, pki)
        time.sleep(0.5)
        assert responder.requests == 1
    finally:
        responder.stop()


def test_smtrust_ca_responder_and_status_command(tmp_path, start_gateway, origin):
    """A certificate from smtrust ca's API, served by the gateway: the staple is our own CA's delegated
    responder's answer, "good", then "revoked" a refresh after the API revoked it; `smtrust gateway status`
    shows it in its OCSP stapling table."""
    from ca_util import CA, write_ca_config
    from test_ca_api import call, make_csr
    folder = tmp_path / "ca"
    folder.mkdir()
    config, _, _ = write_ca_config(str(folder), http_port=free_port(), tls_alpn_port=free_port())
    ca = CA(config)
    ca.init()
    ca.start()
    try:
        key, csr = make_csr(str(tmp_path), "leaf", "ec-p256", "site.test")
        code, body = call(ca, "/api/v1/certificates", "POST", {"csr": csr, "ca": "ssl-ecc-dv"})
        assert code == 201, body
        chain = tmp_path / "leaf-chain.pem"
        chain.write_text(body["certificate"] + body["chain"])
        config = site_config(tmp_path, origin.url, names=["site.test"], sm2=False, ecc=False)
        config["ecc"] = {"cert": str(chain), "key": key}
        gateway = start_gateway([config], admin=True, ocsp_stapling_refresh="1s")
        connect = ["openssl", "s_client", "-connect", f"127.0.0.1:{gateway.https_port}", "-servername", "site.test",
                   "-status", "-CAfile", ca.roots, "-verify_return_error"]
        staple = lambda: run(connect, input=b"", ok=None).stdout.decode(errors="replace")  # noqa: E731
        text = wait_until(lambda: (lambda t: t if "Cert Status: good" in t else None)(staple()), 15, "a good staple")
        assert "ssl-ecc-dv OCSP Responder" in text and "Verify return code: 0 (ok)" in text, text
        # curl --cert-status requires a verified, good staple (exit 91 otherwise)
        curl = ["curl", "-sS", "--cert-status", "--cacert", ca.roots, "--resolve",
                f"site.test:{gateway.https_port}:127.0.0.1", f"https://site.test:{gateway.https_port}/"]
        assert run(curl, ok=None).returncode == 0
        code, _ = call(ca, f"/api/v1/certificates/{body['serial']}/revoke", "POST", {"reason": "keyCompromise"})
        assert code == 200
        text = wait_until(lambda: (lambda t: t if "Cert Status: revoked" in t else None)(staple()), 15,
                          "a revoked staple")
        assert "Revocation Reason: keyCompromise (0x1)" in text, text
        refused = run(curl, ok=None)
        assert refused.returncode == 91 and b"revocation reason: keyCompromise" in refused.stderr, refused.stderr
        table = run([SMTRUST, "gateway", "status", "-c", str(gateway.config_path)]).stdout.decode()
        assert table.startswith("no sites with certificates: auto\n\nOCSP stapling:\n"), table
        heads, row = table.splitlines()[3:5]
        assert heads.split() == ["SITE", "KIND", "STAPLED", "OCSP", "NEXT-UPDATE", "NEXT-FETCH", "PROBLEM"], table
        assert row.split()[:4] == ["site.test", "ecc", "yes", "revoked"] and row.endswith("  -"), table
    finally:
        ca.stop()


def test_many_sites_each_get_their_own_staple(tmp_path, start_gateway, origin):
    """40 sites, one responder (`openssl ocsp -index`) for all their certificates, one of them revoked: each
    handshake gets the staple of the certificate it was sent, found by the leaf's hash among all of them."""
    pki = PKI(tmp_path)
    port = free_port()
    sites = []
    for i in range(40):
        leaf, key = pki.leaf(f"s{i}", f"s{i}.test", 0x3000 + i, f"http://127.0.0.1:{port}")
        sites.append(site(pki, leaf, key, origin, names=[f"s{i}.test"]))
    pki.revoke(0x3007)
    responder = Responder(pki, port, nmin=10)
    try:
        gateway = start_gateway(sites, admin=True)
        wait_until(lambda: all(e["status"] for e in stapling(gateway)) and len(stapling(gateway)) == 40, 30,
                   "40 staples")
        for i, expected in ((0, "good"), (7, "revoked"), (23, "good"), (39, "good")):
            text = s_client(gateway, pki, name=f"s{i}.test")
            assert f"Serial Number: {0x3000 + i:04X}" in text and f"Cert Status: {expected}" in text, (i, text)
        assert sorted(e["site"] for e in stapling(gateway) if e["status"] == "revoked") == ["s7.test"]
    finally:
        responder.stop()
