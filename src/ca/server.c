/* src/ca/server.c: `smtrust ca` serving (see server.h): store + hierarchy + ACME behind the HTTPS
 * listener, issuer certificates and the roots on the plain HTTP one (AIA caIssuers URLs point there). */
#include "ca/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/acme.h"
#include "ca/api.h"
#include "ca/authority.h"
#include "ca/crl_cache.h"
#include "ca/ocsp_responder.h"
#include "ca/revocation.h"
#include "ca/tsa.h"
#include "ca/store.h"
#include "base/file.h"
#include "http/server.h"

#define CA_SERVER_PATH_MAX 4096

struct ca_server {
        const struct ca_config *config;
        struct store *store;
        struct ca_authorities *authorities;
        struct acme *acme;
        struct ca_crl_cache *crl_cache;
        struct ca_ocsp *ocsp;
        struct ca_revocation_watch *revocation_watch;
        struct ca_tsa *tsa;
        struct ca_api api;
        struct http_server *https;
        struct http_server *http;
        char directory_url[1024];
        char tls_cert[CA_SERVER_PATH_MAX];
        char tls_key[CA_SERVER_PATH_MAX];
        char api_client_cas[CA_SERVER_PATH_MAX];
};

static void ca_server_text(struct http_server_response *response, int status, const char *text)
{
        response->status = status;
        SMT_IGNORE(http_server_response_add_field(response, "Content-Type", "text/plain; charset=utf-8"));
        SMT_IGNORE(buf_write_bytes(&response->body, (const uint8_t *)text, strlen(text)));
}

static void ca_server_https_handler(void *context, const struct http_server_request *request,
                                    struct http_server_response *response)
{
        struct ca_server *server = context;
        if (strncmp(request->path, "/acme/", 6) == 0 && server->acme) {
                acme_handle(server->acme, request, response);
                return;
        }
        if (strncmp(request->path, "/api/", 5) == 0) {
                ca_api_handle(&server->api, request, response);
                return;
        }
        if (strncmp(request->path, "/ocsp/", 6) == 0) {
                ca_ocsp_handle(server->ocsp, request, response);
                return;
        }
        if (strcmp(request->path, "/tsa") == 0 || strncmp(request->path, "/tsa/", 5) == 0) {
                ca_tsa_handle(server->tsa, request, response);
                return;
        }
        if (strcmp(request->path, "/") == 0) {
                char text[1200];
                snprintf(text, sizeof(text), "smtrust CA\nACME directory: %s\n", server->directory_url);
                ca_server_text(response, 200, text);
                return;
        }
        ca_server_text(response, 404, "not found\n");
}

/* The roots by the names their certificates' URLs use (roots/sm2-root.crt, roots/ecc-root.crt). */
static const struct cert *ca_server_root(const struct ca_server *server, const char *name)
{
        const struct cert_chain *roots = ca_authorities_roots(server->authorities);
        if (strcmp(name, "sm2-root") == 0 && cert_chain_count(roots) > 0)
                return cert_chain_get(roots, 0);
        if (strcmp(name, "ecc-root") == 0 && cert_chain_count(roots) > 1)
                return cert_chain_get(roots, 1);
        return NULL;
}

/* GET /crl/<name>.crl: a CRL (crl_cache.h). GET /ca/<name>.crt: an issuing CA's certificate in DER (RFC 5280 4.2.2.1 caIssuers); GET /roots.pem. */
static void ca_server_http_handler(void *context, const struct http_server_request *request,
                                   struct http_server_response *response)
{
        struct ca_server *server = context;
        struct err err = {0};
        if (strncmp(request->path, "/ocsp/", 6) == 0) { /* GET and POST */
                ca_ocsp_handle(server->ocsp, request, response);
                return;
        }
        if (strcmp(request->path, "/tsa") == 0 || strncmp(request->path, "/tsa/", 5) == 0) { /* POST (RFC 3161 3.4) */
                ca_tsa_handle(server->tsa, request, response);
                return;
        }
        if (strcmp(request->method, "GET") != 0 && strcmp(request->method, "HEAD") != 0) {
                ca_server_text(response, 405, "only GET\n");
                return;
        }
        if (strcmp(request->path, "/roots.pem") == 0) {
                response->status = 200;
                SMT_IGNORE(http_server_response_add_field(response, "Content-Type", "application/x-pem-file"));
                if (cert_chain_write_pem(ca_authorities_roots(server->authorities), &response->body, &err) < 0)
                        response->status = 500;
                return;
        }
        if (strncmp(request->path, "/crl/", 5) == 0) {
                ca_crl_cache_handle(server->crl_cache, request, response);
                return;
        }
        char name[STORE_PROFILE_MAX];
        size_t len = strlen(request->path);
        if (strncmp(request->path, "/ca/", 4) == 0 && len > 8 && len - 8 < sizeof(name) &&
            strcmp(request->path + len - 4, ".crt") == 0) {
                memcpy(name, request->path + 4, len - 8);
                name[len - 8] = '\0';
                const struct ca_authority *ca = ca_authorities_find(server->authorities, name);
                const struct cert *cert = ca ? ca_authority_cert(ca) : ca_server_root(server, name);
                if (cert) {
                        const uint8_t *der;
                        size_t der_len;
                        cert_der(cert, &der, &der_len);
                        response->status = 200;
                        SMT_IGNORE(http_server_response_add_field(response, "Content-Type", "application/pkix-cert"));
                        SMT_IGNORE(http_server_response_add_field(response, "Cache-Control", "max-age=86400"));
                        SMT_IGNORE(buf_write_bytes(&response->body, der, der_len));
                        return;
                }
        }
        ca_server_text(response, 404, "not found\n");
}

/* The trust anchors for API client certificates: the admin CA with its root, since cert_verify_chain
 * wants a path to a self-signed anchor. Every certificate of the ECC hierarchy then verifies, so the API
 * also checks that the client certificate's issuer is the admin CA (ca_api_authorized). Public data,
 * rewritten at each start from the loaded hierarchy. */
static int ca_server_write_api_client_cas(struct ca_server *server, struct err *err)
{
        const struct ca_authority *admin = ca_authorities_for_kind(server->authorities, CA_KIND_ADMIN);
        if (!admin)
                return SMT_ERR(err, SMT_ECONFIG, "no admin CA in %s: run `smtrust ca init`", server->config->state_dir);
        struct buf_writer pem;
        buf_writer_init_heap(&pem, 1 << 20);
        int status = cert_chain_write_pem(ca_authority_chain(admin), &pem, err);
        if (status == 0)
                status = file_write_atomic(server->api_client_cas, pem.data, pem.len, 0644, FILE_WRITE_REPLACE, err);
        buf_writer_cleanup(&pem);
        return status;
}

static int ca_server_listen(struct ca_server *server, struct err *err)
{
        const struct ca_config *config = server->config;
        snprintf(server->tls_cert, sizeof(server->tls_cert), "%s/tls/server.crt", config->state_dir);
        snprintf(server->tls_key, sizeof(server->tls_key), "%s/tls/server.key", config->state_dir);
        snprintf(server->api_client_cas, sizeof(server->api_client_cas), "%s/tls/api-client-cas.pem", config->state_dir);
        TRY(ca_server_write_api_client_cas(server, err));
        struct http_server_config https = {
                .listen = config->listen,
                .threads = (int)config->threads,
                .tls_cert_file = server->tls_cert,
                .tls_key_file = server->tls_key,
                .client_ca_file = server->api_client_cas,
                .server_header = "smtrust-ca",
        };
        TRY(http_server_start(&server->https, &https, ca_server_https_handler, server, err));
        if (!config->http_listen)
                return 0;
        /* Relying parties (OCSP, CRL, TSA clients) are many and often keep connections open: more threads
         * than the HTTPS side, and idle connections let go after 5 s so they cannot hold every thread. */
        struct http_server_config http = {
                .listen = config->http_listen,
                .threads = (int)config->http_threads,
                .idle_timeout_ms = 5000,
                .server_header = "smtrust-ca",
        };
        return http_server_start(&server->http, &http, ca_server_http_handler, server, err);
}

int ca_server_start(struct ca_server **out, const struct ca_config *config, struct err *err)
{
        struct ca_server *server = calloc(1, sizeof(*server));
        if (!server)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        server->config = config;
        snprintf(server->directory_url, sizeof(server->directory_url), "%s/acme/directory", config->base_url);
        int status = ca_authorities_load(&server->authorities, config, err);
        if (status == 0)
                status = store_open(&server->store, config->store, (int)config->store_pool, err);
        if (status == 0)
                status = ca_authorities_load_runtime(server->authorities, server->store, err);
        server->api = (struct ca_api){.config = config, .store = server->store, .authorities = server->authorities};
        if (status == 0)
                status = ca_crl_cache_start(&server->crl_cache, config, server->store, server->authorities, err);
        if (status == 0)
                status = ca_tsa_start(&server->tsa, config, server->authorities, err);
        if (status == 0)
                status = ca_ocsp_start(&server->ocsp, config, server->store, server->authorities, err);
        if (status == 0)
                status = ca_revocation_watch_start(&server->revocation_watch, server->store, err);
        server->api.crl_cache = server->crl_cache;
        server->api.ocsp = server->ocsp;
        if (status == 0 && config->acme.enabled)
                status = acme_new(&server->acme, config, server->store, server->authorities, err);
        if (status == 0)
                status = ca_server_listen(server, err);
        if (status < 0) {
                ca_server_stop(server);
                return status;
        }
        *out = server;
        return 0;
}

const char *ca_server_directory_url(const struct ca_server *server)
{
        return server->directory_url;
}

void ca_server_stop(struct ca_server *server)
{
        if (!server)
                return;
        http_server_stop(server->https);
        http_server_stop(server->http);
        acme_free(server->acme);
        ca_revocation_watch_stop(server->revocation_watch);
        ca_crl_cache_stop(server->crl_cache);
        ca_ocsp_stop(server->ocsp);
        ca_tsa_stop(server->tsa);
        store_close(server->store);
        ca_authorities_free(server->authorities);
        free(server);
}
