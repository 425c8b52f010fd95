/* src/ca/acme.h: the ACME server (RFC 8555; RFC 8737 tls-alpn-01, RFC 8738 IP identifiers, RFC 9773
 * renewal information) as an http/server.h handler for everything under /acme/.
 *
 * State lives in the store only (nonces included), so several `smtrust ca` processes on one PostgreSQL
 * database serve one ACME service. Challenges are validated asynchronously by a small pool of threads
 * (acme.challenges.workers); a challenge left PROCESSING by a process that died is validated again at the
 * next start. Finalization signs and stores in one step: an order is never left half-done.
 *
 * The CSR's key picks the issuing CA: EC or RSA → ssl-ecc-dv; SM2 → ssl-sm2-ov for accounts the operator
 * marked as a validated organisation (when such a CA exists), else ssl-sm2-dv. An SM2 CSR that asks only
 * keyEncipherment/dataEncipherment/keyAgreement gets the encryption certificate of the pair
 * (docs/acme-sm2.md). */
#ifndef SMT_CA_ACME_H
#define SMT_CA_ACME_H

#include "base/err.h"
#include "ca/authority.h"
#include "ca/config.h"
#include "ca/store.h"
#include "http/server.h"

struct acme;

/* acme_new makes the service over store and authorities (both must outlive it) and starts the validators,
 * re-queuing every challenge a previous run left PROCESSING. */
int acme_new(struct acme **out, const struct ca_config *config, struct store *store,
             const struct ca_authorities *authorities, struct err *err) SMT_MUST_USE;

/* acme_handle serves one request whose path starts with "/acme/" (any thread). */
void acme_handle(struct acme *acme, const struct http_server_request *request, struct http_server_response *response);

/* acme_free stops the validators (validations in flight finish) and frees the service (NULL is fine). */
void acme_free(struct acme *acme);

#endif
