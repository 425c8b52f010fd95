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

/* Other processes on the same (PostgreSQL) store revoke too. A watch asks the store every second for the
 * certificates revoked in the last minute (store_cert_revoked_since, indexed) and notifies those this
 * process has not been told of, so CRLs and OCSP answers follow another process's revocation within about
 * a second as well. Its clock may differ from ours by up to the minute of the window; past that (or beyond
 * CA_REVOCATION_WATCH_MAX revocations in a minute) the CRL and OCSP refresh at revocation.crl_interval
 * still read every revocation from the store. */
#define CA_REVOCATION_WATCH_MAX 1024

struct ca_revocation_watch;

/* ca_revocation_watch_start starts the watch's thread for store (which must outlive it). */
int ca_revocation_watch_start(struct ca_revocation_watch **out, struct store *store, struct err *err) SMT_MUST_USE;

/* ca_revocation_watch_stop stops and frees it (NULL is fine). */
void ca_revocation_watch_stop(struct ca_revocation_watch *watch);

#endif
