/* src/ca/store.h: the CA's state (accounts, orders, authorizations, challenges, nonces, external account
 * binding keys, certificates, issuing CAs) in SQLite (default) or PostgreSQL, one schema for both.
 *
 * Every function is one transaction: it either changes everything it says or nothing. Rules that decide
 * between concurrent requests (two finalizations of one order, two validations of one challenge, a nonce
 * used twice, a serial drawn twice) are enforced by the database itself (conditional UPDATE ... WHERE
 * status = ..., UNIQUE keys), so two `smtrust ca` processes on one PostgreSQL database stay correct.
 *
 * A struct store is safe to use from several threads at once: it keeps a small pool of database
 * connections (SQLite: one per thread in WAL mode with a busy timeout; PostgreSQL: libpq connections).
 *
 * Times are UTC seconds since the epoch (int64_t). Ids are short printable strings made by the caller
 * (store_new_id). Heap fields of the records below are owned by the record: free with *_clear. */
#ifndef SMT_CA_STORE_H
#define SMT_CA_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define STORE_ID_MAX       48  /* ids, thumbprints, EAB key ids, tokens: up to 47 characters + NUL */
#define STORE_NAME_MAX     256 /* an identifier value (a DNS name is at most 253 characters) */
#define STORE_SERIAL_MAX   65  /* a serial number in lowercase hex + NUL (= CERT_SERIAL_HEX_MAX) */
#define STORE_PROFILE_MAX  48  /* a profile or CA name */
#define STORE_EAB_KEY_MAX  128 /* bytes of an EAB HMAC key */
#define STORE_LIST_MAX     1000 /* the most records one search returns */

struct store;

/* store_open connects to dsn and creates the schema if the database has none yet (an existing schema of
 * another version is refused with CA_ESTORE naming both versions). dsn:
 *   "sqlite:PATH" or a plain PATH            SQLite file (created 0600 with its folder; WAL)
 *   "postgresql://..." / "postgres://..."   PostgreSQL through libpq (URI or "host=... dbname=..." after
 *   "postgresql:" )                          the prefix "postgresql:" for key=value strings)
 * pool_size (>= 1) bounds the connections kept. Errors name the DSN without its password. */
int store_open(struct store **out, const char *dsn, int pool_size, struct err *err) SMT_MUST_USE;

/* store_close closes every connection (NULL is fine). */
void store_close(struct store *store);

/* store_backend_name returns "sqlite" or "postgresql". */
const char *store_backend_name(const struct store *store);

/* store_new_id writes a new random id: 16 random bytes as base64url without padding (22 characters), never
 * starting with '-' or '_'. */
int store_new_id(char out[STORE_ID_MAX], struct err *err) SMT_MUST_USE;

/* --- accounts --- */

enum store_account_status {
        STORE_ACCOUNT_VALID = 1,
        STORE_ACCOUNT_DEACTIVATED = 2,
        STORE_ACCOUNT_REVOKED = 3,
};

struct store_account {
        char id[STORE_ID_MAX];
        char key_thumbprint[STORE_ID_MAX]; /* RFC 7638 SHA-256 thumbprint of the key, base64url: unique */
        char *key_jwk;                     /* the account's public key as JWK JSON text */
        char *contact_json;                /* JSON array of contact URLs ("[]" when none) */
        int status;                        /* enum store_account_status */
        int64_t created_at;
        char eab_kid[STORE_ID_MAX]; /* the external account binding key id used at creation, "" if none */
        char *organization;         /* a validated organisation's name (OV certificates); NULL = DV only */
};

/* store_account_insert adds account. With an eab_kid, the EAB key is bound to it in the same transaction:
 * CA_ENOT_FOUND when there is no such key, CA_ECONFLICT when it is bound already. CA_ECONFLICT also when
 * another account has the same key_thumbprint. */
int store_account_insert(struct store *store, const struct store_account *account, struct err *err) SMT_MUST_USE;

/* store_account_get / _find_by_thumbprint fill *out (clear it with store_account_clear); CA_ENOT_FOUND. */
int store_account_get(struct store *store, const char *id, struct store_account *out, struct err *err) SMT_MUST_USE;
int store_account_find_by_thumbprint(struct store *store, const char *thumbprint, struct store_account *out,
                                     struct err *err) SMT_MUST_USE;

/* store_account_update writes key_thumbprint, key_jwk, contact_json, status and organization of the account
 * with account->id (CA_ENOT_FOUND). A key change to a thumbprint another account has: CA_ECONFLICT, nothing
 * changed. A deactivated or revoked account cannot become valid again (CA_ECONFLICT). */
int store_account_update(struct store *store, const struct store_account *account, struct err *err) SMT_MUST_USE;

void store_account_clear(struct store_account *account);

/* --- external account binding keys (RFC 8555 7.3.4) --- */

struct store_eab_key {
        char kid[STORE_ID_MAX];
        uint8_t key[STORE_EAB_KEY_MAX]; /* the HMAC key (secret: wipe after use) */
        size_t key_len;
        char account_id[STORE_ID_MAX]; /* the account it is bound to, "" while unused */
        int64_t created_at;
};

/* store_eab_insert adds a key (CA_ECONFLICT if kid exists); store_eab_get reads one (CA_ENOT_FOUND). */
int store_eab_insert(struct store *store, const struct store_eab_key *key, struct err *err) SMT_MUST_USE;
int store_eab_get(struct store *store, const char *kid, struct store_eab_key *out, struct err *err) SMT_MUST_USE;

/* --- orders, authorizations, challenges (RFC 8555 7.1.3, 7.1.4) --- */

enum store_order_status {
        STORE_ORDER_PENDING = 1,
        STORE_ORDER_READY = 2,
        STORE_ORDER_PROCESSING = 3,
        STORE_ORDER_VALID = 4,
        STORE_ORDER_INVALID = 5,
};

enum store_authz_status {
        STORE_AUTHZ_PENDING = 1,
        STORE_AUTHZ_VALID = 2,
        STORE_AUTHZ_INVALID = 3,
        STORE_AUTHZ_DEACTIVATED = 4,
        STORE_AUTHZ_EXPIRED = 5,
        STORE_AUTHZ_REVOKED = 6,
};

enum store_challenge_status {
        STORE_CHALLENGE_PENDING = 1,
        STORE_CHALLENGE_PROCESSING = 2,
        STORE_CHALLENGE_VALID = 3,
        STORE_CHALLENGE_INVALID = 4,
};

struct store_order {
        char id[STORE_ID_MAX];
        char account_id[STORE_ID_MAX];
        int status; /* enum store_order_status */
        int64_t created_at;
        int64_t expires_at;
        int64_t not_before; /* requested validity, 0 = none */
        int64_t not_after;
        char *identifiers_json; /* JSON array of {"type","value"} as accepted (lowercased, unique) */
        char *error_json;       /* a problem document, NULL when none */
        char cert_serial[STORE_SERIAL_MAX]; /* "" until valid */
        char replaces[STORE_NAME_MAX];      /* ARI (RFC 9773) certificate id this order replaces, "" if none */
        char profile[STORE_PROFILE_MAX];    /* the profile chosen at finalization, "" before */
        /* The authorizations, in identifier order: filled by store_order_get, read by store_order_create. */
        char (*authz_ids)[STORE_ID_MAX];
        size_t num_authz_ids;
};

struct store_authz {
        char id[STORE_ID_MAX];
        char account_id[STORE_ID_MAX];
        char identifier_type[8];               /* "dns" or "ip" */
        char identifier_value[STORE_NAME_MAX]; /* without "*." for a wildcard */
        bool wildcard;
        int status; /* enum store_authz_status */
        int64_t expires_at;
};

struct store_challenge {
        char id[STORE_ID_MAX];
        char authz_id[STORE_ID_MAX];
        char type[16]; /* "http-01", "dns-01", "tls-alpn-01" */
        char token[STORE_ID_MAX];
        int status; /* enum store_challenge_status */
        int64_t validated_at; /* 0 until valid */
        char *error_json;     /* NULL when none */
};

/* store_order_create inserts order, the new authorizations (new_authzs, those not reused) and their
 * challenges in one transaction. order->authz_ids lists every authorization of the order, reused valid ones
 * included; each challenge's authz_id names one of new_authzs. */
int store_order_create(struct store *store, const struct store_order *order, const struct store_authz *new_authzs,
                       size_t num_new_authzs, const struct store_challenge *challenges, size_t num_challenges,
                       struct err *err) SMT_MUST_USE;

/* store_order_get fills *out with the order and its authorization ids (store_order_clear); CA_ENOT_FOUND. */
int store_order_get(struct store *store, const char *id, struct store_order *out, struct err *err) SMT_MUST_USE;

/* store_order_list_ids writes up to cap ids of the account's orders, newest first, and their number. */
int store_order_list_ids(struct store *store, const char *account_id, char (*ids)[STORE_ID_MAX], size_t cap,
                         size_t *num, struct err *err) SMT_MUST_USE;

/* store_order_count_since counts the account's orders created at or after since (rate limits). */
/* store_order_replaced says whether a valid order named cert_id (RFC 9773 4.1) as the certificate it
 * replaces. */
int store_order_replaced(struct store *store, const char *cert_id, bool *replaced, struct err *err) SMT_MUST_USE;

int store_order_count_since(struct store *store, const char *account_id, int64_t since, int64_t *count,
                            struct err *err) SMT_MUST_USE;

/* store_order_finalize makes a READY order VALID with certificate cert (inserted in the same transaction,
 * cert->order_id and account_id set by the caller). CA_ECONFLICT when the order is not READY any more
 * (another finalization won): nothing inserted. SMT_EEXIST when cert->serial exists: draw another serial,
 * sign again, retry. */
struct store_cert;
int store_order_finalize(struct store *store, const char *order_id, const struct store_cert *cert,
                         struct err *err) SMT_MUST_USE;

/* store_order_set_invalid makes a PENDING or READY order INVALID with problem document error_json. */
int store_order_set_invalid(struct store *store, const char *order_id, const char *error_json,
                            struct err *err) SMT_MUST_USE;

void store_order_clear(struct store_order *order);

/* store_authz_get fills *out; CA_ENOT_FOUND. */
int store_authz_get(struct store *store, const char *id, struct store_authz *out, struct err *err) SMT_MUST_USE;

/* store_authz_find_valid finds the account's VALID authorization for the identifier that expires after
 * now, to reuse in a new order; CA_ENOT_FOUND when there is none. */
int store_authz_find_valid(struct store *store, const char *account_id, const char *identifier_type,
                           const char *identifier_value, bool wildcard, int64_t now, struct store_authz *out,
                           struct err *err) SMT_MUST_USE;

/* store_authz_deactivate makes a PENDING or VALID authorization DEACTIVATED (RFC 8555 7.5.2) and every
 * PENDING or READY order that uses it INVALID; CA_ECONFLICT from any other status. */
int store_authz_deactivate(struct store *store, const char *id, struct err *err) SMT_MUST_USE;

/* store_challenge_list writes the authorization's challenges (at most cap) in the order inserted. Clear each
 * with store_challenge_clear. */
int store_challenge_list(struct store *store, const char *authz_id, struct store_challenge *out, size_t cap,
                         size_t *num, struct err *err) SMT_MUST_USE;

/* store_challenge_get fills *out; CA_ENOT_FOUND. */
int store_challenge_get(struct store *store, const char *id, struct store_challenge *out,
                        struct err *err) SMT_MUST_USE;

/* store_challenge_start makes a PENDING challenge PROCESSING, only while its authorization is PENDING:
 * exactly one caller wins; the others get CA_ECONFLICT. */
int store_challenge_start(struct store *store, const char *id, struct err *err) SMT_MUST_USE;

/* store_challenge_finish records a validation's result for a PROCESSING challenge, in one transaction:
 * the challenge VALID (validated_at = now) or INVALID (error_json); its authorization VALID or INVALID;
 * each PENDING order using the authorization READY once all its authorizations are VALID, or INVALID
 * (with error_json) if this one failed. CA_ECONFLICT when the challenge is not PROCESSING. */
int store_challenge_finish(struct store *store, const char *id, bool is_valid, const char *error_json, int64_t now,
                           struct err *err) SMT_MUST_USE;

/* store_challenge_list_processing writes the ids of every PROCESSING challenge (at most cap): after a
 * restart the server validates them again, so none stays PROCESSING forever. */
int store_challenge_list_processing(struct store *store, char (*ids)[STORE_ID_MAX], size_t cap, size_t *num,
                                    struct err *err) SMT_MUST_USE;

void store_challenge_clear(struct store_challenge *challenge);

/* --- nonces (RFC 8555 7.2): shared by every process on the database --- */

/* store_nonce_insert records a nonce issued at now. */
int store_nonce_insert(struct store *store, const char *nonce, int64_t now, struct err *err) SMT_MUST_USE;

/* store_nonce_redeem deletes the nonce if it was issued after now - max_age: 0 then; CA_ENOT_FOUND when it
 * is unknown, used or too old. Also deletes expired nonces now and then. */
int store_nonce_redeem(struct store *store, const char *nonce, int64_t now, int64_t max_age,
                       struct err *err) SMT_MUST_USE;

/* --- certificates --- */

enum store_cert_status {
        STORE_CERT_VALID = 1, /* issued and not revoked (expiry is read from not_after) */
        STORE_CERT_REVOKED = 2,
};

struct store_cert {
        char serial[STORE_SERIAL_MAX]; /* lowercase hex: unique across all CAs */
        char ca_name[STORE_PROFILE_MAX];
        char profile[STORE_PROFILE_MAX];
        char *subject; /* one line, as cert_subject_text writes it */
        char *names;   /* the SAN values, lowercase, comma-separated: searched by name */
        int64_t not_before;
        int64_t not_after;
        int64_t created_at;
        int status; /* enum store_cert_status */
        int64_t revoked_at;
        int revocation_reason; /* RFC 5280 CRLReason, -1 when not revoked */
        char account_id[STORE_ID_MAX]; /* "" when not issued through ACME */
        char order_id[STORE_ID_MAX];
        char key_thumbprint[STORE_ID_MAX]; /* SHA-256 of the SubjectPublicKeyInfo, base64url */
        uint8_t *der;
        size_t der_len;
};

/* store_cert_insert adds a certificate issued outside ACME; SMT_EEXIST when the serial exists. */
int store_cert_insert(struct store *store, const struct store_cert *cert, struct err *err) SMT_MUST_USE;

/* store_cert_get fills *out (der included); CA_ENOT_FOUND. */
int store_cert_get(struct store *store, const char *serial, struct store_cert *out, struct err *err) SMT_MUST_USE;

/* store_cert_revoke makes a VALID certificate REVOKED at now with reason; CA_ECONFLICT if already revoked,
 * CA_ENOT_FOUND if unknown. */
int store_cert_revoke(struct store *store, const char *serial, int reason, int64_t now, struct err *err) SMT_MUST_USE;

enum store_cert_filter_status {
        STORE_FILTER_ANY = 0,
        STORE_FILTER_VALID = 1,   /* not revoked and not expired at now */
        STORE_FILTER_REVOKED = 2,
        STORE_FILTER_EXPIRED = 3, /* not revoked, not_after < now */
};

struct store_cert_query {
        const char *name;    /* NULL = any; else certificates with this SAN value (exact, lowercase) or, if
                                it starts with '.', with a SAN ending in it */
        const char *ca_name; /* NULL = any */
        int status;          /* enum store_cert_filter_status */
        int64_t now;         /* for status VALID / EXPIRED */
        int64_t expires_after;  /* 0 = no bound: not_after >= expires_after */
        int64_t expires_before; /* 0 = no bound: not_after < expires_before */
        size_t limit;           /* 1..STORE_LIST_MAX */
        size_t offset;
};

/* store_cert_search writes the matching certificates, newest first, without der (der NULL), into a new
 * array *out of *num records; free with store_cert_list_free. */
int store_cert_search(struct store *store, const struct store_cert_query *query, struct store_cert **out,
                      size_t *num, struct err *err) SMT_MUST_USE;

/* store_cert_revoked_since lists (at most cap) serials of certificates revoked at or after since (UTC
 * seconds), oldest revocation first: how one process learns of another's revocations on a shared database. */
int store_cert_revoked_since(struct store *store, int64_t since, char (*serials)[STORE_SERIAL_MAX], size_t cap,
                             size_t *num, struct err *err) SMT_MUST_USE;

void store_cert_clear(struct store_cert *cert);
void store_cert_list_free(struct store_cert *certs, size_t num);

/* --- issuing CAs made at run time (CA API); those of ca.yaml live in files --- */

struct store_ca {
        char name[STORE_PROFILE_MAX];
        char kind[STORE_PROFILE_MAX]; /* the profile family, as ca.yaml names it */
        char *key_path;
        uint8_t *cert_der;
        size_t cert_der_len;
        int64_t created_at;
};

/* store_ca_insert adds a CA (CA_ECONFLICT if the name exists); store_ca_list returns all, oldest first, in a
 * new array (store_ca_list_free). */
int store_ca_insert(struct store *store, const struct store_ca *ca, struct err *err) SMT_MUST_USE;
int store_ca_list(struct store *store, struct store_ca **out, size_t *num, struct err *err) SMT_MUST_USE;
void store_ca_list_free(struct store_ca *cas, size_t num);

#endif
