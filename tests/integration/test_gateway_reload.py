"""Operating the gateway by signals and --check: SIGHUP under load applies five config changes with no failed
request, a bad config on SIGHUP is refused while the old one keeps serving, SIGHUP picks up new certificate
files, SIGUSR1 reopens the access log after rotation, and --check reports "file:line: key: message"."""
import http.client
import re
import shutil
import signal
import threading
import time

from conftest import SMTRUST, run
from gateway_util import (HTTPSConnection, Origin, curl, echo_json, make_pki, site_config, wait_until,
                          write_config)

pytest_plugins = ("gateway_util",)  # the demo_pki, origin and start_gateway fixtures


def resolve(port, name="localhost"):
    return ["--resolve", f"{name}:{port}:127.0.0.1"]


def hsts_of(gateway, pki):
    port = gateway.https_port
    head = curl("-D", "-", "-o", "/dev/null", "--cacert", pki / "ecc-root.pem", *resolve(port),
                f"https://localhost:{port}/").stdout.decode()
    return re.findall(r"(?im)^strict-transport-security: *(.*?)\r?$", head)


def hsts_site(pki, origin_url, seconds):
    return site_config(pki, origin_url, default=True, hsts={"enabled": True, "max_age": f"{seconds}s"})


def rewrite(gateway, sites):
    gateway.config["sites"] = sites
    write_config(gateway.config_path, gateway.config)


class Load:
    """Threads doing keep-alive GETs until stopped. A request is retried once, on a fresh connection, only when a
    reused keep-alive connection was closed before any byte of the response (RFC 9112 §9.3.1 lets clients retry
    idempotent requests then); every other error, and every status other than 200, is a failure."""

    def __init__(self, port, cafile, threads=4):
        self.port, self.cafile = port, cafile
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.done, self.retries, self.failures = 0, 0, []
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(threads)]
        for thread in self.threads:
            thread.start()

    def request(self, connection, path):
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200 or echo_json(body)["path"] != path:
            raise AssertionError(f"{path}: status {response.status}, body {body[:200]!r}")

    def run(self, index):
        connection, count = None, 0
        while not self.stop_event.is_set():
            path = f"/echo?thread={index}&n={count}"
            is_reused = connection is not None
            connection = connection or HTTPSConnection(self.port, self.cafile)
            try:
                self.request(connection, path)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                connection.close()
                connection = None
                if not is_reused:
                    self.fail(f"{path}: {error!r} on a new connection")
                    continue
                with self.lock:
                    self.retries += 1
                connection = HTTPSConnection(self.port, self.cafile)
                try:
                    self.request(connection, path)
                except Exception as retry_error:  # noqa: BLE001
                    self.fail(f"{path}: retry failed: {retry_error!r}")
                    connection.close()
                    connection = None
            except Exception as error:  # noqa: BLE001
                self.fail(f"{path}: {error!r}")
                connection.close()
                connection = None
            count += 1
            with self.lock:
                self.done += 1
        if connection:
            connection.close()

    def fail(self, message):
        with self.lock:
            self.failures.append(message)

    def finish(self):
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=60)


def test_sighup_during_load_loses_no_request(tmp_path, start_gateway, demo_pki, origin):
    other = Origin(tmp_path, "--name", "second origin")
    try:
        gateway = start_gateway([hsts_site(demo_pki, origin.url, 100)])
        assert hsts_of(gateway, demo_pki) == ["max-age=100"]
        load = Load(gateway.https_port, demo_pki / "ecc-root.pem")
        try:
            time.sleep(0.5)
            for i in range(1, 6):
                rewrite(gateway, [hsts_site(demo_pki, (other if i % 2 else origin).url, 100 + i)])
                line = gateway.reload()
                assert "reloaded" in line and "refused" not in line, line
                assert hsts_of(gateway, demo_pki) == [f"max-age={100 + i}"]
                time.sleep(0.5)
            time.sleep(0.5)
        finally:
            load.finish()
        print(f"\n{load.done} requests during 5 reloads, {load.retries} retried after a keep-alive close, "
              f"{len(load.failures)} failed")
        assert load.failures == []
        assert load.done > 100
        # The last change is in force: site now forwards to the second origin.
        port = gateway.https_port
        page = curl("--cacert", demo_pki / "ecc-root.pem", *resolve(port), f"https://localhost:{port}/").stdout
        assert b"Hello from second origin" in page
    finally:
        other.stop()


def test_bad_config_on_sighup_is_refused_and_old_one_serves(start_gateway, demo_pki, origin):
    gateway = start_gateway([hsts_site(demo_pki, origin.url, 100)])
    good_text = gateway.config_path.read_text()
    gateway.config_path.write_text(good_text.replace("origin:", "orign:", 1))
    line = gateway.reload()
    assert "reload refused" in line, line
    assert re.search(rf"{re.escape(gateway.config_path.name)}:\d+: ", gateway.log()), gateway.log()
    assert hsts_of(gateway, demo_pki) == ["max-age=100"]
    # A config that parses but names a certificate file that is not there is refused too.
    site = site_config(demo_pki, origin.url, default=True)
    site["ecc"]["cert"] = str(demo_pki / "missing.pem")
    rewrite(gateway, [site])
    line = gateway.reload()
    assert "reload refused" in line and "missing.pem" in line, line
    assert hsts_of(gateway, demo_pki) == ["max-age=100"]
    run([SMTRUST, "tlcp-client", "--cafile", demo_pki / "sm2-root.pem", f"https://localhost:{gateway.https_port}/"])
    # And a good one afterwards is applied.
    rewrite(gateway, [hsts_site(demo_pki, origin.url, 300)])
    assert "reloaded" in gateway.reload()
    assert hsts_of(gateway, demo_pki) == ["max-age=300"]


def test_sighup_reloads_certificate_files(tmp_path, start_gateway, demo_pki, origin):
    gateway = start_gateway([site_config(demo_pki, origin.url, default=True)])
    port = gateway.https_port
    new_pki = make_pki(tmp_path / "new-pki")
    for name in ("ecc.pem", "ecc.key", "sm2-sign.pem", "sm2-sign.key", "sm2-enc.pem", "sm2-enc.key"):
        shutil.copy2(new_pki / name, demo_pki / name)  # same paths, new contents (modes kept: 0600 keys)
    # Until the reload the old certificates are served.
    curl("--cacert", demo_pki / "ecc-root.pem", *resolve(port), f"https://localhost:{port}/")
    assert "reloaded" in gateway.reload()
    curl("--cacert", new_pki / "ecc-root.pem", *resolve(port), f"https://localhost:{port}/")
    curl("--cacert", demo_pki / "ecc-root.pem", *resolve(port), f"https://localhost:{port}/", ok=False)
    run([SMTRUST, "tlcp-client", "--cafile", new_pki / "sm2-root.pem", f"https://localhost:{port}/"])
    run([SMTRUST, "tlcp-client", "--cafile", demo_pki / "sm2-root.pem", f"https://localhost:{port}/"], ok=False)


def test_sigusr1_reopens_the_access_log(start_gateway, demo_pki, origin):
    gateway = start_gateway([site_config(demo_pki, origin.url, default=True)])
    port, log = gateway.https_port, gateway.access_log
    curl("--cacert", demo_pki / "ecc-root.pem", *resolve(port), f"https://localhost:{port}/echo?before=rotation")
    wait_until(lambda: log.exists() and "before=rotation" in log.read_text(), 10, "the first access log line")
    rotated = log.with_name(log.name + ".1")
    log.rename(rotated)
    gateway.signal(signal.SIGUSR1)
    wait_until(lambda: log.exists(), 10, "the gateway to create the access log again")
    curl("--cacert", demo_pki / "ecc-root.pem", *resolve(port), f"https://localhost:{port}/echo?after=rotation")
    wait_until(lambda: "after=rotation" in log.read_text(), 10, "the line after rotation in the new file")
    assert "after=rotation" not in rotated.read_text()
    assert "before=rotation" not in log.read_text()


def test_check_accepts_a_good_file_and_names_line_and_key_of_a_bad_one(tmp_path, demo_pki, origin):
    from gateway_util import gateway_config
    good = write_config(tmp_path / "good.yaml",
                        gateway_config(8443, [site_config(demo_pki, origin.url, default=True)], tmp_path / "a.log"))
    proc = run([SMTRUST, "gateway", "-c", good, "--check"])
    assert proc.stdout.decode().startswith(f"{good}: ok"), proc.stdout
    text = good.read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("origin:", "orign:", 1))
    line_number = next(i for i, line in enumerate(bad.read_text().splitlines(), 1) if "orign:" in line)
    proc = run([SMTRUST, "gateway", "-c", bad, "--check"], ok=False)
    assert proc.returncode == 1
    assert re.search(rf"(?m)^{re.escape(str(bad))}:{line_number}: sites\[0\]\.orign: ", proc.stderr.decode()), \
        proc.stderr
    # A missing certificate file is reported with its path, and nothing is started.
    missing = tmp_path / "missing.yaml"
    missing.write_text(text.replace(str(demo_pki / "ecc.pem"), str(demo_pki / "nowhere.pem")))
    proc = run([SMTRUST, "gateway", "-c", missing, "--check"], ok=False)
    assert proc.returncode == 1 and b"nowhere.pem" in proc.stderr
