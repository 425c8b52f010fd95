/* src/cmd/ts.c: `smtrust ts query|verify|show`: RFC 3161 time-stamp queries (optionally POSTed to a TSA over
 * HTTP, RFC 3161 3.4), token verification (SM2 tokens by smtrust, ECC/RSA ones by OpenSSL's TS API) and a
 * reply's fields. Argument parsing and printing only; the work is crypto/tsp.h's. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "base/file.h"
#include "cmd/cmd.h"
#include "crypto/tsp.h"

static const char cmd_ts_usage[] =
    "smtrust ts query (--data FILE | --digest HEX) [--hash sm3|sha256|sha384|sha512] [--no-nonce] [--cert]\n"
    "                 [--policy OID] [-o FILE] [--url URL [--ca-file ROOTS]]\n"
    "       smtrust ts verify --in REPLY_OR_TOKEN (--data FILE | --digest HEX) --ca-file ROOTS [--nonce HEX]\n"
    "                 [--untrusted CERTS]\n"
    "       smtrust ts show --in REPLY";

struct cmd_ts_args {
        const char *data, *digest, *hash, *policy, *out, *url, *ca_file, *in, *nonce, *untrusted;
        bool no_nonce, cert_req;
};

#define CMD_TS_HEX_MAX (2 * TSP_DIGEST_MAX + 1)

static int cmd_ts_hex_decode(uint8_t *out, size_t cap, size_t *out_len, const char *hex)
{
        size_t n = strlen(hex);
        if (n == 0 || n % 2 != 0 || n / 2 > cap)
                return -1;
        for (size_t i = 0; i < n / 2; i++) {
                unsigned value = 0;
                if (sscanf(hex + 2 * i, "%2x", &value) != 1 || !strchr("0123456789abcdefABCDEF", hex[2 * i]) ||
                    !strchr("0123456789abcdefABCDEF", hex[2 * i + 1]))
                        return -1;
                out[i] = (uint8_t)value;
        }
        *out_len = n / 2;
        return 0;
}

static void cmd_ts_hex_print(FILE *f, const char *label, const uint8_t *data, size_t len)
{
        fprintf(f, "%s: ", label);
        for (size_t i = 0; i < len; i++)
                fprintf(f, "%02x", data[i]);
        fputc('\n', f);
}

/* cmd_ts_imprint: the digest given, or the data file hashed. */
static int cmd_ts_imprint(struct tsp_imprint *out, const struct cmd_ts_args *a, enum tsp_hash hash, struct err *err)
{
        if (a->digest != NULL) {
                memset(out, 0, sizeof *out);
                out->hash = hash;
                if (cmd_ts_hex_decode(out->digest, sizeof out->digest, &out->digest_len, a->digest) < 0 ||
                    out->digest_len != tsp_hash_len(hash))
                        return SMT_ERR(err, SMT_EINVAL, "--digest: expected %zu bytes in hex for %s",
                                       tsp_hash_len(hash), tsp_hash_name(hash));
                return SMT_OK;
        }
        uint8_t *data = NULL;
        size_t len = 0;
        TRY(cmd_io_read_input(&data, &len, a->data, CMD_IO_INPUT_MAX, err));
        int status = tsp_imprint_make(out, hash, data, len, err);
        file_free_contents(data, len);
        return status;
}

static size_t cmd_ts_on_body(char *data, size_t size, size_t count, void *context)
{
        return buf_write_bytes(context, (const uint8_t *)data, size * count) < 0 ? 0 : size * count;
}

/* cmd_ts_post sends the query to url (RFC 3161 3.4) and appends the reply's body to reply. */
static int cmd_ts_post(const char *url, const char *ca_file, const struct buf_writer *query, struct buf_writer *reply,
                       struct err *err)
{
        CURL *curl = curl_easy_init();
        if (curl == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "curl");
        struct curl_slist *fields = curl_slist_append(NULL, "Content-Type: application/timestamp-query");
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, fields);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, (const char *)query->data);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)query->len);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, cmd_ts_on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, reply);
        if (ca_file != NULL)
                curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file);
        long code = 0;
        CURLcode result = curl_easy_perform(curl);
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
        int status = SMT_OK;
        if (result != CURLE_OK)
                status = SMT_ERR(err, SMT_EIO, "%s: %s", url, curl_easy_strerror(result));
        else if (code != 200)
                status = SMT_ERR(err, SMT_EIO, "%s: HTTP status %ld", url, code);
        curl_slist_free_all(fields);
        curl_easy_cleanup(curl);
        return status;
}

/* cmd_ts_reply_check reads a reply to our query: granted, and our nonce echoed. */
static int cmd_ts_reply_check(const struct buf_writer *reply, const uint8_t *nonce, size_t nonce_len, struct err *err)
{
        struct tsp_response resp;
        struct tsp_tst_info info;
        struct buf_reader type, content;
        TRY(tsp_response_parse(&resp, reply->data, reply->len, err));
        if (resp.status > TSP_STATUS_GRANTED_WITH_MODS)
                return SMT_ERR(err, CRYPTO_EVERIFY, "the TSA refused: status %d, failInfo 0x%x, \"%s\"",
                               (int)resp.status, resp.failure_info, resp.status_text);
        TRY(tsp_token_content(resp.token.data, resp.token.len, &type, &content, err));
        TRY(tsp_tst_info_parse(&info, content.data, content.len, err));
        if (nonce != NULL &&
            (!info.has_nonce || info.nonce_len != nonce_len || memcmp(info.nonce, nonce, nonce_len) != 0))
                return SMT_ERR(err, CRYPTO_EVERIFY, "the reply does not echo our nonce");
        fprintf(stderr, "granted: genTime %s\n", info.gen_time_text);
        return SMT_OK;
}

static int cmd_ts_query_run(const struct cmd_ts_args *a, enum tsp_hash hash, struct buf_writer *query,
                            struct buf_writer *reply, struct err *err)
{
        struct tsp_imprint imprint;
        uint8_t nonce[TSP_NONCE_MAX];
        size_t nonce_len = 0;
        TRY(cmd_ts_imprint(&imprint, a, hash, err));
        if (!a->no_nonce)
                TRY(tsp_nonce_generate(nonce, &nonce_len, err));
        struct tsp_request_params params = {.imprint = &imprint,
                                            .policy = a->policy,
                                            .nonce = a->no_nonce ? NULL : nonce,
                                            .nonce_len = nonce_len,
                                            .cert_req = a->cert_req};
        TRY(tsp_request_build(query, &params, err));
        if (!a->no_nonce)
                cmd_ts_hex_print(stderr, "nonce", nonce, nonce_len);
        if (a->url == NULL)
                return cmd_io_write_output(a->out, query->data, query->len, 0644, err);
        TRY(cmd_ts_post(a->url, a->ca_file, query, reply, err));
        TRY(cmd_io_write_output(a->out, reply->data, reply->len, 0644, err));
        return cmd_ts_reply_check(reply, a->no_nonce ? NULL : nonce, nonce_len, err);
}

static int cmd_ts_query(const struct cmd_ts_args *a)
{
        enum tsp_hash hash = TSP_HASH_SM3;
        if (a->hash != NULL && tsp_hash_parse(a->hash, &hash) < 0)
                return cmd_usage_error("ts", cmd_ts_usage, "--hash: expected sm3, sha256, sha384 or sha512");
        if ((a->data == NULL) == (a->digest == NULL))
                return cmd_usage_error("ts", cmd_ts_usage, "give --data FILE or --digest HEX");
        struct err err = {0};
        struct buf_writer query, reply;
        buf_writer_init_heap(&query, TSP_REQUEST_MAX);
        buf_writer_init_heap(&reply, TSP_RESPONSE_MAX);
        int status = cmd_ts_query_run(a, hash, &query, &reply, &err);
        buf_writer_cleanup(&query);
        buf_writer_cleanup(&reply);
        return status < 0 ? cmd_report(&err, "ts query") : CMD_EXIT_OK;
}

/* cmd_ts_token finds the token: in a TimeStampResp (which must be granted) or given alone. */
static int cmd_ts_token(struct buf_reader *token, const uint8_t *in, size_t len, struct err *err)
{
        struct tsp_response resp;
        struct err ignored = {0};
        if (tsp_response_parse(&resp, in, len, &ignored) < 0) {
                *token = buf_reader_make(in, len);
                return SMT_OK;
        }
        if (resp.status > TSP_STATUS_GRANTED_WITH_MODS || resp.token.len == 0)
                return SMT_ERR(err, CRYPTO_EVERIFY, "the reply has no token: status %d, failInfo 0x%x, \"%s\"",
                               (int)resp.status, resp.failure_info, resp.status_text);
        *token = resp.token;
        return SMT_OK;
}

static void cmd_ts_print_info(const struct tsp_tst_info *info)
{
        char policy[256] = "?";
        struct err ignored = {0};
        SMT_IGNORE(tsp_oid_text(policy, sizeof policy, info->policy, info->policy_len, &ignored));
        printf("genTime: %s\n", info->gen_time_text);
        cmd_ts_hex_print(stdout, "serial", info->serial, info->serial_len);
        printf("policy: %s\nhash: %s\n", policy, tsp_hash_name(info->imprint.hash));
        cmd_ts_hex_print(stdout, "imprint", info->imprint.digest, info->imprint.digest_len);
        if (info->has_accuracy)
                printf("accuracy: %llds %lldms %lldus\n", (long long)info->accuracy_seconds,
                       (long long)info->accuracy_millis, (long long)info->accuracy_micros);
        if (info->has_nonce)
                cmd_ts_hex_print(stdout, "nonce", info->nonce, info->nonce_len);
}

struct cmd_ts_verify_inputs {
        uint8_t *in, *data;
        size_t in_len, data_len;
        struct cert_store *trust;
        struct cert_chain *untrusted;
};

static int cmd_ts_verify_run(const struct cmd_ts_args *a, struct cmd_ts_verify_inputs *v, struct err *err)
{
        uint8_t digest[TSP_DIGEST_MAX], nonce[TSP_NONCE_MAX];
        size_t digest_len = 0, nonce_len = 0;
        if (a->digest != NULL && cmd_ts_hex_decode(digest, sizeof digest, &digest_len, a->digest) < 0)
                return SMT_ERR(err, SMT_EINVAL, "--digest: expected hex of at most %d bytes", TSP_DIGEST_MAX);
        if (a->nonce != NULL && cmd_ts_hex_decode(nonce, sizeof nonce, &nonce_len, a->nonce) < 0)
                return SMT_ERR(err, SMT_EINVAL, "--nonce: expected hex of at most %d bytes", TSP_NONCE_MAX);
        TRY(cmd_io_read_input(&v->in, &v->in_len, a->in, TSP_RESPONSE_MAX, err));
        if (a->data != NULL)
                TRY(cmd_io_read_input(&v->data, &v->data_len, a->data, CMD_IO_INPUT_MAX, err));
        TRY(cert_store_load(&v->trust, a->ca_file, err));
        if (a->untrusted != NULL)
                TRY(cert_chain_load_pem(&v->untrusted, a->untrusted, err));
        struct buf_reader token = {0};
        TRY(cmd_ts_token(&token, v->in, v->in_len, err));
        struct tsp_verify_params params = {.data = v->data,
                                           .data_len = v->data_len,
                                           .digest = a->digest != NULL ? digest : NULL,
                                           .digest_len = digest_len,
                                           .trust = v->trust,
                                           .certs = v->untrusted,
                                           .nonce = a->nonce != NULL ? nonce : NULL,
                                           .nonce_len = nonce_len};
        struct tsp_verified verified;
        TRY(tsp_token_verify(&verified, token.data, token.len, &params, err));
        printf("Verification: OK\nalgorithm: %s\ntsa: %s\n", verified.is_sm2 ? "SM2" : "ECC/RSA", verified.tsa_subject);
        cmd_ts_print_info(&verified.info);
        return SMT_OK;
}

static int cmd_ts_verify(const struct cmd_ts_args *a)
{
        if (a->in == NULL || a->ca_file == NULL || (a->data == NULL) == (a->digest == NULL))
                return cmd_usage_error("ts", cmd_ts_usage, "verify needs --in, --ca-file and --data or --digest");
        struct cmd_ts_verify_inputs v = {0};
        struct err err = {0};
        int status = cmd_ts_verify_run(a, &v, &err);
        if (v.in != NULL)
                file_free_contents(v.in, v.in_len);
        if (v.data != NULL)
                file_free_contents(v.data, v.data_len);
        cert_store_free(v.trust);
        cert_chain_free(v.untrusted);
        if (status < 0) {
                printf("Verification: FAILED\n");
                return cmd_report(&err, "ts verify");
        }
        return CMD_EXIT_OK;
}

static const char *const cmd_ts_failure_names[32] = {
    [0] = "badAlg",
    [2] = "badRequest",
    [5] = "badDataFormat",
    [14] = "timeNotAvailable",
    [15] = "unacceptedPolicy",
    [16] = "unacceptedExtension",
    [17] = "addInfoNotAvailable",
    [25] = "systemFailure",
};

static int cmd_ts_show_run(const uint8_t *in, size_t len, struct err *err)
{
        static const char *const statuses[] = {"granted", "grantedWithMods",   "rejection",
                                               "waiting", "revocationWarning", "revocationNotification"};
        struct tsp_response resp;
        TRY(tsp_response_parse(&resp, in, len, err));
        printf("status: %s\n", statuses[resp.status]);
        for (int bit = 0; bit < 32; bit++)
                if (resp.failure_info & (1u << bit))
                        printf("failure: %s\n", cmd_ts_failure_names[bit] ? cmd_ts_failure_names[bit] : "unknown");
        if (resp.status_text[0] != '\0')
                printf("text: %s\n", resp.status_text);
        if (resp.token.len == 0)
                return SMT_OK;
        struct buf_reader type, content;
        struct tsp_tst_info info;
        TRY(tsp_token_content(resp.token.data, resp.token.len, &type, &content, err));
        TRY(tsp_tst_info_parse(&info, content.data, content.len, err));
        cmd_ts_print_info(&info);
        return SMT_OK;
}

static int cmd_ts_show(const struct cmd_ts_args *a)
{
        struct err err = {0};
        uint8_t *in = NULL;
        size_t len = 0;
        if (cmd_io_read_input(&in, &len, a->in, TSP_RESPONSE_MAX, &err) < 0)
                return cmd_report(&err, "ts show");
        int status = cmd_ts_show_run(in, len, &err);
        file_free_contents(in, len);
        return status < 0 ? cmd_report(&err, "ts show") : CMD_EXIT_OK;
}

/* cmd_ts_option stores the value of a known option; false for anything else. */
static bool cmd_ts_option(struct cmd_ts_args *a, const char *name, const char *value)
{
        static const struct {
                const char *name;
                size_t offset;
        } options[] = {
            {"--data", offsetof(struct cmd_ts_args, data)},
            {"--digest", offsetof(struct cmd_ts_args, digest)},
            {"--hash", offsetof(struct cmd_ts_args, hash)},
            {"--policy", offsetof(struct cmd_ts_args, policy)},
            {"-o", offsetof(struct cmd_ts_args, out)},
            {"--url", offsetof(struct cmd_ts_args, url)},
            {"--ca-file", offsetof(struct cmd_ts_args, ca_file)},
            {"--in", offsetof(struct cmd_ts_args, in)},
            {"--nonce", offsetof(struct cmd_ts_args, nonce)},
            {"--untrusted", offsetof(struct cmd_ts_args, untrusted)},
        };
        for (size_t i = 0; value != NULL && i < sizeof options / sizeof options[0]; i++)
                if (strcmp(name, options[i].name) == 0) {
                        *(const char **)((char *)a + options[i].offset) = value;
                        return true;
                }
        return false;
}

int cmd_ts_main(int argc, char **argv)
{
        struct cmd_ts_args a = {0};
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                printf("usage: %s\n", cmd_ts_usage);
                return CMD_EXIT_OK;
        }
        if (argc < 2)
                return cmd_usage_error("ts", cmd_ts_usage, "expected query, verify or show");
        for (int i = 2; i < argc; i++) {
                if (strcmp(argv[i], "--no-nonce") == 0)
                        a.no_nonce = true;
                else if (strcmp(argv[i], "--cert") == 0)
                        a.cert_req = true;
                else if (cmd_ts_option(&a, argv[i], i + 1 < argc ? argv[i + 1] : NULL))
                        i++;
                else
                        return cmd_usage_error("ts", cmd_ts_usage, "unexpected argument \"%s\"", argv[i]);
        }
        if (strcmp(argv[1], "query") == 0)
                return cmd_ts_query(&a);
        if (strcmp(argv[1], "verify") == 0)
                return cmd_ts_verify(&a);
        if (strcmp(argv[1], "show") == 0)
                return cmd_ts_show(&a);
        return cmd_usage_error("ts", cmd_ts_usage, "unknown sub-command \"%s\"", argv[1]);
}
