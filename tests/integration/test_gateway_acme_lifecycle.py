"""Issue 7, the life of an automatic certificate beyond obtaining and renewing on schedule:

  - renewal information (RFC 9773): a certificate revoked at the CA while the gateway is down is replaced soon
    after the gateway starts, because the CA's renewalInfo then suggests renewing now (the lifetime alone would
    wait 60 days);
  - SIGHUP: a site added with `certificates: auto` gets its certificates, a site whose names change gets a
    certificate for the new names, and the sites that did not change order nothing;
  - http-01 on the plain listener: the challenge path of a token the gateway is not answering goes on as any
    request (a redirect), so the port stays usable for redirects."""
import socket
import ssl
import time

import pytest

from gateway_util import Gateway, Origin, curl, gateway_config, write_config
from pebble_util import (DNSServer, ca_certificates, count_by_kind, free_port, serial_hex, start_smtrust_ca,
                         stop_all, tls_certificate, wait_tls_certificate)
from test_gateway_acme import ISSUE_TIMEOUT, acme_section, auto_site, dns_names, start_ca_and_gateway


@pytest.fixture
def dns(tmp_path):
    server = DNSServer(str(tmp_path))
    yield server
    server.stop()


@pytest.fixture
def origin(tmp_path):
    server = Origin(tmp_path)
    yield server
    server.stop()


def wait_for(predicate, timeout, what, log):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"{what} after {timeout}s\n{log()}")


def test_a_revoked_certificate_is_replaced_after_the_renewal_information_says_so(tmp_path, dns, origin):
    name = "revoked.example.test"
    # OCSP stapling would see the revocation first (test_gateway_acme_renewal.py tests that way): off here, so
    # that only the renewal information can replace the certificate
    ca, gateway, port, config, _ = start_ca_and_gateway(tmp_path, dns, origin, name, site_extra={"ocsp_stapling": False})
    try:
        log = lambda: gateway.log() + "\n--- ca ---\n" + ca.stderr_text()[-3000:]  # noqa: E731
        first = serial_hex(wait_tls_certificate(port, name, ca.roots, ISSUE_TIMEOUT, log=log))
        assert gateway.stop() == 0, gateway.log()
        record = next(r for r in ca_certificates(ca, name) if r["serial"].lower().lstrip("0") == first)
        revoked = ca.api(f"/api/v1/certificates/{record['serial']}/revoke", "POST", {"reason": "keyCompromise"})
        assert revoked["status"] == "revoked", revoked
        gateway = Gateway(config, tmp_path)
        # Served at once from the state folder, then replaced once the renewal information is asked.
        assert serial_hex(wait_tls_certificate(port, name, ca.roots, 10, log=log)) == first
        second = wait_for(lambda: (s := serial_hex(tls_certificate(port, name, ca.roots))) != first and s,
                          20, "the revoked certificate still served", log)
        assert second != first
        assert "renewal information" in gateway.log()
        # Only the ECC certificate was revoked: the SM2 pair stays as it was.
        assert count_by_kind(ca_certificates(ca, name)) == {"ecc": 2, "sm2": 2}
    finally:
        stop_all(gateway, ca)


def test_sighup_orders_for_new_and_changed_sites_only(tmp_path, dns, origin):
    https_port, redirect_port = free_port(), free_port()
    ca = start_smtrust_ca(str(tmp_path / "ca"), dns, redirect_port, https_port)
    gateway = None
    try:
        issuer = (ca.directory, ca.roots)
        acme = acme_section(tmp_path / "acme-state", ecc=issuer)
        path = tmp_path / "gateway.yaml"

        def write(sites):
            write_config(path, gateway_config(https_port, sites, tmp_path / "access.log",
                                              redirect_port=redirect_port, acme=acme))

        write([auto_site(origin.url, ["kept.example.test"], name="kept"),
               auto_site(origin.url, ["renamed.example.test"], name="renamed")])
        gateway = Gateway(path, tmp_path)
        log = lambda: gateway.log() + "\n--- ca ---\n" + ca.stderr_text()[-3000:]  # noqa: E731
        kept = serial_hex(wait_tls_certificate(https_port, "kept.example.test", ca.roots, ISSUE_TIMEOUT, log=log))
        wait_tls_certificate(https_port, "renamed.example.test", ca.roots, ISSUE_TIMEOUT, log=log)

        write([auto_site(origin.url, ["kept.example.test"], name="kept"),
               auto_site(origin.url, ["renamed.example.test", "www.renamed.example.test"], name="renamed"),
               auto_site(origin.url, ["added.example.test"], name="added")])
        assert "reloaded" in gateway.reload(), gateway.log()
        added = wait_tls_certificate(https_port, "added.example.test", ca.roots, ISSUE_TIMEOUT, "after SIGHUP", log=log)
        assert dns_names(added) == ["added.example.test"]
        renamed = wait_for(lambda: (c := tls_certificate(https_port, "www.renamed.example.test", ca.roots)) and
                           len(dns_names(c)) == 2 and c, ISSUE_TIMEOUT, "no certificate for the new names", log)
        assert sorted(dns_names(renamed)) == ["renamed.example.test", "www.renamed.example.test"]
        time.sleep(2)  # room for an order the reload should not have made
        assert serial_hex(tls_certificate(https_port, "kept.example.test", ca.roots)) == kept
        assert count_by_kind(ca_certificates(ca, "kept.example.test")) == {"ecc": 1, "sm2": 0}
    finally:
        stop_all(gateway, ca)


def test_an_unknown_challenge_token_is_redirected_like_any_request(tmp_path, origin):
    https_port, redirect_port = free_port(), free_port()
    # An ACME server nobody answers: the gateway keeps retrying, the redirect listener keeps working.
    acme = acme_section(tmp_path / "acme-state", ecc=(f"https://127.0.0.1:{free_port()}/directory",
                                                      tmp_path / "none.pem"))
    (tmp_path / "none.pem").write_text("")
    path = write_config(tmp_path / "gateway.yaml",
                        gateway_config(https_port, [auto_site(origin.url, ["site.example.test"])],
                                       tmp_path / "access.log", redirect_port=redirect_port, acme=acme))
    gateway = Gateway(path, tmp_path)
    try:
        for method in ("GET", "HEAD"):
            proc = curl("-sS", "-X", method, "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                        "-H", "Host: site.example.test",
                        f"http://127.0.0.1:{redirect_port}/.well-known/acme-challenge/unknownToken_1")
            code, location = proc.stdout.decode().split(" ", 1)
            assert code == "308", proc.stdout
            assert location == f"https://site.example.test:{https_port}/.well-known/acme-challenge/unknownToken_1"
        # The site has no certificate yet: its TLS handshake is refused (unrecognized_name), never served another.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
            with socket.create_connection(("127.0.0.1", https_port), timeout=5) as sock:
                context.wrap_socket(sock, server_hostname="site.example.test")
        assert gateway.alive()
    finally:
        stop_all(gateway)
