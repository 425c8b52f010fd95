/* src/ca/delegate.h: certificates an issuing CA hands one job to, so its own key signs only certificates
 * and CRLs:
 *   - an OCSP responder (RFC 6960 4.2.2.2): EKU id-kp-OCSPSigning, id-pkix-ocsp-nocheck (4.2.2.2.1) so
 *     clients do not ask about the responder itself, keyUsage digitalSignature; short-lived, because
 *     nocheck means it cannot be revoked in any way a client would notice;
 *   - a time-stamping authority (RFC 3161 2.3): EKU timeStamping alone, critical, keyUsage
 *     digitalSignature + nonRepudiation (contentCommitment).
 * The key has the CA's algorithm (SM2 for SM2 CAs, so SM2 relying parties verify with SM2 only).
 *
 * Each lives in one file, state_dir/<folder>/<ca name>.pem (folder "ocsp" or "tsa"), mode 0600: the
 * certificate, then its PKCS#8 private key. One atomic rename replaces both, so after any crash the file
 * holds a matching pair or the previous one. */
#ifndef SMT_CA_DELEGATE_H
#define SMT_CA_DELEGATE_H

#include <stdint.h>
#include <time.h>

#include "base/err.h"
#include "ca/authority.h"
#include "ca/config.h"
#include "crypto/cert.h"
#include "crypto/key.h"

enum ca_delegate_purpose {
        CA_DELEGATE_OCSP = 1,
        CA_DELEGATE_TSA = 2,
};

/* A loaded delegate: its certificate and key, and the chain a response or token carries. */
struct ca_delegate {
        struct cert *cert;
        struct key *key;
        struct cert_chain *chain; /* cert, the issuing CA's certificate, its root */
        time_t not_after;
};

/* ca_delegate_ensure loads the delegate of ca for purpose and keeps it when it was issued by ca's current
 * certificate, matches its key and is still valid for renew_before seconds after now; otherwise it makes a
 * new key and certificate (valid from an hour before now for validity seconds, cut to the CA's notAfter)
 * and replaces the file. *out is filled only on success (ca_delegate_cleanup it). Errors name the file. */
int ca_delegate_ensure(struct ca_delegate *out, const struct ca_authority *ca, const struct ca_config *config,
                       enum ca_delegate_purpose purpose, int64_t validity, int64_t renew_before, time_t now,
                       struct err *err) SMT_MUST_USE;

/* ca_delegate_cleanup frees what ensure made (the key wiped) and zeroes d; a zeroed one is fine. */
void ca_delegate_cleanup(struct ca_delegate *d);

#endif
