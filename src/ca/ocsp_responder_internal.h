/* src/ca/ocsp_responder_internal.h: what the files of the OCSP responder share: the signers (one per
 * issuing CA, ocsp_responder.c), the table of kept answers (ocsp_responder_table.c), answering
 * (ocsp_responder_answer.c) and HTTP (ocsp_responder_http.c). Not an API: see ca/ocsp_responder.h. */
#ifndef SMT_CA_OCSP_RESPONDER_INTERNAL_H
#define SMT_CA_OCSP_RESPONDER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ca/delegate.h"
#include "ca/ocsp_responder.h"
#include "crypto/ocsp.h"

#define CA_OCSP_CAS_MAX   16384 /* as many as ca/authority.h holds */
#define CA_OCSP_DUE_BATCH 256   /* answers signed anew per table walk */
#define CA_OCSP_RETRY_S   5     /* a failed signing (store unreachable) is tried again this much later */

/* One CA's signer: its CertID hashes and its current responder certificate. Replaced whole when the
 * responder certificate is renewed; the old one is kept (retired) until stop, since a request thread may
 * still be signing with it. */
struct ca_ocsp_signer {
        const struct ca_authority *ca;
        size_t index; /* in authorities */
        struct ocsp_issuer_id issuer_id;
        struct ca_delegate delegate;
        struct cert_chain *extra; /* the CA's certificate, sent after the responder's */
        struct ca_ocsp_signer *retired_next;
};

/* What identifies a kept answer: the CA, the CertID's hash algorithm (a response must carry the CertID the
 * client sent, hash included) and the serial's INTEGER content octets. */
struct ca_ocsp_key {
        uint32_t ca_index;
        uint8_t hash; /* enum ocsp_hash */
        uint8_t serial_len;
        uint8_t serial[OCSP_SERIAL_MAX];
};

struct ca_ocsp_entry {
        struct ca_ocsp_entry *next;
        struct ca_ocsp_key key;
        uint8_t *der;
        size_t der_len;
        int64_t this_update; /* UTC seconds */
        int64_t next_update;
        int64_t refresh_at;  /* sign anew from then on */
        int status;          /* enum ocsp_cert_status answered */
};

/* A copy of a kept answer, handed to a request thread. */
struct ca_ocsp_copy {
        uint8_t *der; /* heap */
        size_t der_len;
        int64_t this_update, next_update;
};

struct ca_ocsp_table {
        pthread_rwlock_t lock; /* guards what follows */
        struct ca_ocsp_entry **buckets;
        size_t num_buckets; /* a power of two */
        size_t count;
        uint64_t generation; /* bumped by every drop: a status read before it must not be kept */
};

struct ca_ocsp {
        const struct ca_config *config;
        struct store *store;
        const struct ca_authorities *authorities;
        _Atomic(struct ca_ocsp_signer *) *signers; /* CA_OCSP_CAS_MAX, by authorities index */
        pthread_mutex_t signer_lock;               /* making and replacing signers */
        struct ca_ocsp_signer *retired;
        struct ca_ocsp_table table;
        pthread_mutex_t lock; /* the thread's wake-ups */
        pthread_cond_t wake;
        bool is_stopping;
        bool has_thread;
        bool is_listening;
        pthread_t thread;
        _Atomic uint64_t served_kept;
        _Atomic uint64_t signed_now;
};

/* --- signers (ocsp_responder.c) --- */

/* ca_ocsp_signer_for finds the CA a CertID is from and its signer (made now for a CA added at run time);
 * NULL when no CA of this process issued it. */
struct ca_ocsp_signer *ca_ocsp_signer_for(struct ca_ocsp *ocsp, const struct ocsp_cert_id *id);

/* --- kept answers (ocsp_responder_table.c) --- */

int ca_ocsp_table_init(struct ca_ocsp_table *table, struct err *err) SMT_MUST_USE;
void ca_ocsp_table_cleanup(struct ca_ocsp_table *table);

/* ca_ocsp_table_get copies the answer kept for key into *out (free out->der); false when none. */
bool ca_ocsp_table_get(struct ca_ocsp_table *table, const struct ca_ocsp_key *key, struct ca_ocsp_copy *out);

/* ca_ocsp_table_generation reads the generation before a status is read from the store. */
uint64_t ca_ocsp_table_generation(struct ca_ocsp_table *table);

/* ca_ocsp_table_put keeps entry (taking it over, freed when refused) unless the table's generation moved
 * past generation since the status was read (a revocation came in between: the answer may be stale). */
void ca_ocsp_table_put(struct ca_ocsp_table *table, struct ca_ocsp_entry *entry, uint64_t generation);

/* ca_ocsp_table_drop_serial forgets every answer about the certificate with serial (INTEGER content) and
 * bumps the generation. */
void ca_ocsp_table_drop_serial(struct ca_ocsp_table *table, const uint8_t *serial, size_t serial_len);

/* ca_ocsp_table_drop_if_not_revoked forgets the answers about serial that do not say revoked (a revocation
 * made by another process), bumping the generation when it drops any. */
void ca_ocsp_table_drop_if_not_revoked(struct ca_ocsp_table *table, const uint8_t *serial, size_t serial_len);

/* ca_ocsp_table_postpone moves key's refresh time to at (after a failed signing). */
void ca_ocsp_table_postpone(struct ca_ocsp_table *table, const struct ca_ocsp_key *key, int64_t at);

/* ca_ocsp_table_due lists up to cap keys whose refresh time is at or before now. */
size_t ca_ocsp_table_due(struct ca_ocsp_table *table, int64_t now, struct ca_ocsp_key *keys, size_t cap);

size_t ca_ocsp_table_count(struct ca_ocsp_table *table);

/* --- answering (ocsp_responder_answer.c) --- */

/* ca_ocsp_serial_from_hex turns the store's lowercase hex serial into INTEGER content octets (a 0x00
 * first when the top bit is set); false when it does not fit. ca_ocsp_serial_to_hex is the reverse; false
 * for a negative or over-long serial (no certificate of ours has one). */
bool ca_ocsp_serial_from_hex(const char *hex, uint8_t out[OCSP_SERIAL_MAX], size_t *out_len);
bool ca_ocsp_serial_to_hex(const uint8_t *serial, size_t len, char out[STORE_SERIAL_MAX]);

/* ca_ocsp_keep signs the answer for one certificate (CertID id from signer's CA) from the store's status
 * now and keeps it. CA_ENOT_FOUND when the store does not know the serial or the certificate has expired
 * (nothing kept: such answers are signed at request time). */
int ca_ocsp_keep(struct ca_ocsp *ocsp, struct ca_ocsp_signer *signer, const struct ocsp_cert_id *id,
                 struct err *err) SMT_MUST_USE;

/* ca_ocsp_presign_all keeps an answer (SHA-1 CertID) for every unexpired certificate of every CA.
 * Returns the first failure; the others go on. */
int ca_ocsp_presign_all(struct ca_ocsp *ocsp, struct err *err) SMT_MUST_USE;

/* ca_ocsp_sync_revoked reads the store's revoked, unexpired certificates and drops kept answers that do
 * not say revoked (revocations made by another process on the same database). */
int ca_ocsp_sync_revoked(struct ca_ocsp *ocsp, struct err *err) SMT_MUST_USE;

/* ca_ocsp_refresh_due signs anew the kept answers whose refresh time has come; returns how many. */
size_t ca_ocsp_refresh_due(struct ca_ocsp *ocsp);

#endif
