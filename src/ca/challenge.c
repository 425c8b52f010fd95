/* src/ca/challenge.c: one validation's context (defaults, deadline, problem reporting) and dns-01
 * (RFC 8555 8.4). */
#include "ca/challenge.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "ca/challenge_internal.h"

#define CA_CHALLENGE_DEFAULT_TIMEOUT_MS 10000
#define CA_CHALLENGE_QUOTE_MAX          64

static int64_t ca_challenge_now_ms(void)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void ca_challenge_run_init(struct ca_challenge_run *run, const struct ca_challenge_config *config,
                           struct ca_challenge_result *result)
{
        static const struct ca_challenge_config defaults = {0};
        run->config = config != NULL ? *config : defaults;
        if (run->config.http_port == 0)
                run->config.http_port = 80;
        if (run->config.tls_alpn_port == 0)
                run->config.tls_alpn_port = 443;
        if (run->config.timeout_ms <= 0)
                run->config.timeout_ms = CA_CHALLENGE_DEFAULT_TIMEOUT_MS;
        run->deadline_ms = ca_challenge_now_ms() + run->config.timeout_ms;
        run->result = result;
        result->problem = CA_PROBLEM_NONE;
        result->detail[0] = 0;
}

int ca_challenge_remaining_ms(const struct ca_challenge_run *run)
{
        int64_t left = run->deadline_ms - ca_challenge_now_ms();
        return left > 0 ? (int)left : 0;
}

int ca_challenge_fail(struct ca_challenge_run *run, struct err *err, enum ca_challenge_problem problem, const char *fmt,
                      ...)
{
        va_list args;
        va_start(args, fmt);
        vsnprintf(run->result->detail, sizeof run->result->detail, fmt, args);
        va_end(args);
        run->result->problem = problem;
        return SMT_ERR(err, CA_EVALIDATION, "%s", run->result->detail);
}

int ca_challenge_prefix(struct ca_challenge_run *run, struct err *err, const char *fmt, ...)
{
        char prefix[sizeof run->result->detail];
        va_list args;
        va_start(args, fmt);
        vsnprintf(prefix, sizeof prefix, fmt, args);
        va_end(args);
        /* prefix ": " detail, cut to fit; the err message gets the same text, cut shorter. */
        const char *detail = run->result->detail[0] != 0 ? run->result->detail : err->msg;
        char joined[sizeof run->result->detail];
        struct buf_writer w;
        buf_writer_init_fixed(&w, (uint8_t *)joined, sizeof joined - 1);
        SMT_IGNORE(buf_write_bytes(&w, (const uint8_t *)prefix, strlen(prefix)));
        SMT_IGNORE(buf_write_bytes(&w, (const uint8_t *)": ", 2));
        size_t detail_len = strlen(detail);
        SMT_IGNORE(
            buf_write_bytes(&w, (const uint8_t *)detail, detail_len < w.cap - w.len ? detail_len : w.cap - w.len));
        joined[w.len] = 0;
        memcpy(run->result->detail, joined, w.len + 1);
        size_t err_len = w.len < sizeof err->msg - 1 ? w.len : sizeof err->msg - 1;
        memcpy(err->msg, joined, err_len);
        err->msg[err_len] = 0;
        return err->code;
}

int ca_challenge_timed_out(struct ca_challenge_run *run, struct err *err, const char *what)
{
        return ca_challenge_fail(run, err, CA_PROBLEM_CONNECTION, "%s: timed out (the whole validation may take %d ms)",
                                 what, run->config.timeout_ms);
}

void ca_challenge_quote(char *out, size_t cap, const uint8_t *data, size_t len)
{
        struct buf_writer w;
        buf_writer_init_fixed(&w, (uint8_t *)out, cap - 1);
        int status = buf_write_u8(&w, '"');
        for (size_t i = 0; status == 0 && i < len && i < CA_CHALLENGE_QUOTE_MAX; i++) {
                char escaped[8];
                if (data[i] >= 0x20 && data[i] < 0x7f && data[i] != '"' && data[i] != '\\')
                        snprintf(escaped, sizeof escaped, "%c", data[i]);
                else if (data[i] == '\n' || data[i] == '\r' || data[i] == '"' || data[i] == '\\')
                        snprintf(escaped, sizeof escaped, "\\%c",
                                 data[i] == '\n'   ? 'n'
                                 : data[i] == '\r' ? 'r'
                                                   : data[i]);
                else
                        snprintf(escaped, sizeof escaped, "\\x%02x", data[i]);
                status = buf_write_bytes(&w, (const uint8_t *)escaped, strlen(escaped));
        }
        if (status == 0)
                status = buf_write_u8(&w, '"');
        if (status == 0 && len > CA_CHALLENGE_QUOTE_MAX)
                status = buf_write_bytes(&w, (const uint8_t *)"...", 3);
        out[w.len] = 0;
}

int ca_challenge_check_domain(const char *domain, struct err *err)
{
        if (domain == NULL || domain[0] == 0)
                return SMT_ERR(err, SMT_EINVAL, "challenge: no domain given");
        if (net_address_is_ip_literal(domain))
                return SMT_OK;
        size_t len = strlen(domain), label_len = 0;
        for (size_t i = 0; i <= len; i++) {
                char c = domain[i];
                if (c == '.' || c == 0) {
                        if (label_len == 0 || label_len > 63)
                                return SMT_ERR(err, SMT_EINVAL,
                                               "challenge: \"%.64s\": a label is empty or over 63 bytes", domain);
                        label_len = 0;
                        continue;
                }
                bool is_ldh =
                    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
                if (!is_ldh)
                        return SMT_ERR(err, SMT_EINVAL, "challenge: \"%.64s\" is not a DNS name (byte 0x%02x)", domain,
                                       (unsigned)(uint8_t)c);
                label_len++;
        }
        if (len > 253)
                return SMT_ERR(err, SMT_EINVAL, "challenge: domain of %zu bytes exceeds 253", len);
        return SMT_OK;
}

void ca_challenge_sha256(uint8_t out[32], const char *key_authorization)
{
        SHA256((const unsigned char *)key_authorization, strlen(key_authorization), out);
}

const char *ca_challenge_problem_type(enum ca_challenge_problem problem)
{
        switch (problem) {
        case CA_PROBLEM_NONE:
                return "";
        case CA_PROBLEM_CONNECTION:
                return "connection";
        case CA_PROBLEM_DNS:
                return "dns";
        case CA_PROBLEM_INCORRECT_RESPONSE:
                return "incorrectResponse";
        case CA_PROBLEM_TLS:
                return "tls";
        case CA_PROBLEM_UNAUTHORIZED:
                return "unauthorized";
        }
        return "";
}

/* RFC 8555 8.4: the record holds base64url(SHA-256(key authorization)), no padding (RFC 8555 2). */
static void ca_challenge_dns01_digest(char out[44], const char *key_authorization)
{
        uint8_t digest[32];
        ca_challenge_sha256(digest, key_authorization);
        char padded[48];
        int len = EVP_EncodeBlock((unsigned char *)padded, digest, sizeof digest);
        int used = 0;
        for (int i = 0; i < len && padded[i] != '='; i++)
                out[used++] = padded[i] == '+' ? '-' : padded[i] == '/' ? '_' : padded[i];
        out[used] = 0;
}

/* "\"a\", \"b\"" for the message of a mismatch; cut to fit out. */
static void ca_challenge_dns01_list(char *out, size_t cap, const struct ca_challenge_dns_answer *answer,
                                    struct err *err)
{
        size_t used = 0;
        out[0] = 0;
        for (size_t i = 0; i < answer->num_records && used + 4 < cap; i++) {
                uint8_t value[512];
                struct buf_writer w;
                buf_writer_init_fixed(&w, value, sizeof value);
                if (ca_challenge_dns_txt_join(&w, answer->records[i], err) < 0 && w.len == 0)
                        continue;
                char quoted[320];
                ca_challenge_quote(quoted, sizeof quoted, value, w.len);
                used += (size_t)snprintf(out + used, cap - used, "%s%s", i > 0 ? ", " : "", quoted);
        }
}

/* The record matches when its character-strings, concatenated, equal expected exactly. */
static bool ca_challenge_dns01_matches(struct buf_reader rdata, const char *expected, struct err *err)
{
        uint8_t value[64];
        struct buf_writer w;
        buf_writer_init_fixed(&w, value, sizeof value);
        if (ca_challenge_dns_txt_join(&w, rdata, err) < 0)
                return false;
        return w.len == strlen(expected) && memcmp(value, expected, w.len) == 0;
}

static int ca_challenge_dns01_check(struct ca_challenge_run *run, const struct ca_challenge_dns_answer *answer,
                                    const char *name, const char *expected, struct err *err)
{
        if (answer->num_records == 0)
                return ca_challenge_fail(run, err, CA_PROBLEM_DNS, "no TXT record at %s", name);
        for (size_t i = 0; i < answer->num_records; i++) {
                if (ca_challenge_dns01_matches(answer->records[i], expected, err))
                        return SMT_OK;
        }
        char found[400];
        ca_challenge_dns01_list(found, sizeof found, answer, err);
        return ca_challenge_fail(run, err, CA_PROBLEM_INCORRECT_RESPONSE,
                                 "no TXT record at %s equals \"%s\"; TXT records found: %s", name, expected, found);
}

int ca_challenge_dns01(const struct ca_challenge_config *config, const char *domain, const char *key_authorization,
                       struct ca_challenge_result *result, struct err *err)
{
        struct ca_challenge_run run;
        ca_challenge_run_init(&run, config, result);
        TRY(ca_challenge_check_domain(domain, err));
        if (key_authorization == NULL)
                return SMT_ERR(err, SMT_EINVAL, "dns-01: no key authorization given");
        if (net_address_is_ip_literal(domain))
                return ca_challenge_fail(
                    &run, err, CA_PROBLEM_UNAUTHORIZED,
                    "dns-01: %s is an IP address; dns-01 does not apply to IP identifiers (RFC 8738 7)", domain);
        char name[300], expected[44];
        snprintf(name, sizeof name, "_acme-challenge.%s", domain);
        ca_challenge_dns01_digest(expected, key_authorization);
        struct ca_challenge_dns_reply *reply = malloc(sizeof *reply);
        if (reply == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "dns-01: no memory for a DNS answer");
        int status = ca_challenge_resolve_query(&run, reply, name, CA_CHALLENGE_DNS_TXT, err);
        if (status == 0)
                status = ca_challenge_dns01_check(&run, &reply->answer, name, expected, err);
        if (status == 0)
                err_clear(err); /* what a failed attempt on the way left there */
        if (status == CA_EVALIDATION)
                ca_challenge_prefix(&run, err, "dns-01");
        free(reply);
        return status;
}
