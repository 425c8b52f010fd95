/* tests/unit/tlcp/test_record.c: the record layer against the records Tongsuo and GmSSL exchanged
 * (vectors/tlcp/: every protected record opens, and re-sealing reproduces it byte for byte), round trips,
 * tampering, truncation, header errors and sequence numbers. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "crypto/sm3.h"
#include "crypto/sm4.h"
#include "tlcp/record.h"
#include "vectors.h"

/* The write keys of one side, read from the file's "derived" member (not from our key schedule, so a key
 * schedule bug cannot hide a record bug). */
static void vector_write_keys(const struct tlcp_vector *v, bool is_client, struct tlcp_write_keys *keys)
{
        const char *side = is_client ? "client" : "server";
        char path[128];
        memset(keys, 0, sizeof *keys);
        snprintf(path, sizeof path, "derived.%s_write_key_hex", side);
        CHECK_EQ(tlcp_vector_get_hex(v, path, keys->key, sizeof keys->key), SM4_KEY_LEN);
        if (v->suite->bulk_cipher == TLCP_BULK_SM4_CBC) {
                snprintf(path, sizeof path, "derived.%s_write_mac_key_hex", side);
                CHECK_EQ(tlcp_vector_get_hex(v, path, keys->mac_key, sizeof keys->mac_key), TLCP_MAC_KEY_LEN);
        } else {
                snprintf(path, sizeof path, "derived.%s_write_iv_hex", side);
                CHECK_EQ(tlcp_vector_get_hex(v, path, keys->salt, sizeof keys->salt), TLCP_GCM_SALT_LEN);
        }
}

static void vector_protection(struct tlcp_record_protection *p, const struct tlcp_vector *v, bool is_client)
{
        struct tlcp_write_keys keys;
        struct err err = {0};
        vector_write_keys(v, is_client, &keys);
        tlcp_record_protection_init(p);
        CHECK_OK(tlcp_record_protection_set_keys(p, v->suite, &keys, &err), &err);
}

/* Opens every record of one direction in order, as a receiver would: plaintext before ChangeCipherSpec,
 * protected after it, the sequence number counting from 0 at the switch. */
static size_t check_vector_direction_opens(const struct tlcp_vector *v, bool is_from_client)
{
        struct tlcp_record_protection p;
        tlcp_record_protection_init(&p);
        size_t num_protected = 0;
        for (size_t i = 0; i < v->num_records; i++) {
                const struct tlcp_vector_record *r = &v->records[i];
                if (r->is_from_client != is_from_client)
                        continue;
                struct err err = {0};
                const uint8_t wire_header[] = {r->type, 0x01, 0x01, (uint8_t)(r->fragment_len >> 8),
                                               (uint8_t)r->fragment_len};
                struct buf_reader in = buf_reader_make(wire_header, sizeof wire_header);
                struct tlcp_record_header header;
                CHECK_OK(tlcp_record_header_parse(&header, &in, &err), &err);
                CHECK(buf_reader_is_empty(&in));
                CHECK_EQ(header.length, r->fragment_len);
                CHECK_EQ(tlcp_record_protection_is_active(&p), r->is_protected);
                if (r->is_protected)
                        CHECK_EQ(p.seq, r->seq);
                uint8_t *fragment = malloc(r->fragment_len + 1);
                memcpy(fragment, r->fragment, r->fragment_len);
                struct buf_reader content;
                CHECK_OK(tlcp_record_open(&p, &content, &header, fragment, &err), &err);
                CHECK_EQ(content.len, r->plaintext_len);
                CHECK_MEM(content.data, r->plaintext, r->plaintext_len);
                free(fragment);
                num_protected += r->is_protected;
                if (r->type == TLCP_CONTENT_CHANGE_CIPHER_SPEC) {
                        tlcp_record_protection_cleanup(&p);
                        vector_protection(&p, v, is_from_client);
                }
        }
        tlcp_record_protection_cleanup(&p);
        return num_protected;
}

static void test_vectors_open(void)
{
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                tlcp_vector_load(&v, tlcp_vector_name(i));
                size_t num_protected = check_vector_direction_opens(&v, true) + check_vector_direction_opens(&v, false);
                /* Each side sends at least Finished, one application_data record and close_notify. */
                CHECK(num_protected >= 6);
                tlcp_vector_free(&v);
        }
}

/* Seals each protected record's plaintext again with the explicit IV or nonce the peer chose; equal bytes
 * prove the MAC input, padding (both peers pad minimally), AAD and nonce layout are what they use. */
static void check_vector_direction_reseals(const struct tlcp_vector *v, bool is_from_client)
{
        struct tlcp_record_protection p;
        vector_protection(&p, v, is_from_client);
        size_t iv_len = v->suite->bulk_cipher == TLCP_BULK_SM4_CBC ? TLCP_CBC_IV_LEN : TLCP_GCM_EXPLICIT_NONCE_LEN;
        for (size_t i = 0; i < v->num_records; i++) {
                const struct tlcp_vector_record *r = &v->records[i];
                if (r->is_from_client != is_from_client || !r->is_protected)
                        continue;
                struct err err = {0};
                struct buf_writer out;
                buf_writer_init_heap(&out, TLCP_RECORD_MAX_SEALED_LEN);
                p.seq = r->seq;
                CHECK_OK(tlcp_record_seal_with_explicit_iv(&p, &out, r->type, r->plaintext, r->plaintext_len,
                                                           r->fragment, iv_len, &err),
                         &err);
                CHECK_EQ(out.len, TLCP_RECORD_HEADER_LEN + r->fragment_len);
                CHECK_EQ(out.data[0], r->type);
                CHECK_EQ(out.data[1] << 8 | out.data[2], TLCP_VERSION);
                CHECK_EQ(out.data[3] << 8 | out.data[4], r->fragment_len);
                CHECK_MEM(out.data + TLCP_RECORD_HEADER_LEN, r->fragment, r->fragment_len);
                CHECK_EQ(p.seq, r->seq + 1);
                buf_writer_cleanup(&out);
        }
        tlcp_record_protection_cleanup(&p);
}

static void test_vectors_reseal(void)
{
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                tlcp_vector_load(&v, tlcp_vector_name(i));
                check_vector_direction_reseals(&v, true);
                check_vector_direction_reseals(&v, false);
                tlcp_vector_free(&v);
        }
}

/* GmSSL's explicit nonces are the sequence number (file 05's wire_facts say so): our default seal, which
 * does the same, reproduces its records without being told the nonce. */
static void test_gcm_default_nonce_matches_gmssl(void)
{
        struct tlcp_vector v;
        tlcp_vector_load(&v, "05-gmssl-gmssl-ecdhe-sm4-gcm-sm3.json");
        CHECK(json_is_true(json_object_get(
            json_object_get(json_object_get(v.root, "wire_facts"), "gcm_explicit_nonce_equals_seq_num"), "c2s")));
        struct tlcp_record_protection p;
        vector_protection(&p, &v, true);
        size_t num_checked = 0;
        for (size_t i = 0; i < v.num_records; i++) {
                const struct tlcp_vector_record *r = &v.records[i];
                if (!r->is_from_client || !r->is_protected)
                        continue;
                struct err err = {0};
                struct buf_writer out;
                buf_writer_init_heap(&out, TLCP_RECORD_MAX_SEALED_LEN);
                CHECK_EQ(p.seq, r->seq);
                CHECK_OK(tlcp_record_seal(&p, &out, r->type, r->plaintext, r->plaintext_len, &err), &err);
                CHECK_EQ(out.len, TLCP_RECORD_HEADER_LEN + r->fragment_len);
                CHECK_MEM(out.data + TLCP_RECORD_HEADER_LEN, r->fragment, r->fragment_len);
                buf_writer_cleanup(&out);
                num_checked++;
        }
        CHECK(num_checked >= 3);
        tlcp_record_protection_cleanup(&p);
        tlcp_vector_free(&v);
}

static void test_keys(struct tlcp_write_keys *keys)
{
        for (size_t i = 0; i < sizeof keys->mac_key; i++)
                keys->mac_key[i] = (uint8_t)(0xA0 + i);
        for (size_t i = 0; i < sizeof keys->key; i++)
                keys->key[i] = (uint8_t)(0x10 + i);
        memcpy(keys->salt, "\x01\x02\x03\x04", sizeof keys->salt);
}

/* A sender and a receiver sharing test keys for suite. */
static void test_pair(const struct tlcp_suite *suite, struct tlcp_record_protection *sender,
                      struct tlcp_record_protection *receiver)
{
        struct tlcp_write_keys keys;
        struct err err = {0};
        test_keys(&keys);
        tlcp_record_protection_init(sender);
        tlcp_record_protection_init(receiver);
        CHECK_OK(tlcp_record_protection_set_keys(sender, suite, &keys, &err), &err);
        CHECK_OK(tlcp_record_protection_set_keys(receiver, suite, &keys, &err), &err);
}

/* open_record parses the record at the start of data (len bytes), copies its fragment and opens it. */
static int open_record(struct tlcp_record_protection *p, const uint8_t *data, size_t len, uint8_t *fragment,
                       struct buf_reader *content, struct err *err)
{
        struct buf_reader in = buf_reader_make(data, len);
        struct tlcp_record_header header;
        TRY(tlcp_record_header_parse(&header, &in, err));
        CHECK_EQ(in.len, header.length);
        memcpy(fragment, in.data, in.len);
        return tlcp_record_open(p, content, &header, fragment, err);
}

static const size_t round_trip_lengths[] = {0, 1, 15, 16, 31, 32, 100, 4096, TLCP_MAX_PLAINTEXT};

static void check_round_trip(const struct tlcp_suite *suite, size_t len)
{
        struct tlcp_record_protection sender, receiver;
        test_pair(suite, &sender, &receiver);
        uint8_t *content = malloc(len + 1), *fragment = malloc(TLCP_MAX_CIPHERTEXT);
        for (size_t i = 0; i < len; i++)
                content[i] = (uint8_t)(i * 7 + len);
        for (uint64_t n = 0; n < 3; n++) {
                struct err err = {0};
                struct buf_writer out;
                buf_writer_init_heap(&out, TLCP_RECORD_MAX_SEALED_LEN);
                CHECK_OK(tlcp_record_seal(&sender, &out, TLCP_CONTENT_APPLICATION_DATA, content, len, &err), &err);
                CHECK_EQ(out.len, tlcp_record_sealed_len(&sender, len));
                CHECK(out.len <= TLCP_RECORD_MAX_SEALED_LEN);
                struct buf_reader opened;
                CHECK_OK(open_record(&receiver, out.data, out.len, fragment, &opened, &err), &err);
                CHECK_EQ(opened.len, len);
                if (len > 0)
                        CHECK_MEM(opened.data, content, len);
                CHECK_EQ(sender.seq, n + 1);
                CHECK_EQ(receiver.seq, n + 1);
                buf_writer_cleanup(&out);
        }
        free(content);
        free(fragment);
        tlcp_record_protection_cleanup(&sender);
        tlcp_record_protection_cleanup(&receiver);
}

static void test_round_trip_every_suite(void)
{
        size_t num_suites;
        const struct tlcp_suite *suites = tlcp_suite_all(&num_suites);
        CHECK_EQ(num_suites, 4);
        for (size_t s = 0; s < num_suites; s++)
                for (size_t i = 0; i < sizeof round_trip_lengths / sizeof round_trip_lengths[0]; i++)
                        check_round_trip(&suites[s], round_trip_lengths[i]);
}

/* Before ChangeCipherSpec a record is its header and the content as is. */
static void test_plaintext_records(void)
{
        struct tlcp_record_protection p;
        tlcp_record_protection_init(&p);
        CHECK(!tlcp_record_protection_is_active(&p));
        struct err err = {0};
        struct buf_writer out;
        buf_writer_init_heap(&out, 64);
        CHECK_OK(tlcp_record_seal(&p, &out, TLCP_CONTENT_HANDSHAKE, (const uint8_t *)"\x0e\x00\x00\x00", 4, &err),
                 &err);
        static const uint8_t expected[] = {22, 0x01, 0x01, 0x00, 0x04, 0x0e, 0x00, 0x00, 0x00};
        CHECK_EQ(out.len, sizeof expected);
        CHECK_MEM(out.data, expected, sizeof expected);
        uint8_t fragment[16];
        struct buf_reader content;
        CHECK_OK(open_record(&p, out.data, out.len, fragment, &content, &err), &err);
        CHECK_EQ(content.len, 4);
        buf_writer_cleanup(&out);
        /* A plaintext record longer than 2^14 is refused even though its header is legal. */
        struct tlcp_record_header header = {TLCP_CONTENT_HANDSHAKE, TLCP_VERSION, TLCP_MAX_PLAINTEXT + 1};
        uint8_t *big = calloc(1, TLCP_MAX_PLAINTEXT + 1);
        CHECK_STATUS(tlcp_record_open(&p, &content, &header, big, &err), TLCP_ERECORD_OVERFLOW);
        free(big);
}

/* Content over 2^14 is the caller's bug (it must fragment): refused, nothing written, seq unchanged. */
static void test_seal_too_long(void)
{
        size_t num_suites;
        const struct tlcp_suite *suites = tlcp_suite_all(&num_suites);
        uint8_t *content = calloc(1, TLCP_MAX_PLAINTEXT + 1);
        for (size_t s = 0; s < num_suites; s++) {
                struct tlcp_record_protection sender, receiver;
                test_pair(&suites[s], &sender, &receiver);
                struct err err = {0};
                struct buf_writer out;
                buf_writer_init_heap(&out, 2 * TLCP_RECORD_MAX_SEALED_LEN);
                CHECK_STATUS(tlcp_record_seal(&sender, &out, TLCP_CONTENT_APPLICATION_DATA, content,
                                              TLCP_MAX_PLAINTEXT + 1, &err),
                             SMT_EINVAL);
                CHECK_EQ(out.len, 0);
                CHECK_EQ(sender.seq, 0);
                buf_writer_cleanup(&out);
                tlcp_record_protection_cleanup(&sender);
                tlcp_record_protection_cleanup(&receiver);
        }
        free(content);
}

/* A writer without room: SMT_ENOSPACE, the writer keeps what it had, the sequence number is not spent. */
static void test_seal_no_room(void)
{
        struct tlcp_record_protection sender, receiver;
        test_pair(tlcp_suite_lookup(TLCP_ECC_SM4_CBC_SM3), &sender, &receiver);
        uint8_t mem[40];
        struct buf_writer out;
        buf_writer_init_fixed(&out, mem, sizeof mem);
        struct err err = {0};
        CHECK_OK(buf_write_u8(&out, 0x55), &err);
        CHECK_STATUS(tlcp_record_seal(&sender, &out, TLCP_CONTENT_APPLICATION_DATA, (const uint8_t *)"x", 1, &err),
                     SMT_ENOSPACE);
        CHECK_EQ(out.len, 1);
        CHECK_EQ(sender.seq, 0);
        tlcp_record_protection_cleanup(&sender);
        tlcp_record_protection_cleanup(&receiver);
}

/* CBC IVs are fresh per record; GCM explicit nonces are the sequence number. */
static void test_explicit_iv_choice(void)
{
        struct err err = {0};
        struct tlcp_record_protection sender, receiver;
        test_pair(tlcp_suite_lookup(TLCP_ECC_SM4_CBC_SM3), &sender, &receiver);
        struct buf_writer a, b;
        buf_writer_init_heap(&a, 128);
        buf_writer_init_heap(&b, 128);
        CHECK_OK(tlcp_record_seal(&sender, &a, TLCP_CONTENT_ALERT, (const uint8_t *)"\x01\x00", 2, &err), &err);
        CHECK_OK(tlcp_record_seal(&sender, &b, TLCP_CONTENT_ALERT, (const uint8_t *)"\x01\x00", 2, &err), &err);
        CHECK(memcmp(a.data + TLCP_RECORD_HEADER_LEN, b.data + TLCP_RECORD_HEADER_LEN, TLCP_CBC_IV_LEN) != 0);
        buf_writer_cleanup(&a);
        buf_writer_cleanup(&b);
        tlcp_record_protection_cleanup(&sender);
        tlcp_record_protection_cleanup(&receiver);

        test_pair(tlcp_suite_lookup(TLCP_ECC_SM4_GCM_SM3), &sender, &receiver);
        sender.seq = 0x0102030405060708;
        buf_writer_init_heap(&a, 128);
        CHECK_OK(tlcp_record_seal(&sender, &a, TLCP_CONTENT_ALERT, (const uint8_t *)"\x01\x00", 2, &err), &err);
        CHECK_MEM(a.data + TLCP_RECORD_HEADER_LEN, "\x01\x02\x03\x04\x05\x06\x07\x08", TLCP_GCM_EXPLICIT_NONCE_LEN);
        buf_writer_cleanup(&a);
        tlcp_record_protection_cleanup(&sender);
        tlcp_record_protection_cleanup(&receiver);
}

/* Seals 40 bytes under suite into record (heap writer), returning its length. */
static size_t seal_sample(struct tlcp_record_protection *sender, uint8_t *record)
{
        static const uint8_t content[40] = "forty bytes of application data payload";
        struct err err = {0};
        struct buf_writer out;
        buf_writer_init_heap(&out, 256);
        CHECK_OK(tlcp_record_seal(sender, &out, TLCP_CONTENT_APPLICATION_DATA, content, sizeof content, &err), &err);
        size_t len = out.len;
        memcpy(record, out.data, len);
        buf_writer_cleanup(&out);
        return len;
}

/* Every bit of the fragment (IV or nonce, body, MAC, padding, tag) is covered: any flip must fail with
 * TLCP_EBAD_RECORD_MAC, and for CBC with one message whether the padding or the MAC broke. */
static void test_every_bit_flip_is_bad_record_mac(void)
{
        size_t num_suites;
        const struct tlcp_suite *suites = tlcp_suite_all(&num_suites);
        for (size_t s = 0; s < num_suites; s++) {
                struct tlcp_record_protection sender, receiver;
                test_pair(&suites[s], &sender, &receiver);
                uint8_t record[256], tampered[256], fragment[256];
                size_t len = seal_sample(&sender, record);
                char first_message[sizeof((struct err *)0)->msg] = "";
                for (size_t bit = TLCP_RECORD_HEADER_LEN * 8; bit < len * 8; bit++) {
                        memcpy(tampered, record, len);
                        tampered[bit / 8] ^= (uint8_t)(1u << (bit % 8));
                        struct err err = {0};
                        struct buf_reader content;
                        receiver.seq = 0;
                        CHECK_STATUS(open_record(&receiver, tampered, len, fragment, &content, &err),
                                     TLCP_EBAD_RECORD_MAC);
                        if (first_message[0] == 0)
                                memcpy(first_message, err.msg, sizeof first_message);
                        CHECK_STR(err.msg, first_message);
                        CHECK_EQ(receiver.seq, 0);
                }
                struct err err = {0};
                struct buf_reader content;
                CHECK_OK(open_record(&receiver, record, len, fragment, &content, &err), &err);
                tlcp_record_protection_cleanup(&sender);
                tlcp_record_protection_cleanup(&receiver);
        }
}

/* A record replayed, reordered or dropped shows up as a sequence number mismatch in the MAC or AAD. */
static void test_wrong_seq_is_bad_record_mac(void)
{
        size_t num_suites;
        const struct tlcp_suite *suites = tlcp_suite_all(&num_suites);
        for (size_t s = 0; s < num_suites; s++) {
                struct tlcp_record_protection sender, receiver;
                test_pair(&suites[s], &sender, &receiver);
                uint8_t record[256], fragment[256];
                size_t len = seal_sample(&sender, record);
                struct err err = {0};
                struct buf_reader content;
                receiver.seq = 1;
                CHECK_STATUS(open_record(&receiver, record, len, fragment, &content, &err), TLCP_EBAD_RECORD_MAC);
                receiver.seq = 0;
                CHECK_OK(open_record(&receiver, record, len, fragment, &content, &err), &err);
                CHECK_STATUS(open_record(&receiver, record, len, fragment, &content, &err), TLCP_EBAD_RECORD_MAC);
                tlcp_record_protection_cleanup(&sender);
                tlcp_record_protection_cleanup(&receiver);
        }
}

/* Changing the header's type changes the MAC input or AAD: a record cannot be passed off as another type. */
static void test_wrong_type_is_bad_record_mac(void)
{
        size_t num_suites;
        const struct tlcp_suite *suites = tlcp_suite_all(&num_suites);
        for (size_t s = 0; s < num_suites; s++) {
                struct tlcp_record_protection sender, receiver;
                test_pair(&suites[s], &sender, &receiver);
                uint8_t record[256], fragment[256];
                size_t len = seal_sample(&sender, record);
                record[0] = TLCP_CONTENT_HANDSHAKE;
                struct err err = {0};
                struct buf_reader content;
                CHECK_STATUS(open_record(&receiver, record, len, fragment, &content, &err), TLCP_EBAD_RECORD_MAC);
                tlcp_record_protection_cleanup(&sender);
                tlcp_record_protection_cleanup(&receiver);
        }
}

/* open_fragment opens len bytes of fragment as an application_data record. */
static int open_fragment(struct tlcp_record_protection *p, uint8_t *fragment, size_t len, struct err *err)
{
        struct tlcp_record_header header = {TLCP_CONTENT_APPLICATION_DATA, TLCP_VERSION, (uint16_t)len};
        struct buf_reader content;
        return tlcp_record_open(p, &content, &header, fragment, err);
}

/* Fragments too short to hold the protection's overhead, or (CBC) not whole blocks, are bad_record_mac
 * (RFC 5246 §6.2.3.2: a ciphertext that does not decrypt properly), never a read past the fragment. */
static void test_truncated_fragments(void)
{
        struct tlcp_record_protection sender, receiver;
        uint8_t fragment[256] = {0};
        struct err err = {0};
        test_pair(tlcp_suite_lookup(TLCP_ECC_SM4_CBC_SM3), &sender, &receiver);
        static const size_t cbc_lengths[] = {0, 1, 15, 16, 32, 48, 63, 65, 72, 79};
        for (size_t i = 0; i < sizeof cbc_lengths / sizeof cbc_lengths[0]; i++)
                CHECK_STATUS(open_fragment(&receiver, fragment, cbc_lengths[i], &err), TLCP_EBAD_RECORD_MAC);
        /* The sealed sample cut by one block still has IV + 3 blocks but a MAC that cannot match. */
        uint8_t record[256];
        size_t len = seal_sample(&sender, record);
        memcpy(fragment, record + TLCP_RECORD_HEADER_LEN, len - TLCP_RECORD_HEADER_LEN);
        CHECK_STATUS(open_fragment(&receiver, fragment, len - TLCP_RECORD_HEADER_LEN - SM4_BLOCK_LEN, &err),
                     TLCP_EBAD_RECORD_MAC);
        tlcp_record_protection_cleanup(&sender);
        tlcp_record_protection_cleanup(&receiver);

        test_pair(tlcp_suite_lookup(TLCP_ECC_SM4_GCM_SM3), &sender, &receiver);
        static const size_t gcm_lengths[] = {0, 1, 8, 16, 23, 24};
        for (size_t i = 0; i < sizeof gcm_lengths / sizeof gcm_lengths[0]; i++)
                CHECK_STATUS(open_fragment(&receiver, fragment, gcm_lengths[i], &err), TLCP_EBAD_RECORD_MAC);
        len = seal_sample(&sender, record);
        memcpy(fragment, record + TLCP_RECORD_HEADER_LEN, len - TLCP_RECORD_HEADER_LEN);
        CHECK_STATUS(open_fragment(&receiver, fragment, len - TLCP_RECORD_HEADER_LEN - 1, &err), TLCP_EBAD_RECORD_MAC);
        tlcp_record_protection_cleanup(&sender);
        tlcp_record_protection_cleanup(&receiver);
}

static int parse_header_bytes(const uint8_t *bytes, size_t len, struct tlcp_record_header *header,
                              struct buf_reader *in, struct err *err)
{
        *in = buf_reader_make(bytes, len);
        return tlcp_record_header_parse(header, in, err);
}

static void test_header_errors(void)
{
        struct tlcp_record_header header;
        struct buf_reader in;
        struct err err = {0};
        CHECK_STATUS(parse_header_bytes((const uint8_t *)"\x16\x03\x03\x00\x10", 5, &header, &in, &err),
                     TLCP_EPROTOCOL_VERSION);
        CHECK(strstr(err.msg, "0x0303") != NULL);
        CHECK_EQ(in.len, 5);
        CHECK_STATUS(parse_header_bytes((const uint8_t *)"\x17\x01\x01\x48\x01", 5, &header, &in, &err),
                     TLCP_ERECORD_OVERFLOW); /* 2^14 + 2049 */
        CHECK_STATUS(parse_header_bytes((const uint8_t *)"\x63\x01\x01\x00\x10", 5, &header, &in, &err),
                     TLCP_EUNEXPECTED_MESSAGE); /* type 99 */
        CHECK(strstr(err.msg, "99") != NULL);
        CHECK_STATUS(parse_header_bytes((const uint8_t *)"\x16\x01\x01\x00", 4, &header, &in, &err), SMT_EAGAIN);
        CHECK_EQ(in.len, 4);
        CHECK_STATUS(parse_header_bytes((const uint8_t *)"", 0, &header, &in, &err), SMT_EAGAIN);
        /* The largest legal fragment, 2^14 + 2048, parses and only the header is consumed. */
        static const uint8_t largest[] = {0x17, 0x01, 0x01, 0x48, 0x00, 0xAA};
        CHECK_OK(parse_header_bytes(largest, sizeof largest, &header, &in, &err), &err);
        CHECK_EQ(header.type, TLCP_CONTENT_APPLICATION_DATA);
        CHECK_EQ(header.version, TLCP_VERSION);
        CHECK_EQ(header.length, TLCP_MAX_CIPHERTEXT);
        CHECK_EQ(in.len, 1);
}

static void test_is_tlcp_client_hello(void)
{
        struct tlcp_vector v;
        tlcp_vector_load(&v, tlcp_vector_name(0));
        size_t len;
        uint8_t *stream = tlcp_vector_stream(&v, true, &len);
        CHECK(tlcp_record_is_tlcp_client_hello(stream, len));
        CHECK(tlcp_record_is_tlcp_client_hello(stream, TLCP_RECORD_SNIFF_LEN));
        CHECK(!tlcp_record_is_tlcp_client_hello(stream, TLCP_RECORD_SNIFF_LEN - 1));
        free(stream);
        tlcp_vector_free(&v);
        /* TLS 1.0-1.3 ClientHello records carry 0x0301 (or 0x0303); an HTTP request starts with text. */
        CHECK(!tlcp_record_is_tlcp_client_hello((const uint8_t *)"\x16\x03\x01\x02\x00", 5));
        CHECK(!tlcp_record_is_tlcp_client_hello((const uint8_t *)"GET / HTTP/1.1", 14));
        CHECK(!tlcp_record_is_tlcp_client_hello((const uint8_t *)"\x17\x01\x01\x00\x10", 5));
}

/* RFC 5246 §6.1: sequence numbers never wrap; with no renegotiation the connection must end instead. */
static void test_seq_does_not_wrap(void)
{
        struct tlcp_record_protection sender, receiver;
        test_pair(tlcp_suite_lookup(TLCP_ECC_SM4_GCM_SM3), &sender, &receiver);
        struct err err = {0};
        uint8_t record[256], fragment[256];
        sender.seq = UINT64_MAX - 1;
        receiver.seq = UINT64_MAX - 1;
        size_t len = seal_sample(&sender, record);
        struct buf_reader content;
        CHECK_OK(open_record(&receiver, record, len, fragment, &content, &err), &err);
        CHECK_EQ(sender.seq, UINT64_MAX);
        struct buf_writer out;
        buf_writer_init_heap(&out, 256);
        CHECK_STATUS(tlcp_record_seal(&sender, &out, TLCP_CONTENT_APPLICATION_DATA, record, 1, &err), TLCP_EINTERNAL);
        CHECK_EQ(out.len, 0);
        CHECK_STATUS(open_record(&receiver, record, len, fragment, &content, &err), TLCP_EINTERNAL);
        CHECK_EQ(sender.seq, UINT64_MAX);
        buf_writer_cleanup(&out);
        tlcp_record_protection_cleanup(&sender);
        tlcp_record_protection_cleanup(&receiver);
}

static void test_cleanup_wipes(void)
{
        struct tlcp_record_protection sender, receiver;
        test_pair(tlcp_suite_lookup(TLCP_ECDHE_SM4_CBC_SM3), &sender, &receiver);
        CHECK(tlcp_record_protection_is_active(&sender));
        tlcp_record_protection_cleanup(&sender);
        static const struct tlcp_record_protection zero;
        CHECK(!tlcp_record_protection_is_active(&sender));
        CHECK_MEM(&sender.mac_key, &zero.mac_key, sizeof zero.mac_key);
        CHECK(sender.cbc == NULL && sender.gcm == NULL && sender.seq == 0);
        tlcp_record_protection_cleanup(&sender); /* twice is harmless */
        tlcp_record_protection_cleanup(&receiver);
}

static void test_seal_with_explicit_iv_checks_length(void)
{
        struct tlcp_record_protection sender, receiver;
        test_pair(tlcp_suite_lookup(TLCP_ECC_SM4_GCM_SM3), &sender, &receiver);
        struct err err = {0};
        struct buf_writer out;
        buf_writer_init_heap(&out, 256);
        static const uint8_t iv[TLCP_CBC_IV_LEN];
        CHECK_STATUS(tlcp_record_seal_with_explicit_iv(&sender, &out, TLCP_CONTENT_ALERT, iv, 2, iv, sizeof iv, &err),
                     SMT_EINVAL);
        CHECK_STATUS(tlcp_record_seal_with_explicit_iv(&sender, &out, TLCP_CONTENT_ALERT, iv, 2, NULL, 8, &err),
                     SMT_EINVAL);
        CHECK_EQ(out.len, 0);
        buf_writer_cleanup(&out);
        tlcp_record_protection_cleanup(&sender);
        tlcp_record_protection_cleanup(&receiver);
}

CHECK_MAIN(CHECK_TEST(test_vectors_open), CHECK_TEST(test_vectors_reseal),
           CHECK_TEST(test_gcm_default_nonce_matches_gmssl), CHECK_TEST(test_round_trip_every_suite),
           CHECK_TEST(test_plaintext_records), CHECK_TEST(test_seal_too_long), CHECK_TEST(test_seal_no_room),
           CHECK_TEST(test_explicit_iv_choice), CHECK_TEST(test_every_bit_flip_is_bad_record_mac),
           CHECK_TEST(test_wrong_seq_is_bad_record_mac), CHECK_TEST(test_wrong_type_is_bad_record_mac),
           CHECK_TEST(test_truncated_fragments), CHECK_TEST(test_header_errors), CHECK_TEST(test_is_tlcp_client_hello),
           CHECK_TEST(test_seq_does_not_wrap), CHECK_TEST(test_cleanup_wipes),
           CHECK_TEST(test_seal_with_explicit_iv_checks_length))
