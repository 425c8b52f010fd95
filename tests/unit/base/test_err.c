/* tests/unit/base/test_err.c: errors carry code, position and message; context is prefixed. */
#include "base/err.h"
#include "check.h"

static int fails_with_context(struct err *err)
{
        return SMT_ERR(err, SMT_EDECODE, "server_key_exchange: signature length %d exceeds %d", 300, 72);
}

static int propagates(struct err *err)
{
        TRY(fails_with_context(err));
        return SMT_OK;
}

static void test_err_records_code_position_and_message(void)
{
        struct err err = { 0 };
        CHECK_STATUS(propagates(&err), SMT_EDECODE);
        CHECK_EQ(err.code, SMT_EDECODE);
        CHECK(strstr(err.file, "test_err.c") != NULL);
        CHECK(err.line > 0);
        CHECK_STR(err.msg, "server_key_exchange: signature length 300 exceeds 72");
        CHECK_STR(err_name(err.code), "SMT_EDECODE");
        CHECK_STR(err_describe(CRYPTO_ETAG), "authentication tag mismatch");
        CHECK_STR(err_name(-9999), "UNKNOWN");
}

static void test_prefix_adds_context_and_stays_bounded(void)
{
        struct err err = { 0 };
        SMT_ERR(&err, SMT_EIO, "connection reset");
        CHECK_EQ(err_prefix(&err, "site %s", "shop.example"), SMT_EIO);
        CHECK_STR(err.msg, "site shop.example: connection reset");
        char long_text[400];
        memset(long_text, 'a', sizeof long_text - 1);
        long_text[sizeof long_text - 1] = 0;
        err_prefix(&err, "%s", long_text);
        CHECK(strlen(err.msg) < sizeof err.msg);
        err_clear(&err);
        CHECK_EQ(err.code, 0);
        CHECK_EQ(SMT_ERR(NULL, SMT_EIO, "ignored"), SMT_EIO);
}

CHECK_MAIN(CHECK_TEST(test_err_records_code_position_and_message), CHECK_TEST(test_prefix_adds_context_and_stays_bounded))
