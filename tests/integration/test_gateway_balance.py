"""Load balancing through the gateway with real origins: weights honoured over many requests, an origin
killed during a load run costs no failed idempotent request (retries move it to another server) and is
marked down by active health checks, then comes back; backups serve only when every primary is down."""
import http.client
import json
import re
import urllib.request
import threading
import time

from gateway_util import HTTPSConnection, Origin, site_config, wait_until

pytest_plugins = ("gateway_util",)


def named_origins(tmp_path, *names):
    return [Origin(tmp_path, "--name", name) for name in names]


def upstream_site(pki, servers, **upstream):
    site = site_config(pki, None, default=True)
    del site["origin"]
    site["upstream"] = {"servers": servers, **upstream}
    return site


def origin_of(connection):
    connection.request("GET", "/")
    response = connection.getresponse()
    body = response.read().decode()
    assert response.status == 200, body
    return re.search(r"<title>(.*)</title>", body).group(1)


def count(gateway, pki, n):
    seen = {}
    connection = HTTPSConnection(gateway.https_port, pki / "ecc-root.pem")
    try:
        for _ in range(n):
            name = origin_of(connection)
            seen[name] = seen.get(name, 0) + 1
    finally:
        connection.close()
    return seen


def test_weights_are_honoured(tmp_path, start_gateway, demo_pki):
    origins = named_origins(tmp_path, "a", "b", "c")
    try:
        servers = [{"server": o.url, "weight": w} for o, w in zip(origins, (5, 3, 1))]
        gateway = start_gateway([upstream_site(demo_pki, servers, balance="weighted")], workers=1)
        seen = count(gateway, demo_pki, 900)
        print("weighted 5:3:1 over 900 requests:", seen)
        # Smooth weighted round robin on one worker is exact: 500, 300, 100.
        assert seen == {"a": 500, "b": 300, "c": 100}, seen
    finally:
        for o in origins:
            o.stop()


def test_backup_serves_only_when_primaries_are_down(tmp_path, start_gateway, demo_pki):
    primary, backup = named_origins(tmp_path, "primary", "backup")
    try:
        servers = [{"server": primary.url}, {"server": backup.url, "backup": True}]
        gateway = start_gateway([upstream_site(demo_pki, servers, health_check={"kind": "tcp", "interval": "200ms",
                                                                               "timeout": "200ms", "fall": 1})])
        assert count(gateway, demo_pki, 20) == {"primary": 20}
        primary.stop()
        wait_until(lambda: "is down" in gateway.log(), 10, "the health check marking the primary down")
        assert count(gateway, demo_pki, 10) == {"backup": 10}
    finally:
        primary.stop()
        backup.stop()


def test_killing_an_origin_during_load_fails_no_idempotent_request(tmp_path, start_gateway, demo_pki):
    origins = named_origins(tmp_path, "a", "b", "c")
    try:
        servers = [{"server": o.url, "max_fails": 1, "fail_timeout": "30s"} for o in origins]
        gateway = start_gateway([upstream_site(demo_pki, servers, balance="round_robin", retries=2,
                                               health_check={"kind": "http", "path": "/status/200",
                                                             "interval": "300ms", "timeout": "300ms",
                                                             "rise": 1, "fall": 2})], admin=True)
        failures, done, stop = [], [0], threading.Event()

        def load():
            while not stop.is_set():
                connection = HTTPSConnection(gateway.https_port, demo_pki / "ecc-root.pem")
                try:
                    for _ in range(20):
                        connection.request("GET", "/echo")
                        response = connection.getresponse()
                        response.read()
                        if response.status != 200:
                            failures.append(response.status)
                        done[0] += 1
                except (OSError, http.client.HTTPException) as error:
                    failures.append(repr(error))
                finally:
                    connection.close()

        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        origins[1].stop()  # killed in the middle of the run
        wait_until(lambda: "is down" in gateway.log(), 10, "the health check marking b down")
        time.sleep(1.5)
        stop.set()
        for t in threads:
            t.join()
        print(f"{done[0]} requests, failures: {failures}")
        assert done[0] > 100 and failures == [], failures
        assert count(gateway, demo_pki, 30).keys() == {"a", "c"}
        # The admin API and the metrics say which server is down and count its failures.
        admin = f"http://127.0.0.1:{gateway.admin_port}"
        servers = json.load(urllib.request.urlopen(f"{admin}/upstreams"))[0]["servers"]
        by_name = {s["server"]: s for s in servers}
        b = by_name[f"127.0.0.1:{origins[1].port}"]
        assert b["health"].startswith("down"), servers
        assert all(by_name[f"127.0.0.1:{o.port}"]["health"] == "up" for o in (origins[0], origins[2])), servers
        metrics = urllib.request.urlopen(f"{admin}/metrics").read().decode()
        assert f'smtrust_gateway_upstream_up{{site="localhost",server="127.0.0.1:{origins[1].port}"}} 0' in metrics
        # b comes back: the checks mark it up and it takes requests again.
        origins[1] = Origin(tmp_path, "--name", "b", "--port", str(origins[1].port))
        wait_until(lambda: "is up" in gateway.log(), 10, "the health check marking b up again")
        assert count(gateway, demo_pki, 30) == {"a": 10, "b": 10, "c": 10}
    finally:
        for o in origins:
            o.stop()


def test_cookie_persistence_keeps_a_client_on_its_server(tmp_path, start_gateway, demo_pki):
    origins = named_origins(tmp_path, "a", "b", "c")
    try:
        servers = [{"server": o.url} for o in origins]
        gateway = start_gateway([upstream_site(demo_pki, servers, balance="round_robin", persistence="cookie",
                                               cookie_name="srv", retries=2)])
        connection = HTTPSConnection(gateway.https_port, demo_pki / "ecc-root.pem")

        def get(cookie=None):
            connection.request("GET", "/", headers={"Cookie": cookie} if cookie else {})
            response = connection.getresponse()
            body = response.read().decode()
            return re.search(r"<title>(.*)</title>", body).group(1), response.getheader("Set-Cookie")

        first, set_cookie = get()
        assert set_cookie and set_cookie.startswith("srv=") and "HttpOnly" in set_cookie and "Secure" in set_cookie
        cookie = set_cookie.split(";")[0]
        # Round robin alone would rotate; the cookie keeps every request on the first server, and a client
        # that already names its server gets no new cookie.
        for _ in range(12):
            assert get(f"other=1; {cookie}") == (first, None)
        # A forged cookie (another index, the same tag) is ignored and replaced.
        index, tag = cookie.split("=", 1)[1].split(".")
        forged = f"srv={(int(index) + 1) % 3}.{tag}"
        _, replaced = get(forged)
        assert replaced is not None and replaced.split(";")[0] != forged
        # When its server goes down the client moves, and gets a cookie for the new one.
        victim = origins["abc".index(first)]
        victim.stop()
        moved, new_cookie = get(cookie)
        assert moved != first and new_cookie is not None
        connection.close()
    finally:
        for o in origins:
            o.stop()


def test_least_connections_and_response_time_prefer_the_fast_server(tmp_path, start_gateway, demo_pki):
    fast = Origin(tmp_path, "--name", "fast")
    slow = Origin(tmp_path, "--name", "slow", "--delay", "150")
    try:
        for balance in ("least_connections", "response_time"):
            servers = [{"server": fast.url}, {"server": slow.url}]
            gateway = start_gateway([upstream_site(demo_pki, servers, balance=balance)], name=balance)
            seen = {}
            lock = threading.Lock()

            def client():
                for name, n in count(gateway, demo_pki, 25).items():
                    with lock:
                        seen[name] = seen.get(name, 0) + n

            threads = [threading.Thread(target=client) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            print(f"{balance}: 100 requests from 4 clients: {seen}")
            # Round robin would give 50/50; the slow server holds its connections (least connections) and
            # answers late (response time), so most requests go to the fast one.
            assert seen.get("fast", 0) >= 70, seen
            gateway.stop()
    finally:
        fast.stop()
        slow.stop()


def test_recovered_server_comes_back_in_slow_start(tmp_path, start_gateway, demo_pki):
    a, b = named_origins(tmp_path, "a", "b")
    try:
        servers = [{"server": o.url, "slow_start": "3s"} for o in (a, b)]
        gateway = start_gateway([upstream_site(demo_pki, servers, balance="weighted",
                                               health_check={"kind": "tcp", "interval": "200ms",
                                                             "timeout": "200ms", "rise": 1, "fall": 1})],
                                admin=True)
        port_b = b.port
        b.stop()
        wait_until(lambda: "is down" in gateway.log(), 10, "b marked down")
        b = Origin(tmp_path, "--name", "b", "--port", str(port_b))
        wait_until(lambda: "is up" in gateway.log(), 10, "b marked up")
        admin = f"http://127.0.0.1:{gateway.admin_port}/upstreams"
        state = {s["server"]: s for s in json.load(urllib.request.urlopen(admin))[0]["servers"]}
        b_state = state[f"127.0.0.1:{port_b}"]
        assert b_state["health"] == "slow_start" and b_state["effective_weight"] < 1, b_state
        early = count(gateway, demo_pki, 40)
        time.sleep(3.2)
        late = count(gateway, demo_pki, 40)
        print("b's share during slow start:", early.get("b", 0), "after:", late.get("b", 0))
        assert early.get("b", 0) < late.get("b", 0) and late.get("b", 0) == 20, (early, late)
    finally:
        a.stop()
        b.stop()


def test_source_ip_persistence_moves_a_client_only_when_its_server_is_down(tmp_path, start_gateway, demo_pki):
    origins = named_origins(tmp_path, "a", "b", "c")
    try:
        servers = [{"server": o.url} for o in origins]
        gateway = start_gateway([upstream_site(demo_pki, servers, persistence="source_ip", retries=2,
                                               health_check={"kind": "tcp", "interval": "200ms",
                                                             "timeout": "200ms", "rise": 1, "fall": 1})])
        first = count(gateway, demo_pki, 30)
        assert len(first) == 1, first  # one client address, one server
        home = next(iter(first))
        victim = origins["abc".index(home)]
        port = victim.port
        victim.stop()
        wait_until(lambda: "is down" in gateway.log(), 10, "its server marked down")
        moved = count(gateway, demo_pki, 30)
        assert len(moved) == 1 and home not in moved, moved
        origins["abc".index(home)] = Origin(tmp_path, "--name", home, "--port", str(port))
        wait_until(lambda: "is up" in gateway.log(), 10, "its server marked up")
        assert count(gateway, demo_pki, 30) == {home: 30}
    finally:
        for o in origins:
            o.stop()


def test_an_answer_broken_off_is_retried_on_another_server(tmp_path, start_gateway, demo_pki):
    import socket
    # A server that sends a head and part of its body, then drops the connection.
    broken = socket.socket()
    broken.bind(("127.0.0.1", 0))
    broken.listen(64)

    def serve():
        while True:
            try:
                conn, _ = broken.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")

    threading.Thread(target=serve, daemon=True).start()
    good = Origin(tmp_path, "--name", "good")
    try:
        servers = [{"server": f"http://127.0.0.1:{broken.getsockname()[1]}", "max_fails": 0}, {"server": good.url}]
        gateway = start_gateway([upstream_site(demo_pki, servers, balance="round_robin", retries=1)])
        # Every other request meets the broken server first; the client never sees its half answer.
        assert count(gateway, demo_pki, 20) == {"good": 20}
        assert "broke" in gateway.log() or "server 127.0.0.1" in gateway.log(), gateway.log()
    finally:
        broken.close()
        good.stop()
