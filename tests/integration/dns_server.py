#!/usr/bin/env python3
"""A tiny authoritative DNS server for dns-01 integration tests (RFC 1035; standard library only).

    python3 dns_server.py --port N --records PATH [--address 127.0.0.1] [--a 127.0.0.1]

It answers over UDP and TCP on the same port:
  A     <any name>  -> the --a address (127.0.0.1), so every name points at the test machine
  AAAA  <any name>  -> NOERROR without records (clients fall back to A)
  TXT   <name>      -> the values PATH lists for that name, read again on every query
  other types       -> NOERROR without records
With --port 0 the kernel picks a free port. The first line on stdout is "listening on HOST:PORT".
A UDP answer over 512 bytes is sent truncated (TC set, no records); the client asks again over TCP.
Values longer than 255 bytes are split into several character-strings (RFC 1035 3.3.14).

PATH is either a JSON file or a directory; names are compared ignoring case and a trailing dot:
  JSON file:  {"_acme-challenge.a.test": ["value1", "value2"], "_acme-challenge.b.test": "value"}
  directory:  every file in it holds lines "NAME VALUE"; one file per challenge is easiest to add and remove.

Hooks that publish and withdraw dns-01 records (directory mode, DIR being PATH):
  certbot --manual --preferred-challenges dns
      --manual-auth-hook    'echo "_acme-challenge.$CERTBOT_DOMAIN $CERTBOT_VALIDATION" > DIR/$CERTBOT_VALIDATION'
      --manual-cleanup-hook 'rm -f DIR/$CERTBOT_VALIDATION'
  lego --dns exec, with EXEC_PATH=hook.sh, which lego calls as "hook.sh present|cleanup FQDN VALUE":
      #!/bin/sh
      case "$1" in
      present) echo "$2 $3" > "DIR/$3" ;;
      cleanup) rm -f "DIR/$3" ;;
      esac
  and --dns.resolvers 127.0.0.1:N (plus EXEC_PROPAGATION_TIMEOUT / --dns.disable-cp as needed) so lego asks
  this server. The values are base64url, safe as file names. The CA under test must use this server as its
  resolver too (pebble: -dnsserver 127.0.0.1:N; smtrust: challenges.resolver).
"""

import argparse
import ipaddress
import json
import os
import socket
import socketserver
import struct
import sys
import threading

TYPE_A, TYPE_TXT, TYPE_AAAA = 1, 16, 28
CLASS_IN = 1
RCODE_FORMERR = 1
UDP_MAX = 512


def normalize(name):
    return name.rstrip(".").lower()


def load_txt_records(path):
    """Returns {name: [values]} from the JSON file or the directory at path (missing: nothing)."""
    records = {}

    def add(name, value):
        records.setdefault(normalize(name), []).append(str(value))

    if os.path.isdir(path):
        for entry in sorted(os.listdir(path)):
            try:
                with open(os.path.join(path, entry), encoding="utf-8") as f:
                    lines = f.read().splitlines()
            except (OSError, UnicodeDecodeError):
                continue
            for line in lines:
                parts = line.split(None, 1)
                if len(parts) == 2:
                    add(parts[0], parts[1].strip())
        return records
    try:
        with open(path, encoding="utf-8") as f:
            table = json.load(f)
    except (OSError, ValueError):
        return records  # absent or being rewritten: no records this time
    if isinstance(table, dict):
        for name, values in table.items():
            for value in values if isinstance(values, list) else [values]:
                add(name, value)
    return records


def parse_question(query):
    """Returns (id, flags, name, qtype, end of the question) or raises ValueError."""
    if len(query) < 12:
        raise ValueError("short header")
    ident, flags, qdcount = struct.unpack(">HHH", query[:6])
    if qdcount != 1 or flags & 0x8000:
        raise ValueError("not a query with one question")
    labels, at = [], 12
    while True:
        if at >= len(query):
            raise ValueError("name cut short")
        length = query[at]
        at += 1
        if length == 0:
            break
        if length > 63 or at + length > len(query):
            raise ValueError("bad label")
        labels.append(query[at:at + length].decode("ascii", "replace"))
        at += length
    if at + 4 > len(query):
        raise ValueError("question cut short")
    qtype, _qclass = struct.unpack(">HH", query[at:at + 4])
    return ident, flags, ".".join(labels), qtype, at + 4


def txt_rdata(value):
    data = value.encode("utf-8")
    chunks = [data[i:i + 255] for i in range(0, len(data), 255)] or [b""]
    return b"".join(bytes([len(chunk)]) + chunk for chunk in chunks)


def record(rtype, rdata):
    # 0xc00c: a pointer to the question's name, the owner of every answer (RFC 1035 4.1.4).
    return struct.pack(">HHHIH", 0xC00C, rtype, CLASS_IN, 60, len(rdata)) + rdata


class Zone:
    def __init__(self, records_path, a_address):
        self.records_path = records_path
        self.a_address = ipaddress.IPv4Address(a_address).packed

    def answer(self, query, over_udp):
        try:
            ident, flags, name, qtype, end = parse_question(query)
        except ValueError:
            if len(query) < 2:
                return None
            return query[:2] + struct.pack(">HHHHH", 0x8000 | RCODE_FORMERR, 0, 0, 0, 0)
        answers = []
        if qtype == TYPE_A:
            answers.append(record(TYPE_A, self.a_address))
        elif qtype == TYPE_TXT:
            for value in load_txt_records(self.records_path).get(normalize(name), []):
                answers.append(record(TYPE_TXT, txt_rdata(value)))
        # QR, AA, RD as asked, RA.
        reply_flags = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080
        body = b"".join(answers)
        if over_udp and 12 + (end - 12) + len(body) > UDP_MAX:
            reply_flags |= 0x0200
            answers, body = [], b""
        header = struct.pack(">HHHHHH", ident, reply_flags, 1, len(answers), 0, 0)
        return header + query[12:end] + body


class UDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        reply = self.server.zone.answer(data, over_udp=True)
        if reply is not None:
            sock.sendto(reply, self.client_address)


class TCPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(5)
        try:
            while True:
                prefix = self.read_exactly(2)
                if prefix is None:
                    return
                query = self.read_exactly(struct.unpack(">H", prefix)[0])
                if query is None:
                    return
                reply = self.server.zone.answer(query, over_udp=False)
                if reply is None:
                    return
                self.request.sendall(struct.pack(">H", len(reply)) + reply)
        except OSError:
            return

    def read_exactly(self, n):
        data = b""
        while len(data) < n:
            chunk = self.request.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data


class UDPServer(socketserver.ThreadingUDPServer):
    daemon_threads = True
    allow_reuse_address = True


class TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def start(address, port, zone):
    """Binds UDP and TCP on one port (port 0: a free one, tried a few times) and serves on threads."""
    for _ in range(20):
        udp = UDPServer((address, port), UDPHandler)
        chosen = udp.server_address[1]
        try:
            tcp = TCPServer((address, chosen), TCPHandler)
        except OSError:
            udp.server_close()
            if port != 0:
                raise
            continue
        for server in (udp, tcp):
            server.zone = zone
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return udp, tcp, chosen
    raise OSError("no port free for both UDP and TCP")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="UDP and TCP port (0: any free one)")
    parser.add_argument("--records", required=True, help="JSON file or directory of TXT records, re-read per query")
    parser.add_argument("--address", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--a", dest="a_address", default="127.0.0.1", help="the address every A query gets")
    args = parser.parse_args()
    _udp, _tcp, port = start(args.address, args.port, Zone(args.records, args.a_address))
    print(f"listening on {args.address}:{port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
