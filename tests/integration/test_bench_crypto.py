"""`smtrust bench crypto` and `smtrust bench tlcp` run to the end (briefly: the figures themselves are read
by people, not asserted) and print each row with both figures and their ratio; also under ASan, where this
is the only run of the benchmark code."""
import re

from conftest import SMTRUST, run

ROW = re.compile(r"^(?P<op>.+?)\s+(?P<ours>[0-9.]+) (?P<unit>op/s|MB/s|us CPU)\s+(?P<peer>[0-9.]+) (?P=unit)\s+"
                 r"(?P<ratio>[0-9.]+)  (?P<measured>.+)$")


def rows(kind):
    out = run([SMTRUST, "bench", kind, "--seconds", "0.02", "--rounds", "1"]).stdout.decode()
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["operation", "smtrust", "peer", "ratio"], out
    assert lines[-1].startswith("ratio = smtrust / peer"), out
    found = {}
    for line in lines[1:-1]:
        match = ROW.match(line)
        assert match, line
        assert float(match["ours"]) > 0 and float(match["peer"]) > 0, line
        assert abs(float(match["ratio"]) - float(match["ours"]) / float(match["peer"])) < 0.01 + 0.01 * float(
            match["ratio"]), line
        found[match["op"].strip()] = match
    return found


def test_bench_crypto_rows():
    found = rows("crypto")
    for op in ("sm2 sign", "sm2 verify", "sm2 decrypt 48 B", "sm3 16 KiB"):
        assert op in found, sorted(found)
    assert found["sm2 sign"]["unit"] == "op/s" and found["sm3 16 KiB"]["unit"] == "MB/s"


def test_bench_tlcp_rows():
    found = rows("tlcp")
    for suite in ("ECC_SM4_GCM_SM3", "ECC_SM4_CBC_SM3", "ECDHE_SM4_GCM_SM3", "ECDHE_SM4_CBC_SM3"):
        assert f"{suite} resumed" in found and f"{suite} 16 KiB" in found, sorted(found)
        server = found[f"{suite} full, server"]
        assert server["unit"] == "us CPU" and "server CPU" in server["measured"], server.string
