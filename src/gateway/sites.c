/* src/gateway/sites.c: building the sites of a configuration (files read through sites_files.c, origins,
 * HSTS values) and finding a site by name with two hash tables (sites_table.c): exact names, and the
 * wildcards keyed by what follows "*.". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "crypto/random.h"
#include "gateway/acme_client.h"
#include "gateway/autocert.h"
#include "gateway/sites.h"
#include "gateway/sites_internal.h"

/* "max-age=" 19 digits "; includeSubDomains; preload" */
#define GW_SITES_HSTS_MAX 64
/* RFC 1035 §2.3.4 */
#define GW_SITES_NAME_MAX 253

/* A site with the storage its pointers lead to. */
struct gw_sites_entry {
        struct gw_site site;
        char hsts[GW_SITES_HSTS_MAX];
        uint8_t (*pins)[32];
};

struct gw_sites {
        const struct gw_config *config;
        struct gw_sites_entry *entries;
        size_t num;
        struct gw_sites_table exact;    /* "www.example.com" -> site */
        struct gw_sites_table wildcard; /* "example.com" (from "*.example.com") -> site */
        const struct gw_site *default_site;
        struct gw_sites_files files;
};

static const struct gw_site_config *gw_sites_config_site(const struct gw_config *config, size_t index)
{
        return (const struct gw_site_config *)config->sites.items + index;
}

static int gw_sites_origin_pins(struct gw_sites_entry *entry, const struct config_strings *pins, struct err *err)
{
        if (pins->num == 0)
                return SMT_OK;
        entry->pins = calloc(pins->num, sizeof *entry->pins);
        if (entry->pins == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        for (size_t i = 0; i < pins->num; i++)
                if (gw_config_pin_parse(entry->pins[i], pins->items[i], err) < 0)
                        return err_prefix(err, "origin_tls.pins[%zu]", i);
        entry->site.origin.pins = (const uint8_t(*)[32])entry->pins;
        entry->site.origin.num_pins = pins->num;
        return SMT_OK;
}

static int gw_sites_origin(struct gw_sites *sites, struct gw_sites_entry *entry, struct err *err)
{
        const struct gw_site_config *config = entry->site.config;
        const struct gw_origin_tls_config *tls = &config->origin_tls;
        struct gw_origin *origin = &entry->site.origin;
        struct net_address address;
        char authority[NET_ADDRESS_TEXT_MAX];
        /* A site with an upstream group describes its origin side by the first server: scheme and TLS
         * checking are the same for all (a config rule), and the runtime makes the others. */
        const struct gw_upstream_server_config *first = config->upstream.servers.items;
        const char *url = config->origin != NULL ? config->origin : first != NULL ? first->url : NULL;
        if (url == NULL)
                return SMT_ERR(err, SMT_ECONFIG, "no origin");
        if (gw_config_origin_parse(&origin->is_https, &address, url, err) < 0)
                return err_prefix(err, config->origin != NULL ? "origin" : "upstream.servers[0]");
        snprintf(origin->host, sizeof origin->host, "%s", address.host);
        origin->port = address.port;
        net_address_format(authority, &address);
        snprintf(origin->authority, sizeof origin->authority, "%s", authority);
        origin->verify = tls->verify != 0 ? tls->verify : GW_ORIGIN_VERIFY_ON;
        origin->server_name = tls->server_name != NULL ? tls->server_name : origin->host;
        if (!origin->is_https)
                return SMT_OK; /* origin_tls has nothing to check on plain HTTP */
        if (origin->verify == GW_ORIGIN_VERIFY_ON && tls->ca_file != NULL &&
            gw_sites_files_store(&sites->files, &origin->trust, tls->ca_file, err) < 0)
                return err_prefix(err, "origin_tls.ca_file");
        if (origin->verify == GW_ORIGIN_VERIFY_PIN)
                TRY(gw_sites_origin_pins(entry, &tls->pins, err));
        return SMT_OK;
}

/* RFC 6797 §6.1: Strict-Transport-Security = max-age in seconds, then the optional directives. */
static void gw_sites_hsts(struct gw_sites_entry *entry)
{
        const struct gw_hsts_config *hsts = &entry->site.config->hsts;
        if (!hsts->enabled)
                return;
        snprintf(entry->hsts, sizeof entry->hsts, "max-age=%lld%s%s", (long long)(hsts->max_age_ms / 1000),
                 hsts->include_subdomains ? "; includeSubDomains" : "", hsts->preload ? "; preload" : "");
        entry->site.hsts_value = entry->hsts;
}

static bool gw_sites_is_lowercase(const char *name)
{
        for (; *name != '\0'; name++)
                if (*name >= 'A' && *name <= 'Z')
                        return false;
        return true;
}

/* Adds the site's names to the exact or wildcard table, refusing one that leads to another site already. */
static int gw_sites_names_insert(struct gw_sites *sites, struct gw_sites_entry *entry, struct err *err)
{
        const struct config_strings *names = &entry->site.config->names;
        for (size_t i = 0; i < names->num; i++) {
                const char *name = names->items[i];
                bool is_wildcard = name[0] == '*' && name[1] == '.';
                const char *key = is_wildcard ? name + 2 : name;
                void *existing = NULL;
                if (!gw_sites_is_lowercase(name))
                        return SMT_ERR(err, SMT_ECONFIG,
                                       "names[%zu] \"%s\" is not lowercase (gw_config_load makes "
                                       "it so)",
                                       i, name);
                TRY(gw_sites_table_insert(is_wildcard ? &sites->wildcard : &sites->exact, key, strlen(key),
                                          &entry->site, &existing, err));
                if (existing != NULL && existing != &entry->site)
                        return SMT_ERR(err, SMT_ECONFIG, "names[%zu] \"%s\" is also a name of sites[%zu] (\"%s\")", i,
                                       name, ((const struct gw_site *)existing)->index,
                                       ((const struct gw_site *)existing)->name);
        }
        if (!entry->site.config->is_default)
                return SMT_OK;
        if (sites->default_site != NULL)
                return SMT_ERR(err, SMT_ECONFIG, "sites[%zu] (\"%s\") is the default site already",
                               sites->default_site->index, sites->default_site->name);
        sites->default_site = &entry->site;
        return SMT_OK;
}

/* A site with `certificates: auto` serves the sets the ACME manager keeps in the state folder
 * (gateway/autocert.h). A set not there yet, or unreadable, leaves that kind unserved (its handshakes are
 * refused) instead of failing the whole build: the manager orders a new one. */
static void gw_sites_build_auto(struct gw_sites *sites, struct gw_site *site)
{
        const struct gw_acme_config *acme = &sites->config->acme;
        char dir[GW_AUTOCERT_PATH_MAX], p[4][GW_AUTOCERT_PATH_MAX + 16];
        struct err err = {0};
        if (acme->sm2.directory != NULL &&
            gw_autocert_site_dir(dir, sizeof dir, acme->state_dir, site->name, GW_AUTOCERT_SM2, &err) == SMT_OK &&
            access(dir, F_OK) == 0) {
                snprintf(p[0], sizeof p[0], "%s/sign.crt", dir);
                snprintf(p[1], sizeof p[1], "%s/sign.key", dir);
                snprintf(p[2], sizeof p[2], "%s/enc.crt", dir);
                snprintf(p[3], sizeof p[3], "%s/enc.key", dir);
                struct gw_sm2_config sm2 = {.sign_cert = p[0], .sign_key = p[1], .enc_cert = p[2], .enc_key = p[3]};
                site->has_tlcp = gw_sites_files_tlcp(&sites->files, &site->tlcp, &sm2, &err) == SMT_OK;
                if (!site->has_tlcp)
                        log_warning("site %s: the SM2 pair in %s is not usable: %s", site->name, dir, err.msg);
        }
        if (acme->ecc.directory != NULL &&
            gw_autocert_site_dir(dir, sizeof dir, acme->state_dir, site->name, GW_AUTOCERT_ECC, &err) == SMT_OK &&
            access(dir, F_OK) == 0) {
                snprintf(p[0], sizeof p[0], "%s/cert.pem", dir);
                snprintf(p[1], sizeof p[1], "%s/key.pem", dir);
                struct gw_cert_config pair = {.cert = p[0], .key = p[1]}, none = {0};
                bool is_rsa = acme->ecc.key_type == GW_ACME_KEY_RSA_2048;
                site->has_tls = gw_sites_files_tls(&sites->files, &site->tls, is_rsa ? &none : &pair,
                                                   is_rsa ? &pair : &none, &err) == SMT_OK;
                if (!site->has_tls)
                        log_warning("site %s: the certificate in %s is not usable: %s", site->name, dir, err.msg);
        }
}

static int gw_sites_build_site(struct gw_sites *sites, size_t index, struct err *err)
{
        struct gw_sites_entry *entry = &sites->entries[index];
        struct gw_site *site = &entry->site;
        const struct gw_site_config *config = gw_sites_config_site(sites->config, index);
        site->config = config;
        site->index = index;
        site->name = config->name != NULL ? config->name : config->names.num > 0 ? config->names.items[0] : "default";
        const struct gw_sm2_config *sm2 = &config->sm2;
        if (config->certificates == GW_CERTIFICATES_AUTO) {
                gw_sites_build_auto(sites, site);
                TRY(gw_sites_origin(sites, entry, err));
                gw_sites_hsts(entry);
                return gw_sites_names_insert(sites, entry, err);
        }
        site->has_tlcp =
            sm2->sign_cert != NULL || sm2->sign_key != NULL || sm2->enc_cert != NULL || sm2->enc_key != NULL;
        site->has_tls =
            config->ecc.cert != NULL || config->ecc.key != NULL || config->rsa.cert != NULL || config->rsa.key != NULL;
        if (site->has_tlcp)
                TRY(gw_sites_files_tlcp(&sites->files, &site->tlcp, sm2, err));
        if (site->has_tls)
                TRY(gw_sites_files_tls(&sites->files, &site->tls, &config->ecc, &config->rsa, err));
        TRY(gw_sites_origin(sites, entry, err));
        gw_sites_hsts(entry);
        return gw_sites_names_insert(sites, entry, err);
}

static int gw_sites_build_all(struct gw_sites *sites, struct err *err)
{
        uint8_t hash_key[GW_SITES_HASH_KEY_LEN];
        size_t num_names = 0;
        for (size_t i = 0; i < sites->num; i++)
                num_names += gw_sites_config_site(sites->config, i)->names.num;
        int status = random_bytes(hash_key, sizeof hash_key, err);
        if (status == SMT_OK)
                status = gw_sites_table_init(&sites->exact, num_names, hash_key, err);
        if (status == SMT_OK)
                status = gw_sites_table_init(&sites->wildcard, 16, hash_key, err);
        if (status == SMT_OK)
                status = gw_sites_files_init(&sites->files, hash_key, err);
        explicit_bzero(hash_key, sizeof hash_key);
        for (size_t i = 0; i < sites->num && status == SMT_OK; i++) {
                status = gw_sites_build_site(sites, i, err);
                if (status < 0)
                        err_prefix(err, "sites[%zu] (\"%s\")", i, sites->entries[i].site.name);
        }
        return status;
}

int gw_sites_build(struct gw_sites **out, const struct gw_config *config, struct err *err)
{
        *out = NULL;
        struct gw_sites *sites = calloc(1, sizeof *sites);
        if (sites == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "sites: out of memory");
        sites->config = config;
        sites->num = config->sites.num;
        sites->entries = calloc(sites->num > 0 ? sites->num : 1, sizeof *sites->entries);
        int status = sites->entries != NULL
                         ? gw_sites_build_all(sites, err)
                         : SMT_ERR(err, SMT_ENOMEM, "sites: out of memory for %zu sites", sites->num);
        if (status < 0) {
                gw_sites_free(sites);
                return status;
        }
        *out = sites;
        return SMT_OK;
}

void gw_sites_free(struct gw_sites *sites)
{
        if (sites == NULL)
                return;
        for (size_t i = 0; sites->entries != NULL && i < sites->num; i++)
                free(sites->entries[i].pins);
        free(sites->entries);
        gw_sites_table_cleanup(&sites->exact);
        gw_sites_table_cleanup(&sites->wildcard);
        gw_sites_files_cleanup(&sites->files);
        free(sites);
}

size_t gw_sites_count(const struct gw_sites *sites)
{
        return sites->num;
}

const struct gw_site *gw_sites_get(const struct gw_sites *sites, size_t index)
{
        return index < sites->num ? &sites->entries[index].site : NULL;
}

/* The host of a Host field or SNI, lowercase in out: without ":port", the brackets of an IPv6 literal and
 * a final dot (an absolute name, RFC 1034 §3.1). false when there is none or it is longer than a name. */
static bool gw_sites_host(char out[GW_SITES_NAME_MAX + 1], size_t *out_len, const char *name, size_t len)
{
        const char *host = name;
        size_t host_len = len;
        const char *colon = memchr(name, ':', len);
        if (len > 0 && name[0] == '[') {
                const char *close = memchr(name, ']', len);
                host = name + 1;
                host_len = close != NULL ? (size_t)(close - host) : len - 1;
        } else if (colon != NULL && memchr(colon + 1, ':', len - (size_t)(colon - name) - 1) == NULL) {
                host_len = (size_t)(colon - name);
        }
        if (host_len > 0 && host[host_len - 1] == '.')
                host_len--;
        if (host_len == 0 || host_len > GW_SITES_NAME_MAX)
                return false;
        for (size_t i = 0; i < host_len; i++)
                out[i] = host[i] >= 'A' && host[i] <= 'Z' ? (char)(host[i] - 'A' + 'a') : host[i];
        out[host_len] = '\0';
        *out_len = host_len;
        return true;
}

const struct gw_site *gw_sites_lookup_n(const struct gw_sites *sites, const char *name, size_t len)
{
        char host[GW_SITES_NAME_MAX + 1];
        size_t host_len;
        if (sites == NULL)
                return NULL;
        if (name == NULL || !gw_sites_host(host, &host_len, name, len))
                return sites->default_site;
        const struct gw_site *site = gw_sites_table_lookup(&sites->exact, host, host_len);
        if (site != NULL)
                return site;
        /* RFC 6125 §6.4.3: "*" stands for exactly the first label. */
        const char *dot = memchr(host, '.', host_len);
        if (dot != NULL && dot != host) {
                size_t skip = (size_t)(dot - host) + 1;
                site = gw_sites_table_lookup(&sites->wildcard, host + skip, host_len - skip);
        }
        return site != NULL ? site : sites->default_site;
}

const struct gw_site *gw_sites_lookup(const struct gw_sites *sites, const char *name)
{
        return gw_sites_lookup_n(sites, name, name != NULL ? strlen(name) : 0);
}

int gw_sites_tlcp_select(void *arg, const char *server_name, const struct tlcp_credentials **out)
{
        const struct gw_site *site = gw_sites_lookup(arg, server_name);
        if (site == NULL || !site->has_tlcp)
                return TLCP_EUNSUPPORTED_SITE;
        *out = &site->tlcp;
        return SMT_OK;
}

int gw_sites_tls_select(void *arg, const char *server_name, const struct net_tls_credentials **out)
{
        const struct gw_site *site = gw_sites_lookup(arg, server_name);
        if (site == NULL || !site->has_tls)
                return TLCP_EUNSUPPORTED_SITE;
        *out = &site->tls;
        return SMT_OK;
}
