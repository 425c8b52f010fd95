/* tests/unit/crypto/test_sm2_constant_time.c: no branch and no memory index on secret data in the fast SM2
 * code (issue 10). The test re-runs itself under valgrind's memcheck with the secret (the scalar, a field
 * element) marked undefined: memcheck then reports every conditional jump and every address that
 * depends on it. As a control, the variable-time verification routine must be reported.
 *
 * Skipped (77) when valgrind is not installed, when its client header was missing at build time, or in
 * sanitizer builds (ASan and valgrind do not run together). */
#include <string.h>

#include "check.h"
#include "crypto/sm2_point.h"
#include "memcheck_run.h"

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

static void sm2_constant_time_functions_have_no_secret_branch_or_index(void)
{
        CHECK_EQ(memcheck_run_self("--secret"), 0);
}

static void sm2_memcheck_catches_the_variable_time_routine(void)
{
        CHECK_EQ(memcheck_run_self("--vartime"), MEMCHECK_RUN_REPORTED);
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
        memcheck_skip_unless_available();
        static const struct check_test tests[] = {
                CHECK_TEST(sm2_constant_time_functions_have_no_secret_branch_or_index),
                CHECK_TEST(sm2_memcheck_catches_the_variable_time_routine),
        };
        return check_main(argc, argv, tests, sizeof tests / sizeof tests[0]);
}
