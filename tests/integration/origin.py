#!/usr/bin/env python3
"""A small HTTP/1.1 origin server for the gateway's tests and demo (Python standard library only).

    python3 origin.py --port N [--host ADDR] [--tls-cert F --tls-key F] [--root DIR] [--name NAME] [--log]
                      [--delay MS]

Prints "ready PORT" on standard output once it listens (--port 0 picks a free port). Keep-alive is honoured
(every response has a Content-Length or is chunked). Endpoints:

    GET  /                 a small HTML page naming this origin (DIR/index.html instead, with --root)
    ANY  /echo             JSON: method, path, scheme, client, headers as [name, value] pairs in order,
                           body_length and body_sha256 (request bodies may be chunked)
    GET  /bytes?n=N        N bytes of pattern() with a Content-Length
    GET  /chunked?n=N&size=S   the same N bytes as a chunked response, S bytes per chunk (default 16384)
    POST /upload           reads the body (chunked or Content-Length); JSON {length, sha256}
    GET  /status/CODE      that status (200..599) with a one-line body
    GET  /slow?ms=M        waits M milliseconds, then answers 200
    GET  /ws               WebSocket echo (RFC 6455): text and binary messages come back as sent,
                           pings get pongs, a close is answered with the same code
    GET  /other/path       with --root: the file DIR/other/path (never outside DIR), else 404
"""
import argparse
import base64
import hashlib
import json
import os
import signal
import socket
import ssl
import struct
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATTERN_PERIOD = 251  # a prime, so the pattern never lines up with chunk or record sizes
_PATTERN_BLOCK = bytes(i % PATTERN_PERIOD for i in range(PATTERN_PERIOD)) * 1024
WEBSOCKET_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3
READ_SIZE = 256 * 1024
MAX_CHUNK_LINE = 4096


def pattern(n, offset=0):
    """Bytes offset..offset+n of the endless pattern 0, 1, ..., 250, 0, 1, ... (what /bytes and /chunked send)."""
    out = bytearray()
    while len(out) < n:
        start = (offset + len(out)) % PATTERN_PERIOD
        out += _PATTERN_BLOCK[start:start + min(n - len(out), len(_PATTERN_BLOCK) - PATTERN_PERIOD)]
    return bytes(out)


def pattern_sha256(n):
    digest = hashlib.sha256()
    for offset in range(0, n, READ_SIZE):
        digest.update(pattern(min(READ_SIZE, n - offset), offset))
    return digest.hexdigest()


def websocket_accept(key):
    """The Sec-WebSocket-Accept value for a Sec-WebSocket-Key (RFC 6455 §4.2.2 step 5.4)."""
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + WEBSOCKET_GUID).digest()).decode("ascii")


class BadRequest(Exception):
    pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "origin.py"
    disable_nagle_algorithm = True

    def setup(self):
        # The TLS handshake runs here, in this connection's thread, so a slow client never stalls accept().
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(30)
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError):
                self.request.close()
                raise
            self.request.settimeout(None)
        super().setup()

    def version_string(self):
        return self.server_version

    def log_message(self, format, *args):
        if self.server.log_requests:
            sys.stderr.write(f"origin.py: {self.address_string()} {format % args}\n")

    # --- request body ---

    def read_body(self):
        """Returns (length, sha256 hex) of the request body, read whole: chunked (RFC 9112 §7.1) or by length."""
        digest, length = hashlib.sha256(), 0
        coding = self.headers.get("Transfer-Encoding")
        if coding is not None:
            if coding.strip().lower() != "chunked":
                raise BadRequest(f"transfer coding {coding!r}")
            for piece in self.read_chunked():
                digest.update(piece)
                length += len(piece)
            return length, digest.hexdigest()
        left = int(self.headers.get("Content-Length") or 0)
        while left > 0:
            piece = self.rfile.read(min(left, READ_SIZE))
            if not piece:
                raise BadRequest("body shorter than its Content-Length")
            digest.update(piece)
            length += len(piece)
            left -= len(piece)
        return length, digest.hexdigest()

    def read_chunked(self):
        while True:
            line = self.rfile.readline(MAX_CHUNK_LINE)
            size_text = line.split(b";", 1)[0].strip()
            if not line.endswith(b"\n") or not size_text or any(c not in b"0123456789abcdefABCDEF" for c in size_text):
                raise BadRequest(f"chunk size line {line[:40]!r}")
            size = int(size_text, 16)
            if size == 0:
                break
            while size > 0:
                piece = self.rfile.read(min(size, READ_SIZE))
                if not piece:
                    raise BadRequest("body ends inside a chunk")
                size -= len(piece)
                yield piece
            if self.rfile.readline(MAX_CHUNK_LINE) not in (b"\r\n", b"\n"):
                raise BadRequest("chunk data not followed by CRLF")
        while self.rfile.readline(MAX_CHUNK_LINE) not in (b"\r\n", b"\n", b""):
            pass  # trailer fields are read and dropped

    # --- responses ---

    def send_body(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, value, status=200):
        self.send_body(status, json.dumps(value).encode() + b"\n", "application/json")

    def send_text(self, status, text):
        self.send_body(status, text.encode(), "text/plain; charset=utf-8")

    # --- dispatch ---

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except BadRequest as error:
            self.close_connection = True
            self.send_text(400, f"bad request: {error}\n")
        except (ConnectionError, ssl.SSLError, socket.timeout):
            self.close_connection = True

    def dispatch(self):
        if self.server.delay:
            time.sleep(self.server.delay / 1000)  # --delay: a slow server, for load-balancing tests
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        route = {"/": self.page, "/echo": self.echo, "/bytes": self.bytes_, "/chunked": self.chunked,
                 "/upload": self.upload, "/slow": self.slow, "/ws": self.websocket}.get(url.path)
        if route is None and url.path.startswith("/status/"):
            route = self.status
        if route is None:
            route = self.file
        try:
            route(url, query)
        except ValueError as error:
            self.close_connection = True
            self.send_text(400, f"bad request: {error}\n")

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = dispatch

    def drain(self):
        if self.command not in ("GET", "HEAD"):
            self.read_body()

    def page(self, url, query):
        self.drain()
        if self.server.root and os.path.isfile(os.path.join(self.server.root, "index.html")):
            return self.file(urllib.parse.urlsplit("/index.html"), query)
        name = self.server.name
        body = (f"<!doctype html>\n<html><head><title>{name}</title></head>\n"
                f"<body><h1>Hello from {name}</h1>\n<p>This page came from the origin server "
                f"<code>{name}</code> through whatever is in front of it.</p></body></html>\n")
        self.send_body(200, body.encode(), "text/html; charset=utf-8")

    def echo(self, url, query):
        length, sha256 = self.read_body()
        self.send_json({"method": self.command, "path": self.path, "version": self.request_version,
                        "scheme": "https" if isinstance(self.request, ssl.SSLSocket) else "http",
                        "client": self.client_address[0], "headers": [[k, v] for k, v in self.headers.items()],
                        "body_length": length, "body_sha256": sha256})

    def upload(self, url, query):
        length, sha256 = self.read_body()
        self.send_json({"length": length, "sha256": sha256})

    def bytes_(self, url, query):
        self.drain()
        n = int(query.get("n", ["0"])[0])
        if n < 0:
            raise ValueError(f"n={n}")
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n))
        self.end_headers()
        if self.command == "HEAD":
            return
        for offset in range(0, n, READ_SIZE):
            self.wfile.write(pattern(min(READ_SIZE, n - offset), offset))

    def chunked(self, url, query):
        self.drain()
        n = int(query.get("n", ["0"])[0])
        size = int(query.get("size", ["16384"])[0])
        if n < 0 or size < 1:
            raise ValueError(f"n={n} size={size}")
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if self.command == "HEAD":
            return
        for offset in range(0, n, size):
            piece = pattern(min(size, n - offset), offset)
            self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def status(self, url, query):
        self.drain()
        code = int(url.path[len("/status/"):])
        if not 200 <= code <= 599:
            raise ValueError(f"status {code}: expected 200..599")
        if code in (204, 304):
            self.send_response(code)
            self.end_headers()
        else:
            self.send_text(code, f"status {code}\n")

    def slow(self, url, query):
        self.drain()
        ms = int(query.get("ms", ["1000"])[0])
        time.sleep(max(ms, 0) / 1000)
        self.send_text(200, f"slept {ms} ms\n")

    def file(self, url, query):
        self.drain()
        root = self.server.root
        if root:
            path = os.path.realpath(os.path.join(root, urllib.parse.unquote(url.path).lstrip("/")))
            if path.startswith(os.path.realpath(root) + os.sep) and os.path.isfile(path):
                with open(path, "rb") as f:
                    kind = "text/html; charset=utf-8" if path.endswith(".html") else "application/octet-stream"
                    return self.send_body(200, f.read(), kind)
        self.send_text(404, f"no {url.path} here\n")

    # --- WebSocket (RFC 6455) ---

    def websocket(self, url, query):
        key = self.headers.get("Sec-WebSocket-Key", "")
        upgrade = self.headers.get("Upgrade", "").lower()
        connection = [t.strip().lower() for t in self.headers.get("Connection", "").split(",")]
        if upgrade != "websocket" or "upgrade" not in connection or len(base64.b64decode(key + "==")) != 16:
            return self.send_text(400, "expected a WebSocket handshake (RFC 6455 §4.2.1)\n")
        if self.headers.get("Sec-WebSocket-Version") != "13":
            self.send_response(426)
            self.send_header("Sec-WebSocket-Version", "13")
            self.send_header("Content-Length", "0")
            return self.end_headers()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", websocket_accept(key))
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        try:
            self.websocket_echo()
        except (BadRequest, ConnectionError, ssl.SSLError, struct.error):
            pass

    def read_exact(self, n):
        data = self.rfile.read(n)
        if len(data) != n:
            raise ConnectionError("connection closed inside a frame")
        return data

    def read_frame(self):
        """One client frame (RFC 6455 §5.2): (fin, opcode, payload); client frames must be masked (§5.3)."""
        first, second = self.read_exact(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self.read_exact(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self.read_exact(8))[0]
        if not second & 0x80:
            raise BadRequest("unmasked client frame")
        mask = self.read_exact(4)
        payload = bytearray(self.read_exact(length))
        for i in range(length):
            payload[i] ^= mask[i % 4]
        return bool(first & 0x80), first & 0x0F, bytes(payload)

    def send_frame(self, opcode, payload):
        head = bytes([0x80 | opcode])
        if len(payload) < 126:
            head += bytes([len(payload)])
        elif len(payload) < 1 << 16:
            head += bytes([126]) + struct.pack("!H", len(payload))
        else:
            head += bytes([127]) + struct.pack("!Q", len(payload))
        self.wfile.write(head + payload)

    def websocket_echo(self):
        message, message_opcode = b"", 0
        while True:
            fin, opcode, payload = self.read_frame()
            if opcode == 0x8:  # close: answer with the same status code (§5.5.1)
                self.send_frame(0x8, payload[:2])
                return
            if opcode == 0x9:
                self.send_frame(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            if opcode in (0x1, 0x2):
                message, message_opcode = payload, opcode
            elif opcode == 0x0 and message_opcode:
                message += payload
            else:
                raise BadRequest(f"opcode {opcode:#x}")
            if fin:
                self.send_frame(message_opcode, message)
                message, message_opcode = b"", 0


class OriginServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


def main():
    parser = argparse.ArgumentParser(description="A small HTTP/1.1 origin for smtrust's tests and demo.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--root", help="serve files from this folder")
    parser.add_argument("--name", help="what the home page calls this origin")
    parser.add_argument("--log", action="store_true", help="a line per request on standard error")
    parser.add_argument("--delay", type=int, default=0, help="milliseconds every answer waits")
    args = parser.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    OriginServer.address_family = family
    server = OriginServer((args.host, args.port), Handler)
    port = server.server_address[1]
    scheme = "https" if args.tls_cert else "http"
    server.name = args.name or f"origin.py at {scheme}://{args.host}:{port}"
    server.root = args.root
    server.delay = args.delay
    server.log_requests = args.log
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"ready {port}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
