"""certbot and lego (Debian's, unmodified) against `smtrust ca` on loopback: obtain, renew and revoke ECC
certificates with http-01, dns-01 (through tests/integration/dns_server.py, which the CA uses as its
resolver) and tls-alpn-01 (lego). Every certificate is checked with `openssl verify` against the CA's
root, and revocations are read back through the CA API with the operator's client certificate."""
import json
import os
import stat

import pytest

from ca_util import CA, DNSServer, free_port, write_ca_config
from conftest import run


@pytest.fixture
def ca_env(tmp_path, request):
    dns = DNSServer(str(tmp_path))
    try:
        http_port, tls_port = free_port(), free_port()
        eab_required = "eab" in request.node.name
        config, port, _ = write_ca_config(str(tmp_path), http_port=http_port, tls_alpn_port=tls_port,
                                          resolver=dns.address, eab_required=eab_required)
        ca = CA(config)
        ca.init()
        ca.start()
        ca.http_port, ca.tls_port, ca.dns, ca.port = http_port, tls_port, dns, port
        try:
            yield ca
        finally:
            ca.stop()
    finally:
        dns.stop()


def api(ca, path, method="GET", data=None):
    return ca.api(path, method, data)


def serial_of(pem_path):
    out = run(["openssl", "x509", "-in", pem_path, "-noout", "-serial"]).stdout.decode()
    return out.strip().split("=", 1)[1].lower().lstrip("0")


def verify_leaf(ca, fullchain, name):
    run(["openssl", "verify", "-CAfile", ca.roots, "-untrusted", fullchain, fullchain])
    text = run(["openssl", "x509", "-in", fullchain, "-noout", "-ext", "subjectAltName"]).stdout.decode()
    assert f"DNS:{name}" in text


def hook_script(tmp_path, records):
    """A hook for certbot --manual-auth-hook/--manual-cleanup-hook and lego's exec provider: one file per
    TXT record in dns_server.py's records folder (values are base64url, safe as file names)."""
    path = tmp_path / "dns-hook.sh"
    path.write_text(f"""#!/bin/sh
if [ -n "$CERTBOT_DOMAIN" ]; then
    if [ -n "$CERTBOT_AUTH_OUTPUT" ]; then rm -f "{records}/$CERTBOT_VALIDATION"
    else echo "_acme-challenge.$CERTBOT_DOMAIN $CERTBOT_VALIDATION" > "{records}/$CERTBOT_VALIDATION"; fi
    exit 0
fi
case "$1" in
present) echo "$2 $3" > "{records}/$3" ;;
cleanup) rm -f "{records}/$3" ;;
esac
""")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def certbot(ca, tmp_path, *args):
    dirs = ["--config-dir", str(tmp_path / "cb"), "--work-dir", str(tmp_path / "cb-work"), "--logs-dir",
            str(tmp_path / "cb-logs")]
    return run(["certbot", *args, *dirs, "--non-interactive", "--server", ca.directory],
               env={"REQUESTS_CA_BUNDLE": ca.roots})


def test_certbot_http01_obtain_renew_revoke(ca_env, tmp_path):
    name = "certbot.example.test"
    certbot(ca_env, tmp_path, "certonly", "--standalone", "--http-01-port", str(ca_env.http_port),
            "--http-01-address", "127.0.0.1", "--agree-tos", "--register-unsafely-without-email", "-d", name)
    fullchain = str(tmp_path / "cb" / "live" / name / "fullchain.pem")
    verify_leaf(ca_env, fullchain, name)
    first = serial_of(fullchain)
    certbot(ca_env, tmp_path, "renew", "--force-renewal", "--no-random-sleep-on-renew", "--http-01-port", str(ca_env.http_port),
            "--http-01-address", "127.0.0.1")
    second = serial_of(fullchain)
    assert second != first
    verify_leaf(ca_env, fullchain, name)
    certbot(ca_env, tmp_path, "revoke", "--cert-path", str(tmp_path / "cb" / "live" / name / "cert.pem"),
            "--reason", "keycompromise", "--no-delete-after-revoke")
    record = api(ca_env, f"/api/v1/certificates/{second}")
    assert record["status"] == "revoked" and record["revocation_reason"] == 1
    assert api(ca_env, f"/api/v1/certificates/{first}")["status"] == "valid"


def test_certbot_dns01(ca_env, tmp_path):
    name = "dns.example.test"
    hook = hook_script(tmp_path, ca_env.dns.records)
    certbot(ca_env, tmp_path, "certonly", "--manual", "--preferred-challenges", "dns", "--manual-auth-hook", hook,
            "--manual-cleanup-hook", hook, "--agree-tos", "--register-unsafely-without-email", "-d", name,
            "-d", f"*.{name}")
    fullchain = str(tmp_path / "cb" / "live" / name / "fullchain.pem")
    verify_leaf(ca_env, fullchain, f"*.{name}")


def lego(ca, tmp_path, *args):
    return run(["lego", "--server", ca.directory, "--email", "ops@example.test", "--accept-tos",
                "--path", str(tmp_path / "lego"), *args], env={"LEGO_CA_CERTIFICATES": ca.roots})


def test_lego_http01_obtain_renew_revoke(ca_env, tmp_path):
    name = "lego.example.test"
    solver = ["--http", "--http.port", f"127.0.0.1:{ca_env.http_port}"]
    lego(ca_env, tmp_path, "--domains", name, *solver, "run")
    crt = str(tmp_path / "lego" / "certificates" / f"{name}.crt")
    verify_leaf(ca_env, crt, name)
    first = serial_of(crt)
    lego(ca_env, tmp_path, "--domains", name, *solver, "renew", "--days", "365", "--no-random-sleep")
    second = serial_of(crt)
    assert second != first
    lego(ca_env, tmp_path, "--domains", name, "revoke")
    assert api(ca_env, f"/api/v1/certificates/{second}")["status"] == "revoked"


def test_lego_tls_alpn01(ca_env, tmp_path):
    name = "alpn.example.test"
    lego(ca_env, tmp_path, "--domains", name, "--tls", "--tls.port", f"127.0.0.1:{ca_env.tls_port}", "run")
    verify_leaf(ca_env, str(tmp_path / "lego" / "certificates" / f"{name}.crt"), name)


def test_lego_dns01(ca_env, tmp_path):
    name = "legodns.example.test"
    hook = hook_script(tmp_path, ca_env.dns.records)
    run(["lego", "--server", ca_env.directory, "--email", "ops@example.test", "--accept-tos", "--path",
         str(tmp_path / "lego"), "--domains", name, "--dns", "exec", "--dns.resolvers", ca_env.dns.address,
         "--dns.disable-cp", "run"], env={"LEGO_CA_CERTIFICATES": ca_env.roots, "EXEC_PATH": hook,
                                          "EXEC_POLLING_INTERVAL": "1", "EXEC_PROPAGATION_TIMEOUT": "30"})
    verify_leaf(ca_env, str(tmp_path / "lego" / "certificates" / f"{name}.crt"), name)


def test_eab_required_certbot_and_lego(ca_env, tmp_path):
    """External account binding (RFC 8555 7.3.4) required: no key, no account; each key binds one account."""
    name = "eab.example.test"
    http = ["--standalone", "--http-01-port", str(ca_env.http_port), "--http-01-address", "127.0.0.1"]
    args = ["certbot", "certonly", *http, "--agree-tos", "--register-unsafely-without-email", "-d", name,
            "--config-dir", str(tmp_path / "cb"), "--work-dir", str(tmp_path / "w"), "--logs-dir",
            str(tmp_path / "l"), "--non-interactive", "--server", ca_env.directory]
    refused = run(args, ok=False, env={"REQUESTS_CA_BUNDLE": ca_env.roots})
    assert b"externalAccountRequired" in refused.stdout + refused.stderr or b"external account" in refused.stderr.lower()
    key = api(ca_env, "/api/v1/eab-keys", "POST", {})
    run(args + ["--eab-kid", key["kid"], "--eab-hmac-key", key["hmac_key"]], env={"REQUESTS_CA_BUNDLE": ca_env.roots})
    verify_leaf(ca_env, str(tmp_path / "cb" / "live" / name / "fullchain.pem"), name)
    # The same key cannot bind a second account (lego with a new account key).
    lego_args = ["lego", "--server", ca_env.directory, "--email", "ops@example.test", "--accept-tos", "--path",
                 str(tmp_path / "lego"), "--domains", "eab2.example.test", "--http", "--http.port",
                 f"127.0.0.1:{ca_env.http_port}", "--eab", "--kid", key["kid"], "--hmac", key["hmac_key"], "run"]
    refused = run(lego_args, ok=False, env={"LEGO_CA_CERTIFICATES": ca_env.roots})
    assert b"unauthorized" in refused.stdout + refused.stderr
    second = api(ca_env, "/api/v1/eab-keys", "POST", {})
    lego_args[lego_args.index(key["kid"])] = second["kid"]
    lego_args[lego_args.index(key["hmac_key"])] = second["hmac_key"]
    run(lego_args, env={"LEGO_CA_CERTIFICATES": ca_env.roots})
    verify_leaf(ca_env, str(tmp_path / "lego" / "certificates" / "eab2.example.test.crt"), "eab2.example.test")
