"""What the gateway records: an access log line per request naming the protocol (TLCP, TLSv1.3, TLSv1.2), the site,
the request and the status; Prometheus metrics on the admin listener counting those requests."""
import re

from conftest import SMTRUST, run
from gateway_util import curl, site_config, wait_until

pytest_plugins = ("gateway_util",)  # the demo_pki, origin and start_gateway fixtures

LINE = re.compile(r'^(?P<client>\S+) (?P<site>\S+) \[(?P<time>[^\]]+)\] "(?P<request>[^"]*)" (?P<status>\d{3}) '
                  r'(?P<sent>\d+) (?P<received>\d+) (?P<duration>[\d.]+) (?P<protocol>\S+) (?P<cipher>\S+) '
                  r'(?P<cert_alg>\S+) "(?P<host>[^"]*)" "(?P<agent>[^"]*)" (?P<origin_status>\S+) (?P<upstream>\S+)$')


def access_lines(path, marker):
    if not path.exists():
        return []
    return [line for line in path.read_text(errors="replace").splitlines() if marker in line]


def test_access_log_names_protocol_and_status(start_gateway, demo_pki, origin):
    gateway = start_gateway([site_config(demo_pki, origin.url, names=["localhost"], name="demo-site")])
    port = gateway.https_port
    resolve = ["--resolve", f"localhost:{port}:127.0.0.1"]
    curl("--tlsv1.3", "--cacert", demo_pki / "ecc-root.pem", *resolve, f"https://localhost:{port}/echo?via=tls13")
    curl("--tlsv1.2", "--tls-max", "1.2", "--cacert", demo_pki / "ecc-root.pem", *resolve,
         f"https://localhost:{port}/status/404?via=tls12")
    run([SMTRUST, "tlcp-client", "--cafile", demo_pki / "sm2-root.pem", f"https://localhost:{port}/echo?via=tlcp"])
    log = gateway.access_log
    for marker in ("via=tls13", "via=tls12", "via=tlcp"):
        wait_until(lambda: access_lines(log, marker), 10, f"the access log line of {marker}")
    expected = {"via=tls13": ("TLSv1.3", "200", "ECDSA", "/echo?via=tls13"),
                "via=tls12": ("TLSv1.2", "404", "ECDSA", "/status/404?via=tls12"),
                "via=tlcp": ("TLCP", "200", "SM2", "/echo?via=tlcp")}
    for marker, (protocol, status, cert_alg, target) in expected.items():
        lines = access_lines(log, marker)
        assert len(lines) == 1, lines
        match = LINE.match(lines[0])
        assert match, lines[0]
        assert match["client"] == "127.0.0.1" and match["site"] == "demo-site"
        assert match["request"] == f"GET {target} HTTP/1.1"
        assert (match["protocol"], match["status"], match["cert_alg"]) == (protocol, status, cert_alg), lines[0]
        assert match["origin_status"] == status
        assert match["host"] == f"localhost:{port}"


def metric_sum(text, name):
    total = 0.0
    for line in text.splitlines():
        if re.match(rf"{name}(\{{.*\}})? ", line):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_count_requests(start_gateway, demo_pki, origin):
    gateway = start_gateway([site_config(demo_pki, origin.url, default=True)], admin=True)
    port = gateway.https_port
    metrics_url = f"http://127.0.0.1:{gateway.admin_port}/metrics"
    before = metric_sum(curl(metrics_url).stdout.decode(), "smtrust_gateway_requests_total")
    for i in range(3):
        curl("--cacert", demo_pki / "ecc-root.pem", "--resolve", f"localhost:{port}:127.0.0.1",
             f"https://localhost:{port}/echo?n={i}")
    run([SMTRUST, "tlcp-client", "--cafile", demo_pki / "sm2-root.pem", f"https://localhost:{port}/echo"])
    text = curl(metrics_url).stdout.decode()
    assert "# TYPE smtrust_gateway_requests_total counter" in text
    assert metric_sum(text, "smtrust_gateway_requests_total") - before >= 4, text
    head = curl("-D", "-", "-o", "/dev/null", metrics_url).stdout.decode().lower()
    assert "content-type: text/plain" in head
