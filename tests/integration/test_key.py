"""`smtrust key` against the real `openssl` command, both ways: keys smtrust writes load in `openssl pkey`
with the same public key, keys openssl writes load in smtrust with the same fingerprint and point."""
import hashlib
import os
import re
import stat

import pytest

ALGS = {
    # smtrust name: (line `openssl pkey -text` prints, bits)
    "sm2": ("ASN1 OID: SM2", 256),
    "ec-p256": ("ASN1 OID: prime256v1", 256),
    "ec-p384": ("ASN1 OID: secp384r1", 384),
    "rsa-2048": ("Private-Key: (2048 bit, 2 primes)", 2048),
    "rsa-3072": ("Private-Key: (3072 bit, 2 primes)", 3072),
}


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def show(smtrust, path, *extra):
    """Runs `smtrust key show` and returns its "name: value" lines as a dict."""
    out = smtrust("key", "show", path, *extra).stdout.decode()
    return dict(line.split(": ", 1) for line in out.splitlines())


def openssl_spki_sha256(openssl, path, *extra):
    der = openssl("pkey", "-in", path, *extra, "-pubout", "-outform", "DER").stdout
    return hashlib.sha256(der).hexdigest()


def openssl_public_point(openssl, path, *extra):
    """The EC public point as `openssl pkey -text` prints it (the "pub:" hex block)."""
    text = openssl("pkey", "-in", path, *extra, "-noout", "-text").stdout.decode()
    block = re.search(r"^pub:\s*\n((?:\s+[0-9a-f:]+\n)+)", text, re.M)
    assert block, text
    return re.sub(r"[\s:]", "", block.group(1))


@pytest.fixture
def passfile(tmp_path):
    path = tmp_path / "pass.txt"
    path.write_text("correct horse battery\n")
    return path


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("form", ["pem", "der", "pem-encrypted", "der-encrypted"])
def test_smtrust_keys_load_in_openssl(smtrust, openssl, tmp_path, passfile, alg, form):
    key = tmp_path / "key"
    gen = ["key", "gen", "--alg", alg, "-o", key]
    read = ["-inform", "DER"] if form.startswith("der") else []
    if form.startswith("der"):
        gen.append("--der")
    if form.endswith("encrypted"):
        gen += ["--passphrase-file", passfile]
        read += ["-passin", f"file:{passfile}"]
        openssl("pkey", "-in", key, "-inform", "DER" if form.startswith("der") else "PEM", "-passin",
                "pass:wrong", "-noout", ok=False)
    smtrust(*gen)
    assert mode(key) == 0o600
    text = openssl("pkey", "-in", key, *read, "-noout", "-text").stdout.decode()
    assert ALGS[alg][0] in text
    # The public half smtrust derives equals openssl's.
    ours = smtrust("key", "pub", key, *(["--passphrase-file", passfile] if form.endswith("encrypted") else []))
    theirs = openssl("pkey", "-in", key, *read, "-pubout")
    assert ours.stdout == theirs.stdout
    # The private half too: both re-encode to the same unencrypted PKCS#8.
    plain = tmp_path / "plain.pem"
    smtrust("key", "convert", key, "-o", plain, "--pem",
            *(["--passphrase-file", passfile] if form.endswith("encrypted") else []))
    assert plain.read_bytes() == openssl("pkey", "-in", key, *read).stdout
    info = show(smtrust, key, *(["--passphrase-file", passfile] if form.endswith("encrypted") else []))
    assert info["algorithm"] == alg and info["bits"] == str(ALGS[alg][1]) and info["type"] == "private"
    assert info["spki-sha256"] == openssl_spki_sha256(openssl, key, *read)


def test_gen_to_stdout_and_pub_out(smtrust, openssl, tmp_path):
    pem = smtrust("key", "gen", "--alg", "sm2").stdout
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert b"ASN1 OID: SM2" in openssl("pkey", "-noout", "-text", input=pem).stdout
    key, pub = tmp_path / "k.pem", tmp_path / "k.pub"
    smtrust("key", "gen", "--alg", "ec-p256", "-o", key, "--pub-out", pub)
    assert mode(key) == 0o600 and mode(pub) == 0o644
    assert pub.read_bytes() == openssl("pkey", "-in", key, "-pubout").stdout
    info = show(smtrust, pub)
    assert info["type"] == "public" and info["algorithm"] == "ec-p256"
    assert info["spki-sha256"] == show(smtrust, key)["spki-sha256"]


OPENSSL_KEYS = {
    # name: (commands writing key.pem / key.der from the passphrase file pass.txt, file, alg, needs passphrase)
    "genpkey-sm2": ([["genpkey", "-algorithm", "SM2", "-out", "key.pem"]], "key.pem", "sm2", False),
    "genpkey-p256": ([["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "key.pem"]],
                     "key.pem", "ec-p256", False),
    "genpkey-p384-der": ([["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-outform", "DER",
                           "-out", "key.der"]], "key.der", "ec-p384", False),
    "genpkey-rsa": ([["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "key.pem"]],
                    "key.pem", "rsa-2048", False),
    "ecparam-sm2": ([["ecparam", "-name", "SM2", "-genkey", "-out", "key.pem"]], "key.pem", "sm2", False),
    "ecparam-p256-sec1": ([["ecparam", "-name", "prime256v1", "-genkey", "-out", "key.pem"]], "key.pem", "ec-p256",
                          False),
    "ec-sm2-sec1": ([["genpkey", "-algorithm", "SM2", "-out", "orig.pem"], ["ec", "-in", "orig.pem", "-out", "key.pem"]],
                    "key.pem", "sm2", False),
    "ec-sm2-sec1-der": ([["genpkey", "-algorithm", "SM2", "-out", "orig.pem"],
                         ["ec", "-in", "orig.pem", "-outform", "DER", "-out", "key.der"]], "key.der", "sm2", False),
    "rsa-pkcs1": ([["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "orig.pem"],
                   ["rsa", "-in", "orig.pem", "-traditional", "-out", "key.pem"]], "key.pem", "rsa-2048", False),
    "pkcs8-encrypted-sm2": ([["ecparam", "-name", "SM2", "-genkey", "-out", "orig.pem"],
                             ["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "orig.pem", "-passout",
                              "file:pass.txt", "-out", "key.pem"]], "key.pem", "sm2", True),
    "pkcs8-encrypted-p256-der": ([["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                                   "orig.pem"],
                                  ["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "orig.pem", "-passout",
                                   "file:pass.txt", "-outform", "DER", "-out", "key.der"]], "key.der", "ec-p256", True),
    "ec-sm2-legacy-encrypted": ([["genpkey", "-algorithm", "SM2", "-out", "orig.pem"],
                                 ["ec", "-in", "orig.pem", "-aes256", "-passout", "file:pass.txt", "-out",
                                  "key.pem"]], "key.pem", "sm2", True),
}


@pytest.mark.parametrize("name", OPENSSL_KEYS)
def test_openssl_keys_load_in_smtrust(smtrust, openssl, tmp_path, passfile, monkeypatch, name):
    commands, file, alg, encrypted = OPENSSL_KEYS[name]
    monkeypatch.chdir(tmp_path)
    for command in commands:
        openssl(*command)
    key = tmp_path / file
    os.chmod(key, 0o600)
    read = ["-inform", "DER"] if file.endswith(".der") else []
    if encrypted:
        read += ["-passin", f"file:{passfile}"]
        missing = smtrust("key", "show", key, ok=False)
        assert missing.returncode == 1 and b"passphrase" in missing.stderr and str(key).encode() in missing.stderr
    info = show(smtrust, key, *(["--passphrase-file", passfile] if encrypted else []))
    assert info["algorithm"] == alg and info["type"] == "private"
    assert info["spki-sha256"] == openssl_spki_sha256(openssl, key, *read)
    if not alg.startswith("rsa"):
        assert info["public-point"] == openssl_public_point(openssl, key, *read)
    # The public key file openssl derives loads as a public key with the same fingerprint.
    pub = tmp_path / "pub.pem"
    pub.write_bytes(openssl("pkey", "-in", key, *read, "-pubout").stdout)
    assert show(smtrust, pub)["type"] == "public"
    assert show(smtrust, pub)["spki-sha256"] == info["spki-sha256"]


def test_show_never_prints_the_private_key(smtrust, openssl, tmp_path):
    key = tmp_path / "k.pem"
    smtrust("key", "gen", "--alg", "sm2", "-o", key)
    text = openssl("pkey", "-in", key, "-noout", "-text").stdout.decode()
    scalar = re.sub(r"[\s:]", "", re.search(r"^priv:\s*\n((?:\s+[0-9a-f:]+\n)+)", text, re.M).group(1))
    out = smtrust("key", "show", key).stdout.decode()
    assert len(scalar) >= 64 and scalar[-64:] not in out and "priv:" not in out


def test_convert_adds_and_removes_encryption(smtrust, openssl, tmp_path, passfile):
    plain, encrypted, back = tmp_path / "plain.pem", tmp_path / "enc.der", tmp_path / "back.pem"
    smtrust("key", "gen", "--alg", "ec-p384", "-o", plain)
    smtrust("key", "convert", plain, "-o", encrypted, "--der", "--out-passphrase-file", passfile)
    assert mode(encrypted) == 0o600
    openssl("pkey", "-in", encrypted, "-inform", "DER", "-passin", "pass:", "-noout", ok=False)
    assert openssl("pkey", "-in", encrypted, "-inform", "DER", "-passin", f"file:{passfile}").stdout == \
        openssl("pkey", "-in", plain).stdout
    smtrust("key", "convert", encrypted, "-o", back, "--pem", "--passphrase-file", passfile)
    assert back.read_bytes() == plain.read_bytes()
    # A public key converts between PEM and DER, and cannot be encrypted.
    pub, pub_der = tmp_path / "p.pem", tmp_path / "p.der"
    smtrust("key", "pub", plain, "-o", pub)
    assert mode(pub) == 0o644
    smtrust("key", "convert", pub, "-o", pub_der, "--der")
    assert pub_der.read_bytes() == openssl("pkey", "-in", plain, "-pubout", "-outform", "DER").stdout
    failed = smtrust("key", "convert", pub, "-o", tmp_path / "x", "--out-passphrase-file", passfile, ok=False)
    assert failed.returncode == 1 and b"public key" in failed.stderr


def test_refuses_to_overwrite_without_force(smtrust, openssl, tmp_path):
    key = tmp_path / "k.pem"
    smtrust("key", "gen", "--alg", "sm2", "-o", key)
    before = key.read_bytes()
    for args in (["gen", "--alg", "sm2", "-o", key], ["pub", key, "-o", key], ["convert", key, "-o", key]):
        failed = smtrust("key", *args, ok=False)
        assert failed.returncode == 1
        assert failed.stderr.startswith(f"smtrust: key {args[0]}: {key}: already exists".encode())
        assert key.read_bytes() == before
    smtrust("key", "gen", "--alg", "ec-p256", "-o", key, "--force")
    assert key.read_bytes() != before and mode(key) == 0o600
    assert show(smtrust, key)["algorithm"] == "ec-p256"
    assert sorted(os.listdir(tmp_path)) == ["k.pem"]


def test_bad_input_fails_with_a_clear_message(smtrust, openssl, tmp_path, passfile, monkeypatch):
    good = tmp_path / "good.pem"
    smtrust("key", "gen", "--alg", "sm2", "-o", good, "--passphrase-file", passfile)
    cases = {
        "empty.pem": (b"", "empty input"),
        "garbage.pem": (b"this is not a key\n", "not a key"),
        "truncated.pem": (good.read_bytes()[:150], "truncated"),
        "truncated.der": (b"\x30\x82\x01\x00\x02\x01", "truncated"),
    }
    for name, (data, needle) in cases.items():
        (tmp_path / name).write_bytes(data)
    monkeypatch.chdir(tmp_path)
    openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
            "cert.key", "-subj", "/CN=test", "-days", "1", "-out", "cert.pem")
    cases["cert.pem"] = (None, "this is a certificate, not a key")
    openssl("ecparam", "-name", "secp256k1", "-genkey", "-noout", "-out", "k1.pem")
    cases["k1.pem"] = (None, "secp256k1")
    for name, (_, needle) in cases.items():
        os.chmod(name, 0o600)
        failed = smtrust("key", "show", tmp_path / name, ok=False)
        assert failed.returncode == 1, name
        assert failed.stderr.startswith(f"smtrust: key show: {tmp_path / name}: ".encode()), failed.stderr
        assert needle.encode() in failed.stderr, (name, failed.stderr)
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not it\n")
    failed = smtrust("key", "show", good, "--passphrase-file", wrong, ok=False)
    assert failed.returncode == 1 and b"wrong passphrase" in failed.stderr
    os.chmod(good, 0o644)
    failed = smtrust("key", "show", good, "--passphrase-file", passfile, ok=False)
    assert failed.returncode == 1 and b"chmod 600" in failed.stderr and str(good).encode() in failed.stderr


@pytest.mark.parametrize("args", [
    [],
    ["gen"],
    ["gen", "--alg", "dsa"],
    ["gen", "--alg", "sm2", "--bogus"],
    ["gen", "--alg", "sm2", "extra"],
    ["show"],
    ["show", "a", "b"],
    ["show", "a", "--der"],
    ["convert", "a"],
    ["convert", "a", "-o", "b", "--der", "--pem"],
    ["frobnicate"],
])
def test_usage_errors_exit_2(smtrust, args):
    failed = smtrust("key", *args, ok=False)
    assert failed.returncode == 2
    assert b"usage:" in failed.stderr


def test_help(smtrust):
    assert b"smtrust key gen --alg" in smtrust("key", "--help").stdout
    assert smtrust("key", "show", "--help").stdout.startswith(b"usage: smtrust key show FILE")
