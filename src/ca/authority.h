/* src/ca/authority.h: the CA hierarchy on disk and issuing certificates from it.
 *
 * Files under state_dir (keys 0600, written atomically; nothing is ever overwritten):
 *   roots/sm2-root.{crt,key}   roots/ecc-root.{crt,key}
 *   cas/<name>.{crt,key}       one per issuing CA of ca.yaml (and cas/admin.* for the API's client CA)
 *   tls/server.{crt,key}       the CA's own HTTPS certificate (ECC, from the ssl-ecc-dv CA, or the admin CA
 *                              when there is none), chain included, for server_names
 *   admin/operator.{crt,key}   an operator's client certificate for the CA API (admin CA)
 *
 * Profiles (what ca_issue puts in a certificate, CA/Browser Forum BR 7.1 for SSL):
 *   every leaf: SKI, AKI, AIA (OCSP <public_url>/ocsp/<ca>, caIssuers <public_url>/ca/<ca>.crt), CRL DP
 *   <public_url>/crl/<ca>.crl, no basicConstraints; SM2 ones signed SM2-with-SM3 with the default ID.
 *   ssl-*: SAN dNSName/iPAddress (CN = the first name), EKU serverAuth+clientAuth, policy 2.23.140.1.2.1 (DV)
 *          or 2.23.140.1.2.2 (OV, subject O/C from the request's organization); keyUsage digitalSignature
 *          (EC, SM2 signing), digitalSignature+keyEncipherment (RSA), keyEncipherment+dataEncipherment+
 *          keyAgreement (SM2 encryption certificate of a pair).
 *   email-*: SAN rfc822Name, EKU emailProtection; code-*: EKU codeSigning, subject O required;
 *   document-*: keyUsage digitalSignature+nonRepudiation; iot-*: EKU clientAuth+serverAuth, CN device id;
 *   admin: EKU clientAuth.
 * Issuing CA certificates: pathLen 0, EKU of their family, name constraints from ca.yaml, signed by the root
 * of their algorithm family.
 *
 * Issuing CAs made at run time (CA API, ca_authorities_create) follow the same profile; their files are
 * cas/<name>.{crt,key} too and the store's `cas` table records them, so the next start loads them
 * (ca_authorities_load_runtime). A struct ca_authorities is safe to read from any number of threads while
 * one of them adds a CA, and every `const struct ca_authority *` stays valid until ca_authorities_free. */
#ifndef SMT_CA_AUTHORITY_H
#define SMT_CA_AUTHORITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/err.h"
#include "ca/config.h"
#include "crypto/cert.h"
#include "crypto/key.h"

/* What ca_init made (paths of new files, in order) and kept. */
struct ca_init_report {
        size_t num_created;
        size_t num_kept;
        char created[64][512];
};

/* ca_init makes every file of the hierarchy config describes that does not exist yet (existing ones are
 * kept and checked: a key that does not match its certificate is an error). Re-running it is harmless;
 * an issuing CA added to ca.yaml is made the next time. On failure the files made so far stay (each is
 * whole) and the error names the file. */
int ca_init(const struct ca_config *config, struct ca_init_report *report, struct err *err) SMT_MUST_USE;

struct ca_authority; /* one loaded issuing CA */
struct ca_authorities;

/* ca_authorities_load reads the roots and every issuing CA of config (and the admin CA) from state_dir and
 * checks each chains to its root; errors name the file (and say to run `smtrust ca init` when missing). */
int ca_authorities_load(struct ca_authorities **out, const struct ca_config *config, struct err *err) SMT_MUST_USE;

void ca_authorities_free(struct ca_authorities *authorities);

struct store;

/* ca_authorities_load_runtime adds the issuing CAs the store records (made by ca_authorities_create, here
 * or by another process on the same database), each checked to chain to its root and to match its key
 * file. One already loaded with the same certificate is skipped; a name taken by another CA (ca.yaml
 * naming it since) is CA_ECONFLICT. Safe while other threads read authorities. */
int ca_authorities_load_runtime(struct ca_authorities *authorities, struct store *store, struct err *err) SMT_MUST_USE;

/* A custom-branded issuing CA to make at run time. */
struct ca_create_request {
        const char *name;         /* as in ca.yaml: 1..47 of [a-z0-9-], not "admin", "sm2-root", "ecc-root" */
        int kind;                 /* enum ca_kind, any but CA_KIND_ADMIN */
        const char *common_name;  /* subject CN, required */
        const char *organization; /* subject O, the brand; NULL = config->organization */
        const char *algorithm;    /* NULL = "sm2" for SM2 kinds, "ec-p256" else; as ca.yaml allows per kind */
        int64_t validity_seconds; /* 0 = ten years, shortened to end with the root; else 1 day.. the root's end */
        const char *const *permitted_dns; /* name constraints (DNS names), as ca.yaml's permitted_dns */
        size_t num_permitted_dns;
        const char *const *excluded_dns;
        size_t num_excluded_dns;
};

/* ca_authorities_create makes a new issuing CA under the root of its family (whose key, state_dir/roots/
 * <root>.key, is read for that one signature and must be there): a new key (written first,
 * 0600, never over a file), its certificate, the store's record, then the CA in authorities, findable at
 * once from every thread; *out (may be NULL) borrows it. SMT_EINVAL (message names the field) for a bad
 * name, kind, algorithm, validity, common name or constraint; CA_ECONFLICT when the name is taken in
 * ca.yaml, on disk or in the store. On failure nothing is left on disk or in the store. One creation runs
 * at a time; readers are never blocked. */
int ca_authorities_create(struct ca_authorities *authorities, const struct ca_config *config, struct store *store,
                          const struct ca_create_request *request, const struct ca_authority **out,
                          struct err *err) SMT_MUST_USE;

/* ca_authorities_find returns the issuing CA named name, or NULL. */
const struct ca_authority *ca_authorities_find(const struct ca_authorities *authorities, const char *name);

/* ca_authorities_for_kind returns the first issuing CA of kind, or NULL. */
const struct ca_authority *ca_authorities_for_kind(const struct ca_authorities *authorities, int kind);

/* ca_authorities_count / _get enumerate the issuing CAs: ca.yaml's in order, the admin CA, then those made
 * at run time, oldest first. A count read once stays valid for _get (CAs are only ever added). */
size_t ca_authorities_count(const struct ca_authorities *authorities);
const struct ca_authority *ca_authorities_get(const struct ca_authorities *authorities, size_t index);

/* ca_authorities_roots returns both root certificates (SM2 first) as a chain, borrowed. */
const struct cert_chain *ca_authorities_roots(const struct ca_authorities *authorities);

const char *ca_authority_name(const struct ca_authority *ca);
int ca_authority_kind(const struct ca_authority *ca); /* enum ca_kind */
const struct cert *ca_authority_cert(const struct ca_authority *ca);
/* ca_authority_chain: the issuing CA certificate then its root (what follows a leaf in a download). */
const struct cert_chain *ca_authority_chain(const struct ca_authority *ca);
/* ca_authority_key: the issuing CA's private key, borrowed (OCSP/CRL signing later). */
const struct key *ca_authority_key(const struct ca_authority *ca);

struct ca_issue_request {
        const struct key *subject_key; /* public (or private) key certified */
        const char *const *dns_names;  /* lowercase; "*.example.com" wildcards allowed in ssl-* */
        size_t num_dns_names;
        const char *const *ip_addresses;
        size_t num_ip_addresses;
        const char *const *emails;
        size_t num_emails;
        const char *common_name;  /* non-SSL kinds (required there); ssl-*: NULL = the first name */
        const char *organization; /* ssl-sm2-ov (required), code-*, document-* */
        bool sm2_encryption;      /* the encryption certificate of an SM2 pair (ssl-sm2-* only) */
        time_t not_before;        /* 0 = now */
        int64_t validity_seconds; /* 0 = certificates.default_validity; bounded by min/max_validity */
};

/* ca_issue makes a certificate of ca's kind. CA_EPOLICY (message names the rule) for: a key of the wrong
 * family (SM2 key to an ECC kind or the reverse; RSA under 2048 bits), a name outside the CA's name
 * constraints, a wildcard not in the left-most label alone, a missing name/organization/common name, a
 * validity outside the configured bounds or past the CA's own notAfter. The serial is 16 random bytes
 * (positive, so at least 64 random bits as BR 7.1 asks). */
int ca_issue(const struct ca_authority *ca, const struct ca_config *config, const struct ca_issue_request *request,
             struct cert **out, struct err *err) SMT_MUST_USE;

#endif
