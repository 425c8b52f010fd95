/* src/ca/ocsp_responder_http.c: OCSP over HTTP (RFC 6960 A.1, RFC 5019 5 and 6): POST with the DER
 * request as body, GET with its URL-encoded base64 in the path; kept answers fetched by GET carry the
 * caching fields of RFC 5019 6.2 so HTTP caches and CDNs can serve them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca/ocsp_responder_internal.h"

#define CA_OCSP_PREFIX     "/ocsp/"
#define CA_OCSP_PREFIX_LEN 6

static void ca_ocsp_http_text(struct http_server_response *response, int status, const char *text)
{
        response->status = status;
        SMT_IGNORE(http_server_response_add_field(response, "Content-Type", "text/plain; charset=utf-8"));
        SMT_IGNORE(buf_write_bytes(&response->body, (const uint8_t *)text, strlen(text)));
}

/* The request inside a GET path: after "/ocsp/<ca name>/" (the AIA URL plus '/'), or after "/ocsp/" for
 * clients configured with the bare responder URL. The CA name itself decides nothing: the CertID does. */
static const char *ca_ocsp_http_get_request(struct ca_ocsp *ocsp, const char *path)
{
        const char *rest = path + CA_OCSP_PREFIX_LEN;
        const char *slash = strchr(rest, '/');
        if (slash == NULL || (size_t)(slash - rest) >= STORE_PROFILE_MAX)
                return rest;
        char name[STORE_PROFILE_MAX];
        memcpy(name, rest, (size_t)(slash - rest));
        name[slash - rest] = '\0';
        return ca_authorities_find(ocsp->authorities, name) != NULL ? slash + 1 : rest;
}

/* RFC 5019 6.2: max-age until the answer is signed anew (half its validity; a revocation may bring a new
 * one sooner), never past nextUpdate; Last-Modified thisUpdate, Expires nextUpdate, an ETag per signature. */
static void ca_ocsp_http_caching(struct http_server_response *response, const struct ca_ocsp *ocsp,
                                 int64_t this_update, int64_t next_update, const char *etag)
{
        int64_t now = (int64_t)time(NULL);
        int64_t until = this_update + ocsp->config->revocation.ocsp_validity / 2000;
        if (until > next_update)
                until = next_update;
        char last_modified[HTTP_SERVER_DATE_LEN], expires[HTTP_SERVER_DATE_LEN];
        http_server_date(last_modified, this_update);
        http_server_date(expires, next_update);
        SMT_IGNORE(http_server_response_add_field(response, "Cache-Control",
                                                  "max-age=%lld, public, no-transform, must-revalidate",
                                                  (long long)(until > now ? until - now : 0)));
        SMT_IGNORE(http_server_response_add_field(response, "Last-Modified", "%s", last_modified));
        SMT_IGNORE(http_server_response_add_field(response, "Expires", "%s", expires));
        if (etag[0] != '\0')
                SMT_IGNORE(http_server_response_add_field(response, "ETag", "%s", etag));
}

/* The ETag of a kept answer is not known without a second lookup, so it is derived from what the answer
 * is: thisUpdate changes with every signature of it. */
static void ca_ocsp_http_etag(char out[40], const uint8_t *der, size_t len, int64_t this_update)
{
        uint64_t h = 1469598103934665603ULL;
        for (size_t i = 0; i < len; i++)
                h = (h ^ der[i]) * 1099511628211ULL;
        snprintf(out, 40, "\"%llx-%llx\"", (unsigned long long)this_update, (unsigned long long)h);
}

void ca_ocsp_handle(struct ca_ocsp *ocsp, const struct http_server_request *request,
                    struct http_server_response *response)
{
        bool is_get = strcmp(request->method, "GET") == 0 || strcmp(request->method, "HEAD") == 0;
        if (!is_get && strcmp(request->method, "POST") != 0) {
                ca_ocsp_http_text(response, 405, "OCSP takes GET or POST (RFC 6960 A.1)\n");
                SMT_IGNORE(http_server_response_add_field(response, "Allow", "GET, HEAD, POST"));
                return;
        }
        if (ocsp == NULL) {
                ca_ocsp_http_text(response, 503, "OCSP responder not running\n");
                return;
        }
        int64_t this_update = 0, next_update = 0;
        struct err err = {0};
        int status;
        if (is_get) {
                const char *encoded = ca_ocsp_http_get_request(ocsp, request->path);
                status = ca_ocsp_answer_get(ocsp, encoded, strlen(encoded), &response->body, &this_update,
                                            &next_update, &err);
        } else {
                status = ca_ocsp_answer(ocsp, request->body, request->body_len, &response->body, &this_update,
                                        &next_update, &err);
        }
        if (status < 0) {
                response->body.len = 0;
                ca_ocsp_http_text(response, 500, "out of memory\n");
                return;
        }
        response->status = 200;
        SMT_IGNORE(http_server_response_add_field(response, "Content-Type", "application/ocsp-response"));
        if (!is_get)
                return;
        if (next_update == 0) { /* signed for this request, or an error: nothing for a cache to keep */
                SMT_IGNORE(http_server_response_add_field(response, "Cache-Control", "no-store"));
                return;
        }
        char etag[40];
        ca_ocsp_http_etag(etag, response->body.data, response->body.len, this_update);
        ca_ocsp_http_caching(response, ocsp, this_update, next_update, etag);
        const char *if_none_match = http_server_request_field(request, "If-None-Match");
        if (if_none_match != NULL && strstr(if_none_match, etag) != NULL) {
                response->status = 304;
                response->body.len = 0;
        }
}
