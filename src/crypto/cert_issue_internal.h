/* src/crypto/cert_issue_internal.h: what cert_issue.c (checks, subject, signing), cert_issue_ext.c (the v3
 * extensions) and csr_create.c (a request's subjectAltName) share. Not an API: other modules use crypto/cert.h. */
#ifndef SMT_CRYPTO_CERT_ISSUE_INTERNAL_H
#define SMT_CRYPTO_CERT_ISSUE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509v3.h>

#include "base/err.h"
#include "crypto/cert.h"

/* The entries of a subjectAltName, as cert_issue_params and csr_params give them. */
struct cert_issue_alt_names {
        const char *const *dns_names;
        size_t num_dns_names;
        const char *const *ip_addresses;
        size_t num_ip_addresses;
        const char *const *emails;
        size_t num_emails;
        const char *const *uris;
        size_t num_uris;
};

/* cert_issue_is_dns_name says whether name is a host name of letters, digits, '-', '_', '.' (and '*' when
 * allow_wildcard), 1..253 characters. */
bool cert_issue_is_dns_name(const char *name, bool allow_wildcard);

/* cert_issue_check_alt_names fails with SMT_EINVAL (naming the entry) unless every entry is well formed;
 * what names the caller in the message ("cert_issue", "csr_create"). */
int cert_issue_check_alt_names(const struct cert_issue_alt_names *names, const char *what,
                               struct err *err) SMT_MUST_USE;

/* cert_issue_alt_names_new builds the GeneralNames of names (RFC 5280 §4.2.1.6) in *out (NULL when there
 * are none); free with GENERAL_NAMES_free. */
int cert_issue_alt_names_new(GENERAL_NAMES **out, const struct cert_issue_alt_names *names,
                             struct err *err) SMT_MUST_USE;

/* cert_issue_check_extensions fails with SMT_EINVAL for extension parameters that do not fit together
 * (name constraints or a path length on a leaf, malformed URLs, OIDs or constraint names). */
int cert_issue_check_extensions(const struct cert_issue_params *params, struct err *err) SMT_MUST_USE;

/* cert_issue_extensions adds every extension params asks for to x509, whose subject, issuer and public
 * key are already set. */
int cert_issue_extensions(X509 *x509, const struct cert_issue_params *params, struct err *err) SMT_MUST_USE;

#endif
