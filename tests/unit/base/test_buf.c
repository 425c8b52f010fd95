/* tests/unit/base/test_buf.c: the byte reader never reads past its end; the writer never writes past cap. */
#include "base/buf.h"
#include "check.h"

#include <stdlib.h>

static void test_reader_reads_big_endian_integers(void)
{
        const uint8_t bytes[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a };
        struct buf_reader r = buf_reader_make(bytes, sizeof bytes);
        uint8_t u8;
        uint16_t u16;
        uint32_t u24, u32;
        CHECK_EQ(buf_read_u8(&r, &u8), 0);
        CHECK_EQ(u8, 0x01);
        CHECK_EQ(buf_read_u16(&r, &u16), 0);
        CHECK_EQ(u16, 0x0203);
        CHECK_EQ(buf_read_u24(&r, &u24), 0);
        CHECK_EQ(u24, 0x040506);
        CHECK_EQ(buf_read_u32(&r, &u32), 0);
        CHECK_EQ(u32, 0x0708090a);
        CHECK(buf_reader_is_empty(&r));
        CHECK_STATUS(buf_read_u8(&r, &u8), SMT_ETRUNCATED);
}

static void test_short_read_leaves_reader_unchanged(void)
{
        const uint8_t bytes[] = { 0xaa, 0xbb, 0xcc };
        struct buf_reader r = buf_reader_make(bytes, sizeof bytes);
        uint32_t u32;
        CHECK_STATUS(buf_read_u32(&r, &u32), SMT_ETRUNCATED);
        CHECK_EQ(r.len, 3);
        uint8_t out[4];
        CHECK_STATUS(buf_read_bytes(&r, out, 4), SMT_ETRUNCATED);
        CHECK_EQ(r.len, 3);
        CHECK_EQ(buf_read_bytes(&r, out, 3), 0);
        CHECK_MEM(out, bytes, 3);
}

static void test_vector_is_a_sub_reader_bounded_by_its_length(void)
{
        /* u16 length 3, then "abc", then one byte that belongs to the outer reader */
        const uint8_t bytes[] = { 0x00, 0x03, 'a', 'b', 'c', 0x7f };
        struct buf_reader r = buf_reader_make(bytes, sizeof bytes);
        struct buf_reader vector;
        CHECK_EQ(buf_read_u16_vector(&r, &vector), 0);
        CHECK_EQ(vector.len, 3);
        uint8_t abc[3];
        CHECK_EQ(buf_read_bytes(&vector, abc, 3), 0);
        CHECK_MEM(abc, "abc", 3);
        uint8_t extra;
        CHECK_STATUS(buf_read_u8(&vector, &extra), SMT_ETRUNCATED);
        CHECK_EQ(buf_read_u8(&r, &extra), 0);
        CHECK_EQ(extra, 0x7f);
}

static void test_vector_longer_than_input_fails_without_consuming(void)
{
        const uint8_t bytes[] = { 0x05, 'a', 'b' };
        struct buf_reader r = buf_reader_make(bytes, sizeof bytes);
        struct buf_reader vector;
        CHECK_STATUS(buf_read_u8_vector(&r, &vector), SMT_ETRUNCATED);
        CHECK_EQ(r.len, 3);
        const uint8_t u24_bytes[] = { 0x01, 0x00, 0x00 };
        r = buf_reader_make(u24_bytes, sizeof u24_bytes);
        CHECK_STATUS(buf_read_u24_vector(&r, &vector), SMT_ETRUNCATED);
}

static void test_expect_end_reports_trailing_bytes(void)
{
        const uint8_t bytes[] = { 1, 2 };
        struct buf_reader r = buf_reader_make(bytes, sizeof bytes);
        struct err err = { 0 };
        CHECK_STATUS(buf_reader_expect_end(&r, "server_hello", &err), SMT_EDECODE);
        CHECK(strstr(err.msg, "server_hello: 2 trailing bytes") != NULL);
        CHECK_EQ(buf_skip(&r, 2), 0);
        CHECK_OK(buf_reader_expect_end(&r, "server_hello", &err), &err);
}

static void test_fixed_writer_fails_when_full(void)
{
        uint8_t mem[4];
        struct buf_writer w;
        buf_writer_init_fixed(&w, mem, sizeof mem);
        CHECK_EQ(buf_write_u24(&w, 0x010203), 0);
        CHECK_STATUS(buf_write_u16(&w, 0x0405), SMT_ENOSPACE);
        CHECK_EQ(w.len, 3);
        CHECK_EQ(buf_write_u8(&w, 0x04), 0);
        CHECK_STATUS(buf_write_u8(&w, 0x05), SMT_ENOSPACE);
        const uint8_t expected[] = { 1, 2, 3, 4 };
        CHECK_MEM(mem, expected, 4);
}

static void test_vector_end_patches_the_length_prefix(void)
{
        uint8_t mem[16];
        struct buf_writer w;
        buf_writer_init_fixed(&w, mem, sizeof mem);
        size_t outer, inner;
        CHECK_EQ(buf_write_vector_begin(&w, 2, &outer), 0);
        CHECK_EQ(buf_write_vector_begin(&w, 1, &inner), 0);
        CHECK_EQ(buf_write_bytes(&w, (const uint8_t *)"xyz", 3), 0);
        CHECK_EQ(buf_write_vector_end(&w, 1, inner), 0);
        CHECK_EQ(buf_write_vector_end(&w, 2, outer), 0);
        const uint8_t expected[] = { 0x00, 0x04, 0x03, 'x', 'y', 'z' };
        CHECK_EQ(w.len, sizeof expected);
        CHECK_MEM(mem, expected, sizeof expected);
}

static void test_vector_too_long_for_its_prefix_fails(void)
{
        struct buf_writer w;
        buf_writer_init_heap(&w, 1024);
        size_t mark;
        CHECK_EQ(buf_write_vector_begin(&w, 1, &mark), 0);
        uint8_t zeros[256] = { 0 };
        CHECK_EQ(buf_write_bytes(&w, zeros, sizeof zeros), 0);
        CHECK_STATUS(buf_write_vector_end(&w, 1, mark), SMT_ENOSPACE);
        buf_writer_cleanup(&w);
}

static void test_heap_writer_grows_up_to_its_limit(void)
{
        struct buf_writer w;
        buf_writer_init_heap(&w, 1000);
        for (int i = 0; i < 1000; i++)
                CHECK_EQ(buf_write_u8(&w, (uint8_t)i), 0);
        CHECK_STATUS(buf_write_u8(&w, 0), SMT_ENOSPACE);
        CHECK_EQ(w.data[999], (uint8_t)999);
        size_t len;
        uint8_t *data = buf_writer_release(&w, &len);
        CHECK_EQ(len, 1000);
        CHECK_EQ(data[500], (uint8_t)500);
        free(data);
        CHECK(w.data == NULL && w.len == 0);
        buf_writer_cleanup(&w);
}

static void test_truncate_and_drop_front(void)
{
        uint8_t mem[8];
        struct buf_writer w;
        buf_writer_init_fixed(&w, mem, sizeof mem);
        CHECK_EQ(buf_write_bytes(&w, (const uint8_t *)"abcdef", 6), 0);
        buf_writer_truncate(&w, 4);
        CHECK_EQ(w.len, 4);
        CHECK_EQ(mem[4], 0);
        buf_writer_truncate(&w, 10);
        CHECK_EQ(w.len, 4);
        buf_writer_drop_front(&w, 1);
        CHECK_EQ(w.len, 3);
        CHECK_MEM(mem, "bcd", 3);
        buf_writer_drop_front(&w, 5);
        CHECK_EQ(w.len, 0);
        CHECK_EQ(buf_write_u8(&w, 'z'), 0);
        CHECK_EQ(mem[0], 'z');
}

static void test_printf_appends_text_without_nul(void)
{
        uint8_t mem[8];
        struct buf_writer w;
        buf_writer_init_fixed(&w, mem, sizeof mem);
        CHECK_STATUS(buf_write_printf(&w, "%s=%d", "ab", 42), SMT_OK);
        CHECK_EQ(w.len, 5);
        CHECK_MEM(mem, "ab=42", 5);
        /* exactly full: the NUL vsnprintf writes needs no room in the writer */
        CHECK_STATUS(buf_write_printf(&w, "%03d", 7), SMT_OK);
        CHECK_EQ(w.len, 8);
        CHECK_MEM(mem, "ab=42007", 8);
        CHECK_STATUS(buf_write_printf(&w, "x"), SMT_ENOSPACE);
        CHECK_EQ(w.len, 8);

        struct buf_writer heap;
        buf_writer_init_heap(&heap, 4096);
        char long_text[1500];
        memset(long_text, 'z', sizeof long_text - 1);
        long_text[sizeof long_text - 1] = '\0';
        CHECK_STATUS(buf_write_printf(&heap, "<%s>", long_text), SMT_OK); /* longer than the stack buffer */
        CHECK_EQ(heap.len, 1501);
        CHECK(heap.data[0] == '<' && heap.data[1500] == '>' && heap.data[750] == 'z');
        CHECK_STATUS(buf_write_printf(&heap, "%s%s%s", long_text, long_text, long_text), SMT_ENOSPACE);
        CHECK_EQ(heap.len, 1501);
        buf_writer_cleanup(&heap);
}

CHECK_MAIN(CHECK_TEST(test_printf_appends_text_without_nul), CHECK_TEST(test_truncate_and_drop_front), CHECK_TEST(test_reader_reads_big_endian_integers), CHECK_TEST(test_short_read_leaves_reader_unchanged),
           CHECK_TEST(test_vector_is_a_sub_reader_bounded_by_its_length),
           CHECK_TEST(test_vector_longer_than_input_fails_without_consuming),
           CHECK_TEST(test_expect_end_reports_trailing_bytes), CHECK_TEST(test_fixed_writer_fails_when_full),
           CHECK_TEST(test_vector_end_patches_the_length_prefix),
           CHECK_TEST(test_vector_too_long_for_its_prefix_fails), CHECK_TEST(test_heap_writer_grows_up_to_its_limit))
