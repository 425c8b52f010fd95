/* tests/fuzz/fuzz_tlcp_record.c: targets tlcp_record_header_parse, tlcp_record_open and tlcp_record_seal.
 *
 * Input: one control byte, then a stream of records. The control byte's low two bits pick the receiver's
 * protection (0 none, 1 SM4-CBC + HMAC-SM3, 2 and 3 SM4-GCM) and the other six its starting sequence number.
 * Records are parsed and opened one after another, as a connection would, until one fails. The keys are the
 * client write keys of vectors/tlcp/01 (CBC) and 02 (GCM), so the seeds — records those connections carried,
 * with their sequence numbers — authenticate and lead the fuzzer past the MAC. Whatever opens must seal again
 * with the record's own explicit IV or nonce to the same bytes (CBC: when its padding was minimal, which is
 * when the lengths agree); a round trip of the content under every protection must give it back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlcp/record.h"

static const struct tlcp_write_keys fuzz_cbc_keys = {
    .mac_key = {0xd3, 0x45, 0x32, 0x5f, 0x95, 0xb6, 0x0d, 0xac, 0xd9, 0xbf, 0x37, 0x22, 0xad, 0xf8, 0xbb, 0x8b,
                0x24, 0x73, 0x18, 0x6e, 0x92, 0x0c, 0x81, 0xc6, 0x51, 0x78, 0x01, 0xc3, 0x6e, 0xe9, 0xaa, 0x95},
    .key = {0x88, 0x71, 0x29, 0xad, 0xc3, 0x5e, 0xa2, 0x6e, 0x28, 0xc2, 0x2a, 0xbc, 0x20, 0x39, 0x75, 0xc8},
};

static const struct tlcp_write_keys fuzz_gcm_keys = {
    .key = {0x8c, 0x97, 0xcc, 0xfe, 0xa7, 0x88, 0xf0, 0xeb, 0x8a, 0x34, 0x82, 0xec, 0xce, 0x4d, 0x50, 0xa6},
    .salt = {0x02, 0x7d, 0x12, 0x02},
};

/* fuzz_protection sets p up for control value mode (0 none, 1 CBC, 2 GCM) at sequence number seq. */
static void fuzz_protection(struct tlcp_record_protection *p, unsigned mode, uint64_t seq)
{
        struct err err = {0};
        tlcp_record_protection_init(p);
        if (mode == 1 &&
            tlcp_record_protection_set_keys(p, tlcp_suite_lookup(TLCP_ECC_SM4_CBC_SM3), &fuzz_cbc_keys, &err) != 0)
                abort();
        if (mode >= 2 &&
            tlcp_record_protection_set_keys(p, tlcp_suite_lookup(TLCP_ECC_SM4_GCM_SM3), &fuzz_gcm_keys, &err) != 0)
                abort();
        p->seq = seq;
}

/* fuzz_check_reseal seals content again as the record it came from and compares. */
static void fuzz_check_reseal(unsigned mode, uint64_t seq, const struct tlcp_record_header *header,
                              const uint8_t *original, struct buf_reader content)
{
        struct tlcp_record_protection sealer;
        struct buf_writer out;
        struct err err = {0};
        fuzz_protection(&sealer, mode, seq);
        size_t iv_len = mode == 0 ? 0 : mode == 1 ? TLCP_CBC_IV_LEN : TLCP_GCM_EXPLICIT_NONCE_LEN;
        buf_writer_init_heap(&out, TLCP_RECORD_MAX_SEALED_LEN);
        if (tlcp_record_seal_with_explicit_iv(&sealer, &out, header->type, content.data, content.len,
                                              iv_len > 0 ? original : NULL, iv_len, &err) != 0)
                abort();
        size_t fragment_len = out.len - TLCP_RECORD_HEADER_LEN;
        bool must_match = mode != 1 || fragment_len == header->length;
        if (must_match &&
            (fragment_len != header->length || memcmp(out.data + TLCP_RECORD_HEADER_LEN, original, fragment_len) != 0))
                abort();
        if (mode == 1 && fragment_len > header->length) /* minimal padding can only be shorter */
                abort();
        buf_writer_cleanup(&out);
        tlcp_record_protection_cleanup(&sealer);
}

/* fuzz_check_round_trip seals content under each protection and opens it again. */
static void fuzz_check_round_trip(uint8_t type, struct buf_reader content)
{
        for (unsigned mode = 0; mode < 3; mode++) {
                struct tlcp_record_protection sender, receiver;
                struct buf_writer out;
                struct err err = {0};
                fuzz_protection(&sender, mode, 7);
                fuzz_protection(&receiver, mode, 7);
                buf_writer_init_heap(&out, TLCP_RECORD_MAX_SEALED_LEN);
                struct buf_reader in, opened;
                struct tlcp_record_header header;
                if (tlcp_record_seal(&sender, &out, type, content.data, content.len, &err) != 0)
                        abort();
                in = buf_reader_make(out.data, out.len);
                if (tlcp_record_header_parse(&header, &in, &err) != 0 || in.len != header.length ||
                    tlcp_record_open(&receiver, &opened, &header, out.data + TLCP_RECORD_HEADER_LEN, &err) != 0 ||
                    opened.len != content.len || (content.len > 0 && memcmp(opened.data, content.data, content.len)))
                        abort();
                buf_writer_cleanup(&out);
                tlcp_record_protection_cleanup(&sender);
                tlcp_record_protection_cleanup(&receiver);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        if (len < 1)
                return 0;
        unsigned mode = (data[0] & 3) > 2 ? 2 : data[0] & 3;
        struct tlcp_record_protection p;
        fuzz_protection(&p, mode, data[0] >> 2);
        struct buf_reader in = buf_reader_make(data + 1, len - 1);
        for (;;) {
                struct tlcp_record_header header;
                struct buf_reader content;
                struct err err = {0};
                if (tlcp_record_header_parse(&header, &in, &err) != 0 || in.len < header.length)
                        break;
                /* The fragment is opened in place in a copy, so the original stays available to compare. */
                uint8_t *fragment = malloc(header.length + 1);
                memcpy(fragment, in.data, header.length);
                uint64_t seq = p.seq;
                int status = tlcp_record_open(&p, &content, &header, fragment, &err);
                if (status == 0) {
                        fuzz_check_reseal(mode, seq, &header, in.data, content);
                        fuzz_check_round_trip(header.type, content);
                }
                free(fragment);
                if (status != 0 || buf_skip(&in, header.length) != 0)
                        break;
        }
        tlcp_record_protection_cleanup(&p);
        return 0;
}
