/* src/gateway/demo_pki.h: a throwaway PKI for trying the gateway on one machine (`smtrust demo-pki`,
 * `make demo`, the integration tests): an SM2 root and an ECC (P-256) root, each with a fresh key, and for
 * one set of names the certificates a site needs: the SM2 signing + encryption pair for TLCP and an ECC
 * certificate for TLS.
 *
 * The SM2 pair follows what both Tongsuo and GmSSL accept (shared/tlcp-wire.md): identical subject, SAN
 * and issuer; signing keyUsage digitalSignature, encryption keyEncipherment|dataEncipherment|keyAgreement
 * (keyAgreement for the ECDHE suites, GB/T 38636 §6.4.5.3); no basicConstraints on leaves; an EKU that holds
 * serverAuth; serials of 16 bytes; validity at most 3653 days.
 *
 * Files in the folder (names below): certificates 0644, keys 0600 (PKCS#8 PEM), each written atomically.
 * Nothing is ever overwritten: a folder holding the whole set is left alone, a folder holding part of it
 * is refused (a missing file is never made up from the rest). */
#ifndef SMT_GATEWAY_DEMO_PKI_H
#define SMT_GATEWAY_DEMO_PKI_H

#include <stddef.h>

#include "base/err.h"

#define GW_DEMO_PKI_SM2_ROOT_CERT "sm2-root.pem"
#define GW_DEMO_PKI_SM2_ROOT_KEY  "sm2-root.key"
#define GW_DEMO_PKI_ECC_ROOT_CERT "ecc-root.pem"
#define GW_DEMO_PKI_ECC_ROOT_KEY  "ecc-root.key"
#define GW_DEMO_PKI_SM2_SIGN_CERT "sm2-sign.pem"
#define GW_DEMO_PKI_SM2_SIGN_KEY  "sm2-sign.key"
#define GW_DEMO_PKI_SM2_ENC_CERT  "sm2-enc.pem"
#define GW_DEMO_PKI_SM2_ENC_KEY   "sm2-enc.key"
#define GW_DEMO_PKI_ECC_CERT      "ecc.pem" /* the leaf alone: the root is what clients trust */
#define GW_DEMO_PKI_ECC_KEY       "ecc.key"
#define GW_DEMO_PKI_ROOTS         "roots.pem" /* both roots, SM2 first */

#define GW_DEMO_PKI_NAMES_MAX    16
#define GW_DEMO_PKI_DAYS_DEFAULT 825
/* Roots live 3653 days (the most GmSSL accepts); site certificates must end inside them. */
#define GW_DEMO_PKI_DAYS_MAX 3650

struct gw_demo_pki_params {
        /* Host names ("localhost", "*.example.test") and IP literals ("127.0.0.1", "::1") for the site
         * certificates; the first is also the subject CN. num_names 0: localhost, 127.0.0.1 and ::1. */
        const char *const *names;
        size_t num_names; /* at most GW_DEMO_PKI_NAMES_MAX */
        int days;         /* site certificate validity, 1..GW_DEMO_PKI_DAYS_MAX; 0: GW_DEMO_PKI_DAYS_DEFAULT */
};

enum gw_demo_pki_result {
        GW_DEMO_PKI_CREATED = 1,
        GW_DEMO_PKI_ALREADY_PRESENT = 2, /* every file was there; nothing was touched */
};

/* gw_demo_pki_create makes dir (and missing parents, 0755) and the PKI in it, unless every file already
 * exists (*result says which happened). SMT_EINVAL for bad params (the message names the value),
 * SMT_EEXIST when dir holds only part of the set (the message names one file present and one missing),
 * SMT_EIO and the crypto statuses otherwise; a failure while writing can leave part of the set behind. */
int gw_demo_pki_create(const char *dir, const struct gw_demo_pki_params *params, enum gw_demo_pki_result *result,
                       struct err *err) SMT_MUST_USE;

/* gw_demo_pki_file_name returns the name of file index of the set (in the order written), NULL past the end. */
const char *gw_demo_pki_file_name(size_t index);

#endif
