/* src/ca/revocation.h: who hears of a revocation. The CRL cache and the OCSP responder keep signed status
 * in memory; a revocation made through this process (CA API, ACME revokeCert) must reach them at once,
 * while the code that revokes knows only its store. Listeners register per store; the revoker calls
 * ca_revocation_notify after the store has committed the revocation. */
#ifndef SMT_CA_REVOCATION_H
#define SMT_CA_REVOCATION_H

#include "base/err.h"
#include "ca/store.h"

/* Called with the serial (lowercase hex, as the store keeps it) of a certificate just revoked. It must
 * not block for long (wake a thread, drop a cache entry); it is called with the registry locked, so it
 * must not call ca_revocation_listen or _unlisten. */
typedef void ca_revocation_listener(void *context, const char *serial);

/* ca_revocation_listen adds a listener for revocations in store (SMT_ENOMEM). */
int ca_revocation_listen(struct store *store, ca_revocation_listener *listener, void *context,
                         struct err *err) SMT_MUST_USE;

/* ca_revocation_unlisten removes it; when it returns, the listener is not running and will not be called. */
void ca_revocation_unlisten(struct store *store, ca_revocation_listener *listener, void *context);

/* ca_revocation_notify tells every listener of store; safe from any thread. */
void ca_revocation_notify(struct store *store, const char *serial);

#endif
