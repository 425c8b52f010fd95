"""A gateway with 10,000 sites (one shared wildcard certificate pair, three origins) starts to "ready" within a
generous bound, prints how long it took, and routes by SNI: a few sites fetched with curl and with the TLCP client
each reach their own origin, and a name outside the list gets no handshake."""
import pytest

from conftest import SMTRUST, run
from gateway_util import Origin, curl, make_pki, site_config

pytest_plugins = ("gateway_util",)  # the demo_pki, origin and start_gateway fixtures

NUM_SITES = 10_000
NUM_ORIGINS = 3
START_BOUND_SECONDS = 10


@pytest.fixture
def origins(tmp_path):
    servers = [Origin(tmp_path, "--name", f"origin number {i}") for i in range(NUM_ORIGINS)]
    yield servers
    for server in servers:
        server.stop()


def test_ten_thousand_sites_start_and_route_by_sni(tmp_path, start_gateway, origins):
    pki = make_pki(tmp_path / "pki", "*.scale.test", "scale.test")
    sites = [site_config(pki, origins[i % NUM_ORIGINS].url, names=[f"site{i}.scale.test"], name=f"site{i}")
             for i in range(NUM_SITES)]
    gateway = start_gateway(sites, timeout=120)
    print(f"\n{NUM_SITES} sites: ready after {gateway.ready_seconds:.2f} s")
    assert f"{NUM_SITES} sites" in gateway.log(), gateway.log()
    assert gateway.ready_seconds < START_BOUND_SECONDS
    port = gateway.https_port
    for i in (0, 1, 4321, NUM_SITES - 1):
        name = f"site{i}.scale.test"
        page = curl("--cacert", pki / "ecc-root.pem", "--resolve", f"{name}:{port}:127.0.0.1",
                    f"https://{name}:{port}/").stdout
        assert f"Hello from origin number {i % NUM_ORIGINS}".encode() in page, (name, page[:200])
    name = f"site{NUM_SITES - 2}.scale.test"
    page = run([SMTRUST, "tlcp-client", "--cafile", pki / "sm2-root.pem", "--resolve", f"{name}:{port}:127.0.0.1",
                f"https://{name}:{port}/"]).stdout
    assert f"Hello from origin number {(NUM_SITES - 2) % NUM_ORIGINS}".encode() in page
    # The certificate covers *.scale.test, but no site has this name and there is no default site.
    proc = curl("--cacert", pki / "ecc-root.pem", "--resolve", f"site{NUM_SITES}.scale.test:{port}:127.0.0.1",
                f"https://site{NUM_SITES}.scale.test:{port}/", ok=False)
    assert proc.returncode == 35
