/* src/ca/crl_cache.h: the current CRL of every issuing CA, kept signed in memory and served over plain
 * HTTP at the URL every certificate names: GET <public_url>/crl/<ca name>.crl.
 *
 * A thread makes every CA's CRL anew each revocation.crl_interval, valid for revocation.crl_validity. A
 * revocation through this process (CA API, ACME revokeCert) calls ca_revocation_notify (revocation.h), which wakes the
 * thread at once: the new CRL is served well within a second. A revocation made by another `smtrust ca`
 * process on the same PostgreSQL store reaches this process's CRLs at its next interval at the latest (the
 * CRL is always made from the store, never from memory). Serving costs no signature. */
#ifndef SMT_CA_CRL_CACHE_H
#define SMT_CA_CRL_CACHE_H

#include "base/err.h"
#include "ca/authority.h"
#include "ca/config.h"
#include "ca/crl.h"
#include "ca/store.h"
#include "http/server.h"

struct ca_crl_cache;

/* ca_crl_cache_start makes every CA's CRL once (so the first request finds one; an error names the CA) and
 * starts the refreshing thread. config, store and authorities must outlive the cache. */
int ca_crl_cache_start(struct ca_crl_cache **out, const struct ca_config *config, struct store *store,
                       const struct ca_authorities *authorities, struct err *err) SMT_MUST_USE;

/* ca_crl_cache_stop stops the thread and frees everything (NULL is fine). */
void ca_crl_cache_stop(struct ca_crl_cache *cache);

/* ca_crl_cache_get copies the current CRL of the issuing CA name into *out (ca_crl_cleanup it). A CA made
 * at run time since the last refresh gets its CRL made now. CA_ENOT_FOUND for a name no CA has. */
int ca_crl_cache_get(struct ca_crl_cache *cache, const char *name, struct ca_crl *out, struct err *err) SMT_MUST_USE;

/* ca_crl_cache_handle answers a GET or HEAD of "/crl/<name>.crl": the DER CRL (application/pkix-crl) with
 * Last-Modified (thisUpdate), ETag (the cRLNumber) and Cache-Control max-age up to the next refresh, never
 * past nextUpdate; 304 for a matching If-None-Match; 404 for an unknown CA. */
void ca_crl_cache_handle(struct ca_crl_cache *cache, const struct http_server_request *request,
                         struct http_server_response *response);

#endif
