"""`smtrust acme` (the project's own ACME client, src/gateway/acme_client*.c, and its built-in http-01 responder)
against `smtrust ca` on loopback: an ECC certificate, the SM2 signing + encryption pair of docs/acme-sm2.md that
then carries a TLCP handshake, revocation, renewal information (RFC 9773), external account binding, and the
failures a user must understand: an untrusted server, a refused name, a challenge nobody answers."""
import os
import re
import signal
import stat
import subprocess
import time

import pytest

from ca_util import CA, DNSServer, free_port, write_ca_config
from conftest import SMTRUST, run
from test_ca_acme import verify_sm2_chain


def start_ca(folder, **options):
    dns = DNSServer(str(folder))
    http_port = free_port()
    config, _, _ = write_ca_config(str(folder), http_port=http_port, tls_alpn_port=free_port(),
                                   resolver=dns.address, **options)
    ca = CA(config)
    ca.init()
    try:
        ca.start()
    except BaseException:
        dns.stop()
        raise
    ca.http_port, ca.dns = http_port, dns
    return ca


def stop_ca(ca):
    try:
        ca.stop()
    finally:
        ca.dns.stop()


@pytest.fixture(scope="module")
def acme_ca(tmp_path_factory):
    ca = start_ca(tmp_path_factory.mktemp("acme-ca"))
    yield ca
    stop_ca(ca)


def acme(ca, tmp_path, command, *args, ok=True, account="account.key", roots=None):
    full = [SMTRUST, "acme", command, "--server", ca.directory, "--ca-file", roots or ca.roots]
    if account:
        full += ["--account-key", str(tmp_path / account)]
    return run(full + [str(a) for a in args], ok=ok)


def certonly(ca, tmp_path, names, *extra, ok=True, out="out", **kwargs):
    args = ["--http01", f"127.0.0.1:{ca.http_port}", "--out-dir", tmp_path / out, "--timeout", "60", *extra]
    for name in names:
        args += ["--dns", name]
    return acme(ca, tmp_path, "certonly", *args, ok=ok, **kwargs)


def printed(stdout):
    """The certificates `acme certonly` reports: role -> {path, subject, serial, not after}."""
    found = {}
    for block in re.finditer(r"^(\w+): (\S+)\n  subject: (.*)\n  serial: (\w+)\n  not after: (\S+)$",
                             stdout.decode(), re.M):
        found[block[1]] = {"path": block[2], "subject": block[3], "serial": block[4], "not_after": block[5]}
    return found


def account_line(stdout):
    match = re.search(r"^account: (\S+) \((\w+)", stdout.decode(), re.M)
    assert match, stdout
    return match[1], match[2]


def x509(path, *args):
    return run(["openssl", "x509", "-in", str(path), "-noout", *args]).stdout.decode()


def leaf_of(chain_path, out_path):
    pem = chain_path.read_bytes().split(b"-----END CERTIFICATE-----")[0] + b"-----END CERTIFICATE-----\n"
    out_path.write_bytes(pem)
    return out_path


def same_public_key(cert_path, key_path):
    cert_key = run(["openssl", "x509", "-in", str(cert_path), "-noout", "-pubkey"]).stdout
    key_pub = run(["openssl", "pkey", "-in", str(key_path), "-pubout"]).stdout
    return cert_key == key_pub


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_ecc_certificate_and_the_account_is_reused(acme_ca, tmp_path):
    names = ["www.ecc.example.test", "ecc.example.test"]
    first = certonly(acme_ca, tmp_path, names)
    url, how = account_line(first.stdout)
    assert how == "created" and "new key" in first.stdout.decode()
    assert mode(tmp_path / "account.key") == 0o600
    cert, key = tmp_path / "out" / "cert.pem", tmp_path / "out" / "key.pem"
    assert mode(key) == 0o600
    leaf = leaf_of(cert, tmp_path / "leaf.pem")
    run(["openssl", "verify", "-CAfile", acme_ca.roots, "-untrusted", str(cert), str(leaf)])
    assert same_public_key(leaf, key)
    san = x509(leaf, "-ext", "subjectAltName")
    assert "DNS:www.ecc.example.test" in san and "DNS:ecc.example.test" in san
    assert "id-ecPublicKey" in x509(leaf, "-text") and "prime256v1" in x509(leaf, "-text")
    shown = printed(first.stdout)["certificate"]
    assert shown["path"] == str(cert)
    assert shown["serial"] == x509(leaf, "-serial").split("=", 1)[1].strip().lower().lstrip("0")
    assert shown["subject"] == "CN=" + x509(leaf, "-subject", "-nameopt", "RFC2253").split("CN=", 1)[1].strip()
    account_key = (tmp_path / "account.key").read_bytes()
    # A second run with the same key finds the same account and leaves the key as it was.
    second = certonly(acme_ca, tmp_path, ["p384.example.test"], "--key-type", "ec-p384", out="out2")
    assert account_line(second.stdout) == (url, "existing")
    assert (tmp_path / "account.key").read_bytes() == account_key
    leaf2 = leaf_of(tmp_path / "out2" / "cert.pem", tmp_path / "leaf2.pem")
    assert "secp384r1" in x509(leaf2, "-text")
    run(["openssl", "verify", "-CAfile", acme_ca.roots, "-untrusted", str(tmp_path / "out2" / "cert.pem"), str(leaf2)])


@pytest.mark.parametrize("key_type,algorithm,root", [("rsa-2048", "rsaEncryption", "roots"),
                                                     ("sm2", "SM2", "sm2_root")])
def test_other_key_types(acme_ca, tmp_path, key_type, algorithm, root):
    name = f"{key_type}.example.test"
    certonly(acme_ca, tmp_path, [name], "--key-type", key_type)
    cert, key = tmp_path / "out" / "cert.pem", tmp_path / "out" / "key.pem"
    leaf = leaf_of(cert, tmp_path / "leaf.pem")
    assert algorithm in x509(leaf, "-text") and same_public_key(leaf, key) and mode(key) == 0o600
    if key_type == "sm2":  # the signing certificate alone, by the SM2 CA
        verify_sm2_chain(tmp_path, acme_ca.sm2_root, cert)
        assert "Digital Signature" in x509(leaf, "-ext", "keyUsage")
    else:
        run(["openssl", "verify", "-CAfile", getattr(acme_ca, root), "-untrusted", str(cert), str(leaf)])


class TLCPServer:
    def __init__(self, folder, log_path):
        self.log_path = log_path
        self.port = free_port()
        args = [SMTRUST, "tlcp-server", "--www", "--listen", f"127.0.0.1:{self.port}",
                "--sign-cert", folder / "sign.crt", "--sign-key", folder / "sign.key",
                "--enc-cert", folder / "enc.crt", "--enc-key", folder / "enc.key"]
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen([str(a) for a in args], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while "listening on" not in self.log():
            assert self.proc.poll() is None and time.monotonic() < deadline, self.log()
            time.sleep(0.05)

    def log(self):
        return self.log_path.read_text(errors="replace")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=15)


def test_sm2_pair_verifies_and_carries_a_tlcp_handshake(acme_ca, tmp_path):
    name = "sm2.example.test"
    proc = certonly(acme_ca, tmp_path, [name], "--key-type", "sm2-pair")
    shown = printed(proc.stdout)
    out = tmp_path / "out"
    assert set(shown) == {"signing", "encryption"}
    assert shown["signing"]["path"] == str(out / "sign.crt") and shown["encryption"]["path"] == str(out / "enc.crt")
    assert not (out / "cert.pem").exists()
    for which in ("sign", "enc"):
        assert mode(out / f"{which}.key") == 0o600
        assert same_public_key(leaf_of(out / f"{which}.crt", tmp_path / f"{which}-leaf.pem"), out / f"{which}.key")
        verify_sm2_chain(tmp_path, acme_ca.sm2_root, out / f"{which}.crt")
        assert "SM2" in x509(out / f"{which}.crt", "-text")
    sign_usage = x509(out / "sign.crt", "-ext", "keyUsage")
    enc_usage = x509(out / "enc.crt", "-ext", "keyUsage")
    assert "Digital Signature" in sign_usage and "Key Encipherment" not in sign_usage
    assert "Key Encipherment" in enc_usage and "Data Encipherment" in enc_usage
    assert "Digital Signature" not in enc_usage
    for field in (["-subject"], ["-issuer"], ["-ext", "subjectAltName"]):
        assert x509(out / "sign.crt", *field) == x509(out / "enc.crt", *field), field
    assert f"DNS:{name}" in x509(out / "sign.crt", "-ext", "subjectAltName")
    assert shown["signing"]["serial"] != shown["encryption"]["serial"]
    # The pair as a TLCP server (GB/T 38636 dual certificates); the client trusts only the SM2 root.
    server = TLCPServer(out, tmp_path / "tlcp-server.log")
    try:
        page = run([SMTRUST, "tlcp-client", f"https://{name}:{server.port}/", "--cafile", acme_ca.sm2_root,
                    "--resolve", f"{name}:{server.port}:127.0.0.1", "-v"])
    finally:
        code = server.stop()
    assert code == 0, server.log()
    facts = dict(line.split(": ", 1) for line in page.stdout.decode().splitlines() if ": " in line)
    assert facts["cipher suite"].startswith("ECC_SM4_"), facts
    assert facts["server name (SNI)"] == name
    assert "server signing certificate:" in page.stderr.decode() and "SM2 DV SSL CA" in page.stderr.decode()
    # The wrong root for the same server: the client refuses it.
    server = TLCPServer(out, tmp_path / "tlcp-server2.log")
    try:
        refused = run([SMTRUST, "tlcp-client", f"https://{name}:{server.port}/", "--cafile", acme_ca.roots,
                       "--resolve", f"{name}:{server.port}:127.0.0.1"], ok=False)
    finally:
        server.stop()
    assert refused.returncode == 1
    # Both certificates of the pair can be revoked by the account that ordered them.
    for role in ("signing", "encryption"):
        acme(acme_ca, tmp_path, "revoke", "--cert", shown[role]["path"])
        assert acme_ca.api(f"/api/v1/certificates/{shown[role]['serial']}")["status"] == "revoked"


def test_revoke_and_renewal_info(acme_ca, tmp_path):
    proc = certonly(acme_ca, tmp_path, ["revoke.example.test"])
    serial = printed(proc.stdout)["certificate"]["serial"]
    cert = tmp_path / "out" / "cert.pem"
    # RFC 9773: the window lies in the certificate's lifetime, after its start (this CA: 2/3 to 5/6).
    info = acme(acme_ca, tmp_path, "renewal-info", "--cert", cert, account=None).stdout.decode()
    start, end = re.search(r"renewal window: (\S+) \.\. (\S+)", info).groups()
    not_before = x509(cert, "-startdate").split("=", 1)[1].strip()
    not_after = x509(cert, "-enddate").split("=", 1)[1].strip()
    to_time = lambda text: time.mktime(time.strptime(text, "%b %d %H:%M:%S %Y GMT"))
    iso = lambda text: time.mktime(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))
    lifetime = to_time(not_after) - to_time(not_before)
    assert abs(iso(start) - (to_time(not_before) + lifetime * 2 / 3)) < 5
    assert abs(iso(end) - (to_time(not_before) + lifetime * 5 / 6)) < 5
    assert acme_ca.api(f"/api/v1/certificates/{serial}")["status"] == "valid"
    done = acme(acme_ca, tmp_path, "revoke", "--cert", cert, "--reason", "4")
    assert f"serial: {serial}" in done.stdout.decode()
    assert acme_ca.api(f"/api/v1/certificates/{serial}")["status"] == "revoked"
    # A revoked certificate should be replaced now.
    info = acme(acme_ca, tmp_path, "renewal-info", "--cert", cert, account=None).stdout.decode()
    start, end = re.search(r"renewal window: (\S+) \.\. (\S+)", info).groups()
    assert iso(end) <= time.mktime(time.gmtime()) + 5
    again = acme(acme_ca, tmp_path, "revoke", "--cert", cert, ok=False)
    assert again.returncode == 1 and "alreadyRevoked" in again.stderr.decode()


def test_wrong_trust_root_fails_clearly(acme_ca, tmp_path):
    proc = certonly(acme_ca, tmp_path, ["trust.example.test"], ok=False, roots=acme_ca.sm2_root)
    message = proc.stderr.decode()
    assert proc.returncode == 1
    assert f"not trusted by {acme_ca.sm2_root}" in message and acme_ca.directory in message, message
    assert not (tmp_path / "out").exists() and not (tmp_path / "account.key").exists()
    missing = certonly(acme_ca, tmp_path, ["trust.example.test"], ok=False, roots=tmp_path / "nothing.pem")
    assert "nothing.pem" in missing.stderr.decode()


def test_an_account_key_others_can_read_is_refused(acme_ca, tmp_path):
    certonly(acme_ca, tmp_path, ["mode.example.test"])
    os.chmod(tmp_path / "account.key", 0o644)
    proc = certonly(acme_ca, tmp_path, ["mode.example.test"], ok=False, out="out2")
    assert proc.returncode == 1 and "account.key" in proc.stderr.decode()
    assert not (tmp_path / "out2").exists()


def test_server_problems_reach_the_user(acme_ca, tmp_path):
    refused = certonly(acme_ca, tmp_path, ["a..example.test"], ok=False)
    message = refused.stderr.decode()
    assert "newOrder: rejectedIdentifier" in message and "a..example.test" in message, message
    # Nobody answers http-01 where the CA looks (our responder listens elsewhere): invalid, with the reason.
    elsewhere = ["--http01", f"127.0.0.1:{free_port()}"]
    unanswered = acme(acme_ca, tmp_path, "certonly", "--dns", "nobody.example.test", "--out-dir", tmp_path / "out2",
                      *elsewhere, "--timeout", "60", ok=False)
    message = unanswered.stderr.decode()
    assert "authorization of nobody.example.test is invalid: urn:ietf:params:acme:error:" in message, message
    assert not (tmp_path / "out2").exists()
    # Without a responder no challenge type can be answered.
    none = acme(acme_ca, tmp_path, "certonly", "--dns", "none.example.test", "--out-dir", tmp_path / "out3", ok=False)
    assert "no challenge type we answer" in none.stderr.decode()


def test_external_account_binding(tmp_path):
    ca = start_ca(tmp_path / "eab", eab_required=True)
    try:
        refused = certonly(ca, tmp_path, ["eab.example.test"], ok=False)
        assert "externalAccountRequired" in refused.stderr.decode()
        key = ca.api("/api/v1/eab-keys", "POST", {})
        proc = certonly(ca, tmp_path, ["eab.example.test"], "--eab-kid", key["kid"], "--eab-hmac-key", key["hmac_key"])
        assert account_line(proc.stdout)[1] == "created"
        cert = tmp_path / "out" / "cert.pem"
        run(["openssl", "verify", "-CAfile", ca.roots, "-untrusted", str(cert), str(leaf_of(cert, tmp_path / "l.pem"))])
        # A wrong HMAC key is refused by the CA (a second account key, the same kid).
        bad = certonly(ca, tmp_path, ["eab.example.test"], "--eab-kid", key["kid"], "--eab-hmac-key",
                       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ok=False, account="other.key", out="out2")
        assert "newAccount:" in bad.stderr.decode() and bad.returncode == 1
    finally:
        stop_ca(ca)


def test_usage_errors_exit_2_and_touch_nothing(tmp_path):
    base = [SMTRUST, "acme", "certonly", "--server", "https://127.0.0.1:9/acme/directory", "--account-key",
            str(tmp_path / "account.key"), "--out-dir", str(tmp_path / "out")]
    for extra, message in ((["--dns", "a.test", "--key-type", "dsa"], "--key-type: unknown type 'dsa'"),
                           ([], "at least one --dns NAME is required"),
                           (["--dns", "a.test", "--eab-kid", "k"], "--eab-kid and --eab-hmac-key go together"),
                           (["--dns", "a.test", "--reason", "x"], "--reason expects")):
        proc = run(base + extra, ok=False)
        assert proc.returncode == 2 and message in proc.stderr.decode(), proc.stderr
    assert not (tmp_path / "account.key").exists() and not (tmp_path / "out").exists()
    plain = run(base[:3] + ["--server", "http://127.0.0.1:9/dir", *base[5:], "--dns", "a.test"], ok=False)
    assert plain.returncode == 1 and "must be an https:// URL" in plain.stderr.decode()
    assert not (tmp_path / "account.key").exists()
