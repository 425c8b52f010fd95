/* src/ca/crl.h: the CRL of one issuing CA (RFC 5280 §5), made from the store: every certificate of that CA
 * the store records as revoked, with its revocation time and reason, signed by the CA's own key
 * (crypto/crl.h; SM2-with-SM3 with the default ID for SM2 CAs). Expired revoked certificates stay listed:
 * the list only grows, so a relying party never sees an entry disappear. Serving and refreshing are in
 * ca/crl_cache.h. */
#ifndef SMT_CA_CRL_H
#define SMT_CA_CRL_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "ca/authority.h"
#include "ca/config.h"
#include "ca/store.h"

/* One signed CRL and what a server says about it. */
struct ca_crl {
        uint8_t *der; /* heap, owned: ca_crl_cleanup */
        size_t der_len;
        int64_t this_update; /* UTC seconds */
        int64_t next_update;
        uint64_t number;     /* cRLNumber */
};

/* ca_crl_make signs ca's CRL as of now_ms (UTC milliseconds): thisUpdate now, nextUpdate now + validity_ms,
 * cRLNumber the larger of now_ms and min_number (see crl.c for why time numbers them). out is filled only
 * on success (ca_crl_cleanup it). Store errors pass through; CRYPTO_* from signing. */
int ca_crl_make(struct ca_crl *out, const struct ca_authority *ca, struct store *store, int64_t now_ms,
                int64_t validity_ms, uint64_t min_number, struct err *err) SMT_MUST_USE;

/* ca_crl_make_root signs the CRL of root root_name ("sm2-root" or "ecc-root"), the one the issuing CA
 * certificates name (BR 7.1.2.10): smtrust never revokes an issuing CA, so it lists nothing. The root's key
 * is read from state_dir/roots/<name>.key for this signature alone and wiped; CA_ENOT_FOUND when the key
 * is not there (kept offline: the root's CRL is then made where the key is). */
int ca_crl_make_root(struct ca_crl *out, const struct ca_authorities *authorities, const struct ca_config *config,
                     const char *root_name, int64_t now_ms, int64_t validity_ms, uint64_t min_number,
                     struct err *err) SMT_MUST_USE;

/* ca_crl_cleanup frees out's DER and zeroes it (a zeroed one is fine). */
void ca_crl_cleanup(struct ca_crl *crl);

#endif
