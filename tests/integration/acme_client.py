"""A small RFC 8555 client for tests, independent of smtrust's C code: Python's ssl and the
`cryptography` package (Debian's, installed with certbot). It exposes the raw steps so tests can also
send what a real client never would (bad signatures, reused nonces, wrong URLs)."""
import base64
import hashlib
import http.server
import json
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwk_of(key):
    numbers = key.public_key().public_numbers()
    size = (key.curve.key_size + 7) // 8
    return {"crv": "P-256" if size == 32 else "P-384", "kty": "EC",
            "x": b64(numbers.x.to_bytes(size, "big")), "y": b64(numbers.y.to_bytes(size, "big"))}


def thumbprint(key):
    text = json.dumps(jwk_of(key), sort_keys=True, separators=(",", ":"))
    return b64(hashlib.sha256(text.encode()).digest())


def es_sign(key, data):
    size = (key.curve.key_size + 7) // 8
    der = key.sign(data, ec.ECDSA(hashes.SHA256() if size == 32 else hashes.SHA384()))
    r, s = utils.decode_dss_signature(der)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    @property
    def problem_type(self):
        try:
            return self.json().get("type", "").rsplit(":", 1)[-1]
        except ValueError:
            return None


class AcmeClient:
    def __init__(self, directory_url, ca_file, key=None, servers=None):
        self.context = ssl.create_default_context(cafile=ca_file)
        self.key = key or ec.generate_private_key(ec.SECP256R1())
        self.kid = None
        # servers: "host:port" list the requests go to in turn, whatever host the URL names (a load
        # balancer in front of several CA processes that share one base_url).
        self.servers = servers
        self.turn = 0
        self.poll_interval = 0.2
        self.directory = self.request("GET", directory_url).json()
        self.nonce = None

    def request(self, method, url, body=None, content_type="application/jose+json"):
        data = body if isinstance(body, (bytes, type(None))) else body.encode()
        target = url
        if self.servers:
            parts = urllib.parse.urlsplit(url)
            server = self.servers[self.turn % len(self.servers)]
            self.turn += 1
            target = urllib.parse.urlunsplit(parts._replace(netloc=server))
        req = urllib.request.Request(target, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, context=self.context, timeout=30) as r:
                resp = Response(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            resp = Response(e.code, e.headers, e.read())
        if resp.headers.get("Replay-Nonce"):
            self.nonce = resp.headers["Replay-Nonce"]
        return resp

    def new_nonce(self):
        self.request("HEAD", self.directory["newNonce"])
        return self.nonce

    def jws(self, url, payload, key=None, kid=None, use_jwk=False, nonce=None, alg=None, extra_header=None):
        key = key or self.key
        header = {"alg": alg or ("ES256" if key.curve.key_size == 256 else "ES384"), "url": url}
        header["nonce"] = nonce if nonce is not None else (self.nonce or self.new_nonce())
        if use_jwk or not (kid or self.kid):
            header["jwk"] = jwk_of(key)
        else:
            header["kid"] = kid or self.kid
        if extra_header:
            header.update(extra_header)
        protected = b64(json.dumps(header).encode())
        body = "" if payload is None else b64(json.dumps(payload).encode())
        signature = es_sign(key, f"{protected}.{body}".encode())
        return json.dumps({"protected": protected, "payload": body, "signature": b64(signature)})

    def post(self, url, payload, **kwargs):
        resp = self.request("POST", url, self.jws(url, payload, **kwargs))
        if resp.status == 400 and resp.problem_type == "badNonce" and "nonce" not in kwargs:
            resp = self.request("POST", url, self.jws(url, payload, **kwargs))
        return resp

    def new_account(self, eab=None, **payload):
        payload.setdefault("termsOfServiceAgreed", True)
        if eab:
            payload["externalAccountBinding"] = eab
        resp = self.post(self.directory["newAccount"], payload, use_jwk=True)
        if resp.status in (200, 201):
            self.kid = resp.headers["Location"]
        return resp

    def eab(self, kid, hmac_key):
        import hmac
        url = self.directory["newAccount"]
        protected = b64(json.dumps({"alg": "HS256", "kid": kid, "url": url}).encode())
        payload = b64(json.dumps(jwk_of(self.key)).encode())
        mac = hmac.new(hmac_key, f"{protected}.{payload}".encode(), hashlib.sha256).digest()
        return {"protected": protected, "payload": payload, "signature": b64(mac)}

    def new_order(self, names, **payload):
        payload["identifiers"] = [{"type": "ip" if n[0].isdigit() and n.count(".") == 3 else "dns", "value": n}
                                  for n in names]
        return self.post(self.directory["newOrder"], payload)

    def key_change(self, new_key):
        """RFC 8555 7.3.5: the inner JWS, signed by the new key with its jwk, the same url and no nonce."""
        url = self.directory["keyChange"]
        header = {"alg": "ES256" if new_key.curve.key_size == 256 else "ES384", "jwk": jwk_of(new_key), "url": url}
        protected = b64(json.dumps(header).encode())
        payload = b64(json.dumps({"account": self.kid, "oldKey": jwk_of(self.key)}).encode())
        inner = {"protected": protected, "payload": payload,
                 "signature": b64(es_sign(new_key, f"{protected}.{payload}".encode()))}
        resp = self.post(url, inner)
        if resp.status == 200:
            self.key = new_key
        return resp

    def get(self, url):
        return self.post(url, None)

    def key_authorization(self, token):
        return f"{token}.{thumbprint(self.key)}"

    def poll(self, url, until=("valid", "invalid", "ready"), timeout=30):
        deadline = time.time() + timeout
        while True:
            resp = self.get(url)
            if resp.json().get("status") in until or time.time() > deadline:
                return resp
            time.sleep(self.poll_interval)

    def finalize(self, order, csr_der):
        return self.post(order["finalize"], {"csr": b64(csr_der)})

    def authorize_http01(self, order, responder):
        """Answers every authorization of order with http-01 through responder (HTTP01Responder)."""
        for authz_url in order["authorizations"]:
            authz = self.get(authz_url).json()
            if authz["status"] == "valid":
                continue
            challenge = next(c for c in authz["challenges"] if c["type"] == "http-01")
            responder.tokens[challenge["token"]] = self.key_authorization(challenge["token"])
            resp = self.post(challenge["url"], {})
            assert resp.status == 200, resp.body
            final = self.poll(authz_url, until=("valid", "invalid"))
            assert final.json()["status"] == "valid", final.body


class HTTP01Responder:
    """Serves /.well-known/acme-challenge/<token> on 127.0.0.1:port from self.tokens."""

    def __init__(self, port):
        tokens = self.tokens = {}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                token = self.path.rsplit("/", 1)[-1]
                body = tokens.get(token)
                self.send_response(200 if body else 404)
                self.end_headers()
                if body:
                    self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def ec_key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
