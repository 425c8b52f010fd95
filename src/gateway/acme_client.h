/* src/gateway/acme_client.h: the project's own ACME client (RFC 8555) over libcurl and crypto/jose.h: directory,
 * nonces, accounts (with external account binding), orders, challenges through caller callbacks, finalization,
 * certificate download, revocation and ACME Renewal Information (RFC 9773); and, on top of those steps, obtaining
 * a certificate or the SM2 signing + encryption pair of docs/acme-sm2.md into a folder.
 *
 * One client = one CURL handle, used by one thread at a time. Every request has a timeout; the trust root is
 * a PEM file (the system's roots are never consulted when ca_file is given). A problem document from the
 * server fails with GW_EACME; the message carries the ACME error type and detail, and
 * gw_acme_client_last_problem gives them apart. Nothing secret (keys, HMAC keys, key authorizations) is logged
 * or put in an error message. */
#ifndef SMT_GATEWAY_ACME_CLIENT_H
#define SMT_GATEWAY_ACME_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/cert.h"
#include "crypto/key.h"

#define GW_ACME_URL_MAX   1024
#define GW_ACME_TOKEN_MAX 256
#define GW_ACME_NAMES_MAX 100
#define GW_ACME_AUTHZ_MAX GW_ACME_NAMES_MAX

/* An RFC 7807 problem document as ACME sends it (RFC 8555 6.7). */
struct gw_acme_problem {
        int http_status;
        char type[128];   /* "urn:ietf:params:acme:error:badNonce" as sent; "" when absent */
        char detail[512]; /* "" when absent */
};

/* gw_acme_problem_parse reads a problem document body (not NUL-terminated) received with http_status;
 * SMT_EDECODE when the body is not a JSON object. Over-long fields are cut (they are shown, never compared). */
int gw_acme_problem_parse(struct gw_acme_problem *out, const uint8_t *body, size_t body_len, int http_status,
                          struct err *err) SMT_MUST_USE;

/* gw_acme_problem_is says whether the problem's type is the ACME error short_type ("badNonce"). */
bool gw_acme_problem_is(const struct gw_acme_problem *problem, const char *short_type);

/* gw_acme_cert_id appends the RFC 9773 4.1 certificate identifier of a DER certificate to out:
 * base64url(authorityKeyIdentifier keyIdentifier) "." base64url(serial number DER content octets).
 * SMT_EDECODE when the certificate cannot be read, CRYPTO_ECERT when it has no AKI keyIdentifier. */
int gw_acme_cert_id(const uint8_t *cert_der, size_t cert_len, struct buf_writer *out, struct err *err) SMT_MUST_USE;

struct gw_acme_client_config {
        const char *directory_url; /* https://... (plain http is refused: RFC 8555 6.1) */
        const char *ca_file;       /* PEM roots to trust; NULL = the system's */
        int timeout_ms;            /* each request, connection included; 0 = 30 s */
        int retry_after_max_s;     /* the longest Retry-After honoured while polling; 0 = 10 s */
        const atomic_bool *cancel; /* may be NULL; once true, transfers and waits stop soon (SMT_EIO) */
};

struct gw_acme_client;

/* gw_acme_client_open fetches the directory; free with gw_acme_client_free. The message of a TLS failure names
 * the URL, the trust file and curl's reason. */
int gw_acme_client_open(struct gw_acme_client **out, const struct gw_acme_client_config *config,
                        struct err *err) SMT_MUST_USE;

/* gw_acme_client_free releases client (NULL is fine); the account key stays the caller's. */
void gw_acme_client_free(struct gw_acme_client *client);

/* gw_acme_client_last_problem returns the last problem the server sent (http_status 0 when none yet). */
const struct gw_acme_problem *gw_acme_client_last_problem(const struct gw_acme_client *client);

/* --- accounts (RFC 8555 7.3) --- */

/* gw_acme_account_key_load loads the account key at path, or makes an EC P-256 one there (0600, never
 * replacing a file) when none exists; *created says which. A key readable by others is refused (SMT_EPERM). */
int gw_acme_account_key_load(struct key **out, bool *created, const char *path, struct err *err) SMT_MUST_USE;

struct gw_acme_account_params {
        const struct key *key;       /* EC P-256/P-384 or RSA; borrowed until the client is freed */
        const char *const *contacts; /* "mailto:..." */
        size_t num_contacts;
        const char *eab_kid;          /* NULL = no external account binding (RFC 8555 7.3.4) */
        const char *eab_hmac_key_b64; /* base64url HMAC key given by the CA */
        bool only_existing;           /* onlyReturnExisting: find, never create */
};

/* gw_acme_client_account finds the key's account or creates it; *created (may be NULL) says which. The client
 * signs every later request with this key and the account URL (kid). */
int gw_acme_client_account(struct gw_acme_client *client, const struct gw_acme_account_params *params, bool *created,
                           struct err *err) SMT_MUST_USE;

/* gw_acme_client_account_url returns the account URL ("" before gw_acme_client_account). */
const char *gw_acme_client_account_url(const struct gw_acme_client *client);

/* --- challenges: the caller solves them --- */

/* One challenge to answer. For http-01 serve key_authorization at
 * http://identifier/.well-known/acme-challenge/token; for dns-01 publish a TXT record dns_value at
 * _acme-challenge.identifier; for tls-alpn-01 use key_authorization (RFC 8737). */
struct gw_acme_challenge {
        const char *type;       /* "http-01", "dns-01", "tls-alpn-01" */
        const char *identifier; /* the name validated (without "*.") */
        const char *token;
        const char *key_authorization; /* token "." account key thumbprint (RFC 8555 8.1) */
        const char *dns_value;         /* base64url(SHA-256(key_authorization)) (RFC 8555 8.4) */
};

struct gw_acme_solver {
        const char *const *types; /* challenge types the caller can answer, preferred first */
        size_t num_types;
        /* present makes the challenge answerable; a failure stops the order. */
        int (*present)(void *context, const struct gw_acme_challenge *challenge, struct err *err);
        /* cleanup withdraws it once the authorization is settled (called after every successful present). */
        void (*cleanup)(void *context, const struct gw_acme_challenge *challenge);
        void *context;
};

/* --- orders (RFC 8555 7.4) --- */

enum gw_acme_order_status {
        GW_ACME_ORDER_PENDING = 1,
        GW_ACME_ORDER_READY = 2,
        GW_ACME_ORDER_PROCESSING = 3,
        GW_ACME_ORDER_VALID = 4,
        GW_ACME_ORDER_INVALID = 5,
};

/* An order as the client tracks it; about 100 KiB (room for every authorization URL): keep it off small stacks. */
struct gw_acme_order {
        enum gw_acme_order_status status;
        char url[GW_ACME_URL_MAX];
        char finalize_url[GW_ACME_URL_MAX];
        char certificate_url[GW_ACME_URL_MAX]; /* "" until valid */
        char authorizations[GW_ACME_AUTHZ_MAX][GW_ACME_URL_MAX];
        size_t num_authorizations;
};

/* gw_acme_client_set_replaces makes the next order say it replaces old (RFC 9773 5: "replaces" with old's
 * certificate ID), when the server offers renewal information; a server that refuses the order with it (old
 * unknown to it, or already replaced) is asked again without. CRYPTO_ECERT when old has no AKI. */
int gw_acme_client_set_replaces(struct gw_acme_client *client, const struct cert *old, struct err *err) SMT_MUST_USE;

/* gw_acme_client_order_new places an order for DNS names ("*.example.com" for a wildcard). */
int gw_acme_client_order_new(struct gw_acme_client *client, struct gw_acme_order *order, const char *const *names,
                             size_t num_names, struct err *err) SMT_MUST_USE;

/* gw_acme_client_order_authorize settles every pending authorization of order: picks the first type of solver
 * the server offers, presents it, tells the server, polls until valid or invalid or deadline (time(NULL)
 * seconds), cleans up. GW_EACME naming the identifier and the server's error when one ends invalid;
 * SMT_EIO at the deadline. */
int gw_acme_client_order_authorize(struct gw_acme_client *client, const struct gw_acme_order *order,
                                   const struct gw_acme_solver *solver, time_t deadline, struct err *err) SMT_MUST_USE;

/* gw_acme_client_order_finalize sends the DER CSR once the order is ready and polls it until valid (its
 * certificate URL then set) or invalid or deadline. */
int gw_acme_client_order_finalize(struct gw_acme_client *client, struct gw_acme_order *order, const uint8_t *csr_der,
                                  size_t csr_len, time_t deadline, struct err *err) SMT_MUST_USE;

/* gw_acme_client_order_certificate downloads the valid order's chain (application/pem-certificate-chain). */
int gw_acme_client_order_certificate(struct gw_acme_client *client, const struct gw_acme_order *order,
                                     struct cert_chain **out, struct err *err) SMT_MUST_USE;

/* gw_acme_client_obtain runs the four steps above: one certificate for names from a CSR. */
int gw_acme_client_obtain(struct gw_acme_client *client, const char *const *names, size_t num_names,
                          const struct gw_acme_solver *solver, const uint8_t *csr_der, size_t csr_len, time_t deadline,
                          struct cert_chain **out, struct err *err) SMT_MUST_USE;

/* --- revocation (RFC 8555 7.6) and renewal information (RFC 9773) --- */

/* gw_acme_client_revoke revokes cert, signed by the account; reason is an RFC 5280 5.3.1 code, -1 = none. */
int gw_acme_client_revoke(struct gw_acme_client *client, const struct cert *cert, int reason,
                          struct err *err) SMT_MUST_USE;

struct gw_acme_renewal_info {
        time_t window_start;
        time_t window_end;
        int retry_after_s; /* 0 when the server sent none */
};

/* gw_acme_client_renewal_info fetches cert's suggested renewal window; CRYPTO_ECERT without an AKI,
 * SMT_EINVAL when the server's directory has no renewalInfo. */
int gw_acme_client_renewal_info(struct gw_acme_client *client, const struct cert *cert,
                                struct gw_acme_renewal_info *out, struct err *err) SMT_MUST_USE;

/* --- obtaining certificates into a folder --- */

enum gw_acme_key_type {
        GW_ACME_KEY_EC_P256 = 1,
        GW_ACME_KEY_EC_P384 = 2,
        GW_ACME_KEY_RSA_2048 = 3,
        GW_ACME_KEY_SM2 = 4,
        GW_ACME_KEY_SM2_PAIR = 5, /* a signing and an encryption certificate (docs/acme-sm2.md) */
};

/* gw_acme_key_type_parse maps "ec-p256", "ec-p384", "rsa-2048", "sm2", "sm2-pair"; SMT_EINVAL otherwise. */
int gw_acme_key_type_parse(const char *name, enum gw_acme_key_type *out) SMT_MUST_USE;

#define GW_ACME_ISSUED_MAX 2

/* One certificate written by gw_acme_client_issue. */
struct gw_acme_issued {
        const char *role;     /* "certificate", "signing" or "encryption" */
        char cert_path[4096]; /* the chain, leaf first */
        char key_path[4096];  /* 0600 */
        struct cert_chain *chain;
};

/* gw_acme_client_issue makes fresh keys of key_type, orders a certificate for names (for sm2-pair: a signing
 * order, then an encryption order for the same names, docs/acme-sm2.md) and writes, each atomically, into
 * out_dir: cert.pem + key.pem, or sign.crt + sign.key and enc.crt + enc.key. Nothing is written unless every
 * certificate was obtained. Release out with gw_acme_issued_cleanup, also after a failure. */
int gw_acme_client_issue(struct gw_acme_client *client, enum gw_acme_key_type key_type, const char *const *names,
                         size_t num_names, const struct gw_acme_solver *solver, const char *out_dir, time_t deadline,
                         struct gw_acme_issued out[GW_ACME_ISSUED_MAX], size_t *num_out, struct err *err) SMT_MUST_USE;

void gw_acme_issued_cleanup(struct gw_acme_issued *issued, size_t num_issued);

#endif
