/* src/crypto/jose.h: JSON Web Keys and flattened JSON Web Signatures as ACME uses them (RFC 7515, 7517,
 * 7518, 7638, 8037; RFC 8555 6.2), over OpenSSL 3 and jansson.
 *
 * Keys: EC P-256, P-384 and P-521 ("kty":"EC"), RSA of 2048 to 8192 bits ("RSA"), Ed25519 ("OKP").
 * Algorithms: ES256, ES384, ES512, RS256, EdDSA for signatures by keys; HS256, HS384, HS512 for external
 * account binding MACs. "none" and every other algorithm are refused with CA_EJOSE_ALG (ACME
 * badSignatureAlgorithm); a syntax problem fails with CA_EJOSE (ACME malformed); a signature that does not
 * verify with CRYPTO_EVERIFY. Base64url must be strict: no padding, no characters outside the alphabet. */
#ifndef SMT_CRYPTO_JOSE_H
#define SMT_CRYPTO_JOSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/key.h"

/* RFC 7638 SHA-256 thumbprint in base64url: 43 characters + NUL. */
#define JOSE_THUMBPRINT_LEN 44
/* The largest JWS jose_jws_parse reads. */
#define JOSE_JWS_MAX (256 * 1024)

/* --- base64url (RFC 4648 5, without padding) --- */

/* jose_b64url_encode appends the encoding of in to out. */
int jose_b64url_encode(const uint8_t *in, size_t in_len, struct buf_writer *out, struct err *err) SMT_MUST_USE;

/* jose_b64url_decode decodes in_len characters into a new buffer *out of *out_len bytes (free()); CA_EJOSE
 * for padding, characters outside the alphabet, or a length of 1 mod 4. */
int jose_b64url_decode(const char *in, size_t in_len, uint8_t **out, size_t *out_len, struct err *err) SMT_MUST_USE;

/* --- keys --- */

struct jose_jwk; /* a public key read from a JWK; immutable */

/* jose_jwk_from_json reads a public JWK object: only the members its kty needs are read, a private member
 * ("d", "p", ...) is refused (CA_EJOSE), curve points are checked to be on the curve. */
int jose_jwk_from_json(struct jose_jwk **out, const json_t *jwk, struct err *err) SMT_MUST_USE;

/* jose_jwk_from_text parses JWK JSON text (as stored) with jose_jwk_from_json. */
int jose_jwk_from_text(struct jose_jwk **out, const char *text, struct err *err) SMT_MUST_USE;

/* jose_jwk_from_key makes the JWK of key's public half (EC P-256/P-384 or RSA; CRYPTO_EWRONGALG for SM2). */
int jose_jwk_from_key(struct jose_jwk **out, const struct key *key, struct err *err) SMT_MUST_USE;

/* jose_jwk_to_json returns a new JSON object with exactly the RFC 7638 required members, i.e. the key's
 * canonical public form (json_decref it). */
json_t *jose_jwk_to_json(const struct jose_jwk *jwk);

/* jose_jwk_thumbprint writes the RFC 7638 SHA-256 thumbprint, base64url, NUL-terminated. */
int jose_jwk_thumbprint(const struct jose_jwk *jwk, char out[JOSE_THUMBPRINT_LEN], struct err *err) SMT_MUST_USE;

/* jose_jwk_equal says whether both are the same public key. */
bool jose_jwk_equal(const struct jose_jwk *a, const struct jose_jwk *b);

/* jose_jwk_matches_spki says whether the JWK is the public key of a DER SubjectPublicKeyInfo (ACME: a CSR's
 * key must not be the account key; revocation signed by the certificate's key). */
bool jose_jwk_matches_spki(const struct jose_jwk *jwk, const uint8_t *spki_der, size_t spki_len);

void jose_jwk_free(struct jose_jwk *jwk);

/* --- flattened JWS --- */

/* A parsed flattened JWS: {"protected": b64url, "payload": b64url, "signature": b64url} and nothing else
 * (RFC 8555 6.2: no unprotected header, one signature). The header members ACME needs are extracted; the
 * signature is not checked until jose_jws_verify. */
struct jose_jws {
        json_t *header;      /* the decoded protected header object */
        const char *alg;     /* borrowed from header */
        const char *nonce;   /* NULL when absent */
        const char *url;     /* NULL when absent */
        const char *kid;     /* NULL when absent */
        const json_t *jwk;   /* NULL when absent */
        uint8_t *payload;    /* decoded; payload_len 0 for POST-as-GET ("payload": "") */
        size_t payload_len;
        uint8_t *signature;  /* decoded */
        size_t signature_len;
        char *signing_input; /* ASCII(protected || '.' || payload), as signed */
        size_t signing_input_len;
};

/* jose_jws_parse reads body as a flattened JWS. CA_EJOSE: not JSON, missing or extra members, bad base64url,
 * header not an object, no "alg", both or neither of "jwk" and "kid" (require_key_id false accepts neither:
 * an EAB inner JWS), a "crit" member. CA_EJOSE_ALG: alg not one of those above. Free with jose_jws_clear. */
int jose_jws_parse(struct jose_jws *out, const uint8_t *body, size_t len, bool require_key_id,
                   struct err *err) SMT_MUST_USE;

/* jose_jws_payload_json parses the payload as a JSON object (new reference); CA_EJOSE if it is not one. */
int jose_jws_payload_json(const struct jose_jws *jws, json_t **out, struct err *err) SMT_MUST_USE;

/* jose_jws_verify checks the signature with jwk: alg must fit the key (ES256 needs P-256, ES384 P-384,
 * ES512 P-521, RS256 RSA, EdDSA Ed25519; otherwise CA_EJOSE_ALG), ECDSA signatures are the fixed-length
 * R || S of RFC 7518 3.4. CRYPTO_EVERIFY when it does not verify. */
int jose_jws_verify(const struct jose_jws *jws, const struct jose_jwk *jwk, struct err *err) SMT_MUST_USE;

/* jose_jws_verify_hmac checks an HS256/HS384/HS512 MAC with key (EAB, RFC 8555 7.3.4) in constant time. */
int jose_jws_verify_hmac(const struct jose_jws *jws, const uint8_t *key, size_t key_len, struct err *err) SMT_MUST_USE;

void jose_jws_clear(struct jose_jws *jws);

/* --- signing (the project's own ACME client, tests) --- */

/* jose_jws_sign appends a flattened JWS to out: protected header {"alg", "nonce" (if not NULL), "url",
 * then "kid" if kid is not NULL, else "jwk" of key}, payload (payload_len 0 = "" for POST-as-GET), signed
 * by key (EC P-256 → ES256, P-384 → ES384, RSA → RS256). */
int jose_jws_sign(const struct key *key, const char *kid, const char *nonce, const char *url, const uint8_t *payload,
                  size_t payload_len, struct buf_writer *out, struct err *err) SMT_MUST_USE;

/* jose_jws_sign_hmac appends an HS256 flattened JWS with header {"alg":"HS256","kid","url"} over payload
 * (the EAB inner JWS: payload is the account key's JWK). */
int jose_jws_sign_hmac(const uint8_t *key, size_t key_len, const char *kid, const char *url, const uint8_t *payload,
                       size_t payload_len, struct buf_writer *out, struct err *err) SMT_MUST_USE;

#endif
