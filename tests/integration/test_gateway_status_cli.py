"""`smtrust gateway status -c FILE [--json]` and the admin listener's GET /certificates, for what needs no ACME
manager: a file without admin.listen is refused with the reason, a listener nobody answers on is "no gateway
answers at ADDR", and a running gateway without sites with `certificates: auto` answers GET /certificates with
empty "certificates" and "stapling" lists, which the command shows as "no sites with certificates: auto"
(exit 0). The stapling table itself is tested in test_gateway_stapling.py."""
import json
import urllib.request

from conftest import SMTRUST, run
from gateway_util import demo_pki, free_port, gateway_config, origin, site_config, start_gateway, write_config  # noqa: F401

NO_AUTO_SITES = "no sites with certificates: auto"


def status(config_path, *extra, ok=True):
    return run([SMTRUST, "gateway", "status", "-c", str(config_path), *extra], ok=ok)


def test_without_admin_listen_is_refused(tmp_path, demo_pki, origin):
    config = gateway_config(free_port(), [site_config(demo_pki, origin.url)], tmp_path / "access.log")
    path = write_config(tmp_path / "gateway.yaml", config)
    proc = status(path, ok=False)
    assert proc.returncode == 1
    assert (f"{path} has no admin.listen: the status comes from the running gateway's admin listener"
            in proc.stderr.decode())
    assert proc.stdout == b""


def test_no_gateway_answers(tmp_path, demo_pki, origin):
    admin_port = free_port()
    config = gateway_config(free_port(), [site_config(demo_pki, origin.url)], tmp_path / "access.log",
                            admin_port=admin_port)
    path = write_config(tmp_path / "gateway.yaml", config)
    for extra in ((), ("--json",)):
        proc = status(path, *extra, ok=False)
        assert proc.returncode == 1
        assert f"no gateway answers at 127.0.0.1:{admin_port} (is it running?)" in proc.stderr.decode()
        assert proc.stdout == b""


def test_wildcard_admin_listen_is_asked_on_loopback(tmp_path, demo_pki, origin):
    admin_port = free_port()
    config = gateway_config(free_port(), [site_config(demo_pki, origin.url)], tmp_path / "access.log")
    config["admin"] = {"listen": f":{admin_port}"}
    proc = status(write_config(tmp_path / "gateway.yaml", config), ok=False)
    assert f"no gateway answers at 127.0.0.1:{admin_port}" in proc.stderr.decode()


def test_usage_errors(tmp_path):
    """Both forms of the command: exit 2 with the reason and the usage line; --help exits 0."""
    cases = [(["status"], "gateway status: -c FILE is required"),
             (["status", "-c", "x.yaml", "--bogus"], "gateway status: unknown option --bogus"),
             (["status", "-c", "x.yaml", "--check"], "gateway status: unknown option --check"),
             (["status", "-c", "x.yaml", "extra"], "gateway status: unexpected argument 'extra'"),
             (["status", "-c"], "gateway status: -c needs a value"),
             ([], "gateway: -c FILE is required"),
             (["-c", "x.yaml", "--json"], "gateway: unknown option --json"),
             (["-c", "x.yaml", "extra"], "gateway: unexpected argument 'extra'")]
    for args, reason in cases:
        proc = run([SMTRUST, "gateway", *args], ok=False)
        assert proc.returncode == 2 and reason in proc.stderr.decode() and "usage: smtrust gateway" in \
            proc.stderr.decode(), (args, proc.stderr)
    for args in (["--help"], ["status", "--help"]):
        proc = run([SMTRUST, "gateway", *args])
        assert proc.stdout.decode().startswith("usage: smtrust gateway"), proc.stdout


def test_running_gateway_without_auto_sites(start_gateway, demo_pki, origin):
    gateway = start_gateway([site_config(demo_pki, origin.url)], admin=True)
    admin = f"http://127.0.0.1:{gateway.admin_port}"
    # The admin API: no ACME certificates, and the OCSP staples (none: the demo certificates name no OCSP
    # responder, so nothing is fetched or stapled).
    answer = urllib.request.urlopen(f"{admin}/certificates")
    assert answer.headers["Content-Type"] == "application/json"
    doc = json.loads(answer.read())
    assert doc["certificates"] == [] and doc["stapling"] == [], doc
    metrics = urllib.request.urlopen(f"{admin}/metrics").read().decode()
    assert "smtrust_gateway_upstream_up" in metrics
    assert "smtrust_gateway_certificate_" not in metrics
    assert "smtrust_gateway_ocsp_staple_valid{" not in metrics

    proc = status(gateway.config_path)
    assert proc.stdout.decode() == NO_AUTO_SITES + "\n"
    proc = status(gateway.config_path, "--json")
    doc = json.loads(proc.stdout)
    assert doc["certificates"] == [] and doc["stapling"] == [], doc
    # The gateway itself still runs and `smtrust gateway -c FILE --check` is unchanged.
    assert gateway.alive()
    check = run([SMTRUST, "gateway", "-c", str(gateway.config_path), "--check"])
    assert b": ok (" in check.stdout
