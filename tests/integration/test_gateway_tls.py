"""The gateway's client side with real clients: curl over TLS 1.2 and 1.3, `openssl s_client`, and smtrust's own
TLCP client all reach the same plain-HTTP origin through one https listener; SNI picks the site and its
certificates, an unknown name without a default site gets no handshake, the redirect listener sends 308 to
https://, and HSTS is sent only when a site enables it."""
import re

import pytest

from conftest import SMTRUST, run
from gateway_util import Origin, curl, echo_json, make_pki, read_head, site_config, tls_connect

pytest_plugins = ("gateway_util",)  # the demo_pki, origin and start_gateway fixtures


def resolve(port, name="localhost"):
    return ["--resolve", f"{name}:{port}:127.0.0.1"]


@pytest.fixture
def gateway(start_gateway, demo_pki, origin):
    return start_gateway([site_config(demo_pki, origin.url, default=True)])


@pytest.mark.parametrize("versions,expected", [(["--tlsv1.2", "--tls-max", "1.2"], "TLSv1.2"),
                                               (["--tlsv1.3"], "TLSv1.3")])
def test_curl_tls_get_reaches_the_origin(gateway, demo_pki, origin, versions, expected):
    port = gateway.https_port
    proc = curl("-v", *versions, "--cacert", demo_pki / "ecc-root.pem", *resolve(port),
                f"https://localhost:{port}/echo?from=curl")
    assert re.search(rf"SSL connection using {expected} / \S+", proc.stderr.decode()), proc.stderr.decode()
    echo = echo_json(proc.stdout)
    assert echo["method"] == "GET" and echo["path"] == "/echo?from=curl"
    assert echo["scheme"] == "http"
    assert echo["header_map"]["host"] == [f"localhost:{port}"]
    page = curl(*versions, "--cacert", demo_pki / "ecc-root.pem", *resolve(port), f"https://localhost:{port}/")
    assert f"Hello from origin.py at {origin.url}".encode() in page.stdout


def test_openssl_s_client_is_shown_the_ecc_certificate(gateway, demo_pki, openssl):
    proc = openssl("s_client", "-connect", f"127.0.0.1:{gateway.https_port}", "-servername", "localhost",
                   "-CAfile", demo_pki / "ecc-root.pem", "-verify_hostname", "localhost", "-verify_return_error",
                   "-showcerts", input=b"", ok=None)
    # (Its exit status also reflects how the connection ended after stdin's EOF: not what this test is about.)
    out = proc.stdout.decode()
    served = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", out, re.S)
    assert served, out
    assert served[0].strip() == (demo_pki / "ecc.pem").read_text().strip()
    assert "Verify return code: 0 (ok)" in out
    assert re.search(r"Peer signature type: ECDSA|Server public key is 256 bit", out), out


@pytest.mark.parametrize("suite", ["ECC_SM4_GCM_SM3", "ECC_SM4_CBC_SM3"])
def test_tlcp_client_reaches_the_origin(gateway, demo_pki, suite):
    port = gateway.https_port
    proc = run([SMTRUST, "tlcp-client", "--cafile", demo_pki / "sm2-root.pem", "--cipher", suite, "-v",
                f"https://localhost:{port}/echo?from=tlcp"])
    echo = echo_json(proc.stdout)
    assert echo["path"] == "/echo?from=tlcp"
    assert echo["header_map"]["host"] == [f"localhost:{port}"]
    assert suite in proc.stderr.decode()
    # The same by IP address (no SNI: the default site) and with --resolve for a name.
    run([SMTRUST, "tlcp-client", "--cafile", demo_pki / "sm2-root.pem", f"https://127.0.0.1:{port}/"])
    run([SMTRUST, "tlcp-client", "--cafile", demo_pki / "sm2-root.pem", "--resolve", f"localhost:{port}:127.0.0.1",
         f"https://localhost:{port}/"])


def test_tlcp_client_refuses_the_wrong_root(gateway, demo_pki):
    proc = run([SMTRUST, "tlcp-client", "--cafile", demo_pki / "ecc-root.pem",
                f"https://localhost:{gateway.https_port}/"], ok=False)
    assert proc.returncode == 1


def test_sni_picks_the_site_and_its_certificates(tmp_path, start_gateway, smtrust, openssl):
    shop = Origin(tmp_path, "--name", "shop origin")
    blog = Origin(tmp_path, "--name", "blog origin")
    try:
        shop_pki = make_pki(tmp_path / "shop-pki", "shop.test")
        blog_pki = make_pki(tmp_path / "blog-pki", "blog.test")
        gateway = start_gateway([site_config(shop_pki, shop.url, names=["shop.test"]),
                                 site_config(blog_pki, blog.url, names=["blog.test"])])
        port = gateway.https_port
        for name, pki, expected in (("shop.test", shop_pki, b"shop origin"), ("blog.test", blog_pki, b"blog origin")):
            page = curl("--cacert", pki / "ecc-root.pem", *resolve(port, name), f"https://{name}:{port}/")
            assert b"Hello from " + expected in page.stdout
            page = run([SMTRUST, "tlcp-client", "--cafile", pki / "sm2-root.pem", "--resolve",
                        f"{name}:{port}:127.0.0.1", f"https://{name}:{port}/"])
            assert b"Hello from " + expected in page.stdout
        # Each name is served its own certificate: the other site's root does not verify it.
        curl("--cacert", blog_pki / "ecc-root.pem", *resolve(port, "shop.test"), f"https://shop.test:{port}/",
             ok=False)
    finally:
        shop.stop()
        blog.stop()


def test_unknown_name_without_default_site_gets_no_handshake(start_gateway, demo_pki, origin):
    gateway = start_gateway([site_config(demo_pki, origin.url, names=["localhost"])])
    port = gateway.https_port
    proc = curl("--insecure", *resolve(port, "other.test"), f"https://other.test:{port}/", ok=False)
    assert proc.returncode == 35, proc  # CURLE_SSL_CONNECT_ERROR: the handshake failed
    proc = run([SMTRUST, "tlcp-client", "--insecure", "--resolve", f"other.test:{port}:127.0.0.1",
                f"https://other.test:{port}/"], ok=False)
    assert proc.returncode == 1
    # A client sending no SNI at all has no site either.
    curl("--insecure", f"https://127.0.0.1:{port}/", ok=False)
    # The known name still works, over both protocols.
    curl("--cacert", demo_pki / "ecc-root.pem", *resolve(port), f"https://localhost:{port}/")
    run([SMTRUST, "tlcp-client", "--cafile", demo_pki / "sm2-root.pem", f"https://localhost:{port}/"])
    assert gateway.alive()


def test_redirect_listener_sends_308_to_https(start_gateway, demo_pki, origin):
    gateway = start_gateway([site_config(demo_pki, origin.url, default=True)], redirect=True)
    proc = curl("-i", f"http://localhost:{gateway.redirect_port}/a/b?c=d&e=f")
    head = proc.stdout.decode().split("\r\n\r\n")[0]
    assert head.startswith("HTTP/1.1 308"), head
    location = [line.split(":", 1)[1].strip() for line in head.split("\r\n") if line.lower().startswith("location:")]
    assert location == [f"https://localhost:{gateway.https_port}/a/b?c=d&e=f"]
    # Following it with the right root ends at the origin.
    page = curl("-L", "--cacert", demo_pki / "ecc-root.pem", *resolve(gateway.https_port),
                f"http://localhost:{gateway.redirect_port}/echo")
    assert echo_json(page.stdout)["path"] == "/echo"


def hsts_values(port, pki, name="localhost"):
    proc = curl("-D", "-", "-o", "/dev/null", "--cacert", pki / "ecc-root.pem", *resolve(port, name),
                f"https://{name}:{port}/")
    return [line.split(":", 1)[1].strip() for line in proc.stdout.decode().split("\r\n")
            if line.lower().startswith("strict-transport-security:")]


def test_hsts_header_only_when_enabled(tmp_path, start_gateway, demo_pki, origin):
    other_pki = make_pki(tmp_path / "other-pki", "plain.test")
    gateway = start_gateway([
        site_config(demo_pki, origin.url, names=["localhost"],
                    hsts={"enabled": True, "max_age": "2d", "include_subdomains": True}),
        site_config(other_pki, origin.url, names=["plain.test"]),
    ])
    assert hsts_values(gateway.https_port, demo_pki) == ["max-age=172800; includeSubDomains"]
    assert hsts_values(gateway.https_port, other_pki, "plain.test") == []
    # Over TLCP too.
    proc = run([SMTRUST, "tlcp-client", "-i", "--cafile", demo_pki / "sm2-root.pem",
                f"https://localhost:{gateway.https_port}/"])
    assert b"\r\nStrict-Transport-Security: max-age=172800; includeSubDomains\r\n" in proc.stdout


def test_plain_http_on_the_https_port_is_refused(gateway, demo_pki):
    port = gateway.https_port
    proc = curl("-i", f"http://localhost:{port}/echo", ok=None)
    assert b'"method"' not in proc.stdout
    # And the listener still serves TLS afterwards.
    with tls_connect(port, demo_pki / "ecc-root.pem") as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        head, _ = read_head(sock)
        assert head.startswith("HTTP/1.1 200"), head
