/* src/gateway/challenges.h: the ACME challenges the gateway answers while its own orders are validated
 * (gateway/autocert.h places them, the workers answer them):
 *   - http-01 (RFC 8555 8.3): GET /.well-known/acme-challenge/<token> on the gateway's plain listeners
 *     (protocol redirect and http) is answered 200 text/plain with the key authorization, before any
 *     redirect or proxying; an unknown token goes on as any other request would.
 *   - tls-alpn-01 (RFC 8737): a TLS ClientHello on an https (or tcp) listener offering ALPN "acme-tls/1" for a
 *     name with a pending challenge gets a self-signed validation certificate (SAN the name, critical
 *     id-pe-acmeIdentifier holding SHA-256 of the key authorization), ALPN "acme-tls/1" is selected, and the
 *     connection closes once the handshake is over. Without a pending challenge the handshake is refused
 *     (unrecognized_name): the site's own certificate is never served under acme-tls/1.
 *
 * One table per process, shared by the ACME threads that add and remove entries and the worker threads that
 * look them up; a mutex guards it (lookups happen only for requests under /.well-known/acme-challenge/ and
 * acme-tls/1 handshakes, never on the ordinary path). Key authorizations are not secret once published,
 * but they are still wiped when removed. */
#ifndef SMT_GATEWAY_CHALLENGES_H
#define SMT_GATEWAY_CHALLENGES_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

#define GW_CHALLENGES_HTTP01_PREFIX "/.well-known/acme-challenge/"
#define GW_CHALLENGES_KEY_AUTH_MAX  512

struct gw_challenges;
struct ssl_ctx_st;

/* gw_challenges_new makes an empty table (it grows as entries are added); SMT_ENOMEM. */
int gw_challenges_new(struct gw_challenges **out, struct err *err) SMT_MUST_USE;

/* gw_challenges_free releases everything (NULL is fine); no thread may use the table any more. */
void gw_challenges_free(struct gw_challenges *challenges);

/* gw_challenges_add_http01 answers token (base64url, else SMT_EINVAL) with key_authorization (both copied;
 * SMT_EINVAL when empty or GW_CHALLENGES_KEY_AUTH_MAX bytes or more); adding a token again replaces its
 * answer. The remove functions ignore what is not there. */
int gw_challenges_add_http01(struct gw_challenges *challenges, const char *token, const char *key_authorization,
                             struct err *err) SMT_MUST_USE;
void gw_challenges_remove_http01(struct gw_challenges *challenges, const char *token);

/* gw_challenges_http01 copies the answer for the token_len bytes at token (not NUL-terminated: the rest of a
 * request target) into out (NUL-terminated, at most cap - 1 bytes) and returns true, or returns false when
 * there is none. */
bool gw_challenges_http01(struct gw_challenges *challenges, const char *token, size_t token_len, char *out,
                          size_t cap);

/* gw_challenges_add_tls_alpn01 makes the validation certificate for name (a DNS name, lowercase, or an IP
 * literal: RFC 8738 6 puts the reverse-DNS name in SNI and the address in the SAN) with a fresh P-256 key,
 * and serves it until removed; adding a name again replaces it (handshakes under way keep the old one).
 * SMT_EINVAL for an empty name or key authorization (or one of GW_CHALLENGES_KEY_AUTH_MAX bytes or more). */
int gw_challenges_add_tls_alpn01(struct gw_challenges *challenges, const char *name, const char *key_authorization,
                                 struct err *err) SMT_MUST_USE;
void gw_challenges_remove_tls_alpn01(struct gw_challenges *challenges, const char *name);

/* gw_challenges_tls_alpn01_select is net/tls_conn.h's acme_select hook with the table as arg: a new
 * reference to the context serving server_name's validation certificate, or NULL. */
struct ssl_ctx_st *gw_challenges_tls_alpn01_select(void *arg, const char *server_name);

#endif
