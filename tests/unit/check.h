/* tests/unit/check.h: the unit-test harness. Each test file lists its tests with CHECK_MAIN; every test
 * runs (or only those named on the command line) and a failed CHECK ends that test with file:line and
 * the values seen, while the others still run. The process exits 1 if any test failed. */
#ifndef SMT_TESTS_CHECK_H
#define SMT_TESTS_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/err.h"

struct check_test {
        const char *name;
        void (*run)(void);
};

/* check_fail records a failure of the running test and leaves it (longjmp). */
_Noreturn void check_fail(const char *file, int line, const char *fmt, ...) SMT_PRINTF(3, 4);

/* check_main runs tests; argv may name a subset. */
int check_main(int argc, char **argv, const struct check_test *tests, size_t num_tests);

/* check_hex decodes a hex string (spaces allowed) into out, failing the test when it does not fit. */
size_t check_hex(uint8_t *out, size_t out_cap, const char *hex);

/* check_source_path returns $SMT_SOURCE_DIR/relative in a static buffer (for test data in the tree). */
const char *check_source_path(const char *relative);

/* check_shared_path returns $SMT_SHARED_DIR/relative in a static buffer, or NULL when that file does not
 * exist (the shared test data is not beside this checkout). */
const char *check_shared_path(const char *relative);

/* check_skip_all ends the whole test program as skipped (exit 77, which ctest reports as skipped). */
_Noreturn void check_skip_all(const char *why);

/* check_temp_dir returns a fresh private directory, removed with everything in it at exit. */
const char *check_temp_dir(void);

#define CHECK(cond)                                                                                \
        do {                                                                                       \
                if (!(cond))                                                                       \
                        check_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                        \
        } while (0)

#define CHECK_EQ(a, b)                                                                             \
        do {                                                                                       \
                long long check_a_ = (long long)(a), check_b_ = (long long)(b);                    \
                if (check_a_ != check_b_)                                                          \
                        check_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, check_a_, check_b_); \
        } while (0)

#define CHECK_MEM(a, b, len)                                                                       \
        do {                                                                                       \
                if (memcmp((a), (b), (len)) != 0)                                                  \
                        check_fail(__FILE__, __LINE__, "%s and %s differ in their %zu bytes", #a, #b, (size_t)(len)); \
        } while (0)

#define CHECK_STR(a, b)                                                                            \
        do {                                                                                       \
                const char *check_a_ = (a), *check_b_ = (b);                                       \
                if (strcmp(check_a_, check_b_) != 0)                                               \
                        check_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, check_a_, check_b_); \
        } while (0)

/* CHECK_OK expects a status of 0 and prints the error context otherwise. */
#define CHECK_OK(expr, errp)                                                                       \
        do {                                                                                       \
                int check_status_ = (expr);                                                        \
                if (check_status_ != 0)                                                            \
                        check_fail(__FILE__, __LINE__, "%s: %s (%s)", #expr, err_name(check_status_), (errp)->msg); \
        } while (0)

/* CHECK_STATUS expects exactly status (a failure code) from expr. */
#define CHECK_STATUS(expr, status)                                                                 \
        do {                                                                                       \
                int check_status_ = (expr);                                                        \
                if (check_status_ != (status))                                                     \
                        check_fail(__FILE__, __LINE__, "%s: got %s, expected %s", #expr, err_name(check_status_), \
                                   err_name(status));                                              \
        } while (0)

#define CHECK_MAIN(...)                                                                            \
        int main(int argc, char **argv)                                                            \
        {                                                                                          \
                static const struct check_test check_tests_[] = { __VA_ARGS__ };                  \
                return check_main(argc, argv, check_tests_, sizeof check_tests_ / sizeof check_tests_[0]); \
        }

#define CHECK_TEST(fn) { #fn, fn }

#endif
