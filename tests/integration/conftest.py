"""Shared fixtures for integration tests: the smtrust binary, a scratch folder, and a runner that
fails with the command's own output when it exits unexpectedly."""
import os
import subprocess

import pytest

SMTRUST = os.environ.get("SMTRUST") or os.path.join(os.path.dirname(__file__), "..", "..", "build", "smtrust")


def run(args, ok=True, input=None, env=None):
    """Runs a command (list), returns CompletedProcess with bytes stdout/stderr; checks its exit status."""
    full_env = dict(os.environ)
    # Never trust what the machine presets: each test names its trust roots itself.
    for name in ("SSL_CERT_FILE", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "OPENSSL_CONF"):
        full_env.pop(name, None)
    if env:
        full_env.update(env)
    proc = subprocess.run(args, input=input, capture_output=True, env=full_env, timeout=120)
    if ok and proc.returncode != 0:
        pytest.fail(f"{args} exited {proc.returncode}\nstdout: {proc.stdout[:2000]!r}\nstderr: {proc.stderr[:2000]!r}")
    if ok is False and proc.returncode == 0:
        pytest.fail(f"{args} succeeded but should have failed\nstdout: {proc.stdout[:2000]!r}")
    return proc


@pytest.fixture
def smtrust():
    """Runs smtrust with the given arguments: smtrust("key", "gen", ...)."""
    def call(*args, ok=True, input=None):
        return run([SMTRUST, *map(str, args)], ok=ok, input=input)
    return call


@pytest.fixture
def openssl():
    """Runs the openssl command with the given arguments."""
    def call(*args, ok=True, input=None):
        return run(["openssl", *map(str, args)], ok=ok, input=input)
    return call
