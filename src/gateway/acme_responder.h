/* src/gateway/acme_responder.h: a built-in http-01 responder (RFC 8555 8.3): a small plain-HTTP listener
 * (http/server.h) that answers GET /.well-known/acme-challenge/<token> with the key authorization while an
 * order is being validated, and 404 for anything else. Tokens live in a mutex-protected table, so the
 * client's thread adds and removes them while the server's threads answer. */
#ifndef SMT_GATEWAY_ACME_RESPONDER_H
#define SMT_GATEWAY_ACME_RESPONDER_H

#include <stdint.h>

#include "base/err.h"
#include "gateway/acme_client.h"

#define GW_ACME_RESPONDER_TOKENS_MAX 256

struct gw_acme_responder;

/* gw_acme_responder_start listens on listen ("127.0.0.1:5002", "[::]:80", ":80"); stop with
 * gw_acme_responder_stop. */
int gw_acme_responder_start(struct gw_acme_responder **out, const char *listen, struct err *err) SMT_MUST_USE;

/* gw_acme_responder_port returns the bound port. */
uint16_t gw_acme_responder_port(const struct gw_acme_responder *responder);

/* gw_acme_responder_add serves key_authorization at token's path (both copied); SMT_ENOSPACE when the table is
 * full, SMT_EINVAL for a token that is not base64url. */
int gw_acme_responder_add(struct gw_acme_responder *responder, const char *token, const char *key_authorization,
                          struct err *err) SMT_MUST_USE;

/* gw_acme_responder_remove stops serving token (unknown tokens are ignored). */
void gw_acme_responder_remove(struct gw_acme_responder *responder, const char *token);

/* gw_acme_responder_solver fills out with an http-01 solver that adds and removes tokens here. */
void gw_acme_responder_solver(struct gw_acme_responder *responder, struct gw_acme_solver *out);

/* gw_acme_responder_stop stops the listener, wipes and frees everything (NULL is fine). */
void gw_acme_responder_stop(struct gw_acme_responder *responder);

#endif
