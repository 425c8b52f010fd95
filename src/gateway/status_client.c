/* src/gateway/status_client.c: GET /certificates from a running gateway's admin listener (plain HTTP, one
 * blocking libcurl request). The table is in status_client_table.c. */
#include "gateway/status_client.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "gateway/admin.h"
#include "gateway/config.h"

#define GW_STATUS_CLIENT_TIMEOUT_S 10
#define GW_STATUS_CLIENT_URL_MAX   (NET_ADDRESS_TEXT_MAX + 32)

int gw_status_client_url(char *out, size_t cap, const char *listen, struct err *err)
{
        struct net_address address;
        TRY(gw_config_listen_address(&address, listen, err));
        if (address.port == 0)
                return SMT_ERR(err, SMT_ECONFIG, "admin.listen \"%s\": port 0 is not an address to connect to", listen);
        /* A wildcard listener answers on loopback too (of its family: "::" is v6, the rest v4 or both). */
        if (address.host[0] == '\0' || strcmp(address.host, "0.0.0.0") == 0)
                snprintf(address.host, sizeof address.host, "127.0.0.1");
        else if (strcmp(address.host, "::") == 0)
                snprintf(address.host, sizeof address.host, "::1");
        char authority[NET_ADDRESS_TEXT_MAX];
        net_address_format(authority, &address);
        int n = snprintf(out, cap, "http://%s/certificates", authority);
        if (n < 0 || (size_t)n >= cap)
                return SMT_ERR(err, SMT_ENOSPACE, "admin URL for \"%s\": %d characters exceed %zu", listen, n, cap);
        return SMT_OK;
}

static size_t gw_status_client_on_body(char *data, size_t size, size_t count, void *context)
{
        /* A short count makes curl fail the transfer (CURLE_WRITE_ERROR): the body did not fit. */
        return buf_write_bytes(context, (const uint8_t *)data, size * count) < 0 ? 0 : size * count;
}

/* One GET of url into body; the HTTP status in *http_status. */
static int gw_status_client_request(struct buf_writer *body, long *http_status, const char *url, struct err *err)
{
        CURL *curl = curl_easy_init();
        if (curl == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "GET %s: curl_easy_init failed", url);
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
        curl_easy_setopt(curl, CURLOPT_NOPROXY, "*"); /* the admin listener is local: never through a proxy */
        curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)GW_STATUS_CLIENT_TIMEOUT_S);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, gw_status_client_on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
        CURLcode code = curl_easy_perform(curl);
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, http_status);
        curl_easy_cleanup(curl);
        if (code == CURLE_COULDNT_CONNECT) {
                const char *authority = url + strlen("http://");
                return SMT_ERR(err, SMT_EIO, "no gateway answers at %.*s (is it running?)",
                               (int)(strchr(authority, '/') - authority), authority);
        }
        if (code != CURLE_OK)
                return SMT_ERR(err, SMT_EIO, "GET %s: %s", url, curl_easy_strerror(code));
        return SMT_OK;
}

/* Whether a 404 body is the admin listener's "no ACME manager" document (and not a gateway without the route). */
static bool gw_status_client_is_no_sites(const struct buf_writer *body)
{
        json_t *doc = json_loadb((const char *)body->data, body->len, 0, NULL);
        const char *error = json_string_value(json_object_get(doc, "error"));
        bool is_no_sites = error != NULL && strcmp(error, GW_ADMIN_NO_AUTO_SITES) == 0;
        json_decref(doc);
        return is_no_sites;
}

/* The length of body's first line, at most 160 characters (for a message). */
static int gw_status_client_first_line(const struct buf_writer *body)
{
        size_t len = 0;
        while (len < body->len && len < 160 && body->data[len] != '\r' && body->data[len] != '\n')
                len++;
        return (int)len;
}

int gw_status_client_fetch(struct buf_writer *doc, const char *listen, struct err *err)
{
        char url[GW_STATUS_CLIENT_URL_MAX];
        TRY(gw_status_client_url(url, sizeof url, listen, err));
        struct buf_writer body;
        buf_writer_init_heap(&body, (size_t)16 << 20);
        long http_status = 0;
        int status = gw_status_client_request(&body, &http_status, url, err);
        if (status == SMT_OK && http_status == 200)
                status = buf_write_bytes(doc, body.data, body.len);
        else if (status == SMT_OK && http_status == 404 && gw_status_client_is_no_sites(&body))
                status = buf_write_bytes(doc, (const uint8_t *)GW_STATUS_CLIENT_EMPTY, strlen(GW_STATUS_CLIENT_EMPTY));
        else if (status == SMT_OK && http_status == 404)
                status = SMT_ERR(err, SMT_EIO, "GET %s: HTTP 404 (a gateway without GET /certificates?)", url);
        else if (status == SMT_OK) /* the admin listener's 500 carries the reason on its first line */
                status = SMT_ERR(err, SMT_EIO, "GET %s: HTTP %ld: %.*s", url, http_status,
                                 gw_status_client_first_line(&body), body.len > 0 ? (const char *)body.data : "");
        buf_writer_cleanup(&body);
        if (status == SMT_ENOSPACE || status == SMT_ENOMEM)
                return SMT_ERR(err, status, "GET %s: the document does not fit the output", url);
        return status;
}

int gw_status_client_get(struct buf_writer *doc, const char *config_path, struct config_errors *errors, struct err *err)
{
        struct gw_config config;
        int status = gw_config_load(&config, config_path, errors);
        if (status < 0)
                return SMT_ERR(err, status, "%s: the configuration does not load", config_path);
        if (config.admin.listen == NULL)
                status = SMT_ERR(err, SMT_ECONFIG,
                                 "%s has no admin.listen: the status comes from the running gateway's admin listener",
                                 config_path);
        else
                status = gw_status_client_fetch(doc, config.admin.listen, err);
        gw_config_free(&config);
        return status;
}
