"""smtrust sign/verify/encrypt/decrypt against the `openssl` command (OpenSSL 3.0) as an independent peer,
in both directions, with keys made by either tool.

OpenSSL 3.0 invocations that work for SM2 here (checked by hand first):
  signatures:  openssl dgst -sm3 -sign key.pem -sigopt distid:ID -out sig msg
               openssl dgst -sm3 -verify pub.pem -sigopt distid:ID -signature sig msg
               (without -sigopt distid, 3.0's dgst hashes an EMPTY ID, not the GM/T 0009 default
               1234567812345678, so the ID is always given explicitly)
  encryption:  openssl pkeyutl -encrypt -pubin -inkey pub.pem -in msg -out ct   (GM/T 0009 ASN.1, SM3)
               openssl pkeyutl -decrypt -inkey key.pem -in ct -out msg
OpenSSL has no raw C1||C3||C2 form, so the raw tests convert with a small DER codec written here,
independently of smtrust's.
"""
import os
import stat

import pytest

DEFAULT_ID = "1234567812345678"


@pytest.fixture(params=["openssl", "smtrust"])
def sm2_keys(request, tmp_path, openssl, smtrust):
    """An SM2 key pair (key.pem mode 0600, pub.pem) made by openssl genpkey or smtrust key gen."""
    key, pub = tmp_path / "key.pem", tmp_path / "pub.pem"
    if request.param == "openssl":
        openssl("genpkey", "-algorithm", "SM2", "-out", key)
        os.chmod(key, 0o600)
        openssl("pkey", "-in", key, "-pubout", "-out", pub)
    else:
        smtrust("key", "gen", "--alg", "sm2", "-o", key, "--pub-out", pub)
    return key, pub


def write(path, data):
    path.write_bytes(data)
    return path


# --- a DER codec for the GM/T 0009 SEQUENCE { INTEGER x, INTEGER y, OCTET STRING hash, OCTET STRING c2 } ---

def der_header(tag, length):
    if length < 0x80:
        return bytes([tag, length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(body)]) + body


def der_read(data, pos, tag):
    assert data[pos] == tag, f"tag {data[pos]:#x} at {pos}, expected {tag:#x}"
    length, pos = data[pos + 1], pos + 2
    if length & 0x80:
        n = length & 0x7F
        length, pos = int.from_bytes(data[pos:pos + n], "big"), pos + n
    return data[pos:pos + length], pos + length


def asn1_to_raw(der):
    seq, end = der_read(der, 0, 0x30)
    assert end == len(der)
    x, pos = der_read(seq, 0, 0x02)
    y, pos = der_read(seq, pos, 0x02)
    c3, pos = der_read(seq, pos, 0x04)
    c2, pos = der_read(seq, pos, 0x04)
    assert pos == len(seq) and len(c3) == 32
    coordinate = lambda v: int.from_bytes(v, "big").to_bytes(32, "big")
    return b"\x04" + coordinate(x) + coordinate(y) + c3 + c2


def raw_to_asn1(raw):
    assert raw[0] == 4
    def integer(v):
        v = v.lstrip(b"\x00") or b"\x00"
        if v[0] & 0x80:
            v = b"\x00" + v
        return der_header(0x02, len(v)) + v
    body = (integer(raw[1:33]) + integer(raw[33:65]) + der_header(0x04, 32) + raw[65:97]
            + der_header(0x04, len(raw) - 97) + raw[97:])
    return der_header(0x30, len(body)) + body


# --- signatures ---

@pytest.mark.parametrize("distid", [DEFAULT_ID, "ALICE123@YAHOO.COM"])
def test_smtrust_signs_openssl_verifies(sm2_keys, tmp_path, smtrust, openssl, distid):
    key, pub = sm2_keys
    msg = write(tmp_path / "msg", os.urandom(1000))
    sig = tmp_path / "sig"
    args = ["sign", "--key", key, "--in", msg, "--out", sig]
    if distid != DEFAULT_ID:
        args += ["--id", distid]
    smtrust(*args)
    assert 8 <= len(sig.read_bytes()) <= 72 and sig.read_bytes()[0] == 0x30
    ok = openssl("dgst", "-sm3", "-verify", pub, "-sigopt", f"distid:{distid}", "-signature", sig, msg)
    assert b"Verified OK" in ok.stdout
    # The ID is part of what was signed: any other one fails, and so does a changed message.
    bad = openssl("dgst", "-sm3", "-verify", pub, "-sigopt", "distid:wrong@example.com", "-signature", sig, msg,
                  ok=False)
    assert b"Verification failure" in bad.stdout
    other = write(tmp_path / "other", msg.read_bytes() + b"!")
    openssl("dgst", "-sm3", "-verify", pub, "-sigopt", f"distid:{distid}", "-signature", sig, other, ok=False)


@pytest.mark.parametrize("distid", [DEFAULT_ID, "bob@example.com"])
def test_openssl_signs_smtrust_verifies(sm2_keys, tmp_path, smtrust, openssl, distid):
    key, pub = sm2_keys
    msg = write(tmp_path / "msg", b"signed by openssl\n" * 50)
    sig = tmp_path / "sig"
    openssl("dgst", "-sm3", "-sign", key, "-sigopt", f"distid:{distid}", "-out", sig, msg)
    id_args = [] if distid == DEFAULT_ID else ["--id", distid]
    out = smtrust("verify", "--key", pub, "--sig", sig, "--in", msg, *id_args)
    assert out.stdout == b"verified\n"
    # A private key file verifies too; the message can come on standard input.
    out = smtrust("verify", "--key", key, "--sig", sig, *id_args, input=msg.read_bytes())
    assert out.stdout == b"verified\n"
    bad = smtrust("verify", "--key", pub, "--sig", sig, "--in", msg, "--id", "wrong@example.com", ok=False)
    assert bad.returncode == 1
    assert bad.stdout == b""
    assert bad.stderr == b"smtrust: verify: signature does not verify\n"
    smtrust("verify", "--key", pub, "--sig", sig, *id_args, input=msg.read_bytes() + b"x", ok=False)


def test_signature_to_standard_output_and_bad_signature_files(sm2_keys, tmp_path, smtrust, openssl):
    key, pub = sm2_keys
    msg = b"from standard input"
    sig = smtrust("sign", "--key", key, input=msg).stdout
    sig_path = write(tmp_path / "sig", sig)
    msg_path = write(tmp_path / "msg", msg)
    openssl("dgst", "-sm3", "-verify", pub, "-sigopt", f"distid:{DEFAULT_ID}", "-signature", sig_path, msg_path)
    # A truncated or padded signature is malformed, not merely wrong.
    for broken in (sig[:-1], sig + b"\x00", b"garbage"):
        bad = smtrust("verify", "--key", pub, "--sig", write(tmp_path / "bad", broken), "--in", msg_path, ok=False)
        assert bad.returncode == 1
        assert bad.stderr.startswith(b"smtrust: verify: sm2 signature")


# --- encryption ---

@pytest.mark.parametrize("size", [1, 32, 33, 5000])
def test_smtrust_encrypts_openssl_decrypts(sm2_keys, tmp_path, smtrust, openssl, size):
    key, pub = sm2_keys
    plain = os.urandom(size)
    ct = tmp_path / "ct"
    smtrust("encrypt", "--key", pub, "--in", write(tmp_path / "plain", plain), "--out", ct)
    out = tmp_path / "out"
    openssl("pkeyutl", "-decrypt", "-inkey", key, "-in", ct, "-out", out)
    assert out.read_bytes() == plain


@pytest.mark.parametrize("size", [1, 100, 5000])
def test_openssl_encrypts_smtrust_decrypts(sm2_keys, tmp_path, smtrust, openssl, size):
    key, pub = sm2_keys
    plain = os.urandom(size)
    ct = tmp_path / "ct"
    openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", pub, "-in", write(tmp_path / "plain", plain), "-out", ct)
    out = tmp_path / "out"
    smtrust("decrypt", "--key", key, "--in", ct, "--out", out)
    assert out.read_bytes() == plain
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    # Standard input and output work the same.
    assert smtrust("decrypt", "--key", key, input=ct.read_bytes()).stdout == plain


def test_raw_format_round_trip_and_against_openssl(sm2_keys, tmp_path, smtrust, openssl):
    key, pub = sm2_keys
    plain = b"raw C1 || C3 || C2\n" * 10
    raw = smtrust("encrypt", "--key", pub, "--format", "raw", input=plain).stdout
    assert len(raw) == 97 + len(plain) and raw[0] == 0x04
    assert smtrust("decrypt", "--key", key, "--format", "raw", input=raw).stdout == plain
    # Our independent DER encoding of the raw parts is what openssl decrypts.
    out = tmp_path / "out"
    openssl("pkeyutl", "-decrypt", "-inkey", key, "-in", write(tmp_path / "ct.der", raw_to_asn1(raw)), "-out", out)
    assert out.read_bytes() == plain
    # And openssl's DER, split into raw parts here, is what smtrust decrypts as raw.
    ct = tmp_path / "openssl.der"
    openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", pub, "-in", write(tmp_path / "plain", plain), "-out", ct)
    raw_from_openssl = asn1_to_raw(ct.read_bytes())
    assert smtrust("decrypt", "--key", key, "--format", "raw", input=raw_from_openssl).stdout == plain
    # One form is not the other.
    smtrust("decrypt", "--key", key, "--format", "asn1", input=raw, ok=False)
    smtrust("decrypt", "--key", key, "--format", "raw", input=ct.read_bytes(), ok=False)


def test_changed_ciphertext_writes_nothing(sm2_keys, tmp_path, smtrust):
    key, pub = sm2_keys
    raw = smtrust("encrypt", "--key", pub, "--format", "raw", input=b"secret plaintext").stdout
    out = tmp_path / "out"
    for position in (5, 40, 80, len(raw) - 1):  # C1 x, C1 y, C3, C2
        changed = bytearray(raw)
        changed[position] ^= 0x01
        bad = smtrust("decrypt", "--key", key, "--format", "raw", "--in", write(tmp_path / "ct", bytes(changed)),
                      "--out", out, ok=False)
        assert bad.returncode == 1
        assert bad.stderr.startswith(b"smtrust: decrypt: decryption failed")
        assert not out.exists()
    assert list(tmp_path.glob("out*")) == []


def test_other_key_cannot_decrypt(tmp_path, smtrust, openssl):
    smtrust("key", "gen", "--alg", "sm2", "-o", tmp_path / "a.pem", "--pub-out", tmp_path / "a.pub")
    smtrust("key", "gen", "--alg", "sm2", "-o", tmp_path / "b.pem")
    ct = smtrust("encrypt", "--key", tmp_path / "a.pub", input=b"for a only").stdout
    bad = smtrust("decrypt", "--key", tmp_path / "b.pem", input=ct, ok=False)
    assert bad.stderr.startswith(b"smtrust: decrypt: decryption failed")
    assert smtrust("decrypt", "--key", tmp_path / "a.pem", input=ct).stdout == b"for a only"


# --- keys, passphrases and usage ---

def test_p256_key_is_refused(tmp_path, smtrust, openssl):
    key = tmp_path / "p256.pem"
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key)
    os.chmod(key, 0o600)
    for command in (["sign"], ["encrypt"], ["decrypt"], ["verify", "--sig", write(tmp_path / "s", b"0")]):
        bad = smtrust(*command, "--key", key, input=b"message", ok=False)
        assert bad.returncode == 1
        assert bad.stderr == f"smtrust: {command[0]}: key is ec-p256, SM2 needed\n".encode()


def test_passphrase_protected_key(tmp_path, smtrust, openssl):
    passphrase = write(tmp_path / "pass", b"correct horse\n")
    key, pub = tmp_path / "key.pem", tmp_path / "pub.pem"
    openssl("genpkey", "-algorithm", "SM2", "-aes-256-cbc", "-pass", "pass:correct horse", "-out", key)
    os.chmod(key, 0o600)
    openssl("pkey", "-in", key, "-passin", "pass:correct horse", "-pubout", "-out", pub)
    msg = write(tmp_path / "msg", b"signed with an encrypted key")
    sig = tmp_path / "sig"
    smtrust("sign", "--key", key, "--passphrase-file", passphrase, "--in", msg, "--out", sig)
    openssl("dgst", "-sm3", "-verify", pub, "-sigopt", f"distid:{DEFAULT_ID}", "-signature", sig, msg)
    bad = smtrust("sign", "--key", key, "--in", msg, ok=False)
    assert bad.returncode == 1 and bad.stderr.startswith(b"smtrust: sign: ")
    ct = smtrust("encrypt", "--key", pub, input=b"x").stdout
    assert smtrust("decrypt", "--key", key, "--passphrase-file", passphrase, input=ct).stdout == b"x"


@pytest.mark.parametrize("args", [
    ["sign"],
    ["sign", "--key"],
    ["sign", "--key", "k", "--sig", "s"],
    ["sign", "--key", "k", "extra"],
    ["verify", "--key", "k"],
    ["verify", "--key", "k", "--sig", "-"],
    ["encrypt", "--key", "k", "--format", "pem"],
    ["decrypt", "--nope"],
])
def test_usage_errors_exit_2(smtrust, args):
    bad = smtrust(*args, ok=False)
    assert bad.returncode == 2
    assert bad.stderr.startswith(f"smtrust: {args[0]}: ".encode())
    assert b"usage: smtrust " + args[0].encode() in bad.stderr


@pytest.mark.parametrize("command", ["sign", "verify", "encrypt", "decrypt"])
def test_help(smtrust, command):
    out = smtrust(command, "--help")
    assert out.stdout.startswith(f"usage: smtrust {command} --key".encode())
