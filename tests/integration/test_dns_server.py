"""tests/integration/dns_server.py, queried the way a resolver does (DNS messages built here with
struct, RFC 1035 4.1): A for every name, empty AAAA, TXT values re-read from the records file or folder on
every query, truncation over UDP and whole answers over TCP, and the documented certbot hooks."""
import json
import os
import random
import socket
import struct
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TYPE_A, TYPE_TXT, TYPE_AAAA = 1, 16, 28


@pytest.fixture
def dns_server(tmp_path):
    """Starts dns_server.py on a free port; yields a function that starts it with a records path."""
    procs = []

    def start(records):
        proc = subprocess.Popen([sys.executable, os.path.join(HERE, "dns_server.py"), "--port", "0",
                                 "--records", str(records)], stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        line = proc.stdout.readline()
        assert line.startswith("listening on 127.0.0.1:"), line
        return int(line.rsplit(":", 1)[1])

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)


def build_query(ident, name, qtype):
    labels = b"".join(bytes([len(label)]) + label.encode() for label in name.split("."))
    return struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0) + labels + b"\0" + struct.pack(">HH", qtype, 1)


def skip_name(message, at):
    while True:
        length = message[at]
        if length & 0xC0 == 0xC0:
            return at + 2
        at += 1 + length
        if length == 0:
            return at


def parse_answer(message, ident):
    """Returns (rcode, truncated, [(type, rdata)])."""
    got_id, flags, qdcount, ancount = struct.unpack(">HHHH", message[:8])
    assert got_id == ident and flags & 0x8000 and qdcount == 1
    at = skip_name(message, 12) + 4
    records = []
    for _ in range(ancount):
        at = skip_name(message, at)
        rtype, _rclass, _ttl, length = struct.unpack(">HHIH", message[at:at + 10])
        records.append((rtype, message[at + 10:at + 10 + length]))
        at += 10 + length
    return flags & 0xF, bool(flags & 0x0200), records


def query(port, name, qtype, tcp=False):
    ident = random.randrange(65536)
    message = build_query(ident, name, qtype)
    if tcp:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(struct.pack(">H", len(message)) + message)
            data = b""
            while len(data) < 2 or len(data) < 2 + struct.unpack(">H", data[:2])[0]:
                chunk = sock.recv(65536)
                assert chunk, "connection closed early"
                data += chunk
            return parse_answer(data[2:], ident)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(message, ("127.0.0.1", port))
        return parse_answer(sock.recv(65536), ident)


def txt_values(records):
    """Each TXT record's character-strings, concatenated (RFC 1035 3.3.14)."""
    values = []
    for rtype, rdata in records:
        assert rtype == TYPE_TXT
        value, at = b"", 0
        while at < len(rdata):
            value += rdata[at + 1:at + 1 + rdata[at]]
            at += 1 + rdata[at]
        values.append(value.decode())
    return values


def test_every_name_has_a_loopback_a_record_and_no_aaaa(dns_server, tmp_path):
    port = dns_server(tmp_path / "absent.json")
    assert query(port, "anything.example", TYPE_A) == (0, False, [(TYPE_A, bytes([127, 0, 0, 1]))])
    assert query(port, "Other.Test", TYPE_A, tcp=True)[2] == [(TYPE_A, bytes([127, 0, 0, 1]))]
    assert query(port, "anything.example", TYPE_AAAA) == (0, False, [])


def test_txt_records_follow_the_file_on_every_query(dns_server, tmp_path):
    records = tmp_path / "records.json"
    records.write_text(json.dumps({"_acme-challenge.a.test.": ["one", "two"], "_acme-challenge.b.test": "three"}))
    port = dns_server(records)
    assert txt_values(query(port, "_acme-challenge.a.test", TYPE_TXT)[2]) == ["one", "two"]
    assert txt_values(query(port, "_ACME-challenge.B.test", TYPE_TXT)[2]) == ["three"]
    records.write_text(json.dumps({"_acme-challenge.a.test": ["four"]}))
    assert txt_values(query(port, "_acme-challenge.a.test", TYPE_TXT)[2]) == ["four"]
    assert query(port, "_acme-challenge.b.test", TYPE_TXT) == (0, False, [])
    records.unlink()
    assert query(port, "_acme-challenge.a.test", TYPE_TXT) == (0, False, [])


def test_long_answers_are_truncated_over_udp_and_whole_over_tcp(dns_server, tmp_path):
    records = tmp_path / "records.json"
    values = ["x" * 300, "y" * 300]
    records.write_text(json.dumps({"_acme-challenge.big.test": values}))
    port = dns_server(records)
    assert query(port, "_acme-challenge.big.test", TYPE_TXT) == (0, True, [])
    rcode, truncated, answers = query(port, "_acme-challenge.big.test", TYPE_TXT, tcp=True)
    assert (rcode, truncated) == (0, False)
    assert txt_values(answers) == values
    # A value over 255 bytes travels as two character-strings (RFC 1035 3.3.14).
    assert answers[0][1][0] == 255 and answers[0][1][256] == 45


def test_the_documented_certbot_hooks_add_and_remove_a_record(dns_server, tmp_path):
    folder = tmp_path / "records"
    folder.mkdir()
    port = dns_server(folder)
    env = dict(os.environ, CERTBOT_DOMAIN="a.test", CERTBOT_VALIDATION="gfj9Xq-Rg85nM")
    auth_hook = f'echo "_acme-challenge.$CERTBOT_DOMAIN $CERTBOT_VALIDATION" > {folder}/$CERTBOT_VALIDATION'
    subprocess.run(["sh", "-c", auth_hook], env=env, check=True)
    assert txt_values(query(port, "_acme-challenge.a.test", TYPE_TXT)[2]) == ["gfj9Xq-Rg85nM"]
    subprocess.run(["sh", "-c", f"rm -f {folder}/$CERTBOT_VALIDATION"], env=env, check=True)
    assert query(port, "_acme-challenge.a.test", TYPE_TXT) == (0, False, [])
