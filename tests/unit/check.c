/* tests/unit/check.c: the unit-test harness. */
#include "check.h"

#include <ctype.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static jmp_buf check_escape;
static const char *check_current;

void check_fail(const char *file, int line, const char *fmt, ...)
{
        va_list args;
        fprintf(stderr, "FAIL %s\n  %s:%d: ", check_current, file, line);
        va_start(args, fmt);
        vfprintf(stderr, fmt, args);
        va_end(args);
        fputc('\n', stderr);
        longjmp(check_escape, 1);
}

static bool check_is_selected(int argc, char **argv, const char *name)
{
        if (argc < 2)
                return true;
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], name) == 0)
                        return true;
        return false;
}

/* check_run_one keeps setjmp in a frame with no locals that change after it. */
static bool check_run_one(const struct check_test *test)
{
        check_current = test->name;
        if (setjmp(check_escape) != 0)
                return false;
        test->run();
        printf("ok   %s\n", test->name);
        return true;
}

int check_main(int argc, char **argv, const struct check_test *tests, size_t num_tests)
{
        size_t num_run = 0, num_failed = 0;
        for (size_t i = 0; i < num_tests; i++) {
                if (!check_is_selected(argc, argv, tests[i].name))
                        continue;
                num_run++;
                if (!check_run_one(&tests[i]))
                        num_failed++;
        }
        printf("%zu tests, %zu failed\n", num_run, num_failed);
        return num_failed == 0 && num_run > 0 ? 0 : 1;
}

static int check_hex_digit(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char)tolower((unsigned char)c);
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

size_t check_hex(uint8_t *out, size_t out_cap, const char *hex)
{
        size_t len = 0;
        int high = -1;
        for (const char *p = hex; *p != 0; p++) {
                if (isspace((unsigned char)*p))
                        continue;
                int digit = check_hex_digit(*p);
                if (digit < 0)
                        check_fail(__FILE__, __LINE__, "check_hex: bad digit '%c'", *p);
                if (high < 0) {
                        high = digit;
                        continue;
                }
                if (len == out_cap)
                        check_fail(__FILE__, __LINE__, "check_hex: more than %zu bytes", out_cap);
                out[len++] = (uint8_t)(high << 4 | digit);
                high = -1;
        }
        if (high >= 0)
                check_fail(__FILE__, __LINE__, "check_hex: odd number of digits");
        return len;
}

const char *check_source_path(const char *relative)
{
        static char path[4096];
        const char *root = getenv("SMT_SOURCE_DIR");
        snprintf(path, sizeof path, "%s/%s", root != NULL ? root : ".", relative);
        return path;
}

const char *check_shared_path(const char *relative)
{
        static char path[4096];
        const char *root = getenv("SMT_SHARED_DIR");
        if (root == NULL || root[0] == 0)
                return NULL;
        snprintf(path, sizeof path, "%s/%s", root, relative);
        return access(path, R_OK) == 0 ? path : NULL;
}

void check_skip_all(const char *why)
{
        printf("SKIPPED: %s\n", why);
        exit(77);
}

static char check_temp_path[64];

static int check_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

static void check_remove_temp(void)
{
        if (check_temp_path[0] != 0)
                nftw(check_temp_path, check_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *check_temp_dir(void)
{
        if (check_temp_path[0] == 0) {
                snprintf(check_temp_path, sizeof check_temp_path, "/tmp/smtrust-test-XXXXXX");
                if (mkdtemp(check_temp_path) == NULL)
                        check_fail(__FILE__, __LINE__, "mkdtemp failed");
                atexit(check_remove_temp);
        }
        return check_temp_path;
}
