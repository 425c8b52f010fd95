/* src/gateway/balancer_cookie.c: the session persistence cookie, "<index>.<tag>" (format in
 * balancer.h). The tag binds the index to the group's key, so a client can only send back a value the
 * gateway gave out: it cannot steer itself to a server of its choosing. */
#include "gateway/balancer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "crypto/crypto_error.h"

#define COOKIE_TAG_LEN          16 /* bytes of HMAC-SHA256 kept: 128 bits (RFC 2104 §5: at least half, >= 80 bits) */
#define COOKIE_INDEX_DIGITS_MAX 4
static const char cookie_label[] = "smtrust balancer cookie v1"; /* with its NUL: the separator */

static int cookie_tag(const uint8_t key[GW_BALANCER_COOKIE_KEY_LEN], size_t server, uint8_t tag[COOKIE_TAG_LEN],
                      struct err *err)
{
        uint8_t message[sizeof cookie_label + 4];
        memcpy(message, cookie_label, sizeof cookie_label);
        message[sizeof cookie_label] = (uint8_t)(server >> 24);
        message[sizeof cookie_label + 1] = (uint8_t)(server >> 16);
        message[sizeof cookie_label + 2] = (uint8_t)(server >> 8);
        message[sizeof cookie_label + 3] = (uint8_t)server;
        uint8_t mac[EVP_MAX_MD_SIZE];
        unsigned mac_len = 0;
        if (HMAC(EVP_sha256(), key, GW_BALANCER_COOKIE_KEY_LEN, message, sizeof message, mac, &mac_len) == NULL ||
            mac_len < COOKIE_TAG_LEN) {
                OPENSSL_cleanse(mac, sizeof mac);
                return crypto_error_set(err, CRYPTO_EOPENSSL, "balancer cookie: HMAC-SHA256");
        }
        memcpy(tag, mac, COOKIE_TAG_LEN);
        OPENSSL_cleanse(mac, sizeof mac);
        return SMT_OK;
}

int gw_balancer_cookie_make(const uint8_t key[GW_BALANCER_COOKIE_KEY_LEN], size_t server,
                            char out[GW_BALANCER_COOKIE_MAX], struct err *err)
{
        out[0] = '\0';
        if (server >= GW_BALANCER_SERVERS_MAX)
                return SMT_ERR(err, SMT_EINVAL, "balancer cookie: server %zu, expected < %d", server,
                               GW_BALANCER_SERVERS_MAX);
        uint8_t tag[COOKIE_TAG_LEN];
        TRY(cookie_tag(key, server, tag, err));
        static const char hex[] = "0123456789abcdef";
        int used = snprintf(out, GW_BALANCER_COOKIE_MAX, "%zu.", server);
        for (size_t i = 0; i < COOKIE_TAG_LEN; i++) {
                out[used + 2 * (int)i] = hex[tag[i] >> 4];
                out[used + 2 * (int)i + 1] = hex[tag[i] & 0x0f];
        }
        out[used + 2 * COOKIE_TAG_LEN] = '\0';
        return SMT_OK;
}

/* cookie_read_index reads the decimal index up to and including its '.': 1..4 digits, no leading 0. */
static int cookie_read_index(struct buf_reader *in, size_t *server, struct err *err)
{
        size_t value = 0, num_digits = 0;
        uint8_t c = 0;
        while (buf_read_u8(in, &c) == 0 && c >= '0' && c <= '9') {
                if (num_digits == COOKIE_INDEX_DIGITS_MAX || (num_digits == 1 && value == 0))
                        return SMT_ERR(err, SMT_EDECODE, "balancer cookie: index is not 0..%d without leading zeros",
                                       GW_BALANCER_SERVERS_MAX - 1);
                value = value * 10 + (size_t)(c - '0');
                num_digits++;
        }
        if (num_digits == 0 || c != '.')
                return SMT_ERR(err, SMT_EDECODE, "balancer cookie: expected digits then '.'");
        if (value >= GW_BALANCER_SERVERS_MAX)
                return SMT_ERR(err, SMT_EDECODE, "balancer cookie: index %zu, expected < %d", value,
                               GW_BALANCER_SERVERS_MAX);
        *server = value;
        return SMT_OK;
}

static int cookie_hex_digit(uint8_t c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* cookie_read_tag reads exactly the tag's lowercase hex digits and then the end of the value. */
static int cookie_read_tag(struct buf_reader *in, uint8_t tag[COOKIE_TAG_LEN], struct err *err)
{
        for (size_t i = 0; i < COOKIE_TAG_LEN; i++) {
                uint8_t high = 0, low = 0;
                if (buf_read_u8(in, &high) < 0 || buf_read_u8(in, &low) < 0)
                        return SMT_ERR(err, SMT_EDECODE, "balancer cookie: tag shorter than %d hex digits",
                                       2 * COOKIE_TAG_LEN);
                int h = cookie_hex_digit(high), l = cookie_hex_digit(low);
                if (h < 0 || l < 0)
                        return SMT_ERR(err, SMT_EDECODE, "balancer cookie: tag has a byte that is not lowercase hex");
                tag[i] = (uint8_t)(h << 4 | l);
        }
        if (!buf_reader_is_empty(in))
                return SMT_ERR(err, SMT_EDECODE, "balancer cookie: %zu bytes after the tag", in->len);
        return SMT_OK;
}

int gw_balancer_cookie_parse(const uint8_t key[GW_BALANCER_COOKIE_KEY_LEN], const char *text, size_t text_len,
                             size_t *server, struct err *err)
{
        *server = SIZE_MAX;
        struct buf_reader in = buf_reader_make((const uint8_t *)text, text_len);
        size_t index = 0;
        uint8_t tag[COOKIE_TAG_LEN], expected[COOKIE_TAG_LEN];
        TRY(cookie_read_index(&in, &index, err));
        TRY(cookie_read_tag(&in, tag, err));
        TRY(cookie_tag(key, index, expected, err));
        int differs = CRYPTO_memcmp(tag, expected, COOKIE_TAG_LEN);
        OPENSSL_cleanse(expected, sizeof expected);
        if (differs != 0)
                return SMT_ERR(err, CRYPTO_EVERIFY, "balancer cookie: tag for server %zu does not verify", index);
        *server = index;
        return SMT_OK;
}
