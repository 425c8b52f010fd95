/* src/gateway/sites_internal.h: what the files of gateway/sites share: the name hash table
 * (sites_table.c) and the cache of certificate and key files with the checks of each pair
 * (sites_files.c). Not an API: other modules use gateway/sites.h. */
#ifndef SMT_GATEWAY_SITES_INTERNAL_H
#define SMT_GATEWAY_SITES_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "gateway/config.h"
#include "net/tls_conn.h"
#include "tlcp/conn.h"

#define GW_SITES_HASH_KEY_LEN 16

/* gw_sites_siphash is SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012) of
 * len bytes under a 128-bit key: keyed, so names chosen by whoever writes a config or sends a Host field
 * cannot be made to collide without knowing the key. */
uint64_t gw_sites_siphash(const uint8_t key[GW_SITES_HASH_KEY_LEN], const uint8_t *data, size_t len);

/* One slot of an open-addressing table; key is borrowed and must outlive the table. */
struct gw_sites_slot {
        uint64_t hash;
        const char *key; /* NULL: the slot is free */
        size_t key_len;
        void *value;
};

/* struct gw_sites_table: byte strings to pointers, linear probing in a power-of-two array kept at most
 * half full, so a lookup reads a few adjacent slots and allocates nothing. */
struct gw_sites_table {
        struct gw_sites_slot *slots;
        size_t mask; /* number of slots - 1 */
        size_t num;
        uint8_t hash_key[GW_SITES_HASH_KEY_LEN];
};

/* gw_sites_table_init makes an empty table sized for about expected keys (it grows past that). */
int gw_sites_table_init(struct gw_sites_table *table, size_t expected, const uint8_t hash_key[GW_SITES_HASH_KEY_LEN],
                        struct err *err) SMT_MUST_USE;

/* gw_sites_table_insert adds key -> value; when key is there already, it changes nothing and sets
 * *existing (may be NULL) to the value it has, else *existing is NULL. */
int gw_sites_table_insert(struct gw_sites_table *table, const char *key, size_t key_len, void *value, void **existing,
                          struct err *err) SMT_MUST_USE;

/* gw_sites_table_lookup returns key's value or NULL. */
void *gw_sites_table_lookup(const struct gw_sites_table *table, const char *key, size_t key_len);

void gw_sites_table_cleanup(struct gw_sites_table *table);

/* --- files --- */

struct gw_sites_file; /* one file read once, with what was worked out from it */

/* struct gw_sites_files: every certificate, key and trust file of a build, read once by path. */
struct gw_sites_files {
        struct gw_sites_table table; /* "<kind letter><path>" -> struct gw_sites_file */
        struct gw_sites_file *list;  /* all of them, to free */
};

int gw_sites_files_init(struct gw_sites_files *files, const uint8_t hash_key[GW_SITES_HASH_KEY_LEN],
                        struct err *err) SMT_MUST_USE;
void gw_sites_files_cleanup(struct gw_sites_files *files);

/* gw_sites_files_tlcp fills out from an SM2 pair: both keys match their certificates, all four are SM2, the
 * signing certificate allows digitalSignature and the encryption one key or data encipherment (GB/T 38636
 * §6.4.5.3). The chain is sm2->chain, else the certificates after the leaf in sign_cert. Errors name the
 * key and the file. */
int gw_sites_files_tlcp(struct gw_sites_files *files, struct tlcp_credentials *out, const struct gw_sm2_config *sm2,
                        struct err *err) SMT_MUST_USE;

/* gw_sites_files_tls fills out from an ECC and/or an RSA certificate (NULL members: none): each key matches
 * its certificate, the algorithms are EC P-256/P-384 and RSA, the leaves allow digitalSignature (ECDHE
 * signs, RFC 8446 §4.4.2.2). The chain holds the certificates after either leaf. out is prepared
 * (net_tls_credentials_prepare) once per set of files, however many sites name it; files releases it. */
int gw_sites_files_tls(struct gw_sites_files *files, struct net_tls_credentials *out, const struct gw_cert_config *ecc,
                       const struct gw_cert_config *rsa, struct err *err) SMT_MUST_USE;

/* gw_sites_files_store gives the trust store read from path (PEM roots). */
int gw_sites_files_store(struct gw_sites_files *files, const struct cert_store **out, const char *path,
                         struct err *err) SMT_MUST_USE;

#endif
