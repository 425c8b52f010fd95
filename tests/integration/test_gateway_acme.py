"""Issue 7: the gateway obtains its own certificates by ACME for sites with `certificates: auto`
(src/gateway/autocert.h, challenges answered by src/gateway/challenges.h), checked as a user would:

  - Pebble (Let's Encrypt's test CA) issues the ECC certificate, validated by http-01 on the gateway's redirect
    listener and, separately, by tls-alpn-01 on its https listener; a TLS client verifying against Pebble's root
    and the site's name gets it, and the state folder keeps the keys private (0600).
  - `smtrust ca` issues the SM2 signing + encryption pair and the ECC certificate: TLCP (smtrust tlcp-client)
    and TLS (curl) both reach the origin.
  - dns-01 through acme.dns_hook for a wildcard name.
  - a restart serves the same certificates and orders nothing; two gateways sharing one state_dir order once.
  - configurations that cannot work are refused by --check with "file:line: key: message".
Renewal (under load, and while the CA is down) is in test_gateway_acme_renewal.py."""
import os
import re
import socket
import ssl
import stat
import time

import pytest
from cryptography.x509 import DNSName, SubjectAlternativeName

from conftest import SMTRUST, run
from gateway_util import Gateway, Origin, curl, echo_json, gateway_config, write_config
from pebble_util import (DNSServer, Pebble, ca_certificates, count_by_kind, free_port, private_key_files,
                         serial_hex, start_gateway, start_smtrust_ca, stop_all, tlcp_fetch, tls_certificate,
                         wait_tls_certificate)

ISSUE_TIMEOUT = 40  # seconds from the gateway's start to a served certificate (ASan build included)


def auto_site(origin_url, names, name=None):
    site = {"names": list(names), "certificates": "auto", "origin": origin_url}
    if name:
        site["name"] = name
    return site


def acme_section(state_dir, ecc=None, sm2=None, **extra):
    """acme: for issuers given as (directory, ca_file); short retries so a test never waits minutes."""
    acme = {}
    if ecc:
        acme["ecc"] = {"directory": ecc[0], "ca_file": str(ecc[1])}
    if sm2:
        acme["sm2"] = {"directory": sm2[0], "ca_file": str(sm2[1])}
    acme["email"] = ["ops@example.test"]
    acme["state_dir"] = str(state_dir)
    acme["retry_min"] = "1s"
    acme["retry_max"] = "5s"
    acme["order_timeout"] = "30s"
    acme.update(extra)
    return acme


def write_gateway(tmp_path, name, https_port, sites, acme, redirect_port=None, admin_port=None, **extra):
    config = gateway_config(https_port, sites, tmp_path / f"{name}-access.log", admin_port=admin_port,
                            redirect_port=redirect_port, acme=acme, **extra)
    return write_config(tmp_path / f"{name}.yaml", config)


def dns_names(cert):
    return cert.extensions.get_extension_for_class(SubjectAlternativeName).value.get_values_for_type(DNSName)


def fetch_tls(port, name, cafile, path="/echo"):
    """curl over TLS with SNI name, verified against cafile only; returns (HTTP status, body)."""
    proc = curl("--cacert", cafile, "--resolve", f"{name}:{port}:127.0.0.1", "-o", "-", "-w", "\n%{http_code}",
                f"https://{name}:{port}{path}")
    body, _, code = proc.stdout.decode().rpartition("\n")
    return int(code), body


def wait_tlcp(port, name, sm2_root, timeout, log=None):
    """Polls `smtrust tlcp-client` until a verified TLCP handshake and a response; returns (proc, serial)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = tlcp_fetch(port, name, sm2_root, path="/echo", ok=None)
        if last[0].returncode == 0:
            return last
        time.sleep(0.3)
    raise AssertionError(f"no TLCP connection to {name} after {timeout}s: "
                         f"{last[0].stderr.decode(errors='replace')[-1500:] if last else ''}\n{log() if log else ''}")


def http_status_of(tlcp_proc):
    match = re.search(r"^\* HTTP status: (\d+)$", tlcp_proc.stderr.decode(errors="replace"), re.M)
    return int(match[1]) if match else None


def assert_keys_private(state_dir, expected_names):
    keys = private_key_files(state_dir)
    names = {os.path.basename(path) for path in keys}
    assert expected_names <= names, f"expected private keys {expected_names} in {state_dir}, found {sorted(keys)}"
    loose = {path: oct(mode) for path, mode in keys.items() if mode != 0o600}
    assert not loose, f"private keys readable by others: {loose}"
    assert stat.S_IMODE(os.stat(state_dir).st_mode) & 0o077 == 0, "state_dir is open to others"


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


# --- Pebble ---

@pytest.mark.parametrize("challenge", ["http-01", "tls-alpn-01"])
def test_pebble_issues_the_ecc_certificate(tmp_path, dns, origin, challenge):
    """(a) http-01 answered on the redirect listener, (b) tls-alpn-01 on the https listener. Pebble validates
    only the port of the challenge under test (the other one points at a closed port), so the certificate
    can only come from that challenge being answered."""
    https_port, redirect_port, closed_port = free_port(), free_port(), free_port()
    name = "shop.example.test"
    if challenge == "http-01":
        pebble_http, pebble_tls, redirect = redirect_port, closed_port, redirect_port
    else:
        pebble_http, pebble_tls, redirect = closed_port, https_port, None
    pebble = gateway = None
    try:
        pebble = Pebble(str(tmp_path / "pebble"), dns.address, pebble_http, pebble_tls)
        state = tmp_path / "acme-state"
        acme = acme_section(state, ecc=(pebble.directory, pebble.https_root), challenges=[challenge])
        config = write_gateway(tmp_path, "gateway", https_port, [auto_site(origin.url, [name])], acme,
                               redirect_port=redirect)
        run([SMTRUST, "gateway", "-c", config, "--check"])
        gateway = start_gateway(config, tmp_path)
        cert = wait_tls_certificate(https_port, name, pebble.root, ISSUE_TIMEOUT, f"from pebble by {challenge}",
                                    log=lambda: gateway.log() + "\n--- pebble ---\n" + pebble.log()[-3000:])
        # Python's ssl verified the chain up to Pebble's root and the name; the leaf names exactly the site.
        sans = dns_names(cert)
        assert sans == [name], sans
        code, body = fetch_tls(https_port, name, pebble.root)
        assert code == 200 and echo_json(body)["path"] == "/echo", body
        assert_keys_private(state, {"account.key", "key.pem"})
        if challenge == "tls-alpn-01":
            # RFC 8737 3: with no challenge pending, acme-tls/1 gets no certificate (the site's is never shown).
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            context.set_alpn_protocols(["acme-tls/1"])
            with pytest.raises((ssl.SSLError, ConnectionError)):
                with socket.create_connection(("127.0.0.1", https_port), timeout=5) as raw:
                    with context.wrap_socket(raw, server_hostname=name) as conn:
                        conn.getpeercert(binary_form=True)
        assert gateway.alive(), gateway.log()
    finally:
        stop_all(gateway, pebble)


# --- smtrust ca: the SM2 pair and the ECC certificate ---

def start_ca_and_gateway(tmp_path, dns, origin, name, validity=None, admin=False, gateway_extra=None, site_extra=None,
                         **acme_extra):
    """smtrust ca validating on the gateway's ports, and the gateway with one auto site for name ordering
    both kinds from it (gateway_extra: more top-level gateway keys, site_extra: more keys of the site).
    Returns (ca, gateway, https_port, config path, admin port)."""
    https_port, redirect_port = free_port(), free_port()
    admin_port = free_port() if admin else None
    ca = start_smtrust_ca(str(tmp_path / "ca"), dns, redirect_port, https_port, validity=validity)
    try:
        issuer = (ca.directory, ca.roots)
        acme = acme_section(tmp_path / "acme-state", ecc=issuer, sm2=issuer, **acme_extra)
        site = {**auto_site(origin.url, [name]), **(site_extra or {})}
        config = write_gateway(tmp_path, "gateway", https_port, [site], acme, redirect_port=redirect_port,
                               admin_port=admin_port, **(gateway_extra or {}))
        gateway = start_gateway(config, tmp_path)
    except BaseException:
        stop_all(ca)
        raise
    return ca, gateway, https_port, config, admin_port


def test_smtrust_ca_issues_the_sm2_pair_and_the_ecc_certificate(tmp_path, dns, origin):
    name = "portal.example.test"
    ca, gateway, port, _, _ = start_ca_and_gateway(tmp_path, dns, origin, name)
    try:
        log = lambda: gateway.log() + "\n--- ca ---\n" + ca.stderr_text()[-3000:]  # noqa: E731
        cert = wait_tls_certificate(port, name, ca.roots, ISSUE_TIMEOUT, "from smtrust ca", log=log)
        tlcp, sign_serial = wait_tlcp(port, name, ca.sm2_root, ISSUE_TIMEOUT, log=log)
        # TLCP: the pair verified against the SM2 root only, an SM2 suite, and the origin's answer.
        assert http_status_of(tlcp) == 200, tlcp.stderr
        assert echo_json(tlcp.stdout)["path"] == "/echo"
        assert "cipher suite: ECC_SM4_" in tlcp.stderr.decode() or "cipher suite: ECDHE_SM4_" in tlcp.stderr.decode()
        assert "server encryption certificate:" in tlcp.stderr.decode()
        # TLS: curl trusting the ECC root only.
        code, body = fetch_tls(port, name, ca.roots)
        assert code == 200 and echo_json(body)["path"] == "/echo", body
        # What the CA issued is what is served: one ECC certificate, one SM2 pair, all for the site's name.
        records = ca_certificates(ca, name)
        assert count_by_kind(records) == {"ecc": 1, "sm2": 2}, records
        serials = {r["serial"].lower().lstrip("0") for r in records}
        assert serial_hex(cert) in serials and sign_serial in serials, (serial_hex(cert), sign_serial, records)
        assert_keys_private(tmp_path / "acme-state", {"account.key", "key.pem", "sign.key", "enc.key"})
    finally:
        stop_all(gateway, ca)


def test_restart_serves_the_same_certificates_and_orders_nothing(tmp_path, dns, origin):
    name = "again.example.test"
    ca, gateway, port, config, _ = start_ca_and_gateway(tmp_path, dns, origin, name)
    try:
        log = lambda: gateway.log() + "\n--- ca ---\n" + ca.stderr_text()[-3000:]  # noqa: E731
        first_tls = serial_hex(wait_tls_certificate(port, name, ca.roots, ISSUE_TIMEOUT, log=log))
        first_tlcp = wait_tlcp(port, name, ca.sm2_root, ISSUE_TIMEOUT, log=log)[1]
        issued = ca_certificates(ca, name)
        assert count_by_kind(issued) == {"ecc": 1, "sm2": 2}, issued
        assert gateway.stop() == 0, gateway.log()
        gateway = start_gateway(config, tmp_path)
        # The files on disk are served at once: no order, no wait for a CA.
        cert = wait_tls_certificate(port, name, ca.roots, 10, "after the restart", log=log)
        assert serial_hex(cert) == first_tls
        proc, again_tlcp = wait_tlcp(port, name, ca.sm2_root, 10, log=log)
        assert again_tlcp == first_tlcp and http_status_of(proc) == 200
        time.sleep(3)  # room for an order the restart should not have made
        assert ca_certificates(ca, name) == issued
        assert serial_hex(tls_certificate(port, name, ca.roots)) == first_tls
    finally:
        stop_all(gateway, ca)


# --- dns-01 through acme.dns_hook ---

def write_dns_hook(tmp_path, records_dir):
    """The hook of acme.dns_hook: `HOOK present|cleanup FQDN VALUE` publishes or withdraws a TXT record in
    dns_server.py's folder (one file per value), and logs each call."""
    hook, calls = tmp_path / "dns-hook.sh", tmp_path / "dns-hook.calls"
    hook.write_text("#!/bin/sh\n"
                    f'echo "$1 $2" >> "{calls}"\n'
                    'case "$1" in\n'
                    f'present) echo "$2 $3" > "{records_dir}/$3" ;;\n'
                    f'cleanup) rm -f "{records_dir}/$3" ;;\n'
                    '*) exit 2 ;;\n'
                    "esac\n")
    hook.chmod(0o755)
    return hook, calls


def test_dns01_wildcard_through_the_hook(tmp_path, dns, origin):
    https_port = free_port()
    closed = free_port()  # neither http-01 nor tls-alpn-01 can be answered: dns-01 it must be
    ca = gateway = None
    try:
        ca = start_smtrust_ca(str(tmp_path / "ca"), dns, closed, closed)
        hook, calls = write_dns_hook(tmp_path, dns.records)
        acme = acme_section(tmp_path / "acme-state", ecc=(ca.directory, ca.roots), challenges=["dns-01"],
                            dns_hook=str(hook))
        config = write_gateway(tmp_path, "gateway", https_port, [auto_site(origin.url, ["*.w.test"])], acme)
        run([SMTRUST, "gateway", "-c", config, "--check"])
        gateway = start_gateway(config, tmp_path)
        log = lambda: gateway.log() + "\n--- ca ---\n" + ca.stderr_text()[-3000:]  # noqa: E731
        for host in ("a.w.test", "other.w.test"):
            cert = wait_tls_certificate(https_port, host, ca.roots, ISSUE_TIMEOUT, "by dns-01", log=log)
            code, body = fetch_tls(https_port, host, ca.roots)
            assert code == 200 and echo_json(body)["path"] == "/echo", body
        sans = dns_names(cert)
        assert sans == ["*.w.test"], sans
        lines = calls.read_text().splitlines()
        fqdns = {line.split()[1].rstrip(".").lower() for line in lines}
        assert fqdns == {"_acme-challenge.w.test"}, lines
        assert [line.split()[0] for line in lines].count("present") >= 1 and "cleanup" in lines[-1], lines
        # Every record published was withdrawn once validated.
        assert os.listdir(dns.records) == [], os.listdir(dns.records)
    finally:
        stop_all(gateway, ca)


# --- two gateways, one state_dir ---

def test_two_gateways_sharing_a_state_dir_order_once(tmp_path, dns, origin):
    """A cluster: both gateways serve the same site from one acme.state_dir; dns-01 (a shared DNS zone) lets
    either of them answer. The site's lock lets one order; the other serves what it wrote."""
    name = "shared.example.test"
    closed = free_port()
    ca = None
    gateways = []
    try:
        ca = start_smtrust_ca(str(tmp_path / "ca"), dns, closed, closed)
        hook, _ = write_dns_hook(tmp_path, dns.records)
        issuer = (ca.directory, ca.roots)
        ports = []
        for which in ("one", "two"):
            port = free_port()
            acme = acme_section(tmp_path / "shared-state", ecc=issuer, sm2=issuer, challenges=["dns-01"],
                                dns_hook=str(hook))
            config = write_gateway(tmp_path, which, port, [auto_site(origin.url, [name])], acme)
            ports.append(port)
            gateways.append(Gateway(config, tmp_path, expect_ready=False))
        for gateway in gateways:
            gateway.wait_ready(20)  # the finally below stops both, ready or not

        def log():
            return "\n".join(f"--- gateway {i} ---\n{g.log()}" for i, g in enumerate(gateways))

        tls_serials = {serial_hex(wait_tls_certificate(port, name, ca.roots, ISSUE_TIMEOUT, log=log))
                       for port in ports}
        tlcp_serials = {wait_tlcp(port, name, ca.sm2_root, ISSUE_TIMEOUT, log=log)[1] for port in ports}
        assert len(tls_serials) == 1 and len(tlcp_serials) == 1, (tls_serials, tlcp_serials)
        time.sleep(3)  # a second order, if one were coming, would be under way by now
        issued = ca_certificates(ca, name)
        assert count_by_kind(issued) == {"ecc": 1, "sm2": 2}, (issued, log())
        for port in ports:
            assert serial_hex(tls_certificate(port, name, ca.roots)) in tls_serials
    finally:
        stop_all(*gateways, ca)


# --- configurations refused by --check ---

def check_refused(tmp_path, config, expected_key, expected_message, line_of):
    path = write_config(tmp_path / "bad.yaml", config)
    text = path.read_text().splitlines()
    proc = run([SMTRUST, "gateway", "-c", path, "--check"], ok=False)
    assert proc.returncode == 1, proc
    output = (proc.stdout + proc.stderr).decode()
    errors = [line for line in output.splitlines() if re.match(r"^\S+:\d+: \S+: ", line)]
    assert errors, output
    matching = [line for line in errors if f": {expected_key}: " in line and expected_message in line]
    assert matching, f"no '{expected_key}: ...{expected_message}...' line in:\n{output}"
    # The line named is the one holding the offending key or item.
    expected_line = next(i + 1 for i, line in enumerate(text) if line_of(line))
    assert re.match(rf"^(\S*/)?{re.escape(path.name)}:{expected_line}: ", matching[0]), (matching[0], expected_line)


def base_config(tmp_path, sites, acme=None):
    config = gateway_config(free_port(), sites, tmp_path / "access.log", redirect_port=free_port())
    if acme is not None:
        config["acme"] = acme
    return config


def test_check_accepts_an_auto_site(tmp_path):
    acme = {"ecc": {"directory": "https://127.0.0.1:9/directory"}, "state_dir": str(tmp_path / "state")}
    config = base_config(tmp_path, [auto_site("http://127.0.0.1:9", ["ok.example.test"])], acme)
    path = write_config(tmp_path / "good.yaml", config)
    proc = run([SMTRUST, "gateway", "-c", path, "--check"])
    assert b"ok" in proc.stdout + proc.stderr


def test_check_refuses_auto_without_a_directory(tmp_path):
    config = base_config(tmp_path, [auto_site("http://127.0.0.1:9", ["a.example.test"])])
    check_refused(tmp_path, config, "sites[0].certificates", "acme.ecc.directory",
                  lambda line: line.strip() == 'certificates: "auto"')


def test_check_refuses_a_wildcard_without_dns01(tmp_path):
    acme = {"ecc": {"directory": "https://127.0.0.1:9/directory"}}
    config = base_config(tmp_path, [auto_site("http://127.0.0.1:9", ["*.w.test"])], acme)
    check_refused(tmp_path, config, "sites[0].names[0]", "dns-01", lambda line: line.strip() == '- "*.w.test"')


def test_check_refuses_sm2_files_beside_auto(tmp_path):
    acme = {"sm2": {"directory": "https://127.0.0.1:9/directory"}}
    site = auto_site("http://127.0.0.1:9", ["b.example.test"])
    site["sm2"] = {"sign_cert": "s.crt", "sign_key": "s.key", "enc_cert": "e.crt", "enc_key": "e.key"}
    config = base_config(tmp_path, [site], acme)
    check_refused(tmp_path, config, "sites[0]", "leave out sm2", lambda line: line.strip() == "- names:")
