/* src/ca/record.h: the store's record of a certificate the CA has just signed, read from the certificate
 * itself (serial, subject, validity, SANs, key), so ACME and the API describe what was issued the same way. */
#ifndef SMT_CA_RECORD_H
#define SMT_CA_RECORD_H

#include <stdint.h>

#include "base/err.h"
#include "ca/authority.h"
#include "ca/store.h"
#include "crypto/cert.h"

/* ca_record_fill fills *record for cert issued by ca under profile at now: status valid, no account or order
 * (the caller sets those), der borrowed from cert, subject written into subject (and pointed to), names a new
 * comma-separated lowercase SAN list the caller frees (free(record->names)). */
int ca_record_fill(struct store_cert *record, char subject[CERT_NAME_TEXT_MAX], const struct ca_authority *ca,
                   const struct cert *cert, const char *profile, int64_t now, struct err *err) SMT_MUST_USE;

#endif
