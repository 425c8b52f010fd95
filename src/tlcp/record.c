/* src/tlcp/record.c: record headers, per-direction state and the two protections of GB/T 38636-2020
 * §6.3.3: SM4-CBC with HMAC-SM3 as TLS 1.1 has it (RFC 4346 §6.2.3.2) and SM4-GCM as RFC 5288 has it. */
#include "tlcp/record.h"

#include <string.h>

#include <openssl/crypto.h>

#include "crypto/random.h"

/* The MAC input and the GCM AAD both start with seq_num(8) || type(1) || version(2) || length(2). */
#define TLCP_RECORD_MAC_HEADER_LEN 13
/* Where that header goes inside a CBC record's explicit IV (see tlcp_record_seal_cbc). */
#define TLCP_CBC_MAC_HEADER_OFFSET (TLCP_CBC_IV_LEN - TLCP_RECORD_MAC_HEADER_LEN)

static bool tlcp_record_is_known_type(uint8_t type)
{
        switch (type) {
        case TLCP_CONTENT_CHANGE_CIPHER_SPEC:
        case TLCP_CONTENT_ALERT:
        case TLCP_CONTENT_HANDSHAKE:
        case TLCP_CONTENT_APPLICATION_DATA:
                return true;
        default:
                return false;
        }
}

int tlcp_record_header_parse(struct tlcp_record_header *header, struct buf_reader *in, struct err *err)
{
        struct buf_reader r = *in;
        uint8_t type;
        uint16_t version, length;
        if (buf_read_u8(&r, &type) < 0 || buf_read_u16(&r, &version) < 0 || buf_read_u16(&r, &length) < 0)
                return SMT_EAGAIN;
        /* The version first: a TLS peer on a TLCP port is the likeliest mismatch, and its name helps most. */
        if (version != TLCP_VERSION)
                return SMT_ERR(err, TLCP_EPROTOCOL_VERSION, "record: version 0x%04x, expected 0x%04x (TLCP)",
                               (unsigned)version, (unsigned)TLCP_VERSION);
        if (!tlcp_record_is_known_type(type))
                return SMT_ERR(err, TLCP_EUNEXPECTED_MESSAGE, "record: unknown content type %u", (unsigned)type);
        if (length > TLCP_MAX_CIPHERTEXT)
                return SMT_ERR(err, TLCP_ERECORD_OVERFLOW, "record: fragment length %u exceeds %d", (unsigned)length,
                               TLCP_MAX_CIPHERTEXT);
        *header = (struct tlcp_record_header){.type = type, .version = version, .length = length};
        *in = r;
        return SMT_OK;
}

int tlcp_record_header_write(struct buf_writer *out, uint8_t type, uint16_t length, struct err *err)
{
        if (buf_write_u8(out, type) < 0 || buf_write_u16(out, TLCP_VERSION) < 0 || buf_write_u16(out, length) < 0)
                return SMT_ERR(err, SMT_ENOSPACE, "record: no room for a record header");
        return SMT_OK;
}

bool tlcp_record_is_tlcp_client_hello(const uint8_t *data, size_t len)
{
        struct buf_reader r = buf_reader_make(data, len);
        uint8_t type;
        uint16_t version;
        if (buf_read_u8(&r, &type) < 0 || buf_read_u16(&r, &version) < 0)
                return false;
        return type == TLCP_CONTENT_HANDSHAKE && version == TLCP_VERSION;
}

void tlcp_record_protection_init(struct tlcp_record_protection *p)
{
        *p = (struct tlcp_record_protection){.suite = NULL};
}

void tlcp_record_protection_cleanup(struct tlcp_record_protection *p)
{
        sm4_cbc_free(p->cbc);
        sm4_gcm_free(p->gcm);
        explicit_bzero(p, sizeof *p);
        tlcp_record_protection_init(p);
}

bool tlcp_record_protection_is_active(const struct tlcp_record_protection *p)
{
        return p->suite != NULL;
}

int tlcp_record_protection_set_keys(struct tlcp_record_protection *p, const struct tlcp_suite *suite,
                                    const struct tlcp_write_keys *keys, struct err *err)
{
        tlcp_record_protection_cleanup(p);
        int status = 1; /* stays 1 when no case below knows the bulk cipher */
        switch (suite->bulk_cipher) {
        case TLCP_BULK_SM4_CBC:
                status = sm4_cbc_new(&p->cbc, keys->key, err);
                sm3_hmac_key_init(&p->mac_key, keys->mac_key, sizeof keys->mac_key);
                break;
        case TLCP_BULK_SM4_GCM:
                status = sm4_gcm_new(&p->gcm, keys->key, err);
                memcpy(p->salt, keys->salt, sizeof p->salt);
                break;
        }
        if (status == 1)
                status = SMT_ERR(err, SMT_EINVAL, "record: suite %s has unknown bulk cipher %d", suite->name,
                                 (int)suite->bulk_cipher);
        if (status != SMT_OK) {
                tlcp_record_protection_cleanup(p);
                return status;
        }
        p->suite = suite;
        return SMT_OK;
}

/* RFC 5246 §6.1: sequence numbers must not wrap, and TLCP offers no renegotiation to get new keys, so the
 * last value is never used and the connection ends instead. */
static int tlcp_record_check_seq(const struct tlcp_record_protection *p, struct err *err)
{
        if (p->seq == UINT64_MAX)
                return SMT_ERR(err, TLCP_EINTERNAL, "record: sequence number exhausted; the connection must end");
        return SMT_OK;
}

static int tlcp_record_mac_header(uint8_t out[TLCP_RECORD_MAC_HEADER_LEN], uint64_t seq, uint8_t type, size_t length)
{
        struct buf_writer w;
        buf_writer_init_fixed(&w, out, TLCP_RECORD_MAC_HEADER_LEN);
        TRY(buf_write_u32(&w, (uint32_t)(seq >> 32)));
        TRY(buf_write_u32(&w, (uint32_t)seq));
        TRY(buf_write_u8(&w, type));
        TRY(buf_write_u16(&w, TLCP_VERSION));
        return buf_write_u16(&w, (uint16_t)length);
}

static int tlcp_record_bad_mac(const struct tlcp_record_protection *p, const struct tlcp_record_header *header,
                               struct err *err)
{
        return SMT_ERR(err, TLCP_EBAD_RECORD_MAC, "record: %s record %llu (type %u, %u bytes) does not authenticate",
                       p->suite->name, (unsigned long long)p->seq, (unsigned)header->type, (unsigned)header->length);
}

static int tlcp_record_check_plaintext_len(size_t len, struct err *err)
{
        if (len > TLCP_MAX_PLAINTEXT)
                return SMT_ERR(err, TLCP_ERECORD_OVERFLOW, "record: plaintext of %zu bytes exceeds %d", len,
                               TLCP_MAX_PLAINTEXT);
        return SMT_OK;
}

/* Masks for the padding check: all ones or all zeros, computed without branches (operands below 2^63). */
static size_t tlcp_record_mask_lt(size_t a, size_t b)
{
        return 0 - ((a - b) >> (sizeof(size_t) * 8 - 1));
}

static size_t tlcp_record_mask_eq(size_t a, size_t b)
{
        return 0 - (((a ^ b) - 1) >> (sizeof(size_t) * 8 - 1));
}

/* tlcp_record_cbc_body_len: content || MAC || padding || padding_length rounded up to whole blocks with the
 * least padding, which is what Tongsuo and GmSSL send (vectors/tlcp/, every CBC record). */
static size_t tlcp_record_cbc_body_len(size_t content_len)
{
        size_t unpadded = content_len + TLCP_MAC_LEN + 1;
        return (unpadded + SM4_BLOCK_LEN - 1) / SM4_BLOCK_LEN * SM4_BLOCK_LEN;
}

/* tlcp_record_cbc_padding_mask is all ones when the last byte p and the p bytes before it all equal p and
 * leave room for the MAC (RFC 4346 §6.2.3.2). It reads the same bytes whatever p is, so its time does not
 * depend on the padding: the padding-oracle defence of RFC 5246 §6.2.3.2's implementation note. */
static size_t tlcp_record_cbc_padding_mask(const uint8_t *body, size_t body_len)
{
        size_t pad = body[body_len - 1];
        size_t good = ~tlcp_record_mask_lt(body_len, pad + 1 + TLCP_MAC_LEN);
        size_t checked = body_len < 256 ? body_len : 256;
        for (size_t i = 0; i < checked; i++) {
                size_t is_padding = tlcp_record_mask_lt(i, pad + 1);
                good &= ~is_padding | tlcp_record_mask_eq(body[body_len - 1 - i], pad);
        }
        return good;
}

/* tlcp_record_cbc_received_mac copies the MAC that ends where the padding starts: content_len is secret
 * (it follows from the padding), so every byte where the MAC may be is read and each kept by a mask, not
 * read at body + content_len (a secret-dependent address). */
static void tlcp_record_cbc_received_mac(uint8_t out[TLCP_MAC_LEN], const uint8_t *body, size_t body_len,
                                         size_t content_len)
{
        size_t last = body_len - 1; /* the padding length byte: never MAC */
        size_t first = last > TLCP_MAC_LEN + 256 ? last - TLCP_MAC_LEN - 256 : 0;
        memset(out, 0, TLCP_MAC_LEN);
        for (size_t at = first; at < last; at++)
                for (size_t j = 0; j < TLCP_MAC_LEN; j++)
                        out[j] |= (uint8_t)(body[at] & tlcp_record_mask_eq(at, content_len + j));
}

/* tlcp_record_open_cbc: fragment = IV || SM4-CBC(content || MAC || padding). A bad padding is treated as a
 * one-byte padding and the MAC is still computed and compared, so that both failures take the same path
 * and give the same status and message. The time does not depend on the padding either (Lucky 13): the
 * MAC is computed over as many blocks as the longest content the record could hold, and the received MAC
 * is gathered without a secret-dependent address. */
static int tlcp_record_open_cbc(struct tlcp_record_protection *p, struct buf_reader *content,
                                const struct tlcp_record_header *header, uint8_t *fragment, struct err *err)
{
        size_t len = header->length;
        if (len < TLCP_CBC_IV_LEN + tlcp_record_cbc_body_len(0) || len % SM4_BLOCK_LEN != 0)
                return tlcp_record_bad_mac(p, header, err);
        uint8_t *iv = fragment, *body = fragment + TLCP_CBC_IV_LEN;
        size_t body_len = len - TLCP_CBC_IV_LEN;
        int status = sm4_cbc_decrypt(p->cbc, iv, body, body, body_len, err);
        if (status != SMT_OK) {
                explicit_bzero(body, body_len);
                return status;
        }
        size_t good = tlcp_record_cbc_padding_mask(body, body_len);
        size_t padding_len = (good & ((size_t)body[body_len - 1] + 1)) | (~good & 1);
        size_t content_len = body_len - TLCP_MAC_LEN - padding_len;
        /* The IV is spent once decrypted: its last 13 bytes take the MAC header, right before the content. */
        uint8_t *mac_input = iv + TLCP_CBC_MAC_HEADER_OFFSET;
        uint8_t mac[TLCP_MAC_LEN] = { 0 }, received[TLCP_MAC_LEN];
        status = tlcp_record_mac_header(mac_input, p->seq, header->type, content_len);
        if (status == SMT_OK)
                sm3_hmac_secret_len(mac, &p->mac_key, mac_input, TLCP_RECORD_MAC_HEADER_LEN + content_len,
                                    TLCP_RECORD_MAC_HEADER_LEN + body_len - TLCP_MAC_LEN - 1);
        tlcp_record_cbc_received_mac(received, body, body_len, content_len);
        good &= tlcp_record_mask_eq((size_t)CRYPTO_memcmp(mac, received, TLCP_MAC_LEN), 0);
        explicit_bzero(mac, sizeof mac);
        explicit_bzero(received, sizeof received);
        if (status == SMT_OK && good == 0)
                status = tlcp_record_bad_mac(p, header, err);
        if (status == SMT_OK)
                status = tlcp_record_check_plaintext_len(content_len, err);
        if (status != SMT_OK) {
                explicit_bzero(body, body_len); /* never leave unauthenticated plaintext behind */
                return status;
        }
        *content = buf_reader_make(body, content_len);
        return SMT_OK;
}

/* tlcp_record_seal_cbc writes IV || SM4-CBC(content || HMAC-SM3 || padding) to w. The MAC input
 * seq || type || version || length || content is made contiguous by putting its 13-byte header in the last
 * bytes of the IV's slot, right before the content; the IV overwrites it once the MAC is computed. */
static int tlcp_record_seal_cbc(struct tlcp_record_protection *p, struct buf_writer *w, uint8_t type,
                                const uint8_t *content, size_t content_len, const uint8_t *explicit_iv, struct err *err)
{
        size_t body_len = tlcp_record_cbc_body_len(content_len);
        size_t pad = body_len - content_len - TLCP_MAC_LEN - 1;
        uint8_t *iv, *body, *mac, *padding;
        if (buf_write_reserve(w, &iv, TLCP_CBC_IV_LEN) < 0 || buf_write_reserve(w, &body, content_len) < 0 ||
            buf_write_reserve(w, &mac, TLCP_MAC_LEN) < 0 || buf_write_reserve(w, &padding, pad + 1) < 0)
                return SMT_ERR(err, SMT_EINTERNAL, "record: CBC record of %zu bytes does not fit", body_len);
        if (content_len > 0)
                memcpy(body, content, content_len);
        memset(padding, (int)pad, pad + 1);
        uint8_t *mac_input = iv + TLCP_CBC_MAC_HEADER_OFFSET;
        TRY(tlcp_record_mac_header(mac_input, p->seq, type, content_len));
        sm3_hmac_with(mac, &p->mac_key, &(struct sm3_part){mac_input, TLCP_RECORD_MAC_HEADER_LEN + content_len}, 1);
        if (explicit_iv != NULL)
                memcpy(iv, explicit_iv, TLCP_CBC_IV_LEN);
        else
                TRY(random_bytes(iv, TLCP_CBC_IV_LEN, err));
        return sm4_cbc_encrypt(p->cbc, iv, body, body, body_len, err);
}

/* tlcp_record_gcm_nonce: salt(4) from the key block || explicit nonce(8) from the record (RFC 5288 §3). */
static void tlcp_record_gcm_nonce(uint8_t nonce[SM4_GCM_IV_LEN], const struct tlcp_record_protection *p,
                                  const uint8_t explicit_nonce[TLCP_GCM_EXPLICIT_NONCE_LEN])
{
        memcpy(nonce, p->salt, TLCP_GCM_SALT_LEN);
        memcpy(nonce + TLCP_GCM_SALT_LEN, explicit_nonce, TLCP_GCM_EXPLICIT_NONCE_LEN);
}

/* tlcp_record_open_gcm: fragment = explicit nonce(8) || ciphertext || tag(16); the nonce is read from the
 * record, never recomputed, because Tongsuo's are not sequence numbers (vectors/tlcp/ wire_facts). */
static int tlcp_record_open_gcm(struct tlcp_record_protection *p, struct buf_reader *content,
                                const struct tlcp_record_header *header, uint8_t *fragment, struct err *err)
{
        size_t len = header->length;
        if (len < TLCP_GCM_EXPLICIT_NONCE_LEN + TLCP_GCM_TAG_LEN)
                return tlcp_record_bad_mac(p, header, err);
        size_t ciphertext_len = len - TLCP_GCM_EXPLICIT_NONCE_LEN - TLCP_GCM_TAG_LEN;
        uint8_t *ciphertext = fragment + TLCP_GCM_EXPLICIT_NONCE_LEN;
        uint8_t nonce[SM4_GCM_IV_LEN], aad[TLCP_RECORD_MAC_HEADER_LEN];
        tlcp_record_gcm_nonce(nonce, p, fragment);
        TRY(tlcp_record_mac_header(aad, p->seq, header->type, ciphertext_len));
        int status = sm4_gcm_open(p->gcm, nonce, sizeof nonce, aad, sizeof aad, ciphertext, ciphertext, ciphertext_len,
                                  ciphertext + ciphertext_len, err);
        if (status == CRYPTO_ETAG)
                return tlcp_record_bad_mac(p, header, err);
        TRY(status);
        if (tlcp_record_check_plaintext_len(ciphertext_len, err) < 0) {
                explicit_bzero(ciphertext, ciphertext_len);
                return TLCP_ERECORD_OVERFLOW;
        }
        *content = buf_reader_make(ciphertext, ciphertext_len);
        return SMT_OK;
}

/* tlcp_record_seal_gcm writes explicit nonce || SM4-GCM ciphertext || tag to w; the default explicit nonce
 * is the sequence number, unique per key by construction (RFC 5288 §3 allows it; GmSSL does the same). */
static int tlcp_record_seal_gcm(struct tlcp_record_protection *p, struct buf_writer *w, uint8_t type,
                                const uint8_t *content, size_t content_len, const uint8_t *explicit_nonce,
                                struct err *err)
{
        uint8_t *nonce_slot, *ciphertext, *tag;
        if (buf_write_reserve(w, &nonce_slot, TLCP_GCM_EXPLICIT_NONCE_LEN) < 0 ||
            buf_write_reserve(w, &ciphertext, content_len) < 0 || buf_write_reserve(w, &tag, TLCP_GCM_TAG_LEN) < 0)
                return SMT_ERR(err, SMT_EINTERNAL, "record: GCM record of %zu bytes does not fit", content_len);
        if (explicit_nonce != NULL) {
                memcpy(nonce_slot, explicit_nonce, TLCP_GCM_EXPLICIT_NONCE_LEN);
        } else {
                struct buf_writer seq_writer;
                buf_writer_init_fixed(&seq_writer, nonce_slot, TLCP_GCM_EXPLICIT_NONCE_LEN);
                TRY(buf_write_u32(&seq_writer, (uint32_t)(p->seq >> 32)));
                TRY(buf_write_u32(&seq_writer, (uint32_t)p->seq));
        }
        uint8_t nonce[SM4_GCM_IV_LEN], aad[TLCP_RECORD_MAC_HEADER_LEN];
        tlcp_record_gcm_nonce(nonce, p, nonce_slot);
        TRY(tlcp_record_mac_header(aad, p->seq, type, content_len));
        return sm4_gcm_seal(p->gcm, nonce, sizeof nonce, aad, sizeof aad, ciphertext, content, content_len, tag, err);
}

int tlcp_record_open(struct tlcp_record_protection *p, struct buf_reader *content,
                     const struct tlcp_record_header *header, uint8_t *fragment, struct err *err)
{
        if (p->suite == NULL) {
                TRY(tlcp_record_check_plaintext_len(header->length, err));
                *content = buf_reader_make(fragment, header->length);
                return SMT_OK;
        }
        TRY(tlcp_record_check_seq(p, err));
        int status = SMT_EINTERNAL; /* set_keys accepts only the bulk ciphers below */
        switch (p->suite->bulk_cipher) {
        case TLCP_BULK_SM4_CBC:
                status = tlcp_record_open_cbc(p, content, header, fragment, err);
                break;
        case TLCP_BULK_SM4_GCM:
                status = tlcp_record_open_gcm(p, content, header, fragment, err);
                break;
        }
        if (status == SMT_OK)
                p->seq++;
        return status;
}

size_t tlcp_record_sealed_len(const struct tlcp_record_protection *p, size_t content_len)
{
        if (p->suite == NULL)
                return TLCP_RECORD_HEADER_LEN + content_len;
        switch (p->suite->bulk_cipher) {
        case TLCP_BULK_SM4_CBC:
                return TLCP_RECORD_HEADER_LEN + TLCP_CBC_IV_LEN + tlcp_record_cbc_body_len(content_len);
        case TLCP_BULK_SM4_GCM:
                return TLCP_RECORD_HEADER_LEN + TLCP_GCM_EXPLICIT_NONCE_LEN + content_len + TLCP_GCM_TAG_LEN;
        }
        return 0;
}

/* tlcp_record_seal_protected reserves the whole record in out and lets the suite's sealer fill it, so that
 * a failure can hand out back as it was. */
static int tlcp_record_seal_protected(struct tlcp_record_protection *p, struct buf_writer *out, uint8_t type,
                                      const uint8_t *content, size_t content_len, const uint8_t *explicit_iv,
                                      struct err *err)
{
        size_t record_len = tlcp_record_sealed_len(p, content_len);
        size_t saved_len = out->len;
        uint8_t *record;
        if (buf_write_reserve(out, &record, record_len) < 0)
                return SMT_ERR(err, SMT_ENOSPACE, "record: no room for a %zu-byte record", record_len);
        struct buf_writer w;
        buf_writer_init_fixed(&w, record, record_len);
        int status = tlcp_record_header_write(&w, type, (uint16_t)(record_len - TLCP_RECORD_HEADER_LEN), err);
        if (status == SMT_OK && p->suite->bulk_cipher == TLCP_BULK_SM4_CBC)
                status = tlcp_record_seal_cbc(p, &w, type, content, content_len, explicit_iv, err);
        else if (status == SMT_OK)
                status = tlcp_record_seal_gcm(p, &w, type, content, content_len, explicit_iv, err);
        if (status != SMT_OK) {
                /* Give the reserved bytes back: out holds exactly what it held before the call. */
                buf_writer_truncate(out, saved_len);
        }
        return status;
}

/* tlcp_record_seal_any seals with explicit_iv, or with a fresh one when it is NULL. */
static int tlcp_record_seal_any(struct tlcp_record_protection *p, struct buf_writer *out, uint8_t type,
                                const uint8_t *content, size_t content_len, const uint8_t *explicit_iv, struct err *err)
{
        if (content_len > TLCP_MAX_PLAINTEXT)
                return SMT_ERR(err, SMT_EINVAL, "record: %zu bytes of content exceed %d; fragment first", content_len,
                               TLCP_MAX_PLAINTEXT);
        if (p->suite == NULL) {
                size_t saved_len = out->len;
                TRY(tlcp_record_header_write(out, type, (uint16_t)content_len, err));
                if (buf_write_bytes(out, content, content_len) < 0) {
                        buf_writer_truncate(out, saved_len);
                        return SMT_ERR(err, SMT_ENOSPACE, "record: no room for %zu bytes of content", content_len);
                }
                return SMT_OK;
        }
        TRY(tlcp_record_check_seq(p, err));
        TRY(tlcp_record_seal_protected(p, out, type, content, content_len, explicit_iv, err));
        p->seq++;
        return SMT_OK;
}

int tlcp_record_seal(struct tlcp_record_protection *p, struct buf_writer *out, uint8_t type, const uint8_t *content,
                     size_t content_len, struct err *err)
{
        return tlcp_record_seal_any(p, out, type, content, content_len, NULL, err);
}

int tlcp_record_seal_with_explicit_iv(struct tlcp_record_protection *p, struct buf_writer *out, uint8_t type,
                                      const uint8_t *content, size_t content_len, const uint8_t *explicit_iv,
                                      size_t explicit_iv_len, struct err *err)
{
        size_t expected = 0;
        if (p->suite != NULL)
                expected = p->suite->bulk_cipher == TLCP_BULK_SM4_CBC ? TLCP_CBC_IV_LEN : TLCP_GCM_EXPLICIT_NONCE_LEN;
        if (explicit_iv_len != expected || (expected > 0 && explicit_iv == NULL))
                return SMT_ERR(err, SMT_EINVAL, "record: explicit IV of %zu bytes, expected %zu", explicit_iv_len,
                               expected);
        return tlcp_record_seal_any(p, out, type, content, content_len, explicit_iv, err);
}
