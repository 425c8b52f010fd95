/* src/crypto/jose_b64.c: base64url without padding (RFC 4648 section 5, as RFC 7515 section 2 uses it).
 * Decoding is strict so that one byte string has exactly one accepted encoding: no '=', no character
 * outside the URL-safe alphabet, no length of 1 mod 4, and the unused low bits of the last character zero. */
#include "crypto/jose.h"

#include <stdlib.h>

static const char jose_b64_alphabet[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* jose_b64_value returns the 6-bit value of c, or -1 when c is not in the base64url alphabet. */
static int jose_b64_value(char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '-')
                return 62;
        if (c == '_')
                return 63;
        return -1;
}

int jose_b64url_encode(const uint8_t *in, size_t in_len, struct buf_writer *out, struct err *err)
{
        if (in_len > (SIZE_MAX - 3) / 4 * 3)
                return SMT_ERR(err, SMT_EINVAL, "base64url: %zu bytes is too long to encode", in_len);
        size_t out_len = in_len / 3 * 4 + (in_len % 3 == 0 ? 0 : in_len % 3 + 1);
        uint8_t *dst = NULL;
        if (buf_write_reserve(out, &dst, out_len) < 0)
                return SMT_ERR(err, SMT_ENOSPACE, "base64url: no room for %zu characters", out_len);
        size_t o = 0;
        for (size_t i = 0; i < in_len; i += 3) {
                size_t left = in_len - i;
                uint32_t group = (uint32_t)in[i] << 16;
                if (left > 1)
                        group |= (uint32_t)in[i + 1] << 8;
                if (left > 2)
                        group |= in[i + 2];
                size_t chars = left >= 3 ? 4 : left + 1;
                for (size_t c = 0; c < chars; c++)
                        dst[o++] = (uint8_t)jose_b64_alphabet[(group >> (18 - 6 * c)) & 0x3f];
        }
        return SMT_OK;
}

/* jose_b64_decode_into decodes the checked-length in into out (in_len * 3 / 4 bytes); the caller has ruled
 * out a length of 1 mod 4. */
static int jose_b64_decode_into(const char *in, size_t in_len, uint8_t *out, struct err *err)
{
        size_t o = 0;
        for (size_t i = 0; i < in_len; i += 4) {
                size_t chars = in_len - i < 4 ? in_len - i : 4;
                uint32_t group = 0;
                for (size_t c = 0; c < 4; c++) {
                        int v = c < chars ? jose_b64_value(in[i + c]) : 0;
                        if (v < 0)
                                return SMT_ERR(err, CA_EJOSE,
                                               "base64url: character 0x%02x at %zu is not in the "
                                               "alphabet A-Z a-z 0-9 - _",
                                               (unsigned char)in[i + c], i + c);
                        group = group << 6 | (uint32_t)v;
                }
                /* A short last group carries 8 or 16 bits in 12 or 18: the spare bits must be zero. */
                uint32_t spare = chars == 2 ? 0xffff : chars == 3 ? 0xff : 0;
                if ((group & spare) != 0)
                        return SMT_ERR(err, CA_EJOSE, "base64url: last character at %zu has non-zero unused bits",
                                       in_len - 1);
                for (size_t b = 0; b + 1 < chars; b++)
                        out[o++] = (uint8_t)(group >> (16 - 8 * b));
        }
        return SMT_OK;
}

int jose_b64url_decode(const char *in, size_t in_len, uint8_t **out, size_t *out_len, struct err *err)
{
        if (in_len % 4 == 1)
                return SMT_ERR(err, CA_EJOSE, "base64url: length %zu is 1 mod 4, which no byte string encodes to",
                               in_len);
        size_t len = in_len / 4 * 3 + (in_len % 4 == 0 ? 0 : in_len % 4 - 1);
        uint8_t *bytes = malloc(len + 1);
        if (bytes == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "base64url: out of memory for %zu bytes", len);
        int status = jose_b64_decode_into(in, in_len, bytes, err);
        if (status < 0) {
                free(bytes);
                return status;
        }
        *out = bytes;
        *out_len = len;
        return SMT_OK;
}
