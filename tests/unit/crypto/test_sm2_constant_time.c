/* tests/unit/crypto/test_sm2_constant_time.c: no branch and no memory index on secret data in the fast SM2
 * code (issue 10). The test re-runs itself under valgrind's memcheck with the secret (the scalar, a field
 * element) marked undefined: memcheck then reports every conditional jump and every address that
 * depends on it. As a control, the variable-time verification routine must be reported.
 *
 * Skipped (77) when valgrind is not installed, when its client header was missing at build time, or in
 * sanitizer builds (ASan and valgrind do not run together). */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "crypto/sm2_point.h"

#if defined(__SANITIZE_ADDRESS__) || !__has_include(<valgrind/memcheck.h>)
#define TEST_CAN_RUN 0
#define VALGRIND_MAKE_MEM_UNDEFINED(address, len) ((void)(address), (void)(len))
#define RUNNING_ON_VALGRIND 0
#else
#define TEST_CAN_RUN 1
#include <valgrind/memcheck.h>
#endif

/* test_secret_operations runs every constant-time entry point on undefined (secret) inputs. */
static void test_secret_operations(void)
{
        uint8_t k[32], out[64];
        for (int i = 0; i < 32; i++)
                k[i] = (uint8_t)(i * 29 + 3);
        struct sm2_point g, r, p, sum;
        sm2_point_set_generator(&g);
        sm2_point_mul_base(&r, k); /* builds the public table outside the check */
        VALGRIND_MAKE_MEM_UNDEFINED(k, sizeof k);
        sm2_point_mul_base(&r, k);
        sm2_point_mul(&p, k, &g);
        sm2_point_add(&sum, &p, &r);
        sm2_point_add(&sum, &sum, &sum);
        sm2_point_double(&sum, &sum);
        sm2_point_neg(&sum, &sum);

        struct sm2_field_element a, b;
        memcpy(a.limb, k, sizeof a.limb);
        a.limb[3] >>= 1; /* keep it below p: any value does, as long as it is undefined */
        sm2_field_inv(&b, &a);
        sm2_field_mul(&b, &b, &a);
        sm2_field_sqr(&b, &b);
        sm2_field_add(&b, &b, &a);
        sm2_field_sub(&b, &b, &a);
        sm2_field_neg(&b, &b);
        sm2_field_cmov(&b, &a, sm2_field_is_zero(&a));
        sm2_field_to_bytes(out, &b);

        struct sm2_field_scalar s, t;
        sm2_field_scalar_from_bytes_reduce(&s, k);
        sm2_field_scalar_inv(&t, &s);
        sm2_field_scalar_mul(&t, &t, &s);
        sm2_field_scalar_add(&t, &t, &s);
        sm2_field_scalar_sub(&t, &t, &s);
        sm2_field_scalar_neg(&t, &t);
        sm2_field_scalar_to_bytes(out, &t);
        (void)sm2_field_scalar_is_zero(&t);
}

/* test_variable_time_control runs the verification routine on undefined scalars: memcheck must see it. */
static void test_variable_time_control(void)
{
        uint8_t u[32];
        for (int i = 0; i < 32; i++)
                u[i] = (uint8_t)(i * 13 + 1);
        struct sm2_point g, r;
        sm2_point_set_generator(&g);
        VALGRIND_MAKE_MEM_UNDEFINED(u, sizeof u);
        sm2_point_mul_double_vartime(&r, u, u, &g);
}

/* test_run_under_valgrind runs this program under memcheck for one mode; returns the exit status. */
static int test_run_under_valgrind(const char *mode)
{
        char self[PATH_MAX];
        ssize_t self_len = readlink("/proc/self/exe", self, sizeof self - 1);
        CHECK(self_len > 0);
        self[self_len] = '\0';
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                int null_fd = open("/dev/null", O_WRONLY);
                if (null_fd >= 0)
                        dup2(null_fd, STDERR_FILENO);
                execlp("valgrind", "valgrind", "-q", "--error-exitcode=9", self, mode, (char *)NULL);
                _exit(127);
        }
        int status;
        CHECK(waitpid(pid, &status, 0) == pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void sm2_constant_time_functions_have_no_secret_branch_or_index(void)
{
        CHECK_EQ(test_run_under_valgrind("--secret"), 0);
}

static void sm2_memcheck_catches_the_variable_time_routine(void)
{
        CHECK_EQ(test_run_under_valgrind("--vartime"), 9);
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
        if (!TEST_CAN_RUN || RUNNING_ON_VALGRIND)
                check_skip_all("needs a build without sanitizers and valgrind's memcheck.h");
        if (system("valgrind --version >/dev/null 2>&1") != 0)
                check_skip_all("valgrind is not installed");
        static const struct check_test tests[] = {
                CHECK_TEST(sm2_constant_time_functions_have_no_secret_branch_or_index),
                CHECK_TEST(sm2_memcheck_catches_the_variable_time_routine),
        };
        return check_main(argc, argv, tests, sizeof tests / sizeof tests[0]);
}
