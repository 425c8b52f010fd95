/* tests/unit/crypto/test_sm2_ciphertext.c: the GM/T 0009 ASN.1 and raw C1||C3||C2 codec: fields land
 * where the standards put them, writing a parsed ciphertext gives back its bytes, and anything that is
 * not exactly one well-formed ciphertext is SMT_EDECODE. */
#include <stdio.h>
#include <stdlib.h>

#include "base/file.h"

#include "check.h"
#include "crypto/sm2.h"

/* GB/T 32918.5-2017 Annex C ciphertext of "encryption standard" (values as reproduced in OpenSSL's
 * test/sm2_internal_test.c), as C1 || C3 || C2 and in the GM/T 0009-2012 §7.2 structure. */
#define C1_X "04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73"
#define C1_Y "E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0"
#define C3 "59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766"
#define C2 "21886CA989CA9C7D58087307CA93092D651EFA"
#define RAW "04" C1_X C1_Y C3 C2
#define ASN1 "307C 0220" C1_X "0221 00" C1_Y "0420" C3 "0413" C2

struct sample {
        uint8_t bytes[512];
        size_t len;
};

static struct sample sample_hex(const char *hex)
{
        struct sample s;
        s.len = check_hex(s.bytes, sizeof s.bytes, hex);
        return s;
}

/* check_round_trip parses in (format), writes it back and expects the same bytes. */
static void check_round_trip(enum sm2_ciphertext_format format, const uint8_t *in, size_t in_len)
{
        struct sm2_ciphertext ct;
        struct buf_writer out;
        struct err err = { 0 };
        buf_writer_init_heap(&out, 1 << 20);
        CHECK_OK(sm2_ciphertext_parse(&ct, format, in, in_len, &err), &err);
        CHECK_OK(sm2_ciphertext_write(&out, &ct, format, &err), &err);
        CHECK_EQ(out.len, in_len);
        CHECK_MEM(out.data, in, in_len);
        buf_writer_cleanup(&out);
}

static void test_parse_puts_fields_in_place(void)
{
        struct sample raw = sample_hex(RAW), asn1 = sample_hex(ASN1);
        uint8_t x[32], y[32], c3[32], c2[19];
        check_hex(x, sizeof x, C1_X);
        check_hex(y, sizeof y, C1_Y);
        check_hex(c3, sizeof c3, C3);
        CHECK_EQ(check_hex(c2, sizeof c2, C2), 19);
        const struct sample *forms[] = { &asn1, &raw };
        const enum sm2_ciphertext_format formats[] = { SM2_CIPHERTEXT_ASN1, SM2_CIPHERTEXT_RAW };
        for (size_t i = 0; i < 2; i++) {
                struct sm2_ciphertext ct;
                struct err err = { 0 };
                CHECK_OK(sm2_ciphertext_parse(&ct, formats[i], forms[i]->bytes, forms[i]->len, &err), &err);
                CHECK_MEM(ct.c1_x, x, 32);
                CHECK_MEM(ct.c1_y, y, 32);
                CHECK_MEM(ct.c3, c3, 32);
                CHECK_EQ(ct.c2.len, 19);
                CHECK_MEM(ct.c2.data, c2, 19);
                check_round_trip(formats[i], forms[i]->bytes, forms[i]->len);
        }
}

static void test_converts_between_forms(void)
{
        struct sample raw = sample_hex(RAW), asn1 = sample_hex(ASN1);
        struct sm2_ciphertext ct;
        struct buf_writer out;
        struct err err = { 0 };
        buf_writer_init_heap(&out, 1024);
        CHECK_OK(sm2_ciphertext_parse(&ct, SM2_CIPHERTEXT_ASN1, asn1.bytes, asn1.len, &err), &err);
        CHECK_OK(sm2_ciphertext_write(&out, &ct, SM2_CIPHERTEXT_RAW, &err), &err);
        CHECK_EQ(out.len, raw.len);
        CHECK_MEM(out.data, raw.bytes, raw.len);
        buf_writer_cleanup(&out);
        CHECK_OK(sm2_ciphertext_parse(&ct, SM2_CIPHERTEXT_RAW, raw.bytes, raw.len, &err), &err);
        CHECK_OK(sm2_ciphertext_write(&out, &ct, SM2_CIPHERTEXT_ASN1, &err), &err);
        CHECK_EQ(out.len, asn1.len);
        CHECK_MEM(out.data, asn1.bytes, asn1.len);
        buf_writer_cleanup(&out);
}

/* Coordinates with leading zero bytes get shorter INTEGERs (DER is minimal), and come back padded. */
static void test_short_coordinates_and_long_c2(void)
{
        struct sm2_ciphertext ct;
        memset(ct.c1_x, 0, sizeof ct.c1_x);
        ct.c1_x[31] = 0x05;
        memset(ct.c1_y, 0, sizeof ct.c1_y);
        ct.c1_y[1] = 0x80;
        memset(ct.c3, 0xc3, sizeof ct.c3);
        uint8_t *c2 = malloc(70000);
        CHECK(c2 != NULL);
        memset(c2, 0x5a, 70000);
        ct.c2 = buf_reader_make(c2, 70000);
        struct buf_writer out;
        struct err err = { 0 };
        buf_writer_init_heap(&out, 1 << 20);
        CHECK_OK(sm2_ciphertext_write(&out, &ct, SM2_CIPHERTEXT_ASN1, &err), &err);
        /* SEQUENCE with a 3-byte length, x = 02 01 05, y = 02 20 00 80 .. (31 bytes and a 00 for the top bit). */
        const uint8_t head[] = { 0x30, 0x83, 0x01, 0x11, 0xbc, 0x02, 0x01, 0x05, 0x02, 0x20, 0x00, 0x80 };
        CHECK(out.len > sizeof head);
        CHECK_MEM(out.data, head, sizeof head);
        CHECK(out.len <= 70000 + SM2_CIPHERTEXT_ASN1_OVERHEAD_MAX);
        struct sm2_ciphertext back;
        CHECK_OK(sm2_ciphertext_parse(&back, SM2_CIPHERTEXT_ASN1, out.data, out.len, &err), &err);
        CHECK_MEM(back.c1_x, ct.c1_x, 32);
        CHECK_MEM(back.c1_y, ct.c1_y, 32);
        CHECK_EQ(back.c2.len, 70000);
        check_round_trip(SM2_CIPHERTEXT_ASN1, out.data, out.len);
        buf_writer_cleanup(&out);
        free(c2);
}

static void check_malformed(enum sm2_ciphertext_format format, const char *hex)
{
        struct sample s = sample_hex(hex);
        struct sm2_ciphertext ct;
        struct err err = { 0 };
        CHECK_STATUS(sm2_ciphertext_parse(&ct, format, s.bytes, s.len, &err), SMT_EDECODE);
        CHECK_EQ(err.code, SMT_EDECODE);
        CHECK(strstr(err.msg, "sm2 ciphertext") != NULL);
}

static void test_rejects_malformed_asn1(void)
{
        check_malformed(SM2_CIPHERTEXT_ASN1, ASN1 "00");                                   /* trailing byte */
        check_malformed(SM2_CIPHERTEXT_ASN1, "307E 0220" C1_X "0221 00" C1_Y "0420" C3 "0413" C2 "0500"); /* 5th */
        check_malformed(SM2_CIPHERTEXT_ASN1, "306F 0220" C1_X "0221 00" C1_Y "0413" C2 "0413" C2);        /* C3 19 */
        check_malformed(SM2_CIPHERTEXT_ASN1, "307D 0220" C1_X "0221 00" C1_Y "0421" C3 "00 0413" C2);    /* C3 33 */
        check_malformed(SM2_CIPHERTEXT_ASN1, "3069 0220" C1_X "0221 00" C1_Y "0420" C3 "0400");          /* empty C2 */
        check_malformed(SM2_CIPHERTEXT_ASN1, "307D 0221 01" C1_X "0221 00" C1_Y "0420" C3 "0413" C2);    /* x 33 */
        check_malformed(SM2_CIPHERTEXT_ASN1, "307D 0221 00" C1_X "0221 00" C1_Y "0420" C3 "0413" C2);    /* x not minimal */
        check_malformed(SM2_CIPHERTEXT_ASN1, "307B 0220" C1_X "0220" C1_Y "0420" C3 "0413" C2);          /* y negative */
        check_malformed(SM2_CIPHERTEXT_ASN1, "307C 0420" C1_X "0221 00" C1_Y "0420" C3 "0413" C2);       /* x a string */
        check_malformed(SM2_CIPHERTEXT_ASN1, "307C 0220" C1_X "0221 00" C1_Y "0420" C3 "0213" C2);       /* C2 an INTEGER */
        check_malformed(SM2_CIPHERTEXT_ASN1, "3080 0220" C1_X "0221 00" C1_Y "0420" C3 "0413" C2 "0000"); /* indefinite */
        check_malformed(SM2_CIPHERTEXT_ASN1, "31 7C 0220" C1_X "0221 00" C1_Y "0420" C3 "0413" C2);      /* SET */
        check_malformed(SM2_CIPHERTEXT_ASN1, "");
        check_malformed(SM2_CIPHERTEXT_ASN1, RAW);
}

static void test_rejects_every_truncation(void)
{
        struct sample asn1 = sample_hex(ASN1), raw = sample_hex(RAW);
        struct sm2_ciphertext ct;
        struct err err = { 0 };
        for (size_t len = 0; len < asn1.len; len++)
                CHECK_STATUS(sm2_ciphertext_parse(&ct, SM2_CIPHERTEXT_ASN1, asn1.bytes, len, &err), SMT_EDECODE);
        /* A raw ciphertext has no lengths: it needs C1, C3 and at least one byte of C2. */
        for (size_t len = 0; len <= SM2_CIPHERTEXT_RAW_OVERHEAD; len++)
                CHECK_STATUS(sm2_ciphertext_parse(&ct, SM2_CIPHERTEXT_RAW, raw.bytes, len, &err), SMT_EDECODE);
        CHECK_OK(sm2_ciphertext_parse(&ct, SM2_CIPHERTEXT_RAW, raw.bytes, SM2_CIPHERTEXT_RAW_OVERHEAD + 1, &err),
                 &err);
        CHECK_EQ(ct.c2.len, 1);
}

static void test_rejects_malformed_raw(void)
{
        check_malformed(SM2_CIPHERTEXT_RAW, "02" C1_X C1_Y C3 C2); /* compressed */
        check_malformed(SM2_CIPHERTEXT_RAW, "00" C1_X C1_Y C3 C2);
        check_malformed(SM2_CIPHERTEXT_RAW, ASN1);
}

static void test_write_is_all_or_nothing(void)
{
        struct sample asn1 = sample_hex(ASN1);
        struct sm2_ciphertext ct;
        struct err err = { 0 };
        CHECK_OK(sm2_ciphertext_parse(&ct, SM2_CIPHERTEXT_ASN1, asn1.bytes, asn1.len, &err), &err);
        uint8_t mem[200];
        struct buf_writer out;
        buf_writer_init_fixed(&out, mem, 100); /* less than either form needs */
        CHECK_EQ(buf_write_u8(&out, 0xAA), 0);
        CHECK_STATUS(sm2_ciphertext_write(&out, &ct, SM2_CIPHERTEXT_ASN1, &err), SMT_ENOSPACE);
        CHECK_STATUS(sm2_ciphertext_write(&out, &ct, SM2_CIPHERTEXT_RAW, &err), SMT_ENOSPACE);
        CHECK_EQ(out.len, 1);
        CHECK_STATUS(sm2_ciphertext_write(&out, &ct, (enum sm2_ciphertext_format)7, &err), SMT_EINVAL);
        CHECK_STATUS(sm2_ciphertext_parse(&ct, (enum sm2_ciphertext_format)7, asn1.bytes, asn1.len, &err), SMT_EINVAL);
        ct.c2 = buf_reader_make(NULL, 0);
        CHECK_STATUS(sm2_ciphertext_write(&out, &ct, SM2_CIPHERTEXT_RAW, &err), SMT_EINVAL);
        CHECK_EQ(out.len, 1);
}

/* The fuzz seeds are real ciphertexts: each parses in the form its name says, and writes back the same. */
static void test_fuzz_seeds_are_well_formed(void)
{
        static const struct {
                const char *name;
                enum sm2_ciphertext_format format;
        } seeds[] = {
                { "gbt32918_5_annex_c_asn1.der", SM2_CIPHERTEXT_ASN1 }, { "gbt32918_5_annex_c_raw.bin", SM2_CIPHERTEXT_RAW },
                { "openssl_asn1_1.der", SM2_CIPHERTEXT_ASN1 },          { "openssl_raw_1.bin", SM2_CIPHERTEXT_RAW },
                { "openssl_asn1_200.der", SM2_CIPHERTEXT_ASN1 },        { "openssl_raw_200.bin", SM2_CIPHERTEXT_RAW },
        };
        for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
                char relative[256];
                snprintf(relative, sizeof relative, "tests/fuzz/corpus/fuzz_sm2_ciphertext/%s", seeds[i].name);
                uint8_t *data;
                size_t len;
                struct err err = { 0 };
                CHECK_OK(file_read_all(&data, &len, check_source_path(relative), 1 << 20, &err), &err);
                check_round_trip(seeds[i].format, data, len);
                file_free_contents(data, len);
        }
}

CHECK_MAIN(CHECK_TEST(test_fuzz_seeds_are_well_formed), CHECK_TEST(test_parse_puts_fields_in_place), CHECK_TEST(test_converts_between_forms),
           CHECK_TEST(test_short_coordinates_and_long_c2), CHECK_TEST(test_rejects_malformed_asn1),
           CHECK_TEST(test_rejects_every_truncation), CHECK_TEST(test_rejects_malformed_raw),
           CHECK_TEST(test_write_is_all_or_nothing))
