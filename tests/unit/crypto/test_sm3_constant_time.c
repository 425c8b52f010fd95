/* tests/unit/crypto/test_sm3_constant_time.c: SM3, HMAC-SM3 key preparation and the HMAC of a secret
 * length (the TLCP CBC record MAC, Lucky 13) take no branch and use no address that depends on the
 * message, the key or the secret length: re-run under memcheck with those marked undefined. As a
 * control, the ordinary HMAC over parts, which branches on the length, must be reported. The HMAC of a
 * secret length also equals the ordinary one for every length up to its bound. */
#include <string.h>

#include "check.h"
#include "crypto/sm3.h"
#include "memcheck_run.h"

#define TEST_MSG_MAX 300

static void test_fill(uint8_t *out, size_t len)
{
        for (size_t i = 0; i < len; i++)
                out[i] = (uint8_t)(i * 151 + 7);
}

static void test_secret_operations(void)
{
        uint8_t key[32], msg[TEST_MSG_MAX], out[SM3_DIGEST_LEN];
        test_fill(key, sizeof key);
        test_fill(msg, sizeof msg);
        size_t len = 200;
        VALGRIND_MAKE_MEM_UNDEFINED(key, sizeof key);
        VALGRIND_MAKE_MEM_UNDEFINED(msg, sizeof msg);
        VALGRIND_MAKE_MEM_UNDEFINED(&len, sizeof len);
        struct sm3_hmac_key hmac_key;
        sm3_hmac_key_init(&hmac_key, key, sizeof key);
        sm3_hmac_secret_len(out, &hmac_key, msg, len, sizeof msg);
        struct err err;
        CHECK_OK(sm3_hash(out, msg, sizeof msg, &err), &err); /* the message is secret, its length is not */
        CHECK_OK(sm3_kdf(out, sizeof out, msg, 64, &err), &err);
}

static void test_variable_time_control(void)
{
        uint8_t msg[TEST_MSG_MAX], out[SM3_DIGEST_LEN];
        test_fill(msg, sizeof msg);
        size_t len = 200;
        VALGRIND_MAKE_MEM_UNDEFINED(&len, sizeof len);
        struct sm3_hmac_key hmac_key;
        sm3_hmac_key_init(&hmac_key, msg, 32);
        sm3_hmac_with(out, &hmac_key, &(struct sm3_part){msg, len}, 1);
}

static void sm3_secret_operations_have_no_secret_branch_or_index(void)
{
        CHECK_EQ(memcheck_run_self("--secret"), 0);
}

static void sm3_memcheck_catches_a_length_dependent_hmac(void)
{
        CHECK_EQ(memcheck_run_self("--vartime"), MEMCHECK_RUN_REPORTED);
}

/* Every length 0..max for bounds around the block boundaries of the padding (55, 56, 63, 64 bytes in
 * the last block, counted after the 64-byte pad block). */
static void sm3_hmac_secret_len_equals_hmac(void)
{
        static const size_t maxes[] = {0, 1, 55, 56, 63, 64, 119, 120, 128, TEST_MSG_MAX};
        uint8_t key[40], msg[TEST_MSG_MAX], ours[SM3_DIGEST_LEN], want[SM3_DIGEST_LEN];
        struct err err;
        test_fill(key, sizeof key);
        test_fill(msg, sizeof msg);
        struct sm3_hmac_key hmac_key;
        sm3_hmac_key_init(&hmac_key, key, sizeof key);
        for (size_t m = 0; m < sizeof maxes / sizeof maxes[0]; m++) {
                for (size_t len = 0; len <= maxes[m]; len++) {
                        sm3_hmac_secret_len(ours, &hmac_key, msg, len, maxes[m]);
                        CHECK_OK(sm3_hmac(want, key, sizeof key, msg, len, &err), &err);
                        CHECK_MEM(ours, want, SM3_DIGEST_LEN);
                }
        }
        sm3_hmac_key_cleanup(&hmac_key);
}

int main(int argc, char **argv)
{
        if (argc == 2 && strcmp(argv[1], "--secret") == 0) {
                test_secret_operations();
                return 0;
        }
        if (argc == 2 && strcmp(argv[1], "--vartime") == 0) {
                test_variable_time_control();
                return 0;
        }
        static const struct check_test equal[] = {CHECK_TEST(sm3_hmac_secret_len_equals_hmac)};
        if (check_main(argc, argv, equal, 1) != 0)
                return 1;
        memcheck_skip_unless_available();
        static const struct check_test tests[] = {
            CHECK_TEST(sm3_secret_operations_have_no_secret_branch_or_index),
            CHECK_TEST(sm3_memcheck_catches_a_length_dependent_hmac),
        };
        return check_main(argc, argv, tests, sizeof tests / sizeof tests[0]);
}
