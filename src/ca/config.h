/* src/ca/config.h: the CA's configuration file (ca.yaml), loaded and checked.
 *
 * Static schema tables for base/config.h; examples/ca.yaml documents every key and works on loopback as it
 * is. Errors are "file:line: key.path: message", all of them at once. Relative paths (state_dir, a SQLite
 * store, key files) resolve against the config file's folder, so nothing depends on the working directory.
 *
 * The hierarchy: two roots (SM2 and ECC; their keys sign only issuing CAs) and the issuing CAs listed under
 * issuing_cas, each of one profile family (kind). `smtrust ca init` makes what the file describes under
 * state_dir; `smtrust ca` serves it. */
#ifndef SMT_CA_CONFIG_H
#define SMT_CA_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/config.h"
#include "base/err.h"

/* The profile families of issuing CAs and of the certificates they issue. */
enum ca_kind {
        CA_KIND_SSL_SM2_DV = 1,
        CA_KIND_SSL_SM2_OV,
        CA_KIND_SSL_ECC_DV,
        CA_KIND_EMAIL_SM2,
        CA_KIND_EMAIL_ECC,
        CA_KIND_CODE_SM2,
        CA_KIND_CODE_ECC,
        CA_KIND_DOCUMENT_SM2,
        CA_KIND_DOCUMENT_ECC,
        CA_KIND_IOT_SM2,
        CA_KIND_IOT_ECC,
        CA_KIND_ADMIN, /* client certificates for the CA API (ECC) */
};

/* ca_kind_name: "ssl-sm2-dv", "ssl-sm2-ov", "ssl-ecc-dv", "email-sm2", "email-ecc", "code-sm2", "code-ecc",
 * "document-sm2", "document-ecc", "iot-sm2", "iot-ecc", "admin". ca_kind_parse is the reverse (SMT_EINVAL). */
const char *ca_kind_name(int kind);
int ca_kind_parse(const char *name, int *out) SMT_MUST_USE;

/* ca_kind_is_sm2 says whether the kind's CA key and certificates are SM2 (signed by the SM2 root). */
bool ca_kind_is_sm2(int kind);

struct ca_root_config {
        char *common_name;
        char *algorithm;   /* ECC root: "ec-p256" | "ec-p384" (default) | "rsa-3072"; SM2 root: "sm2" only */
        int64_t validity;  /* ms (default 20 years: "7305d") */
};

struct ca_issuing_config {
        char *name;        /* unique; file stem under state_dir/cas/ and the URL part of its CRL/issuer URLs */
        int kind;          /* enum ca_kind; key "kind" */
        char *common_name; /* subject CN, e.g. "Example SM2 OV SSL CA" */
        char *algorithm;   /* ECC kinds: "ec-p256" (default) | "ec-p384" | "rsa-2048" | "rsa-3072"; SM2: "sm2" */
        int64_t validity;  /* ms (default 10 years) */
        struct config_strings permitted_dns; /* name constraints (critical) when either list is not empty */
        struct config_strings excluded_dns;
};

struct ca_challenge_settings {
        char *resolver;        /* "host:port" of a DNS server; NULL = the system's */
        int64_t http_port;     /* default 80 */
        int64_t tls_alpn_port; /* default 443 */
        int64_t timeout;       /* ms, default 10 s */
        int64_t workers;       /* validations at once (default 4) */
};

struct ca_eab_settings {
        bool required;         /* newAccount without externalAccountBinding → externalAccountRequired */
};

struct ca_rate_limits {
        int64_t orders_per_hour;   /* per account (default 300) */
        int64_t accounts_per_hour; /* per client IP address (default 50) */
};

struct ca_acme_config {
        bool enabled;            /* default true */
        int64_t order_lifetime;  /* ms, default 7 days */
        int64_t authz_lifetime;  /* ms, default 30 days (a valid authorization is reused until then) */
        int64_t nonce_lifetime;  /* ms, default 1 hour */
        struct ca_challenge_settings challenges;
        struct ca_eab_settings external_account_binding;
        struct ca_rate_limits rate_limits;
        char *terms_of_service;  /* URL in the directory's meta, NULL = none */
        char *website;
        struct config_strings caa_identities;
};

struct ca_certificates_config {
        int64_t default_validity; /* ms, default 90 days */
        int64_t min_validity;     /* ms, default 1 hour: the shortest a client may ask (notAfter) */
        int64_t max_validity;     /* ms, default 398 days (CA/B Forum BR 6.3.2) */
};

/* Revocation status publishing: CRLs (src/ca/crl_cache.h) and OCSP (src/ca/ocsp_responder.h). */
struct ca_revocation_config {
        int64_t crl_interval; /* ms between regenerations of every CRL (default 1 hour); a revocation made
                                 by this process regenerates its CA's CRL at once, one made by another
                                 process on the same database shows by the next interval */
        int64_t crl_validity; /* ms from thisUpdate to nextUpdate (default 24 hours), > crl_interval */
        int64_t ocsp_validity; /* ms from thisUpdate to nextUpdate of OCSP responses (default 24 hours); each
                                  pre-signed response is signed anew before half of it has passed */
        int64_t ocsp_responder_validity; /* ms a delegated OCSP responder certificate is valid (default 30
                                            days); a new one is made when less than half is left */
};

/* The time-stamping authority (RFC 3161, src/ca/tsa.h). */
struct ca_tsa_config {
        bool enabled;      /* default true: served for each family that has a CA below */
        char *sm2_ca;      /* issuing CA (SM2) that certifies the SM2 TSA certificate; default: the
                              document-sm2 CA, else the code-sm2 one, else no SM2 TSA */
        char *ecc_ca;      /* likewise for the ECC TSA: document-ecc, else code-ecc */
        char *policy;      /* TSAPolicyId, dotted OID (default a UUID OID, X.667 arc 2.25) */
        int64_t accuracy;  /* ms stated in every token (default 1 s) */
        int64_t certificate_validity; /* ms (default 3 years, cut to the CA's own notAfter) */
};

struct ca_config {
        char *path;              /* the file loaded (absolute) */
        char *organization;      /* subject O of every CA and of OV certificates' issuers */
        char *country;           /* two letters, default "CN" */
        char *state_dir;         /* absolute after load */
        char *store;             /* DSN (store.h); a SQLite path made absolute; default state_dir/ca.db */
        char *listen;            /* HTTPS (ACME, API): "127.0.0.1:14000" */
        char *http_listen;       /* plain HTTP (issuer certificates, CRL, OCSP): NULL = none */
        char *base_url;          /* what ACME clients reach, no trailing '/': "https://127.0.0.1:14000" */
        char *public_url;        /* what AIA and CRL URLs in certificates point to (default: base_url) */
        struct config_strings server_names; /* names in the CA's own HTTPS certificate (default localhost, 127.0.0.1) */
        int64_t threads;         /* HTTPS connections served at once (default 32) */
        int64_t http_threads;    /* plain HTTP connections served at once (CRL, OCSP, TSA; default 64) */
        int64_t store_pool;      /* database connections (default threads) */
        struct ca_root_config sm2_root;
        struct ca_root_config ecc_root;
        struct config_list issuing_cas; /* struct ca_issuing_config */
        struct ca_certificates_config certificates;
        struct ca_acme_config acme;
        struct ca_revocation_config revocation;
        struct ca_tsa_config tsa;
};

/* ca_config_load loads and checks path into *out (config_free-able via ca_config_free). Cross-key rules:
 * unique issuing CA names, algorithm fitting the kind, at most one CA per kind used by ACME (ssl-*),
 * min_validity <= default_validity <= max_validity, crl_interval < crl_validity, URLs starting with http:// or https://. */
int ca_config_load(struct ca_config *out, const char *path, struct config_errors *errors) SMT_MUST_USE;

void ca_config_free(struct ca_config *config);

/* ca_config_find_issuing returns the first issuing CA of kind, or NULL. */
const struct ca_issuing_config *ca_config_find_issuing(const struct ca_config *config, int kind);

#endif
