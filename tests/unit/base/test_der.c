/* tests/unit/base/test_der.c: DER lengths and INTEGERs are read strictly and written minimally. */
#include "base/der.h"
#include "check.h"

static void test_reads_short_and_long_form_lengths(void)
{
        uint8_t bytes[3 + 200];
        bytes[0] = DER_TAG_OCTET_STRING;
        bytes[1] = 0x81;
        bytes[2] = 200;
        memset(bytes + 3, 0x5a, 200);
        struct buf_reader r = buf_reader_make(bytes, sizeof bytes);
        struct buf_reader content;
        struct err err = { 0 };
        CHECK_OK(der_read_element(&r, DER_TAG_OCTET_STRING, &content, "c2", &err), &err);
        CHECK_EQ(content.len, 200);
        CHECK(buf_reader_is_empty(&r));
}

static void test_rejects_non_minimal_and_indefinite_lengths(void)
{
        const uint8_t long_for_short[] = { 0x04, 0x81, 0x05, 1, 2, 3, 4, 5 };
        const uint8_t indefinite[] = { 0x30, 0x80, 0x00, 0x00 };
        const uint8_t leading_zero[] = { 0x04, 0x82, 0x00, 0x81 };
        struct buf_reader content;
        struct err err = { 0 };
        struct buf_reader r = buf_reader_make(long_for_short, sizeof long_for_short);
        CHECK_STATUS(der_read_element(&r, 0x04, &content, "x", &err), SMT_EDECODE);
        CHECK(strstr(err.msg, "not minimally encoded") != NULL);
        r = buf_reader_make(indefinite, sizeof indefinite);
        CHECK_STATUS(der_read_element(&r, 0x30, &content, "x", &err), SMT_EDECODE);
        r = buf_reader_make(leading_zero, sizeof leading_zero);
        CHECK_STATUS(der_read_element(&r, 0x04, &content, "x", &err), SMT_EDECODE);
}

static void test_wrong_tag_and_truncation_name_the_field(void)
{
        const uint8_t integer[] = { 0x02, 0x01, 0x05 };
        const uint8_t truncated[] = { 0x04, 0x10, 1, 2 };
        struct buf_reader content;
        struct err err = { 0 };
        struct buf_reader r = buf_reader_make(integer, sizeof integer);
        CHECK_STATUS(der_read_element(&r, DER_TAG_OCTET_STRING, &content, "hash", &err), SMT_EDECODE);
        CHECK(strstr(err.msg, "hash: tag 0x02, expected 0x04") != NULL);
        CHECK_EQ(r.len, sizeof integer);
        r = buf_reader_make(truncated, sizeof truncated);
        CHECK_STATUS(der_read_element(&r, DER_TAG_OCTET_STRING, &content, "hash", &err), SMT_ETRUNCATED);
        CHECK(strstr(err.msg, "length 16 exceeds the 2 bytes left") != NULL);
}

static void test_unsigned_integer_round_trip(void)
{
        const char *cases[] = { "00", "01", "7f", "80", "ff", "0080", "00000001", "ffffffffffffffffffffffffffffff" };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                uint8_t value[32];
                size_t value_len = check_hex(value, sizeof value, cases[i]);
                uint8_t mem[64];
                struct buf_writer w;
                buf_writer_init_fixed(&w, mem, sizeof mem);
                CHECK_EQ(der_write_unsigned_integer(&w, value, value_len), 0);
                CHECK_EQ(w.len, der_unsigned_integer_len(value, value_len));
                uint8_t back[32];
                struct buf_reader r = buf_reader_make(mem, w.len);
                struct err err = { 0 };
                CHECK_OK(der_read_unsigned_integer(&r, back, value_len, "n", &err), &err);
                CHECK_MEM(back, value, value_len);
                CHECK(buf_reader_is_empty(&r));
        }
}

static void test_integer_encoding_is_minimal(void)
{
        const uint8_t value[] = { 0x00, 0x00, 0x80 };
        uint8_t mem[8];
        struct buf_writer w;
        buf_writer_init_fixed(&w, mem, sizeof mem);
        CHECK_EQ(der_write_unsigned_integer(&w, value, sizeof value), 0);
        const uint8_t expected[] = { 0x02, 0x02, 0x00, 0x80 };
        CHECK_EQ(w.len, sizeof expected);
        CHECK_MEM(mem, expected, sizeof expected);
}

static void test_rejects_negative_padded_and_oversized_integers(void)
{
        const uint8_t negative[] = { 0x02, 0x01, 0x80 };
        const uint8_t padded[] = { 0x02, 0x02, 0x00, 0x7f };
        const uint8_t oversized[] = { 0x02, 0x03, 0x01, 0x02, 0x03 };
        uint8_t out[2];
        struct err err = { 0 };
        struct buf_reader r = buf_reader_make(negative, sizeof negative);
        CHECK_STATUS(der_read_unsigned_integer(&r, out, sizeof out, "x", &err), SMT_EDECODE);
        r = buf_reader_make(padded, sizeof padded);
        CHECK_STATUS(der_read_unsigned_integer(&r, out, sizeof out, "x", &err), SMT_EDECODE);
        r = buf_reader_make(oversized, sizeof oversized);
        CHECK_STATUS(der_read_unsigned_integer(&r, out, sizeof out, "x", &err), SMT_EDECODE);
        CHECK(strstr(err.msg, "3 bytes exceeds 2") != NULL);
}

static void test_header_length_forms(void)
{
        uint8_t mem[8];
        struct buf_writer w;
        buf_writer_init_fixed(&w, mem, sizeof mem);
        CHECK_EQ(der_write_header(&w, DER_TAG_SEQUENCE, 300), 0);
        const uint8_t expected[] = { 0x30, 0x82, 0x01, 0x2c };
        CHECK_MEM(mem, expected, sizeof expected);
        CHECK_EQ(der_element_len(300), 304);
        CHECK_EQ(der_element_len(127), 129);
        CHECK_EQ(der_element_len(128), 131);
}

CHECK_MAIN(CHECK_TEST(test_reads_short_and_long_form_lengths),
           CHECK_TEST(test_rejects_non_minimal_and_indefinite_lengths),
           CHECK_TEST(test_wrong_tag_and_truncation_name_the_field), CHECK_TEST(test_unsigned_integer_round_trip),
           CHECK_TEST(test_integer_encoding_is_minimal), CHECK_TEST(test_rejects_negative_padded_and_oversized_integers),
           CHECK_TEST(test_header_length_forms))
