/* src/gateway/config_rules.c: the rules that compare list items with each other (unique listener
 * addresses, unique site names, one default site, a certificate for every site an https listener serves,
 * the servers of an upstream group: distinct, of one scheme, one primary at least, no origin beside them).
 *
 * base/config.h checks one value or one section at a time, so these run on the loaded struct afterwards.
 * Each problem names both items and points at the line of the later one; the lines come from parsing the
 * text once more with libyaml, only when there is a problem to report. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config_lines.h"
#include "gateway/acme_client.h"
#include "gateway/balancer.h"
#include "gateway/config.h"
#include "gateway/config_internal.h"

struct gw_rules {
        const struct gw_config *config;
        const char *name;
        struct config_errors *errors;
        size_t num_found;
        struct config_lines lines;
};

/* One site name, for finding equal ones by sorting. */
struct gw_rules_name {
        const char *text;
        size_t site;
        size_t item; /* in names; SIZE_MAX for the site's name */
};

/* --- lines of nodes, looked up in the text --- */

/* The line of list[index] at the top level (list "listeners" or "sites"), of its key (NULL: the item's
 * mapping) and of the key's item (SIZE_MAX: the key's value). */
static size_t gw_rules_line(struct gw_rules *r, const char *list, size_t index, const char *key, size_t item)
{
        yaml_node_t *value = config_lines_value(&r->lines, config_lines_root(&r->lines), list);
        yaml_node_t *element = config_lines_item(&r->lines, value, index);
        size_t line = config_lines_line(element, config_lines_line(value, 0));
        if (key == NULL)
                return line;
        yaml_node_t *key_value = config_lines_value(&r->lines, element, key);
        line = config_lines_line(key_value, line);
        return item == SIZE_MAX ? line : config_lines_line(config_lines_item(&r->lines, key_value, item), line);
}

static void gw_rules_error(struct gw_rules *r, size_t line, const char *fmt, ...) SMT_PRINTF(3, 4);
static void gw_rules_error(struct gw_rules *r, size_t line, const char *fmt, ...)
{
        char message[CONFIG_ERROR_LEN];
        va_list args;
        va_start(args, fmt);
        vsnprintf(message, sizeof message, fmt, args);
        va_end(args);
        config_errors_add(r->errors, line, "%s:%zu: %s", r->name, line, message);
        r->num_found++;
}

/* --- listeners --- */

static const struct gw_listener_config *gw_rules_listener(const struct gw_rules *r, size_t i)
{
        return (const struct gw_listener_config *)r->config->listeners.items + i;
}

static const struct gw_site_config *gw_rules_site(const struct gw_rules *r, size_t i)
{
        return (const struct gw_site_config *)r->config->sites.items + i;
}

/* Two listeners cannot share a port on one address, and an every-address listener takes its port on all
 * of them. Port 0 picks a free port each time, so it never collides. */
static bool gw_rules_addresses_collide(const struct net_address *a, const struct net_address *b)
{
        return a->port != 0 && a->port == b->port &&
               (a->host[0] == '\0' || b->host[0] == '\0' || strcmp(a->host, b->host) == 0);
}

/* The line of listeners[index].listen, or of admin.listen when index is SIZE_MAX. */
static size_t gw_rules_listen_line(struct gw_rules *r, size_t index)
{
        if (index != SIZE_MAX)
                return gw_rules_line(r, "listeners", index, "listen", SIZE_MAX);
        yaml_node_t *admin = config_lines_value(&r->lines, config_lines_root(&r->lines), "admin");
        return config_lines_line(config_lines_value(&r->lines, admin, "listen"), config_lines_line(admin, 0));
}

/* Reports the first of the first num listeners that collides with listen (listeners[index], or admin.listen
 * when index is SIZE_MAX). */
static void gw_rules_address_unique(struct gw_rules *r, const char *listen, size_t index, size_t num)
{
        struct net_address address, other;
        struct err err = {0};
        char path[64] = "admin.listen";
        if (gw_config_listen_address(&address, listen, &err) < 0)
                return; /* reported by the schema already */
        for (size_t j = 0; j < num; j++) {
                const char *other_listen = gw_rules_listener(r, j)->listen;
                if (gw_config_listen_address(&other, other_listen, &err) < 0 ||
                    !gw_rules_addresses_collide(&address, &other))
                        continue;
                if (index != SIZE_MAX)
                        snprintf(path, sizeof path, "listeners[%zu].listen", index);
                gw_rules_error(r, gw_rules_listen_line(r, index),
                               "%s: \"%s\" takes the port of listeners[%zu] (\"%s\", line %zu); one address and port "
                               "can have one listener",
                               path, listen, j, other_listen, gw_rules_listen_line(r, j));
                return;
        }
}

static void gw_rules_listeners(struct gw_rules *r)
{
        const struct gw_config *config = r->config;
        if (config->listeners.num == 0)
                gw_rules_error(
                    r, config_lines_line(config_lines_value(&r->lines, config_lines_root(&r->lines), "listeners"), 0),
                    "listeners: at least one listener is needed");
        for (size_t i = 1; i < config->listeners.num; i++)
                gw_rules_address_unique(r, gw_rules_listener(r, i)->listen, i, i);
        if (config->admin.listen != NULL)
                gw_rules_address_unique(r, config->admin.listen, SIZE_MAX, config->listeners.num);
}

/* --- sites --- */

static int gw_rules_name_compare(const void *a, const void *b)
{
        const struct gw_rules_name *x = a, *y = b;
        int by_text = strcmp(x->text, y->text);
        if (by_text != 0)
                return by_text;
        if (x->site != y->site)
                return x->site < y->site ? -1 : 1;
        return x->item < y->item ? -1 : (x->item > y->item ? 1 : 0);
}

/* The line and path of one name entry. */
static size_t gw_rules_name_line(struct gw_rules *r, const struct gw_rules_name *entry)
{
        if (entry->item == SIZE_MAX)
                return gw_rules_line(r, "sites", entry->site, "name", SIZE_MAX);
        return gw_rules_line(r, "sites", entry->site, "names", entry->item);
}

static void gw_rules_name_duplicate(struct gw_rules *r, const struct gw_rules_name *first,
                                    const struct gw_rules_name *again)
{
        size_t line = gw_rules_name_line(r, again);
        if (again->item == SIZE_MAX)
                gw_rules_error(r, line,
                               "sites[%zu].name: \"%s\" is also the name of sites[%zu] (line %zu); a site's "
                               "name tells it apart in logs and metrics",
                               again->site, again->text, first->site, gw_rules_name_line(r, first));
        else if (again->site == first->site)
                gw_rules_error(r, line, "sites[%zu].names[%zu]: \"%s\" is listed twice (also names[%zu])", again->site,
                               again->item, again->text, first->item);
        else
                gw_rules_error(r, line,
                               "sites[%zu].names[%zu]: \"%s\" is also a name of sites[%zu] (\"%s\", line "
                               "%zu); a name can lead to one site only",
                               again->site, again->item, again->text, first->site, gw_rules_site(r, first->site)->name,
                               gw_rules_name_line(r, first));
}

/* Sorts entries and reports every one equal to an earlier one. */
static void gw_rules_unique(struct gw_rules *r, struct gw_rules_name *entries, size_t num)
{
        qsort(entries, num, sizeof *entries, gw_rules_name_compare);
        size_t first = 0;
        for (size_t i = 1; i < num; i++) {
                if (strcmp(entries[i].text, entries[first].text) != 0)
                        first = i;
                else
                        gw_rules_name_duplicate(r, &entries[first], &entries[i]);
        }
}

static int gw_rules_names(struct gw_rules *r)
{
        size_t num_sites = r->config->sites.num, num = 0;
        for (size_t i = 0; i < num_sites; i++)
                num += gw_rules_site(r, i)->names.num;
        struct gw_rules_name *entries = calloc(num > num_sites ? num : num_sites + 1, sizeof *entries);
        if (entries == NULL)
                return SMT_ENOMEM;
        num = 0;
        for (size_t i = 0; i < num_sites; i++)
                for (size_t j = 0; j < gw_rules_site(r, i)->names.num; j++)
                        entries[num++] = (struct gw_rules_name){gw_rules_site(r, i)->names.items[j], i, j};
        gw_rules_unique(r, entries, num);
        for (size_t i = 0; i < num_sites; i++)
                entries[i] = (struct gw_rules_name){gw_rules_site(r, i)->name, i, SIZE_MAX};
        gw_rules_unique(r, entries, num_sites);
        free(entries);
        return SMT_OK;
}

static void gw_rules_default(struct gw_rules *r)
{
        size_t first = SIZE_MAX;
        for (size_t i = 0; i < r->config->sites.num; i++) {
                if (!gw_rules_site(r, i)->is_default)
                        continue;
                if (first == SIZE_MAX)
                        first = i;
                else
                        gw_rules_error(r, gw_rules_line(r, "sites", i, "default", SIZE_MAX),
                                       "sites[%zu].default: sites[%zu] (\"%s\", line %zu) is the default site already; "
                                       "there can be one",
                                       i, first, gw_rules_site(r, first)->name,
                                       gw_rules_line(r, "sites", first, "default", SIZE_MAX));
        }
}

/* The first https listener that accepts TLCP and TLS (both), only TLCP or only TLS, SIZE_MAX when none. */
struct gw_rules_https {
        size_t both, tlcp_only, tls_only;
};

static struct gw_rules_https gw_rules_https_find(const struct gw_rules *r)
{
        struct gw_rules_https https = {SIZE_MAX, SIZE_MAX, SIZE_MAX};
        for (size_t i = r->config->listeners.num; i-- > 0;) {
                const struct gw_listener_config *listener = gw_rules_listener(r, i);
                if (listener->kind != GW_LISTENER_HTTPS && listener->kind != GW_LISTENER_TCP)
                        continue; /* only listeners that terminate need certificates */
                if (listener->tlcp && listener->tls)
                        https.both = i;
                else if (listener->tlcp)
                        https.tlcp_only = i;
                else
                        https.tls_only = i;
        }
        return https;
}

/* A site with `certificates: auto` can be validated: a wildcard only by dns-01 (RFC 8555 7.1.3). */
static void gw_rules_acme_site(struct gw_rules *r, size_t i)
{
        const struct gw_acme_config *acme = &r->config->acme;
        const struct gw_site_config *site = gw_rules_site(r, i);
        bool has_dns = false;
        for (size_t k = 0; k < acme->num_challenges; k++)
                has_dns = has_dns || acme->challenges[k] == GW_ACME_DNS01;
        if (site->names.num > GW_ACME_NAMES_MAX)
                gw_rules_error(r, gw_rules_line(r, "sites", i, "names", SIZE_MAX),
                               "sites[%zu].names: certificates: auto takes at most %d names per site", i,
                               GW_ACME_NAMES_MAX);
        for (size_t n = 0; n < site->names.num; n++)
                if (site->names.items[n][0] == '*' && !has_dns)
                        gw_rules_error(r, gw_rules_line(r, "sites", i, "names", n),
                                       "sites[%zu].names[%zu]: a wildcard is validated by dns-01 only: set "
                                       "acme.dns_hook (and list dns-01 in acme.challenges)",
                                       i, n);
        if (acme->num_challenges == 0)
                gw_rules_error(r, gw_rules_line(r, "sites", i, "certificates", SIZE_MAX),
                               "sites[%zu].certificates: auto, yet no challenge can be answered: add a redirect "
                               "or http listener (http-01), an https listener with tls (tls-alpn-01) or "
                               "acme.dns_hook (dns-01)",
                               i);
}

/* The challenge types listed in acme.challenges have something to answer them. */
static void gw_rules_acme(struct gw_rules *r)
{
        const struct gw_acme_config *acme = &r->config->acme;
        for (size_t k = 0; k < acme->challenge_names.num; k++) {
                int type = gw_config_acme_challenge_type(acme->challenge_names.items[k]);
                bool ok = type == GW_ACME_DNS01 ? acme->dns_hook != NULL : false;
                const struct gw_listener_config *listeners = r->config->listeners.items;
                for (size_t l = 0; l < r->config->listeners.num && !ok; l++) {
                        int kind = listeners[l].kind;
                        ok = type == GW_ACME_HTTP01 ? kind == GW_LISTENER_REDIRECT || kind == GW_LISTENER_HTTP
                             : type == GW_ACME_TLS_ALPN01
                                 ? (kind == GW_LISTENER_HTTPS || kind == GW_LISTENER_TCP) && listeners[l].tls
                                 : false;
                }
                if (!ok)
                        gw_rules_error(r, config_lines_line(config_lines_item(&r->lines, config_lines_value(&r->lines,
                                           config_lines_value(&r->lines, config_lines_root(&r->lines), "acme"),
                                           "challenges"), k), 0),
                                       "acme.challenges[%zu]: %s has nothing to answer it (%s)", k,
                                       acme->challenge_names.items[k],
                                       type == GW_ACME_DNS01    ? "set acme.dns_hook"
                                       : type == GW_ACME_HTTP01 ? "add a redirect or http listener"
                                                                : "add an https listener with tls");
        }
        for (size_t i = 0; i < r->config->sites.num; i++)
                if (gw_rules_site(r, i)->certificates == GW_CERTIFICATES_AUTO)
                        gw_rules_acme_site(r, i);
}

static void gw_rules_credentials(struct gw_rules *r)
{
        struct gw_rules_https https = gw_rules_https_find(r);
        size_t any = https.both < https.tlcp_only ? https.both : https.tlcp_only;
        any = any < https.tls_only ? any : https.tls_only;
        for (size_t i = 0; i < r->config->sites.num && any != SIZE_MAX; i++) {
                const struct gw_site_config *site = gw_rules_site(r, i);
                bool is_auto = site->certificates == GW_CERTIFICATES_AUTO;
                bool has_sm2 = is_auto ? r->config->acme.sm2.directory != NULL : site->sm2.sign_cert != NULL;
                bool has_tls = is_auto ? r->config->acme.ecc.directory != NULL
                                       : site->ecc.cert != NULL || site->rsa.cert != NULL;
                if (is_auto && !has_sm2 && !has_tls) {
                        gw_rules_error(r, gw_rules_line(r, "sites", i, "certificates", SIZE_MAX),
                                       "sites[%zu].certificates: auto needs acme.ecc.directory or "
                                       "acme.sm2.directory (where certificates are ordered)",
                                       i);
                        continue;
                }
                if (!has_sm2 && !has_tls)
                        gw_rules_error(
                            r, gw_rules_line(r, "sites", i, NULL, 0),
                            "sites[%zu]: no certificate, yet listeners[%zu] (line %zu) serves it "
                            "over https: give an sm2 pair (sign_cert, sign_key, enc_cert, enc_key) or an ecc "
                            "or rsa certificate",
                            i, any, gw_rules_line(r, "listeners", any, NULL, 0));
                else if (!has_sm2 && https.tlcp_only != SIZE_MAX)
                        gw_rules_error(r, gw_rules_line(r, "sites", i, NULL, 0),
                                       "sites[%zu]: no sm2 pair, yet listeners[%zu] (line %zu) accepts TLCP "
                                       "only",
                                       i, https.tlcp_only, gw_rules_line(r, "listeners", https.tlcp_only, NULL, 0));
                else if (!has_tls && https.tls_only != SIZE_MAX)
                        gw_rules_error(r, gw_rules_line(r, "sites", i, NULL, 0),
                                       "sites[%zu]: no ecc or rsa certificate, yet listeners[%zu] (line %zu) "
                                       "accepts TLS only",
                                       i, https.tls_only, gw_rules_line(r, "listeners", https.tls_only, NULL, 0));
        }
}

/* --- upstream groups --- */

static const struct gw_upstream_server_config *gw_rules_server(const struct gw_site_config *site, size_t i)
{
        return (const struct gw_upstream_server_config *)site->upstream.servers.items + i;
}

/* The line of the key sites[site].upstream.servers (server SIZE_MAX), or of servers[server].server. */
static size_t gw_rules_server_line(struct gw_rules *r, size_t site, size_t server)
{
        yaml_node_t *upstream = config_lines_value(
            &r->lines,
            config_lines_item(&r->lines, config_lines_value(&r->lines, config_lines_root(&r->lines), "sites"), site),
            "upstream");
        size_t line = config_lines_line(config_lines_key_node(&r->lines, upstream, "servers"),
                                        gw_rules_line(r, "sites", site, "upstream", SIZE_MAX));
        if (server == SIZE_MAX)
                return line;
        yaml_node_t *element = config_lines_item(&r->lines, config_lines_value(&r->lines, upstream, "servers"), server);
        return config_lines_line(config_lines_value(&r->lines, element, "server"), config_lines_line(element, line));
}

/* A server as connections see it: scheme, host and port (so "http://A" and "http://a:80" are one). */
struct gw_rules_server_address {
        bool is_https;
        struct net_address address;
};

static bool gw_rules_same_server(const struct gw_rules_server_address *a, const struct gw_rules_server_address *b)
{
        return a->is_https == b->is_https && a->address.port == b->address.port &&
               strcmp(a->address.host, b->address.host) == 0;
}

/* Server j against the servers before it: the scheme of servers[0], and no repeat. */
static void gw_rules_server_compare(struct gw_rules *r, size_t i, const struct gw_rules_server_address *addresses,
                                    size_t j)
{
        const struct gw_site_config *site = gw_rules_site(r, i);
        if (addresses[j].is_https != addresses[0].is_https) {
                gw_rules_error(r, gw_rules_server_line(r, i, j),
                               "sites[%zu].upstream.servers[%zu].server: \"%s\" is %s but servers[0] (\"%s\", line "
                               "%zu) is %s; the servers of a site share one scheme (origin_tls applies to all)",
                               i, j, gw_rules_server(site, j)->url, addresses[j].is_https ? "https" : "http",
                               gw_rules_server(site, 0)->url, gw_rules_server_line(r, i, 0),
                               addresses[0].is_https ? "https" : "http");
                return;
        }
        for (size_t k = 0; k < j; k++) {
                if (!gw_rules_same_server(&addresses[j], &addresses[k]))
                        continue;
                gw_rules_error(r, gw_rules_server_line(r, i, j),
                               "sites[%zu].upstream.servers[%zu].server: \"%s\" is the server of servers[%zu] "
                               "(\"%s\", line %zu); list a server once (a larger weight gives it more requests)",
                               i, j, gw_rules_server(site, j)->url, k, gw_rules_server(site, k)->url,
                               gw_rules_server_line(r, i, k));
                return;
        }
}

/* The servers of sites[i] (1..GW_BALANCER_SERVERS_MAX of them): one primary at least, one scheme, no
 * server twice. */
static int gw_rules_servers(struct gw_rules *r, size_t i)
{
        const struct gw_site_config *site = gw_rules_site(r, i);
        size_t num = site->upstream.servers.num, num_primary = 0;
        for (size_t j = 0; j < num; j++)
                num_primary += gw_rules_server(site, j)->is_backup ? 0 : 1;
        if (num_primary == 0)
                gw_rules_error(r, gw_rules_server_line(r, i, SIZE_MAX),
                               "sites[%zu].upstream.servers: every server is a backup; at least one must not be "
                               "(backups take requests only while no other server can)",
                               i);
        struct gw_rules_server_address *addresses = calloc(num, sizeof *addresses);
        if (addresses == NULL)
                return SMT_ENOMEM;
        struct err err = {0};
        for (size_t j = 0; j < num; j++)
                if (gw_config_origin_parse(&addresses[j].is_https, &addresses[j].address, gw_rules_server(site, j)->url,
                                           &err) < 0) {
                        free(addresses);
                        return SMT_OK; /* reported by the schema already */
                }
        for (size_t j = 1; j < num; j++)
                gw_rules_server_compare(r, i, addresses, j);
        free(addresses);
        return SMT_OK;
}

/* A site forwards to its origin or to its upstream servers, never both. */
static int gw_rules_upstreams(struct gw_rules *r)
{
        for (size_t i = 0; i < r->config->sites.num; i++) {
                const struct gw_site_config *site = gw_rules_site(r, i);
                size_t num = site->upstream.servers.num;
                if (num == 0)
                        continue;
                if (site->origin != NULL)
                        gw_rules_error(r, gw_rules_line(r, "sites", i, "origin", SIZE_MAX),
                                       "sites[%zu].origin: upstream.servers (line %zu) is set too; remove origin (or "
                                       "add its URL to upstream.servers)",
                                       i, gw_rules_server_line(r, i, SIZE_MAX));
                if (num > GW_BALANCER_SERVERS_MAX)
                        gw_rules_error(r, gw_rules_server_line(r, i, SIZE_MAX),
                                       "sites[%zu].upstream.servers: %zu servers exceed the limit of %d", i, num,
                                       GW_BALANCER_SERVERS_MAX);
                else
                        TRY(gw_rules_servers(r, i));
        }
        return SMT_OK;
}

int gw_config_rules_check(const struct gw_config *config, const char *name, const char *text, size_t len,
                          struct config_errors *errors)
{
        struct gw_rules r = {.config = config, .name = name, .errors = errors};
        config_lines_init(&r.lines, text, len);
        gw_rules_listeners(&r);
        int status = gw_rules_names(&r);
        gw_rules_default(&r);
        gw_rules_credentials(&r);
        gw_rules_acme(&r);
        if (status == SMT_OK)
                status = gw_rules_upstreams(&r);
        config_lines_free(&r.lines);
        if (status < 0) {
                config_errors_add(errors, 0, "%s: out of memory", name);
                return status;
        }
        config_errors_sort(errors);
        return r.num_found > 0 ? SMT_ECONFIG : SMT_OK;
}
