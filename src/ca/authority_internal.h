/* src/ca/authority_internal.h: what the files of ca/authority share: the loaded CA objects (authority.c),
 * the certificate profiles (authority_profile.c), the request checks and issuing (authority_issue.c) and
 * making the hierarchy (authority_init.c, authority_files.c). Not an API: other modules use ca/authority.h. */
#ifndef SMT_CA_AUTHORITY_INTERNAL_H
#define SMT_CA_AUTHORITY_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
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

/* The DNS name constraints of one issuing CA, owned copies (what ca_issue checks before signing). */
struct ca_name_constraints {
        char **permitted_dns;
        size_t num_permitted_dns;
        char **excluded_dns;
        size_t num_excluded_dns;
};

struct ca_authority {
        char name[CA_CONFIG_NAME_MAX + 1];
        int kind;                 /* enum ca_kind */
        struct cert_chain *chain; /* the CA's certificate, then its root */
        struct key *key;
        struct ca_name_constraints constraints;
};

/* The CAs live in blocks that never move, so a `const struct ca_authority *` handed out stays valid until
 * ca_authorities_free, while CAs are added at run time (CA API). Readers take no lock: they load num with
 * acquire order and see every CA (and block pointer) written before its release store. Writers (load,
 * create) hold create_lock, so names are checked and files made by one creator at a time. */
#define CA_AUTHORITIES_BLOCK_LEN 64
#define CA_AUTHORITIES_BLOCKS    256 /* at most 16384 CAs */

struct ca_authorities {
        struct ca_authority *blocks[CA_AUTHORITIES_BLOCKS]; /* CA_AUTHORITIES_BLOCK_LEN each */
        _Atomic size_t num; /* published CAs: ca.yaml's in order, the admin CA, then those made at run time */
        pthread_mutex_t create_lock;
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

/* ca_authorities_slot returns the storage of CA number index (allocating its block when new), not yet
 * published; SMT_ENOSPACE past the last block. Only under create_lock (or before anyone else sees all). */
int ca_authorities_slot(struct ca_authorities *all, size_t index, struct ca_authority **out,
                        struct err *err) SMT_MUST_USE;

/* ca_authorities_publish makes the CA in slot index (= the current count) visible to every thread. */
void ca_authorities_publish(struct ca_authorities *all, size_t index);

/* ca_authority_cleanup frees what ca holds (not ca itself) and zeroes it. */
void ca_authority_cleanup(struct ca_authority *ca);

/* ca_check_chains_to checks cert chains to root (the SM2 ID and the name constraints included); errors
 * are prefixed with what. */
int ca_check_chains_to(const struct cert *cert, const struct cert *root, const char *what,
                       struct err *err) SMT_MUST_USE;

/* ca_name_constraints_copy fills out with copies of the lists (SMT_ENOMEM); ca_name_constraints_cleanup
 * frees them. */
int ca_name_constraints_copy(struct ca_name_constraints *out, const char *const *permitted, size_t num_permitted,
                             const char *const *excluded, size_t num_excluded, struct err *err) SMT_MUST_USE;
void ca_name_constraints_cleanup(struct ca_name_constraints *constraints);

/* ca_name_constraints_read fills out with the dNSName subtrees of cert's nameConstraints extension (RFC
 * 5280 §4.2.1.10; none when absent). Only for our own CA certificates, verified to a root first; other
 * name forms, or minimum/maximum fields, are refused with CRYPTO_ECERT. */
int ca_name_constraints_read(struct ca_name_constraints *out, const struct cert *cert, struct err *err) SMT_MUST_USE;

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
