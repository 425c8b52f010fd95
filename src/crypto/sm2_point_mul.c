/* src/crypto/sm2_point_mul.c: scalar multiplication on the SM2 curve.
 *
 * Scalars are reduced mod n first, then recoded into signed ("Booth") windows of w bits: digit i is
 *     d_i = b[wi-1] + sum_{j<w-1} 2^j b[wi+j] - 2^(w-1) b[wi+w-1],   |d_i| <= 2^(w-1),
 * which reads w + 1 bits with no carry between windows, so the recoding itself has no branches. A table
 * then needs only the multiples 1 .. 2^(w-1); a negative digit negates y under a mask.
 *
 * k·G (sm2_point_mul_base): w = 6, 43 windows, a table of j·2^(6i)·G (j = 1..32) for each window i,
 * affine, built once at first use (pthread_once). No doublings: 43 mixed additions, each after a lookup
 * that reads all 32 entries of its window. Exceptional additions cannot occur for k < n: before window
 * i the accumulator holds S = (k mod 2^(6i)) - 2^(6i)·b[6i-1], |S| <= 2^(6i-1), and the entry is
 * ±j·2^(6i) with 1 <= j; for i < 42, |S| + j·2^(6i) < n, so S ≡ ±entry (mod n) only if both are 0
 * (the infinity masks handle that). For i = 42 the equality would need a multiple of 2^252 in
 * [n - 2^251, n), and there is none; the last addition still selects a doubling, which costs little.
 *
 * k·P (sm2_point_mul): w = 5, a table of P .. 16P (Jacobian), 52 windows from the top, 5 doublings and
 * one addition each, lookups reading all 16 entries. Before the addition of window i the accumulator
 * is A = 32·T with T the value of the higher digits, A + d_i = (k >> 5i) + b[5i-1] < n. For i >= 1
 * this keeps A ≠ d_i mod n unless both are 0. For i = 0 it does not (k = n - 6 gives A = -3P, d = -3),
 * so the last addition is the complete one.
 *
 * u1·G + u2·P (sm2_point_mul_double_vartime): u1·G from the same window table read directly, u2·P by
 * width-5 NAF, branching freely: variable time, for public inputs only.
 *
 * Constant time: sm2_point_mul_base and sm2_point_mul (the loops, the recoding, the lookups and the
 * additions have no branch and no index on k). Not constant time: sm2_point_mul_double_vartime. */
#include <pthread.h>
#include <string.h>

#include "crypto/sm2_field_internal.h"
#include "crypto/sm2_point.h"
#include "crypto/sm2_point_internal.h"

#define BASE_WINDOW 6
#define BASE_NUM_WINDOWS 43 /* 43 windows of 6 bits reach bit 257, above any scalar below n */
#define BASE_NUM_ENTRIES 32
#define VAR_WINDOW 5
#define VAR_NUM_WINDOWS 52
#define VAR_NUM_ENTRIES 16
#define NAF_WINDOW 5

/* The only global: a table of public multiples of G, written once under pthread_once, then read-only. */
static struct sm2_point_affine base_table[BASE_NUM_WINDOWS][BASE_NUM_ENTRIES];
static pthread_once_t base_table_once = PTHREAD_ONCE_INIT;

static void base_table_build(void)
{
        struct sm2_point base, multiple;
        sm2_point_set_generator(&base);
        for (int i = 0; i < BASE_NUM_WINDOWS; i++) {
                multiple = base;
                for (int j = 0; j < BASE_NUM_ENTRIES; j++) {
                        if (j > 0)
                                sm2_point_add(&multiple, &multiple, &base);
                        sm2_point_to_affine(&base_table[i][j], &multiple);
                }
                sm2_point_double(&base, &multiple); /* 2 · 32 · base = 2^6 · base */
        }
}

/* scalar_window returns the w + 1 bits of k from bit wi - 1 up (bit -1 reads as 0); i is public. */
static uint64_t scalar_window(const uint64_t k[5], int i, int w)
{
        uint64_t mask = ((uint64_t)1 << (w + 1)) - 1;
        if (i == 0)
                return (k[0] << 1) & mask;
        int pos = w * i - 1, limb = pos / 64, offset = pos % 64;
        uint64_t bits = k[limb] >> offset;
        if (offset + w + 1 > 64)
                bits |= k[limb + 1] << (64 - offset);
        return bits & mask;
}

/* booth_recode turns a window into a magnitude (0 .. 2^(w-1)) and a sign mask (all-ones: negative). */
static void booth_recode(uint64_t *magnitude, uint64_t *negative, uint64_t window, int w)
{
        uint64_t sum = (window + 1) >> 1;
        uint64_t neg = (uint64_t)0 - ((window >> w) & 1);
        *magnitude = (sum & ~neg) | ((((uint64_t)1 << w) - sum) & neg);
        *negative = neg;
}

/* equal_mask returns all-ones when a == b, else 0. */
static uint64_t equal_mask(uint64_t a, uint64_t b)
{
        uint64_t d = a ^ b;
        return ((d | ((uint64_t)0 - d)) >> 63) - 1;
}

static void base_lookup(struct sm2_point_affine *out, const struct sm2_point_affine table[BASE_NUM_ENTRIES],
                        uint64_t magnitude, uint64_t negative)
{
        memset(out, 0, sizeof *out);
        for (uint64_t j = 0; j < BASE_NUM_ENTRIES; j++) {
                uint64_t mask = equal_mask(j + 1, magnitude);
                sm2_field_cmov_inline(&out->x, &table[j].x, mask);
                sm2_field_cmov_inline(&out->y, &table[j].y, mask);
        }
        struct sm2_field_element minus_y;
        sm2_field_neg(&minus_y, &out->y);
        sm2_field_cmov(&out->y, &minus_y, negative);
}

static void scalar_load(uint64_t out[5], const uint8_t k[SM2_FIELD_LEN])
{
        sm2_field_scalar_reduce_plain(out, k);
        out[4] = 0;
}

void sm2_point_mul_base(struct sm2_point *out, const uint8_t k[SM2_FIELD_LEN])
{
        pthread_once(&base_table_once, base_table_build);
        uint64_t scalar[5], magnitude, negative;
        struct sm2_point acc, sum, twice, entry_point;
        struct sm2_point_affine entry;
        scalar_load(scalar, k);
        sm2_point_set_infinity(&acc);
        for (int i = 0; i < BASE_NUM_WINDOWS; i++) {
                booth_recode(&magnitude, &negative, scalar_window(scalar, i, BASE_WINDOW), BASE_WINDOW);
                base_lookup(&entry, base_table[i], magnitude, negative);
                uint64_t same = sm2_point_add_mixed_core(&sum, &acc, &entry);
                if (i == BASE_NUM_WINDOWS - 1) {
                        sm2_point_double(&twice, &acc);
                        sm2_point_cmov(&sum, &twice, same);
                }
                sm2_point_from_affine(&entry_point, &entry);
                sm2_point_cmov(&sum, &entry_point, sm2_point_is_infinity(&acc));
                sm2_point_cmov(&sum, &acc, equal_mask(magnitude, 0));
                acc = sum;
        }
        *out = acc;
        explicit_bzero(scalar, sizeof scalar);
        explicit_bzero(&entry, sizeof entry);
        explicit_bzero(&magnitude, sizeof magnitude);
}

static void var_lookup(struct sm2_point *out, const struct sm2_point table[VAR_NUM_ENTRIES], uint64_t magnitude,
                       uint64_t negative)
{
        sm2_point_set_infinity(out);
        for (uint64_t j = 0; j < VAR_NUM_ENTRIES; j++) {
                uint64_t mask = equal_mask(j + 1, magnitude);
                sm2_field_cmov_inline(&out->x, &table[j].x, mask);
                sm2_field_cmov_inline(&out->y, &table[j].y, mask);
                sm2_field_cmov_inline(&out->z, &table[j].z, mask);
        }
        struct sm2_field_element minus_y;
        sm2_field_neg(&minus_y, &out->y);
        sm2_field_cmov(&out->y, &minus_y, negative);
}

void sm2_point_mul(struct sm2_point *out, const uint8_t k[SM2_FIELD_LEN], const struct sm2_point *a)
{
        struct sm2_point table[VAR_NUM_ENTRIES], acc, entry, sum;
        uint64_t scalar[5], magnitude, negative;
        table[0] = *a;
        sm2_point_double(&table[1], a);
        for (int j = 2; j < VAR_NUM_ENTRIES; j++)
                sm2_point_add(&table[j], &table[j - 1], a);
        scalar_load(scalar, k);
        booth_recode(&magnitude, &negative, scalar_window(scalar, VAR_NUM_WINDOWS - 1, VAR_WINDOW), VAR_WINDOW);
        var_lookup(&acc, table, magnitude, negative);
        for (int i = VAR_NUM_WINDOWS - 2; i >= 0; i--) {
                for (int j = 0; j < VAR_WINDOW; j++)
                        sm2_point_double(&acc, &acc);
                booth_recode(&magnitude, &negative, scalar_window(scalar, i, VAR_WINDOW), VAR_WINDOW);
                var_lookup(&entry, table, magnitude, negative);
                if (i == 0) {
                        sm2_point_add(&acc, &acc, &entry);
                        continue;
                }
                (void)sm2_point_add_core(&sum, &acc, &entry);
                sm2_point_cmov(&sum, &entry, sm2_point_is_infinity(&acc));
                sm2_point_cmov(&sum, &acc, sm2_point_is_infinity(&entry));
                acc = sum;
        }
        *out = acc;
        explicit_bzero(scalar, sizeof scalar);
        explicit_bzero(table, sizeof table);
        explicit_bzero(&entry, sizeof entry);
}

/* point_add_vartime sets out = a + b for any a, b, branching on the exceptional cases. */
static void point_add_vartime(struct sm2_point *out, const struct sm2_point *a, const struct sm2_point *b)
{
        struct sm2_point sum;
        if (sm2_point_is_infinity(a)) {
                *out = *b;
                return;
        }
        if (sm2_point_is_infinity(b)) {
                *out = *a;
                return;
        }
        if (sm2_point_add_core(&sum, a, b))
                sm2_point_double(&sum, a);
        *out = sum;
}

/* naf_recode writes the width-5 NAF digits of k (odd digits in -15 .. 15, least significant first) and
 * returns their count (at most 257). */
static int naf_recode(int8_t digits[257], const uint64_t k[4])
{
        uint64_t d[5] = { k[0], k[1], k[2], k[3], 0 };
        int count = 0;
        while ((d[0] | d[1] | d[2] | d[3] | d[4]) != 0) {
                int digit = 0;
                if (d[0] & 1) {
                        digit = (int)(d[0] & 31);
                        if (digit >= 16)
                                digit -= 32;
                        /* d -= digit: the low five bits become 0, and the borrow or carry runs up. */
                        uint64_t adjust = digit > 0 ? (uint64_t)digit : (uint64_t)-digit;
                        for (int i = 0; i < 5 && adjust != 0; i++) {
                                uint64_t old = d[i];
                                d[i] = digit > 0 ? old - adjust : old + adjust;
                                adjust = digit > 0 ? (d[i] > old) : (d[i] < old);
                        }
                }
                digits[count++] = (int8_t)digit;
                for (int i = 0; i < 4; i++)
                        d[i] = (d[i] >> 1) | (d[i + 1] << 63);
                d[4] >>= 1;
        }
        return count;
}

/* base_mul_vartime sets out = u·G, reading the window table by index and adding its affine entries
 * with the mixed formula, branching on the exceptional cases. */
static void base_mul_vartime(struct sm2_point *out, const uint64_t u[5])
{
        struct sm2_point acc, sum;
        struct sm2_point_affine entry;
        sm2_point_set_infinity(&acc);
        for (int i = 0; i < BASE_NUM_WINDOWS; i++) {
                uint64_t magnitude, negative;
                booth_recode(&magnitude, &negative, scalar_window(u, i, BASE_WINDOW), BASE_WINDOW);
                if (magnitude == 0)
                        continue;
                entry = base_table[i][magnitude - 1];
                if (negative)
                        sm2_field_neg(&entry.y, &entry.y);
                if (sm2_point_is_infinity(&acc)) {
                        sm2_point_from_affine(&acc, &entry);
                        continue;
                }
                if (sm2_point_add_mixed_core(&sum, &acc, &entry))
                        sm2_point_double(&sum, &acc);
                acc = sum;
        }
        *out = acc;
}

void sm2_point_mul_double_vartime(struct sm2_point *out, const uint8_t u1[SM2_FIELD_LEN],
                                  const uint8_t u2[SM2_FIELD_LEN], const struct sm2_point *a)
{
        pthread_once(&base_table_once, base_table_build);
        uint64_t scalar1[5], scalar2[5];
        struct sm2_point odd[1 << (NAF_WINDOW - 2)], twice, acc, entry, first;
        int8_t digits[257];
        scalar_load(scalar1, u1);
        scalar_load(scalar2, u2);
        base_mul_vartime(&first, scalar1);

        odd[0] = *a;
        sm2_point_double(&twice, a);
        for (int j = 1; j < (1 << (NAF_WINDOW - 2)); j++)
                point_add_vartime(&odd[j], &odd[j - 1], &twice);
        int count = naf_recode(digits, scalar2);
        sm2_point_set_infinity(&acc);
        for (int i = count - 1; i >= 0; i--) {
                sm2_point_double(&acc, &acc);
                if (digits[i] == 0)
                        continue;
                entry = odd[(digits[i] > 0 ? digits[i] : -digits[i]) / 2];
                if (digits[i] < 0)
                        sm2_field_neg(&entry.y, &entry.y);
                point_add_vartime(&acc, &acc, &entry);
        }
        point_add_vartime(out, &acc, &first);
}
