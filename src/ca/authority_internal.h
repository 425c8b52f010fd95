/* src/ca/authority_internal.h: what the files of ca/authority share: the loaded CA objects (authority.c),
 * the certificate profiles (authority_profile.c), the request checks and issuing (authority_issue.c) and
 * making the hierarchy (authority_init.c, authority_files.c). Not an API: other modules use ca/authority.h. */
#ifndef SMT_CA_AUTHORITY_INTERNAL_H
#define SMT_CA_AUTHORITY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "ca/authority.h"
#include "ca/config.h"
#include "ca/config_internal.h"
#include "crypto/cert.h"
#include "crypto/key.h"

/* Paths under state_dir and URLs fit this (a config path is at most what a user types; checked). */
#define CA_PATH_MAX 512
#define CA_URL_MAX  512

/* The file stems of the roots, also the URL parts of their issuer and CRL URLs. */
#define CA_SM2_ROOT_NAME "sm2-root"
#define CA_ECC_ROOT_NAME "ecc-root"

struct ca_authority {
        char name[CA_CONFIG_NAME_MAX + 1];
        int kind;                 /* enum ca_kind */
        struct cert_chain *chain; /* the CA's certificate, then its root */
        struct key *key;
};

struct ca_authorities {
        struct ca_authority *items; /* the issuing CAs of ca.yaml in order, then the admin CA */
        size_t num;
        struct cert_chain *roots; /* SM2 root, ECC root */
};

/* The most certificate policies, and URLs, a profile puts in one certificate. */
#define CA_PROFILE_POLICIES_MAX 2

/* What a profile adds to cert_issue_params; the params point into it, so it lives as long as they do. */
struct ca_profile {
        char ocsp_url[CA_URL_MAX];
        char issuer_url[CA_URL_MAX];
        char crl_url[CA_URL_MAX];
        const char *policies[CA_PROFILE_POLICIES_MAX];
};

/* ca_path writes "<state_dir>/<folder>/<stem><suffix>" to out; SMT_ENOSPACE when it does not fit. */
int ca_path(char out[CA_PATH_MAX], const struct ca_config *config, const char *folder, const char *stem,
            const char *suffix, struct err *err) SMT_MUST_USE;

/* ca_key_matches_cert fails with SMT_EINVAL, naming what, unless key is the key cert certifies. */
int ca_key_matches_cert(const struct key *key, const struct cert *cert, const char *what, struct err *err) SMT_MUST_USE;

/* ca_profile_key_usage / _extended_usage: the keyUsage and EKU bits of a leaf of kind for a key of alg
 * (sm2_encryption: the encryption certificate of an SM2 pair). */
unsigned ca_profile_key_usage(int kind, enum key_alg alg, bool sm2_encryption);
unsigned ca_profile_extended_usage(int kind);

/* ca_profile_leaf fills params (subject, names, usages, policies, AIA, CRL DP, issuer) for a leaf of profile
 * kind issued by ca, from a request already checked; params and profile are caller storage. */
int ca_profile_leaf(struct cert_issue_params *params, struct ca_profile *profile, const struct ca_authority *ca,
                    const struct ca_config *config, int kind, const struct ca_issue_request *request,
                    struct err *err) SMT_MUST_USE;

/* ca_profile_issuing fills params for the certificate of issuing CA issuing (admin CA: kind admin, no entry)
 * of kind, signed by root (root_name: CA_SM2_ROOT_NAME or CA_ECC_ROOT_NAME). */
int ca_profile_issuing(struct cert_issue_params *params, struct ca_profile *profile, const struct ca_config *config,
                       const struct ca_issuing_config *issuing, int kind, const char *common_name,
                       const char *root_name, struct err *err) SMT_MUST_USE;

/* ca_authority_issue is ca_issue with the profile of kind instead of ca's own (the CA's HTTPS certificate
 * from the admin CA takes the ssl-ecc-dv profile). */
int ca_authority_issue(const struct ca_authority *ca, const struct ca_config *config, int kind,
                       const struct ca_issue_request *request, struct cert **out, struct err *err) SMT_MUST_USE;

#endif
