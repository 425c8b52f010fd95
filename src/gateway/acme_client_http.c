/* src/gateway/acme_client_http.c: the ACME client's transport: one CURL handle, HTTPS only, a timeout on every
 * request, the headers ACME uses (Replay-Nonce, Location, Retry-After, Content-Type), JWS POSTs with the
 * nonce discipline of RFC 8555 6.5, and problem documents (RFC 8555 6.7) turned into GW_EACME. */
#include "gateway/acme_client_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void gw_acme_response_init(struct gw_acme_response *response)
{
        memset(response, 0, sizeof(*response));
        buf_writer_init_heap(&response->body, GW_ACME_BODY_MAX);
        response->retry_after_s = -1;
}

void gw_acme_response_cleanup(struct gw_acme_response *response)
{
        buf_writer_cleanup(&response->body);
}

static size_t gw_acme_on_body(char *data, size_t size, size_t count, void *context)
{
        struct gw_acme_response *response = context;
        /* A short count makes curl fail the transfer with CURLE_WRITE_ERROR: the body was too long. */
        if (buf_write_bytes(&response->body, (const uint8_t *)data, size * count) < 0)
                return 0;
        return size * count;
}

static void gw_acme_header_value(char *out, size_t cap, const char *value, size_t len)
{
        while (len > 0 && (*value == ' ' || *value == '\t'))
                value++, len--;
        while (len > 0 && (value[len - 1] == '\r' || value[len - 1] == '\n' || value[len - 1] == ' '))
                len--;
        if (len >= cap)
                len = 0; /* an over-long value is dropped, never cut: a cut URL or nonce is wrong */
        memcpy(out, value, len);
        out[len] = '\0';
}

/* RFC 9110 10.2.3: Retry-After is delay-seconds or an HTTP-date. */
static int gw_acme_retry_after(const char *value, size_t len)
{
        char text[128];
        gw_acme_header_value(text, sizeof(text), value, len);
        char *end = NULL;
        errno = 0;
        long seconds = strtol(text, &end, 10);
        if (end != text && *end == '\0' && errno == 0)
                return seconds < 0 ? 0 : (seconds > 86400 ? 86400 : (int)seconds);
        time_t when = curl_getdate(text, NULL);
        if (when < 0)
                return -1;
        time_t now = time(NULL);
        return when <= now ? 0 : (when - now > 86400 ? 86400 : (int)(when - now));
}

static size_t gw_acme_on_header(char *data, size_t size, size_t count, void *context)
{
        struct gw_acme_response *response = context;
        size_t len = size * count;
        const char *colon = memchr(data, ':', len);
        if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) { /* a new response (after a 100): forget the last */
                response->location[0] = response->nonce[0] = response->content_type[0] = '\0';
                response->retry_after_s = -1;
                return len;
        }
        if (!colon)
                return len;
        size_t name_len = (size_t)(colon - data);
        const char *value = colon + 1;
        size_t value_len = len - name_len - 1;
        if (name_len == 12 && strncasecmp(data, "Replay-Nonce", 12) == 0)
                gw_acme_header_value(response->nonce, sizeof(response->nonce), value, value_len);
        else if (name_len == 8 && strncasecmp(data, "Location", 8) == 0)
                gw_acme_header_value(response->location, sizeof(response->location), value, value_len);
        else if (name_len == 12 && strncasecmp(data, "Content-Type", 12) == 0)
                gw_acme_header_value(response->content_type, sizeof(response->content_type), value, value_len);
        else if (name_len == 11 && strncasecmp(data, "Retry-After", 11) == 0)
                response->retry_after_s = gw_acme_retry_after(value, value_len);
        return len;
}

static bool gw_acme_cancelled(const struct gw_acme_client *client)
{
        return client->cancel != NULL && atomic_load(client->cancel);
}

/* curl calls this often during a transfer; non-zero aborts it (CURLE_ABORTED_BY_CALLBACK). */
static int gw_acme_on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
        (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
        return gw_acme_cancelled(arg) ? 1 : 0;
}

static void gw_acme_http_setup(struct gw_acme_client *client, struct gw_acme_response *response,
                               struct curl_slist *fields)
{
        CURL *curl = client->curl;
        curl_easy_reset(curl);
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, client->curl_error);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)client->timeout_ms);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)client->timeout_ms);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
        if (client->ca_file) {
                /* Only the named roots: no CA directory (CAPATH) may widen trust beyond the file. */
                curl_easy_setopt(curl, CURLOPT_CAINFO, client->ca_file);
                curl_easy_setopt(curl, CURLOPT_CAPATH, NULL);
        }
        curl_easy_setopt(curl, CURLOPT_USERAGENT, "smtrust-acme"); /* RFC 8555 6.1: clients send one */
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, fields);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, gw_acme_on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, response);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, gw_acme_on_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, response);
        if (client->cancel != NULL) {
                curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
                curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, gw_acme_on_progress);
                curl_easy_setopt(curl, CURLOPT_XFERINFODATA, client);
        }
}

static int gw_acme_transport_error(struct gw_acme_client *client, CURLcode code, const char *method, const char *url,
                                   struct err *err)
{
        const char *reason = client->curl_error[0] ? client->curl_error : curl_easy_strerror(code);
        bool is_tls = code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE ||
                      code == CURLE_SSL_CONNECT_ERROR || code == CURLE_SSL_CERTPROBLEM;
        if (is_tls && client->ca_file)
                return SMT_ERR(err, SMT_EIO, "%s %s: the server's certificate is not trusted by %s: %s", method, url,
                               client->ca_file, reason);
        return SMT_ERR(err, SMT_EIO, "%s %s: %s", method, url, reason);
}

int gw_acme_http_request(struct gw_acme_client *client, const char *method, const char *url, const uint8_t *body,
                         size_t body_len, struct gw_acme_response *response, struct err *err)
{
        struct curl_slist *fields = NULL;
        if (body)
                fields = curl_slist_append(fields, "Content-Type: application/jose+json");
        if (body && !fields)
                return SMT_ERR(err, SMT_ENOMEM, "%s %s: out of memory", method, url);
        buf_writer_truncate(&response->body, 0);
        gw_acme_http_setup(client, response, fields);
        curl_easy_setopt(client->curl, CURLOPT_URL, url);
        if (strcmp(method, "HEAD") == 0)
                curl_easy_setopt(client->curl, CURLOPT_NOBODY, 1L);
        if (body) {
                curl_easy_setopt(client->curl, CURLOPT_POST, 1L);
                curl_easy_setopt(client->curl, CURLOPT_POSTFIELDS, (const char *)body);
                curl_easy_setopt(client->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        }
        client->curl_error[0] = '\0';
        CURLcode code = curl_easy_perform(client->curl);
        curl_easy_setopt(client->curl, CURLOPT_HTTPHEADER, NULL);
        curl_slist_free_all(fields);
        if (code != CURLE_OK)
                return gw_acme_transport_error(client, code, method, url, err);
        curl_easy_getinfo(client->curl, CURLINFO_RESPONSE_CODE, &response->status);
        if (response->nonce[0])
                memcpy(client->nonce, response->nonce, sizeof(client->nonce));
        return 0;
}

int gw_acme_check(struct gw_acme_client *client, const struct gw_acme_response *response, const char *what,
                  struct err *err)
{
        if (response->status >= 200 && response->status < 300)
                return 0;
        struct gw_acme_problem *problem = &client->problem;
        struct err ignored = {0};
        memset(problem, 0, sizeof(*problem));
        problem->http_status = (int)response->status;
        int parsed =
            gw_acme_problem_parse(problem, response->body.data, response->body.len, (int)response->status, &ignored);
        if (parsed < 0 || !problem->type[0])
                return SMT_ERR(err, GW_EACME, "%s: the server answered HTTP %ld", what, response->status);
        const char *type = problem->type;
        if (strncmp(type, "urn:ietf:params:acme:error:", 27) == 0)
                type += 27;
        return SMT_ERR(err, GW_EACME, "%s: %s: %s (HTTP %ld)", what, type, problem->detail, response->status);
}

static int gw_acme_fetch_nonce(struct gw_acme_client *client, struct err *err)
{
        struct gw_acme_response response;
        gw_acme_response_init(&response);
        client->nonce[0] = '\0';
        int status = gw_acme_http_request(client, "HEAD", client->new_nonce_url, NULL, 0, &response, err);
        if (status == 0 && !client->nonce[0])
                status = SMT_ERR(err, GW_EACME, "newNonce %s: no Replay-Nonce in the answer (HTTP %ld)",
                                 client->new_nonce_url, response.status);
        gw_acme_response_cleanup(&response);
        return status;
}

static int gw_acme_sign(struct gw_acme_client *client, const char *url, const char *payload, bool use_jwk,
                        struct buf_writer *jws, struct err *err)
{
        if (!client->nonce[0])
                TRY(gw_acme_fetch_nonce(client, err));
        char nonce[GW_ACME_NONCE_MAX];
        memcpy(nonce, client->nonce, sizeof(nonce));
        client->nonce[0] = '\0'; /* a nonce is good once */
        buf_writer_truncate(jws, 0);
        return jose_jws_sign(client->account_key, use_jwk ? NULL : client->account_url, nonce, url,
                             (const uint8_t *)payload, payload ? strlen(payload) : 0, jws, err);
}

/* Sleeps ms in slices short enough that a cancel is noticed soon. */
static void gw_acme_sleep_ms(const struct gw_acme_client *client, long ms)
{
        while (ms > 0 && !gw_acme_cancelled(client)) {
                long slice = ms < 100 ? ms : 100;
                struct timespec pause = {.tv_sec = 0, .tv_nsec = slice * 1000000L};
                while (nanosleep(&pause, &pause) != 0 && errno == EINTR)
                        ;
                ms -= slice;
        }
}

/* Whether a failed POST is worth one more try, after how long. */
static bool gw_acme_should_retry(const struct gw_acme_client *client, const struct gw_acme_response *response,
                                 int status, long *pause_ms)
{
        *pause_ms = 0;
        if (status != GW_EACME)
                return false;
        /* RFC 8555 6.5: a badNonce answer carries a fresh nonce; retry with it at once. */
        if (gw_acme_problem_is(&client->problem, "badNonce"))
                return true;
        /* RFC 8555 6.6: a rate limit or a busy server says when to come back; wait when that is soon enough. */
        bool is_busy = response->status == 503 || gw_acme_problem_is(&client->problem, "rateLimited");
        if (!is_busy || response->retry_after_s < 0 || response->retry_after_s > client->retry_after_max_s)
                return false;
        *pause_ms = 1000L * response->retry_after_s;
        return true;
}

int gw_acme_post(struct gw_acme_client *client, const char *url, const json_t *payload, bool use_jwk, const char *what,
                 struct gw_acme_response *response, struct err *err)
{
        if (!client->account_key || (!use_jwk && !client->account_url[0]))
                return SMT_ERR(err, SMT_EINVAL, "%s: no account yet (call gw_acme_client_account first)", what);
        char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
        if (payload && !text)
                return SMT_ERR(err, SMT_ENOMEM, "%s: out of memory", what);
        struct buf_writer jws;
        buf_writer_init_heap(&jws, GW_ACME_BODY_MAX);
        int status = 0;
        for (int attempt = 0; attempt < 2; attempt++) {
                status = gw_acme_sign(client, url, text, use_jwk, &jws, err);
                if (status == 0)
                        status = gw_acme_http_request(client, "POST", url, jws.data, jws.len, response, err);
                if (status == 0)
                        status = gw_acme_check(client, response, what, err);
                long pause_ms;
                if (attempt == 1 || !gw_acme_should_retry(client, response, status, &pause_ms))
                        break;
                gw_acme_sleep_ms(client, pause_ms);
        }
        buf_writer_cleanup(&jws);
        free(text);
        return status;
}

int gw_acme_response_json(const struct gw_acme_response *response, const char *what, json_t **out, struct err *err)
{
        json_error_t error;
        json_t *value = json_loadb((const char *)response->body.data, response->body.len, 0, &error);
        if (!json_is_object(value)) {
                json_decref(value);
                return SMT_ERR(err, SMT_EDECODE, "%s: the answer is not a JSON object", what);
        }
        *out = value;
        return 0;
}

int gw_acme_copy_url(char out[GW_ACME_URL_MAX], const json_t *object, const char *member, const char *what,
                     struct err *err)
{
        const char *value = json_string_value(json_object_get(object, member));
        if (!value || strlen(value) >= GW_ACME_URL_MAX)
                return SMT_ERR(err, SMT_EDECODE, "%s: \"%s\" is missing or not a usable URL", what, member);
        memcpy(out, value, strlen(value) + 1);
        return 0;
}

int gw_acme_wait(const struct gw_acme_client *client, const struct gw_acme_response *response, time_t deadline,
                 const char *what, struct err *err)
{
        long ms = GW_ACME_POLL_MS;
        if (response->retry_after_s >= 0)
                ms = 1000L * (response->retry_after_s < client->retry_after_max_s ? response->retry_after_s
                                                                                  : client->retry_after_max_s);
        if (ms < 100)
                ms = 100;
        if (time(NULL) + (ms + 999) / 1000 > deadline)
                return SMT_ERR(err, SMT_EIO, "%s: still not done at the deadline", what);
        gw_acme_sleep_ms(client, ms);
        return gw_acme_cancelled(client) ? SMT_ERR(err, SMT_EIO, "%s: stopped", what) : 0;
}

int gw_acme_time_parse(const char *text, time_t *out, struct err *err)
{
        struct tm tm = {0};
        const char *rest = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
        if (rest && *rest == '.') {
                rest++;
                while (isdigit((unsigned char)*rest))
                        rest++;
        }
        if (!rest || (strcmp(rest, "Z") != 0 && strcmp(rest, "z") != 0 && strcmp(rest, "+00:00") != 0))
                return SMT_ERR(err, SMT_EDECODE, "\"%s\" is not an RFC 3339 UTC time", text);
        *out = timegm(&tm);
        return 0;
}
