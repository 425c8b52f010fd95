"""A real browser through the gateway: headless Chromium (Debian's) loads the site's page over TLS 1.3, and
follows the redirect listener from http:// to https://. Chromium is told to trust the site's ECC key by its
SPKI hash (--ignore-certificate-errors-spki-list), the way a test pins a certificate without a system CA."""
import base64
import hashlib
import subprocess

from conftest import run
from gateway_util import site_config, wait_until

pytest_plugins = ("gateway_util",)

CHROMIUM = "/usr/bin/chromium"


def spki_sha256(openssl, cert):
    pub = openssl("x509", "-in", cert, "-pubkey", "-noout").stdout
    der = run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def dump_dom(tmp_path, spki, url):
    proc = subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           f"--user-data-dir={tmp_path / 'chromium'}",
                           f"--ignore-certificate-errors-spki-list={spki}", "--dump-dom", url],
                          capture_output=True, timeout=90)
    return proc.stdout.decode(errors="replace")


def test_chromium_loads_the_page_over_tls13(tmp_path, start_gateway, demo_pki, origin, openssl):
    gateway = start_gateway([site_config(demo_pki, origin.url, default=True)], redirect=True)
    spki = spki_sha256(openssl, demo_pki / "ecc.pem")
    page = dump_dom(tmp_path, spki, f"https://localhost:{gateway.https_port}/")
    assert f"Hello from origin.py at {origin.url}" in page, page[:2000]
    wait_until(lambda: "HeadlessChrome" in gateway.access_log.read_text(), 10, "Chromium's access log line")
    line = [l for l in gateway.access_log.read_text().splitlines() if "HeadlessChrome" in l][0]
    assert '"GET / HTTP/1.1" 200' in line and " TLSv1.3 " in line and " ECDSA " in line, line
    # The redirect listener sends the browser on to https:// and the same page.
    page = dump_dom(tmp_path, spki, f"http://localhost:{gateway.redirect_port}/")
    assert f"Hello from origin.py at {origin.url}" in page, page[:2000]
