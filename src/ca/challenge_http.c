/* src/ca/challenge_http.c: http-01 (RFC 8555 8.3; RFC 8738 for IP addresses): a minimal HTTP/1.1 GET,
 * one request per connection, at most 64 KiB of response read, heads and bodies judged by the strict
 * parser of src/http/parser.h; up to 10 redirects to http or https URLs. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ca/challenge_internal.h"
#include "http/parser.h"

#define CA_CHALLENGE_HTTP_RESPONSE_MAX  (64 * 1024)
#define CA_CHALLENGE_HTTP_REDIRECTS_MAX 10
#define CA_CHALLENGE_HTTP_PATH_MAX      1024

struct ca_challenge_url {
        bool is_https;
        bool has_port; /* named in the URL: then the Host field names it too */
        char host[NET_ADDRESS_HOST_MAX];
        uint16_t port;
        char path[CA_CHALLENGE_HTTP_PATH_MAX]; /* path and query, no fragment */
        char text[CA_CHALLENGE_HTTP_PATH_MAX + NET_ADDRESS_TEXT_MAX + 16];
};

struct ca_challenge_http_response {
        uint8_t raw[CA_CHALLENGE_HTTP_RESPONSE_MAX];
        size_t raw_len;
        size_t decoded; /* raw bytes the body decoder consumed */
        bool has_head;
        int status;
        char location[CA_CHALLENGE_HTTP_PATH_MAX + NET_ADDRESS_TEXT_MAX];
        uint8_t body[CA_CHALLENGE_HTTP_RESPONSE_MAX];
        size_t body_len;
        struct http_parser parser;
        struct http_parser_body body_parser;
        struct http_head head;
};

static void ca_challenge_url_format(struct ca_challenge_url *url)
{
        struct net_address address = {.port = url->port};
        char authority[NET_ADDRESS_TEXT_MAX];
        snprintf(address.host, sizeof address.host, "%s", url->host);
        net_address_format(authority, &address);
        snprintf(url->text, sizeof url->text, "%s://%s%s", url->is_https ? "https" : "http", authority, url->path);
}

/* The path goes into our request line as it is, so it must be VCHARs only (RFC 9112 3.2). */
static int ca_challenge_url_set_path(struct ca_challenge_url *url, const char *prefix, const char *path, size_t len,
                                     struct err *err)
{
        for (size_t i = 0; i < len; i++) {
                if (path[i] <= 0x20 || path[i] >= 0x7f)
                        return SMT_ERR(err, SMT_EDECODE, "byte 0x%02x in the path", (unsigned)(uint8_t)path[i]);
        }
        const char *fragment = memchr(path, '#', len);
        if (fragment != NULL)
                len = (size_t)(fragment - path);
        int written = snprintf(url->path, sizeof url->path, "%s%.*s", prefix, (int)len, path);
        if (written < 0 || (size_t)written >= sizeof url->path)
                return SMT_ERR(err, SMT_EDECODE, "a path over %zu bytes", sizeof url->path - 1);
        if (url->path[0] == 0)
                snprintf(url->path, sizeof url->path, "/");
        return SMT_OK;
}

static int ca_challenge_url_parse_absolute(struct ca_challenge_url *url, const char *text, uint16_t http_port,
                                           struct err *err)
{
        size_t scheme_len = strncasecmp(text, "https://", 8) == 0 ? 8 : strncasecmp(text, "http://", 7) == 0 ? 7 : 0;
        if (scheme_len == 0)
                return SMT_ERR(err, SMT_EDECODE, "not an http or https URL");
        url->is_https = scheme_len == 8;
        const char *authority = text + scheme_len;
        size_t authority_len = strcspn(authority, "/?#");
        char authority_text[NET_ADDRESS_TEXT_MAX];
        if (authority_len == 0 || authority_len >= sizeof authority_text || memchr(authority, '@', authority_len))
                return SMT_ERR(err, SMT_EDECODE, "the host part is empty, too long or has user information");
        memcpy(authority_text, authority, authority_len);
        authority_text[authority_len] = 0;
        struct net_address address;
        TRY(net_address_parse(&address, authority_text, url->is_https ? 443 : http_port, err));
        TRY(ca_challenge_check_domain(address.host, err));
        snprintf(url->host, sizeof url->host, "%s", address.host);
        url->port = address.port;
        struct net_address with_port;
        struct err ignored = {0};
        url->has_port = net_address_parse(&with_port, authority_text, 0, &ignored) == 0;
        const char *path = authority + authority_len;
        return ca_challenge_url_set_path(url, path[0] == '/' ? "" : "/", path, strlen(path), err);
}

/* RFC 3986 5.2: an absolute URL, a network-path ("//host/..."), an absolute path or a path relative to the
 * current one's folder (without dot-segment removal: a CA has no reason to be clever here). */
static int ca_challenge_url_resolve(struct ca_challenge_url *url, const char *location, uint16_t http_port,
                                    struct err *err)
{
        if (strncmp(location, "//", 2) == 0) {
                char absolute[sizeof url->text];
                snprintf(absolute, sizeof absolute, "%s:%s", url->is_https ? "https" : "http", location);
                TRY(ca_challenge_url_parse_absolute(url, absolute, http_port, err));
        } else if (strstr(location, "://") != NULL) {
                TRY(ca_challenge_url_parse_absolute(url, location, http_port, err));
        } else if (location[0] == '/') {
                TRY(ca_challenge_url_set_path(url, "", location, strlen(location), err));
        } else {
                char folder[CA_CHALLENGE_HTTP_PATH_MAX];
                size_t folder_len = (size_t)(strrchr(url->path, '/') - url->path) + 1;
                snprintf(folder, sizeof folder, "%.*s", (int)folder_len, url->path);
                TRY(ca_challenge_url_set_path(url, folder, location, strlen(location), err));
        }
        ca_challenge_url_format(url);
        return SMT_OK;
}

static int ca_challenge_http_send(struct ca_challenge_run *run, struct ca_challenge_stream *stream,
                                  const struct ca_challenge_url *url, struct err *err)
{
        struct net_address address = {.port = url->port};
        char host[NET_ADDRESS_TEXT_MAX], request[CA_CHALLENGE_HTTP_PATH_MAX + NET_ADDRESS_TEXT_MAX + 128];
        snprintf(address.host, sizeof address.host, "%s", url->host);
        net_address_format(host, &address);
        if (!url->has_port && strchr(url->host, ':') != NULL)
                snprintf(host, sizeof host, "[%s]", url->host);
        else if (!url->has_port)
                snprintf(host, sizeof host, "%s", url->host);
        int len = snprintf(request, sizeof request,
                           "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: smtrust-ca (ACME validation)\r\n"
                           "Accept: */*\r\nConnection: close\r\n\r\n",
                           url->path, host);
        return ca_challenge_stream_write(run, stream, (const uint8_t *)request, (size_t)len, err);
}

/* The head, once whole: keep the status and Location, set up the body decoder. */
static int ca_challenge_http_head(struct ca_challenge_run *run, struct ca_challenge_http_response *response,
                                  struct err *err)
{
        int status = http_parser_parse(&response->parser, &response->head, response->raw, response->raw_len, err);
        if (status == SMT_EAGAIN)
                return SMT_OK;
        if (status < 0)
                return ca_challenge_fail(run, err, CA_PROBLEM_CONNECTION, "malformed response: %s", err->msg);
        if (response->head.status < 200)
                return ca_challenge_fail(run, err, CA_PROBLEM_CONNECTION, "unexpected interim response %d",
                                         response->head.status);
        response->has_head = true;
        response->status = response->head.status;
        response->decoded = response->head.head_len;
        const struct http_field *location = http_parser_lookup_field(&response->head, "Location");
        if (location != NULL && location->value.len < sizeof response->location)
                snprintf(response->location, sizeof response->location, "%.*s", (int)location->value.len,
                         (const char *)location->value.data);
        TRY(http_parser_body_init(&response->body_parser, response->head.framing, response->head.content_length, NULL,
                                  err));
        return SMT_OK;
}

/* Feed the body decoder what arrived; the decoded body cannot outgrow raw, which is as large. */
static int ca_challenge_http_body(struct ca_challenge_run *run, struct ca_challenge_http_response *response,
                                  struct err *err)
{
        while (!http_parser_body_is_done(&response->body_parser) && response->decoded < response->raw_len) {
                struct http_body_part part;
                size_t consumed = 0;
                int status =
                    http_parser_body_decode(&response->body_parser, &part, &consumed, response->raw + response->decoded,
                                            response->raw_len - response->decoded, err);
                if (status == SMT_EAGAIN)
                        return SMT_OK;
                if (status < 0)
                        return ca_challenge_fail(run, err, CA_PROBLEM_CONNECTION, "malformed body: %s", err->msg);
                if (part.data.len > 0)
                        memcpy(response->body + response->body_len, part.data.data, part.data.len);
                response->body_len += part.data.len;
                response->decoded += consumed;
        }
        return SMT_OK;
}

static int ca_challenge_http_receive(struct ca_challenge_run *run, struct ca_challenge_stream *stream,
                                     struct ca_challenge_http_response *response, struct err *err)
{
        static const uint8_t get[] = "GET";
        TRY(http_parser_init_response(&response->parser, NULL, buf_reader_make(get, 3), err));
        while (!response->has_head || !http_parser_body_is_done(&response->body_parser)) {
                if (response->raw_len == sizeof response->raw)
                        return ca_challenge_fail(run, err, CA_PROBLEM_UNAUTHORIZED, "the response exceeds %zu bytes",
                                                 sizeof response->raw);
                size_t got;
                TRY(ca_challenge_stream_read(run, stream, response->raw + response->raw_len,
                                             sizeof response->raw - response->raw_len, &got, err));
                if (got == 0 && !response->has_head)
                        return ca_challenge_fail(run, err, CA_PROBLEM_CONNECTION,
                                                 "the connection closed after %zu bytes, before a whole response head",
                                                 response->raw_len);
                if (got == 0 && http_parser_body_finish(&response->body_parser, err) < 0)
                        return ca_challenge_fail(run, err, CA_PROBLEM_CONNECTION, "the connection closed early: %s",
                                                 err->msg);
                if (got == 0)
                        return SMT_OK;
                response->raw_len += got;
                if (!response->has_head)
                        TRY(ca_challenge_http_head(run, response, err));
                if (response->has_head)
                        TRY(ca_challenge_http_body(run, response, err));
        }
        return SMT_OK;
}

static int ca_challenge_http_get(struct ca_challenge_run *run, const struct ca_challenge_url *url,
                                 struct ca_challenge_http_response *response, struct err *err)
{
        struct ca_challenge_stream stream = {.fd = -1};
        memset(response, 0, offsetof(struct ca_challenge_http_response, body));
        response->body_len = 0;
        int status = ca_challenge_stream_connect(run, &stream, url->host, url->port, err);
        if (status == 0 && url->is_https)
                status = ca_challenge_stream_start_tls(
                    run, &stream, net_address_is_ip_literal(url->host) ? NULL : url->host, NULL, 0, err);
        if (status == 0)
                status = ca_challenge_http_send(run, &stream, url, err);
        if (status == 0)
                status = ca_challenge_http_receive(run, &stream, response, err);
        ca_challenge_stream_close(&stream);
        return status;
}

static bool ca_challenge_http_is_redirect(int status)
{
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

static int ca_challenge_http_judge(struct ca_challenge_run *run, const struct ca_challenge_http_response *response,
                                   const char *key_authorization, struct err *err)
{
        char quoted[320];
        ca_challenge_quote(quoted, sizeof quoted, response->body, response->body_len);
        if (response->status != 200)
                return ca_challenge_fail(run, err, CA_PROBLEM_UNAUTHORIZED, "got %d, expected 200; body was %s",
                                         response->status, quoted);
        /* RFC 8555 8.3: the server strips trailing whitespace before comparing. */
        size_t len = response->body_len;
        while (len > 0 && strchr(" \t\r\n", response->body[len - 1]) != NULL)
                len--;
        if (len == strlen(key_authorization) && memcmp(response->body, key_authorization, len) == 0)
                return SMT_OK;
        return ca_challenge_fail(run, err, CA_PROBLEM_INCORRECT_RESPONSE,
                                 "body was %s (first 64 bytes), expected the key authorization \"%s\"", quoted,
                                 key_authorization);
}

/* Follows redirects: each response either ends the validation or names the next URL. */
static int ca_challenge_http_follow(struct ca_challenge_run *run, struct ca_challenge_url *url,
                                    struct ca_challenge_http_response *response, const char *key_authorization,
                                    struct err *err)
{
        for (int redirects = 0;; redirects++) {
                int status = ca_challenge_http_get(run, url, response, err);
                if (status == 0 && !ca_challenge_http_is_redirect(response->status))
                        status = ca_challenge_http_judge(run, response, key_authorization, err);
                else if (status == 0 && redirects == CA_CHALLENGE_HTTP_REDIRECTS_MAX)
                        status = ca_challenge_fail(run, err, CA_PROBLEM_CONNECTION, "got %d: more than %d redirects",
                                                   response->status, CA_CHALLENGE_HTTP_REDIRECTS_MAX);
                else if (status == 0 && response->location[0] == 0)
                        status = ca_challenge_fail(run, err, CA_PROBLEM_CONNECTION,
                                                   "got %d without a Location of at most %zu bytes", response->status,
                                                   sizeof response->location - 1);
                else if (status == 0 &&
                         ca_challenge_url_resolve(url, response->location, run->config.http_port, err) < 0)
                        status = ca_challenge_fail(run, err, CA_PROBLEM_CONNECTION, "got %d to \"%.200s\": %s",
                                                   response->status, response->location, err->msg);
                else if (status == 0)
                        continue;
                if (status == CA_EVALIDATION && redirects > 0)
                        ca_challenge_prefix(run, err, "GET %s (redirect %d)", url->text, redirects);
                else if (status == CA_EVALIDATION)
                        ca_challenge_prefix(run, err, "GET %s", url->text);
                return status;
        }
}

int ca_challenge_http01(const struct ca_challenge_config *config, const char *domain, const char *token,
                        const char *key_authorization, struct ca_challenge_result *result, struct err *err)
{
        struct ca_challenge_run run;
        ca_challenge_run_init(&run, config, result);
        TRY(ca_challenge_check_domain(domain, err));
        if (token == NULL || key_authorization == NULL)
                return SMT_ERR(err, SMT_EINVAL, "http-01: no token or key authorization given");
        /* RFC 8555 8.3: the token is base64url, so it cannot leave the challenge folder. */
        if (token[0] == 0 ||
            strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(token))
                return SMT_ERR(err, SMT_EINVAL, "http-01: token \"%.64s\" is not base64url", token);
        struct ca_challenge_url url = {.port = run.config.http_port};
        snprintf(url.host, sizeof url.host, "%s", domain);
        if (ca_challenge_url_set_path(&url, "/.well-known/acme-challenge/", token, strlen(token), err) < 0)
                return SMT_ERR(err, SMT_EINVAL, "http-01: token: %s", err->msg);
        ca_challenge_url_format(&url);
        struct ca_challenge_http_response *response = malloc(sizeof *response);
        if (response == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "http-01: no memory for a response");
        int status = ca_challenge_http_follow(&run, &url, response, key_authorization, err);
        if (status == 0)
                err_clear(err); /* what a failed attempt on the way left there */
        if (status == CA_EVALIDATION)
                ca_challenge_prefix(&run, err, "http-01");
        free(response);
        return status;
}
