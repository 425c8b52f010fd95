/* src/http/ocsp_client_http.c: the OCSP client's transport over libcurl (RFC 6960 A.1, RFC 5019 5): one
 * bounded, timed, cancellable exchange per call, no redirects, http and https only. */
#include "http/ocsp_client.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

struct http_ocsp_client_transfer {
        struct buf_writer body;
        const atomic_bool *cancel;
        char curl_error[CURL_ERROR_SIZE];
};

/* curl fails the transfer with CURLE_WRITE_ERROR on a short count: the body was too long. */
static size_t http_ocsp_client_on_body(char *data, size_t size, size_t count, void *arg)
{
        struct http_ocsp_client_transfer *transfer = arg;
        return buf_write_bytes(&transfer->body, (const uint8_t *)data, size * count) < 0 ? 0 : size * count;
}

static int http_ocsp_client_on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                                        curl_off_t ulnow)
{
        const struct http_ocsp_client_transfer *transfer = arg;
        (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
        return transfer->cancel != NULL && atomic_load(transfer->cancel) ? 1 : 0;
}

static void http_ocsp_client_setup(CURL *curl, struct http_ocsp_client_transfer *transfer, const char *url,
                                   const struct http_ocsp_client_options *options)
{
        long timeout_ms = options->timeout_ms > 0 ? options->timeout_ms : HTTP_OCSP_CLIENT_TIMEOUT_MS;
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, transfer->curl_error);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
        curl_easy_setopt(curl, CURLOPT_USERAGENT, "smtrust-ocsp");
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, http_ocsp_client_on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, transfer);
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, http_ocsp_client_on_progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, transfer);
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        if (options->ca_file != NULL) {
                curl_easy_setopt(curl, CURLOPT_CAINFO, options->ca_file);
                curl_easy_setopt(curl, CURLOPT_CAPATH, NULL);
        }
}

/* http_ocsp_client_exchange performs one GET (post NULL) or POST and checks the status and, when
 * content_type is not NULL, the media type (parameters after ';' allowed). The body is in transfer->body. */
static int http_ocsp_client_exchange(struct http_ocsp_client_transfer *transfer, const char *url,
                                     const struct buf_reader *post, const char *content_type,
                                     const struct http_ocsp_client_options *options, struct err *err)
{
        CURL *curl = curl_easy_init();
        if (curl == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "curl_easy_init");
        http_ocsp_client_setup(curl, transfer, url, options);
        struct curl_slist *fields = NULL;
        if (post != NULL) {
                fields = curl_slist_append(NULL, "Content-Type: application/ocsp-request");
                curl_easy_setopt(curl, CURLOPT_HTTPHEADER, fields);
                curl_easy_setopt(curl, CURLOPT_POSTFIELDS, (const char *)post->data);
                curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)post->len);
        }
        CURLcode result = curl_easy_perform(curl);
        long code = 0;
        const char *type = NULL;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
        int status = 0;
        if (result == CURLE_WRITE_ERROR)
                status = SMT_ERR(err, SMT_EIO, "%s: the reply is longer than %zu bytes", url, transfer->body.max_len);
        else if (result == CURLE_ABORTED_BY_CALLBACK)
                status = SMT_ERR(err, SMT_EIO, "%s: cancelled", url);
        else if (result != CURLE_OK)
                status = SMT_ERR(err, SMT_EIO, "%s: %s", url,
                                 transfer->curl_error[0] ? transfer->curl_error : curl_easy_strerror(result));
        else if (code != 200)
                status = SMT_ERR(err, SMT_EIO, "%s: HTTP status %ld, expected 200", url, code);
        else if (content_type != NULL &&
                 (type == NULL || strncasecmp(type, content_type, strlen(content_type)) != 0 ||
                  (type[strlen(content_type)] != '\0' && type[strlen(content_type)] != ';')))
                status = SMT_ERR(err, SMT_EIO, "%s: Content-Type \"%s\", expected %s", url, type ? type : "(none)",
                                 content_type);
        curl_slist_free_all(fields);
        curl_easy_cleanup(curl);
        return status;
}

/* RFC 5019 5: GET when the whole URL stays under 255 bytes, so HTTP caches can answer. */
static int http_ocsp_client_pick_url(struct http_ocsp_client_result *out, const char *base,
                                     const struct http_ocsp_client_request *request,
                                     const struct http_ocsp_client_options *options, struct err *err)
{
        out->was_get = false;
        if (options->method != HTTP_OCSP_CLIENT_POST) {
                int status = http_ocsp_client_get_url(out->url, sizeof(out->url), base, request, err);
                if (status == 0 && (options->method == HTTP_OCSP_CLIENT_GET || strlen(out->url) < HTTP_OCSP_CLIENT_GET_MAX)) {
                        out->was_get = true;
                        return 0;
                }
                if (status < 0 && options->method == HTTP_OCSP_CLIENT_GET)
                        return SMT_ERR(err, SMT_EINVAL, "the GET URL for %s would be too long", base);
        }
        if (strlen(base) >= sizeof(out->url))
                return SMT_ERR(err, SMT_EINVAL, "OCSP URL of %zu bytes is too long", strlen(base));
        strcpy(out->url, base);
        return 0;
}

int http_ocsp_client_status(struct http_ocsp_client_result *out, const struct cert *leaf, const struct cert *issuer,
                            const struct http_ocsp_client_options *options, struct err *err)
{
        char aia[CERT_URL_MAX];
        const char *base = options->url;
        struct http_ocsp_client_request request;
        if (base == NULL) {
                TRY(cert_ocsp_url(leaf, aia, sizeof(aia), err));
                base = aia;
        }
        TRY(http_ocsp_client_request_make(&request, leaf, issuer, options->use_nonce, err));
        TRY(http_ocsp_client_pick_url(out, base, &request, options, err));
        struct http_ocsp_client_transfer transfer = {.cancel = options->cancel};
        buf_writer_init_heap(&transfer.body, HTTP_OCSP_CLIENT_RESPONSE_MAX);
        struct buf_reader post = buf_reader_make(request.der, request.der_len);
        int status = http_ocsp_client_exchange(&transfer, out->url, out->was_get ? NULL : &post,
                                               "application/ocsp-response", options, err);
        if (status == 0)
                status = http_ocsp_client_response_check(out, &request, transfer.body.data, transfer.body.len, leaf,
                                                         issuer, options->now,
                                                         options->tolerance > 0 ? options->tolerance
                                                                                : HTTP_OCSP_CLIENT_TOLERANCE,
                                                         err);
        buf_writer_cleanup(&transfer.body);
        return status;
}

int http_ocsp_client_fetch_issuer(struct cert **out, const char *url, const struct http_ocsp_client_options *options,
                                  struct err *err)
{
        struct http_ocsp_client_transfer transfer = {.cancel = options->cancel};
        buf_writer_init_heap(&transfer.body, CERT_FILE_MAX);
        int status = http_ocsp_client_exchange(&transfer, url, NULL, NULL, options, err);
        struct cert_chain *chain = NULL;
        if (status == 0 && cert_parse_der(out, transfer.body.data, transfer.body.len, err) < 0) {
                /* RFC 5280 4.2.2.1 says DER; some servers publish PEM. */
                status = cert_chain_parse_pem(&chain, transfer.body.data, transfer.body.len, err);
                if (status == 0)
                        status = cert_dup(out, cert_chain_get(chain, 0), err);
                if (status < 0)
                        status = SMT_ERR(err, CRYPTO_ECERT, "%s: the body is neither a DER nor a PEM certificate", url);
        }
        cert_chain_free(chain);
        buf_writer_cleanup(&transfer.body);
        return status;
}
