"""Two `smtrust ca` processes on one PostgreSQL database serve one ACME service: a client whose requests
alternate between them (as behind a load balancer) gets its nonces, account, orders, validations and
certificates right; both racing to finalize one order issue exactly one certificate."""
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from acme_client import AcmeClient, HTTP01Responder
from ca_util import CA, DNSServer, free_port, write_ca_config
from pg_util import pg_bin_dir, postgresql_cluster

pytestmark = pytest.mark.skipif(pg_bin_dir() is None, reason="PostgreSQL server not installed (scripts/bootstrap)")


def csr_for(names):
    key = ec.generate_private_key(ec.SECP256R1())
    return (x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
            .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))


def test_two_processes_one_database(tmp_path):
    with postgresql_cluster() as dsn:
        dns = DNSServer(str(tmp_path))
        http_port = free_port()
        port1, port2 = free_port(), free_port()
        base = f"https://127.0.0.1:{port1}"
        common = dict(store=dsn, http_port=http_port, resolver=dns.address, base_url=base)
        config1, _, _ = write_ca_config(str(tmp_path), name="ca1.yaml", listen_port=port1, **common)
        config2, _, _ = write_ca_config(str(tmp_path), name="ca2.yaml", listen_port=port2, **common)
        ca1, ca2 = CA(config1), CA(config2)
        ca1.init()
        ca1.start()
        ca2.start()
        responder = HTTP01Responder(http_port)
        try:
            servers = [f"127.0.0.1:{port1}", f"127.0.0.1:{port2}"]
            client = AcmeClient(ca1.directory, ca1.roots, servers=servers)
            assert client.new_account().status == 201
            for round in range(3):
                names = [f"r{round}.pg.example.test", f"www.r{round}.pg.example.test"]
                resp = client.new_order(names)
                assert resp.status == 201, resp.body
                order = resp.json() | {"url": resp.headers["Location"]}
                client.authorize_http01(order, responder)
                assert client.poll(order["url"], until=("ready", "invalid")).json()["status"] == "ready"
                # Both processes finalize the same order at once: one certificate, one winner.
                csr = csr_for(names)
                results = []
                racers = [AcmeClient(ca1.directory, ca1.roots, key=client.key, servers=[s]) for s in servers]
                for racer in racers:
                    racer.kid = client.kid
                threads = [threading.Thread(target=lambda r=r: results.append(r.finalize(order, csr)))
                           for r in racers]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                statuses = sorted(r.status for r in results)
                assert statuses[0] == 200 and statuses[1] in (200, 403), [(r.status, r.body) for r in results]
                final = client.get(order["url"]).json()
                assert final["status"] == "valid"
                chain = client.get(final["certificate"])
                assert chain.status == 200 and chain.body.count(b"BEGIN CERTIFICATE") == 2
            # Every order of the account, seen from either process.
            orders = client.get(client.kid + "/orders").json()["orders"]
            assert len(orders) == 3
        finally:
            responder.stop()
            ca2.stop()
            ca1.stop()
            dns.stop()


def test_revocation_reaches_the_other_process(tmp_path):
    """A revocation through one process's API shows in the other process's OCSP answers and CRL within
    about a second (the revocation watch of ca/revocation.h), not only at crl_interval."""
    import time
    from test_ca_api import call, make_csr
    from test_ca_crash import revocation_views
    from test_ca_crl import issuing_pem, write
    with postgresql_cluster() as dsn:
        port1, port2 = free_port(), free_port()
        common = dict(store=dsn, base_url=f"https://127.0.0.1:{port1}")
        config1, _, _ = write_ca_config(str(tmp_path), name="ca1.yaml", listen_port=port1, **common)
        config2, _, _ = write_ca_config(str(tmp_path), name="ca2.yaml", listen_port=port2, **common)
        ca1, ca2 = CA(config1), CA(config2)
        ca1.init()
        ca1.start()
        ca2.start()
        try:
            _, csr = make_csr(str(tmp_path), "pg-revoke", "ec-p256", "pg-revoke.example.test")
            status, body = call(ca1, "/api/v1/certificates", "POST", {"csr": csr, "ca": "ssl-ecc-dv"})
            assert status == 201, body
            leaf = write(tmp_path / "leaf.pem", body["certificate"])
            issuer = write(tmp_path / "issuer.pem", issuing_pem(body["chain"]))
            assert revocation_views(ca2, body["serial"], leaf, issuer, str(tmp_path)) == (False, False, False)
            started = time.time()
            assert call(ca1, f"/api/v1/certificates/{body['serial']}/revoke", "POST", {"reason": 1})[0] == 200
            while time.time() - started < 3:
                views = revocation_views(ca2, body["serial"], leaf, issuer, str(tmp_path))
                if views == (True, True, True):
                    break
                time.sleep(0.1)
            assert views == (True, True, True), views
            assert time.time() - started < 2.5
        finally:
            ca2.stop()
            ca1.stop()
