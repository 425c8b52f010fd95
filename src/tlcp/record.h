/* src/tlcp/record.h: the TLCP record layer (GB/T 38636-2020 §6.3): record headers and the protection of
 * one direction — none before ChangeCipherSpec, SM4-CBC with HMAC-SM3 (MAC-then-encrypt, explicit IV,
 * RFC 4346 §6.2.3.2 style) or SM4-GCM (RFC 5288 style: 4-byte salt + 8-byte explicit nonce).
 *
 * Pure byte-buffer code: the caller reads 5 header bytes, waits for header.length more, then opens the
 * fragment in place; sealing appends a whole record to a buf_writer. */
#ifndef SMT_TLCP_RECORD_H
#define SMT_TLCP_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/sm3.h"
#include "tlcp/key_schedule.h"
#include "tlcp/protocol.h"

#define TLCP_CBC_IV_LEN             SM4_BLOCK_LEN
#define TLCP_MAC_LEN                SM3_DIGEST_LEN
#define TLCP_GCM_EXPLICIT_NONCE_LEN 8
#define TLCP_GCM_TAG_LEN            SM4_GCM_TAG_LEN
/* The most a protection adds to a content: CBC IV + MAC + a full padding block; GCM is 8 + 16. */
#define TLCP_RECORD_MAX_OVERHEAD (TLCP_CBC_IV_LEN + TLCP_MAC_LEN + SM4_BLOCK_LEN)
/* The largest record smtrust writes (header + sealed TLCP_MAX_PLAINTEXT bytes). */
#define TLCP_RECORD_MAX_SEALED_LEN (TLCP_RECORD_HEADER_LEN + TLCP_MAX_PLAINTEXT + TLCP_RECORD_MAX_OVERHEAD)
/* Bytes tlcp_record_is_tlcp_client_hello needs: type and version. */
#define TLCP_RECORD_SNIFF_LEN 3

struct tlcp_record_header {
        uint8_t type;     /* enum tlcp_content_type */
        uint16_t version; /* always TLCP_VERSION once parsed */
        uint16_t length;  /* fragment bytes that follow the header */
};

/* struct tlcp_record_protection: one direction's state; init before use, cleanup after. */
struct tlcp_record_protection {
        const struct tlcp_suite *suite; /* NULL: no protection (before ChangeCipherSpec) */
        uint64_t seq;                   /* sequence number of the next record (RFC 5246 §6.1) */
        struct sm4_cbc *cbc;            /* CBC suites */
        struct sm4_gcm *gcm;            /* GCM suites */
        struct sm3_hmac_key mac_key;    /* CBC suites: the HMAC-SM3 key, prepared once per direction */
        uint8_t salt[TLCP_GCM_SALT_LEN];
};

/* tlcp_record_header_parse reads 5 bytes from in: SMT_EAGAIN (in untouched) when fewer are there,
 * TLCP_EPROTOCOL_VERSION, TLCP_EUNEXPECTED_MESSAGE (unknown type) or TLCP_ERECORD_OVERFLOW (length above
 * TLCP_MAX_CIPHERTEXT). It does not wait for the fragment: the caller needs header->length more bytes. */
int tlcp_record_header_parse(struct tlcp_record_header *header, struct buf_reader *in, struct err *err) SMT_MUST_USE;

/* tlcp_record_header_write appends type, TLCP_VERSION and length. */
int tlcp_record_header_write(struct buf_writer *out, uint8_t type, uint16_t length, struct err *err) SMT_MUST_USE;

/* tlcp_record_is_tlcp_client_hello says whether data starts like a TLCP handshake record (type 22, version
 * 0x0101), the way a port shared with TLS tells them apart; false with fewer than TLCP_RECORD_SNIFF_LEN bytes. */
bool tlcp_record_is_tlcp_client_hello(const uint8_t *data, size_t len);

/* tlcp_record_protection_init sets p to no protection with sequence number 0. */
void tlcp_record_protection_init(struct tlcp_record_protection *p);

/* tlcp_record_protection_set_keys switches p to suite with keys (one side's, from the key block) and
 * sequence number 0, as ChangeCipherSpec does; previous keys are wiped. On failure p has no keys. */
int tlcp_record_protection_set_keys(struct tlcp_record_protection *p, const struct tlcp_suite *suite,
                                    const struct tlcp_write_keys *keys, struct err *err) SMT_MUST_USE;

/* tlcp_record_protection_is_active says whether p protects records (keys set since init). */
bool tlcp_record_protection_is_active(const struct tlcp_record_protection *p);

/* tlcp_record_protection_cleanup wipes keys and frees the SM4 contexts; p is then as after init. */
void tlcp_record_protection_cleanup(struct tlcp_record_protection *p);

/* tlcp_record_open checks and decrypts header->length bytes of fragment in place and points content at the
 * plaintext inside fragment (valid while fragment lives). Every authentication failure — MAC, padding, tag,
 * a fragment too short or not a block multiple — is TLCP_EBAD_RECORD_MAC with the same message, so padding
 * validity does not leak; plaintext over 2^14 is TLCP_ERECORD_OVERFLOW. Zero-length content is valid. */
int tlcp_record_open(struct tlcp_record_protection *p, struct buf_reader *content,
                     const struct tlcp_record_header *header, uint8_t *fragment, struct err *err) SMT_MUST_USE;

/* tlcp_record_sealed_len returns the record size (header included) that sealing content_len bytes writes. */
size_t tlcp_record_sealed_len(const struct tlcp_record_protection *p, size_t content_len);

/* tlcp_record_seal appends one record of type holding content_len (at most TLCP_MAX_PLAINTEXT, else
 * SMT_EINVAL) bytes of content: CBC with a fresh random IV and minimal padding, GCM with the sequence number
 * as explicit nonce (unique per key, as GmSSL does). On failure out is as before. */
int tlcp_record_seal(struct tlcp_record_protection *p, struct buf_writer *out, uint8_t type, const uint8_t *content,
                     size_t content_len, struct err *err) SMT_MUST_USE;

/* tlcp_record_seal_with_explicit_iv is tlcp_record_seal with a given explicit IV (CBC, 16 bytes) or explicit
 * nonce (GCM, 8 bytes); for known-answer tests only, since a repeated GCM nonce breaks GCM. */
int tlcp_record_seal_with_explicit_iv(struct tlcp_record_protection *p, struct buf_writer *out, uint8_t type,
                                      const uint8_t *content, size_t content_len, const uint8_t *explicit_iv,
                                      size_t explicit_iv_len, struct err *err) SMT_MUST_USE;

#endif
