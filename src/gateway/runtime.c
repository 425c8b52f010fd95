/* src/gateway/runtime.c: builds one generation of the gateway from its configuration file. */
#include "gateway/runtime.h"

#include <libgen.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "net/socket.h"

#include <openssl/evp.h>
#include <pthread.h>

#include "crypto/random.h"
#include "gateway/stapling.h"

static atomic_uint_fast64_t gw_runtime_generations;

static void gw_runtime_free(struct gw_runtime *rt)
{
        for (size_t i = 0; i < rt->num_listeners; i++) {
                if (rt->listeners[i] != NULL && rt->listeners[i]->fd >= 0)
                        close(rt->listeners[i]->fd);
                free(rt->listeners[i]);
        }
        free(rt->listeners);
        if (rt->origins != NULL && rt->sites != NULL) {
                for (size_t i = 0; i < gw_sites_count(rt->sites); i++) {
                        for (size_t j = 0; j < rt->origins[i].num_servers; j++)
                                net_tls_client_ctx_free(rt->origins[i].servers[j].tls_ctx);
                        free(rt->origins[i].servers);
                        gw_balancer_free(rt->origins[i].balancer);
                }
        }
        free(rt->origins);
        net_tls_config_release(&rt->tls);
        gw_sites_free(rt->sites);
        gw_config_free(&rt->config);
        free(rt->config_text);
        free(rt);
}

void gw_runtime_ref(struct gw_runtime *rt)
{
        atomic_fetch_add_explicit(&rt->refs, 1, memory_order_relaxed);
}

void gw_runtime_unref(struct gw_runtime *rt)
{
        if (rt != NULL && atomic_fetch_sub_explicit(&rt->refs, 1, memory_order_acq_rel) == 1)
                gw_runtime_free(rt);
}

/* gw_runtime_listener makes the runtime's socket for one configured listener: a dup of old's socket
 * on the same address, else a new bound one. */
static int gw_runtime_listener(struct gw_listener **out, const struct gw_listener_config *lc,
                               const struct gw_runtime *old, struct err *err)
{
        struct gw_listener *listener = calloc(1, sizeof *listener);
        if (listener == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        listener->fd = -1;
        listener->kind = lc->kind;
        listener->tlcp = lc->tlcp;
        listener->tls = lc->tls;
        listener->redirect_port = lc->redirect_port;
        snprintf(listener->text, sizeof listener->text, "%s", lc->listen);
        *out = listener;
        for (size_t i = 0; old != NULL && i < old->num_listeners; i++) {
                if (strcmp(old->listeners[i]->text, lc->listen) != 0)
                        continue;
                listener->fd = dup(old->listeners[i]->fd);
                if (listener->fd < 0)
                        return SMT_ERR(err, SMT_EIO, "listener %s: dup: %m", lc->listen);
                return SMT_OK;
        }
        struct net_address address;
        TRY(gw_config_listen_address(&address, lc->listen, err));
        return net_socket_listen(&listener->fd, &address, (int)lc->backlog, err);
}

/* gw_runtime_server resolves one origin server (once per load: a name that moves needs a reload, as with
 * nginx's proxy_pass to a fixed name) and makes its TLS client context. */
static int gw_runtime_server(struct gw_runtime_server *out, const struct gw_site *site, const char *url,
                             struct err *err)
{
        struct net_address address;
        struct addrinfo *list = NULL;
        bool is_https = false;
        TRY(gw_config_origin_parse(&is_https, &address, url, err));
        net_address_format(out->name, &address);
        int status = net_address_resolve(&list, &address, false, err);
        if (status < 0)
                return SMT_ERR(err, status, "site %s: server %s: %s", site->name, out->name, err->msg);
        memcpy(&out->addr, list->ai_addr, list->ai_addrlen);
        out->addr_len = list->ai_addrlen;
        net_address_free_list(list);
        if (!is_https)
                return SMT_OK;
        struct net_tls_client_config tc = {
                .verify = site->origin.verify == GW_ORIGIN_VERIFY_OFF   ? NET_TLS_CLIENT_VERIFY_OFF
                          : site->origin.verify == GW_ORIGIN_VERIFY_PIN ? NET_TLS_CLIENT_VERIFY_PIN
                                                                        : NET_TLS_CLIENT_VERIFY_ON,
                .trust = site->origin.trust,
                .pins = site->origin.pins,
                .num_pins = site->origin.num_pins,
                .server_name = site->config->origin_tls.server_name != NULL ? site->config->origin_tls.server_name
                                                                            : address.host,
        };
        status = net_tls_client_ctx_new(&out->tls_ctx, &tc, err);
        if (status < 0)
                return SMT_ERR(err, status, "site %s: server %s: %s", site->name, out->name, err->msg);
        return SMT_OK;
}

/* The process's secret for persistence cookies, made once. A site's key is derived from it, the site's
 * name and its servers, so a reload that keeps a site's server list keeps its clients' cookies valid, and
 * one that changes the list (indexes may now name other servers) makes them all new. */
static uint8_t gw_runtime_cookie_secret[32];
static pthread_once_t gw_runtime_cookie_once = PTHREAD_ONCE_INIT;
static int gw_runtime_cookie_secret_status;

static void gw_runtime_cookie_secret_make(void)
{
        struct err err;
        gw_runtime_cookie_secret_status = random_bytes(gw_runtime_cookie_secret, sizeof gw_runtime_cookie_secret, &err);
}

static int gw_runtime_cookie_key(struct gw_runtime_origin *out, const struct gw_site *site, struct err *err)
{
        pthread_once(&gw_runtime_cookie_once, gw_runtime_cookie_secret_make);
        if (gw_runtime_cookie_secret_status < 0)
                return SMT_ERR(err, gw_runtime_cookie_secret_status, "no randomness for the persistence cookie key");
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        unsigned len = 0;
        int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
                 EVP_DigestUpdate(md, gw_runtime_cookie_secret, sizeof gw_runtime_cookie_secret) == 1 &&
                 EVP_DigestUpdate(md, site->name, strlen(site->name) + 1) == 1;
        for (size_t i = 0; ok && i < out->num_servers; i++)
                ok = EVP_DigestUpdate(md, out->servers[i].name, strlen(out->servers[i].name) + 1) == 1;
        ok = ok && EVP_DigestFinal_ex(md, out->cookie_key, &len) == 1 && len == sizeof out->cookie_key;
        EVP_MD_CTX_free(md);
        return ok ? SMT_OK : SMT_ERR(err, SMT_EINTERNAL, "SHA-256 failed for the persistence cookie key");
}

static const enum gw_balance_algorithm gw_runtime_algorithms[] = {
        [GW_UPSTREAM_ROUND_ROBIN] = GW_BALANCE_ROUND_ROBIN,
        [GW_UPSTREAM_WEIGHTED] = GW_BALANCE_WEIGHTED,
        [GW_UPSTREAM_LEAST_CONNECTIONS] = GW_BALANCE_LEAST_CONNECTIONS,
        [GW_UPSTREAM_RESPONSE_TIME] = GW_BALANCE_RESPONSE_TIME,
        [GW_UPSTREAM_IP_HASH] = GW_BALANCE_IP_HASH,
};

/* gw_runtime_upstream makes a site's servers and balancer: its upstream group, or its one origin (which
 * passive checks never mark down: with nowhere else to go, a failure answers 502 by itself). */
static int gw_runtime_upstream(struct gw_runtime_origin *out, const struct gw_site *site, size_t *next_pool,
                               struct err *err)
{
        const struct gw_upstream_config *up = &site->config->upstream;
        const struct gw_upstream_server_config *configs = up->servers.items;
        size_t num = up->servers.num > 0 ? up->servers.num : 1;
        struct gw_balancer_server *bs = calloc(num, sizeof *bs);
        out->servers = calloc(num, sizeof *out->servers);
        if (bs == NULL || out->servers == NULL) {
                free(bs);
                return SMT_ERR(err, SMT_ENOMEM, "out of memory for %zu servers", num);
        }
        out->num_servers = num;
        int status = SMT_OK;
        for (size_t i = 0; i < num && status == SMT_OK; i++) {
                const char *url = up->servers.num > 0 ? configs[i].url : site->config->origin;
                status = gw_runtime_server(&out->servers[i], site, url, err);
                out->servers[i].pool = (*next_pool)++;
                bs[i] = (struct gw_balancer_server){ .name = out->servers[i].name, .weight = 1 };
                if (up->servers.num > 0)
                        bs[i] = (struct gw_balancer_server){
                                .name = out->servers[i].name,
                                .weight = (unsigned)configs[i].weight,
                                .is_backup = configs[i].is_backup,
                                .max_fails = (unsigned)configs[i].max_fails,
                                .fail_timeout_ms = configs[i].fail_timeout_ms,
                                .slow_start_ms = configs[i].slow_start_ms,
                        };
        }
        int balance = up->servers.num > 0 && up->balance > 0 ? up->balance : GW_UPSTREAM_WEIGHTED;
        if (up->persistence == GW_PERSIST_SOURCE_IP)
                balance = GW_UPSTREAM_IP_HASH; /* the ring is what keeps a client address on one server */
        if (status == SMT_OK)
                status = gw_balancer_new(&out->balancer, bs, num, gw_runtime_algorithms[balance], err);
        free(bs);
        out->retries = up->servers.num > 0 ? (size_t)up->retries : 0;
        out->has_cookie = up->servers.num > 0 && up->persistence == GW_PERSIST_COOKIE;
        if (status == SMT_OK && out->has_cookie)
                status = gw_runtime_cookie_key(out, site, err);
        return status;
}

static void gw_runtime_limits(struct gw_runtime *rt)
{
        const struct gw_limits_config *lim = &rt->config.limits;
        http_parser_limits_default(&rt->limits);
        rt->limits.max_head_len = (size_t)lim->max_head_size;
        rt->limits.max_start_line_len = (size_t)lim->max_request_line;
        rt->limits.max_fields = (size_t)lim->max_header_fields;
        if (rt->limits.max_start_line_len + 4 > rt->limits.max_head_len)
                rt->limits.max_start_line_len = rt->limits.max_head_len - 4;
}

static int gw_runtime_build_parts(struct gw_runtime *rt, const struct gw_runtime *old,
                                  struct tlcp_session_cache *session_cache, struct err *err)
{
        TRY(gw_sites_build(&rt->sites, &rt->config, err));
        if (rt->stapling != NULL) {
                rt->stapling_mark = gw_stapling_begin(rt->stapling);
                TRY(gw_stapling_attach(rt->stapling, rt->sites, rt->stapling_mark, rt->config.ocsp_stapling_refresh_ms,
                                       err));
        }
        size_t num_sites = gw_sites_count(rt->sites);
        rt->origins = calloc(num_sites > 0 ? num_sites : 1, sizeof *rt->origins);
        if (rt->origins == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory for %zu origins", num_sites);
        for (size_t i = 0; i < num_sites; i++)
                TRY(gw_runtime_upstream(&rt->origins[i], gw_sites_get(rt->sites, i), &rt->num_pools, err));
        tlcp_config_init(&rt->tlcp, TLCP_ROLE_SERVER);
        rt->tlcp.select = gw_sites_tlcp_select;
        rt->tlcp.select_arg = rt->sites;
        rt->tlcp.session_cache = session_cache;
        rt->tlcp.client_auth = TLCP_CLIENT_AUTH_NONE;
        rt->tls.select = gw_sites_tls_select;
        rt->tls.select_arg = rt->sites;
        if (rt->challenges != NULL) {
                rt->tls.acme_select = gw_challenges_tls_alpn01_select;
                rt->tls.acme_select_arg = rt->challenges;
        }
        TRY(net_tls_config_prepare(&rt->tls, err)); /* rt->tls stays where it is: the hook points at it */
        if (old != NULL) /* returning TLS clients keep resuming across a reload */
                TRY(net_tls_config_share_ticket_key(&rt->tls, &old->tls, err));
        gw_runtime_limits(rt);
        rt->num_listeners = rt->config.listeners.num;
        rt->listeners = calloc(rt->num_listeners, sizeof *rt->listeners);
        if (rt->listeners == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        const struct gw_listener_config *lcs = rt->config.listeners.items;
        for (size_t i = 0; i < rt->num_listeners; i++)
                TRY(gw_runtime_listener(&rt->listeners[i], &lcs[i], old, err));
        return SMT_OK;
}

/* gw_runtime_build_text builds a runtime from config text (taken over: freed with the runtime). */
static int gw_runtime_build_text(struct gw_runtime **out, const char *config_path, char *text, size_t len,
                                 const char *dir, const struct gw_runtime *old, struct tlcp_session_cache *session_cache,
                                 struct gw_challenges *challenges, struct gw_stapling *stapling,
                                 struct config_errors *errors, struct err *err)
{
        struct gw_runtime *rt = calloc(1, sizeof *rt);
        if (rt == NULL) {
                free(text);
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        }
        atomic_init(&rt->refs, 1);
        rt->config_text = text;
        rt->config_text_len = len;
        rt->session_cache = session_cache;
        rt->challenges = challenges;
        rt->stapling = stapling;
        int status = gw_config_load_string(&rt->config, config_path, text, len, dir, errors);
        if (status < 0) {
                free(text);
                free(rt);
                return SMT_ERR(err, status, "%s: %zu problem(s)", config_path, errors->num + errors->num_more);
        }
        status = gw_runtime_build_parts(rt, old, session_cache, err);
        if (status < 0) {
                gw_runtime_free(rt);
                return status;
        }
        rt->generation = atomic_fetch_add(&gw_runtime_generations, 1) + 1;
        *out = rt;
        return SMT_OK;
}

int gw_runtime_build(struct gw_runtime **out, const char *config_path, const struct gw_runtime *old,
                     struct tlcp_session_cache *session_cache, struct gw_challenges *challenges,
                     struct gw_stapling *stapling, struct config_errors *errors, struct err *err)
{
        uint8_t *text = NULL;
        size_t len = 0;
        errors->num = errors->num_more = 0;
        int status = file_read_all(&text, &len, config_path, CONFIG_FILE_MAX, err);
        if (status < 0) {
                config_errors_add(errors, 0, "%s", err->msg);
                return status;
        }
        char *dir = strdup(config_path);
        if (dir == NULL) {
                free(text);
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        }
        status = gw_runtime_build_text(out, config_path, (char *)text, len, dirname(dir), old, session_cache,
                                       challenges, stapling, errors, err);
        free(dir);
        return status;
}

int gw_runtime_rebuild(struct gw_runtime **out, const char *config_path, const struct gw_runtime *old,
                       struct config_errors *errors, struct err *err)
{
        char *text = malloc(old->config_text_len + 1);
        if (text == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        memcpy(text, old->config_text, old->config_text_len);
        text[old->config_text_len] = '\0';
        errors->num = errors->num_more = 0;
        return gw_runtime_build_text(out, config_path, text, old->config_text_len, old->config.dir, old,
                                     old->session_cache, old->challenges, old->stapling, errors, err);
}
