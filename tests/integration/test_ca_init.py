"""`smtrust ca init|check -c ca.yaml` on a copy of examples/ca.yaml: the hierarchy it makes is checked with
the openssl command (ECC issuing CAs verify against the ECC root, SM2 ones against the SM2 root with the
GM/T 0009 default ID, `openssl x509 -text` shows name constraints and policies), a second run changes
nothing, and a bad file is reported as file:line: key: message with exit status 1 and nothing made."""
import hashlib
import os
import shutil
import stat

import pytest

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "ca.yaml")
DEFAULT_ID = "1234567812345678"
ECC_CAS = ["ssl-ecc-dv", "email-ecc", "code-ecc", "document-ecc", "iot-ecc", "admin"]
SM2_CAS = ["ssl-sm2-ov", "ssl-sm2-dv", "email-sm2", "code-sm2", "document-sm2", "iot-sm2"]


def copy_example(tmp_path, edit=None):
    """examples/ca.yaml copied into tmp_path (its state_dir, ca-state, lands beside it)."""
    with open(EXAMPLE, encoding="utf-8") as f:
        text = f.read()
    if edit:
        text = edit(text)
    path = tmp_path / "ca.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def tree_digest(folder):
    """{relative path: (sha256, mode)} of every file under folder."""
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            full = os.path.join(root, name)
            with open(full, "rb") as f:
                out[os.path.relpath(full, folder)] = (hashlib.sha256(f.read()).hexdigest(), os.stat(full).st_mode)
    return out


@pytest.fixture
def hierarchy(tmp_path, smtrust):
    """The example with its OV CA constrained to gov.cn, initialised: (state folder, init's output)."""
    config = copy_example(tmp_path, lambda t: t.replace("# permitted_dns: [gov.cn]", "permitted_dns: [gov.cn]"))
    out = smtrust("ca", "init", "-c", config).stdout.decode()
    return tmp_path / "ca-state", out, config


def test_init_reports_every_file_and_the_operator_certificate(hierarchy):
    state, out, _ = hierarchy
    created = [line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("created ")]
    assert len(created) == 2 * (2 + 12 + 2)  # roots, 11 issuing CAs + admin, tls/server, admin/operator
    for path in created:
        assert os.path.isfile(path)
        if path.endswith(".key"):
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert f"{state}/admin/operator.crt" in out


def test_ecc_cas_verify_against_the_ecc_root_only(hierarchy, openssl):
    state, _, _ = hierarchy
    for name in ECC_CAS:
        out = openssl("verify", "-CAfile", state / "roots/ecc-root.crt", state / f"cas/{name}.crt").stdout
        assert out.strip().endswith(b": OK")
        openssl("verify", "-vfyopt", f"distid:{DEFAULT_ID}", "-CAfile", state / "roots/sm2-root.crt",
                state / f"cas/{name}.crt", ok=False)


def test_sm2_cas_verify_against_the_sm2_root_with_the_default_id(hierarchy, openssl):
    state, _, _ = hierarchy
    for name in SM2_CAS:
        out = openssl("verify", "-vfyopt", f"distid:{DEFAULT_ID}", "-CAfile", state / "roots/sm2-root.crt",
                      state / f"cas/{name}.crt").stdout
        assert out.strip().endswith(b": OK")
        text = openssl("x509", "-in", state / f"cas/{name}.crt", "-noout", "-text").stdout.decode()
        assert "Signature Algorithm: SM2-with-SM3" in text
        assert "CA:TRUE, pathlen:0" in text


def test_name_constraints_and_policies_in_the_certificates(hierarchy, openssl):
    state, _, _ = hierarchy
    ov = openssl("x509", "-in", state / "cas/ssl-sm2-ov.crt", "-noout", "-text").stdout.decode()
    assert "X509v3 Name Constraints: critical" in ov
    permitted = ov.index("Permitted:")
    excluded = ov.index("Excluded:")
    assert permitted < ov.index("DNS:gov.cn") < excluded < ov.index("DNS:internal.example")
    assert "Policy: 2.23.140.1.2.2" in ov
    assert "O = Example Trust Services" in ov
    assert "URI:http://127.0.0.1:14080/crl/sm2-root.crl" in ov
    dv = openssl("x509", "-in", state / "cas/ssl-ecc-dv.crt", "-noout", "-text").stdout.decode()
    assert "Policy: 2.23.140.1.2.1" in dv
    assert "Name Constraints" not in dv
    assert "TLS Web Server Authentication" in dv
    code = openssl("x509", "-in", state / "cas/code-ecc.crt", "-noout", "-text").stdout.decode()
    assert "Code Signing" in code and "TLS Web Server" not in code


def test_the_ca_https_and_operator_certificates_verify(hierarchy, openssl):
    state, _, _ = hierarchy
    server = state / "tls/server.crt"
    openssl("verify", "-CAfile", state / "roots/ecc-root.crt", "-untrusted", server, "-purpose", "sslserver",
            "-verify_hostname", "localhost", server)
    openssl("verify", "-CAfile", state / "roots/ecc-root.crt", "-untrusted", server, "-verify_ip", "127.0.0.1",
            server)
    operator = state / "admin/operator.crt"
    openssl("verify", "-CAfile", state / "roots/ecc-root.crt", "-untrusted", operator, "-purpose", "sslclient",
            operator)
    openssl("verify", "-CAfile", state / "roots/ecc-root.crt", "-untrusted", operator, "-purpose", "sslserver",
            operator, ok=False)


def test_second_run_changes_nothing(hierarchy, smtrust):
    state, _, config = hierarchy
    before = tree_digest(state)
    out = smtrust("ca", "init", "-c", config).stdout.decode()
    assert "created " not in out
    assert sum(1 for line in out.splitlines() if line.startswith("kept ")) == len(before) == 32
    assert tree_digest(state) == before


def test_a_ca_added_later_is_made_by_the_next_run(hierarchy, smtrust, openssl):
    state, _, config = hierarchy
    last = '    common_name: "Example Trust Services ECC IoT Device CA"\n'
    text = config.read_text()
    assert last in text
    config.write_text(text.replace(last, last + "  - {name: iot-extra, kind: iot-ecc, common_name: Extra IoT CA}\n"))
    out = smtrust("ca", "init", "-c", config).stdout.decode()
    created = [line for line in out.splitlines() if line.startswith("created ")]
    assert created == [f"created {state}/cas/iot-extra.key", f"created {state}/cas/iot-extra.crt"]
    openssl("verify", "-CAfile", state / "roots/ecc-root.crt", state / "cas/iot-extra.crt")


def test_check_accepts_the_example(tmp_path, smtrust):
    config = copy_example(tmp_path)
    out = smtrust("ca", "check", "-c", config).stdout.decode()
    assert "ok (11 issuing CAs" in out


@pytest.mark.parametrize("action", ["check", "init"])
def test_config_errors_name_file_line_and_key(tmp_path, smtrust, action):
    def break_it(text):
        text = text.replace("  - name: ssl-sm2-dv\n    kind: ssl-sm2-dv\n",
                            "  - name: ssl-sm2-dv\n    kind: ssl-sm2-dv\n    algorithm: ec-p256\n")
        return text.replace("threads: 32", "treads: 32")
    config = copy_example(tmp_path, break_it)
    lines = config.read_text().splitlines()
    threads_line = lines.index("treads: 32") + 1
    dv_line = lines.index("  - name: ssl-sm2-dv") + 1
    proc = smtrust("ca", action, "-c", config, ok=False)
    assert proc.returncode == 1
    errors = proc.stderr.decode().splitlines()
    assert errors == [
        f'{config}:{threads_line}: treads: unknown key; did you mean "threads"?',
        f'{config}:{dv_line}: issuing_cas[1]: algorithm: a ssl-sm2-dv CA has an "sm2" key, got "ec-p256"',
    ]
    assert not (tmp_path / "ca-state").exists()


def test_a_lost_key_is_refused(hierarchy, smtrust):
    state, _, config = hierarchy
    os.rename(state / "cas/email-sm2.key", state / "email-sm2.key.moved")
    proc = smtrust("ca", "init", "-c", config, ok=False)
    assert proc.returncode == 1
    assert b"email-sm2.crt exists but its key" in proc.stderr
    assert not (state / "cas/email-sm2.key").exists()


@pytest.mark.parametrize("args", [["ca"], ["ca", "init"], ["ca", "bogus", "-c", "x"], ["ca", "check", "-c"],
                                  ["ca", "init", "-c", "x", "extra"]])
def test_usage_errors_exit_2(smtrust, args):
    proc = smtrust(*args, ok=False)
    assert proc.returncode == 2
    assert b"usage: smtrust ca" in proc.stderr


def test_help(smtrust):
    out = smtrust("ca", "--help").stdout.decode()
    assert "smtrust ca init -c FILE" in out
    assert shutil.which("openssl")
