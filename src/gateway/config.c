/* src/gateway/config.c: loading gateway.yaml: base/config.h walks the schema (config_schema.c), then the
 * values are normalised (names lowercase, file paths absolute, defaults that depend on other keys) and the
 * rules across list items run (config_rules.c). Nothing reaches the caller unless all of it succeeded. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "gateway/config.h"
#include "gateway/config_internal.h"

static void gw_config_lowercase(char *text)
{
        for (; text != NULL && *text != '\0'; text++)
                *text = (char)tolower((unsigned char)*text);
}

/* Makes *path absolute against dir (a relative path names a file beside the config file). */
static int gw_config_path_resolve(char **path, const char *dir, const char *const *special)
{
        if (*path == NULL || (*path)[0] == '/')
                return SMT_OK;
        for (size_t i = 0; special != NULL && special[i] != NULL; i++)
                if (strcmp(*path, special[i]) == 0)
                        return SMT_OK;
        char *joined = NULL;
        if (asprintf(&joined, "%s/%s", dir, *path) < 0)
                return SMT_ENOMEM;
        free(*path);
        *path = joined;
        return SMT_OK;
}

static int gw_config_site_normalise(struct gw_site_config *site, const char *dir)
{
        for (size_t i = 0; i < site->names.num; i++)
                gw_config_lowercase(site->names.items[i]);
        gw_config_lowercase(site->origin_tls.server_name);
        if (site->name == NULL)
                site->name = strdup(site->names.num > 0 ? site->names.items[0] : "default");
        if (site->name == NULL)
                return SMT_ENOMEM;
        char **paths[] = {&site->sm2.sign_cert, &site->sm2.sign_key,      &site->sm2.enc_cert, &site->sm2.enc_key,
                          &site->sm2.chain,     &site->ecc.cert,          &site->ecc.key,      &site->rsa.cert,
                          &site->rsa.key,       &site->origin_tls.ca_file};
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
                TRY(gw_config_path_resolve(paths[i], dir, NULL));
        return SMT_OK;
}

/* Moves the sites from their file form into config.sites, the health checks' expect read into numbers.
 * Fails only before anything moved (SMT_ENOMEM), leaving the file form to free. */
static int gw_config_sites_move(struct gw_config_file *file)
{
        struct gw_config_site_file *from = file->sites.items;
        size_t num = file->sites.num;
        struct err err = {0};
        for (size_t i = 0; i < num; i++) {
                struct gw_config_health_check_file *health = &from[i].upstream.health_check;
                TRY(gw_config_expect_parse(&health->check.expect_min, &health->check.expect_max, health->expect,
                                           &err)); /* checked by the schema: cannot fail */
        }
        struct gw_site_config *sites = num > 0 ? calloc(num, sizeof *sites) : NULL;
        if (num > 0 && sites == NULL)
                return SMT_ENOMEM;
        for (size_t i = 0; i < num; i++) {
                sites[i] = from[i].site;
                sites[i].upstream = from[i].upstream.upstream;
                sites[i].upstream.health_check = from[i].upstream.health_check.check;
                free(from[i].upstream.health_check.expect);
        }
        free(from);
        file->sites = (struct config_list){0};
        file->config.sites = (struct config_list){.items = sites, .num = num};
        return SMT_OK;
}

/* Frees config.sites: each site goes back into its file form (no allocation) and the schema frees that. */
static void gw_config_sites_free(struct config_list *list)
{
        struct gw_site_config *sites = list->items;
        for (size_t i = 0; i < list->num; i++) {
                struct gw_config_site_file form = {.site = sites[i]};
                form.upstream.upstream = sites[i].upstream;
                form.upstream.health_check.check = sites[i].upstream.health_check;
                config_free(&form, &gw_config_site_file_schema);
        }
        free(sites);
        *list = (struct config_list){0};
}

static int gw_config_normalise(struct gw_config_file *file, const char *dir)
{
        struct gw_config *config = &file->config;
        static const char *const log_targets[] = {"-", "off", NULL};
        TRY(gw_config_sites_move(file));
        config->workers = strcmp(file->workers, "auto") == 0 ? 0 : strtol(file->workers, NULL, 10);
        free(file->workers);
        file->workers = NULL;
        config->dir = strdup(dir);
        if (config->dir == NULL)
                return SMT_ENOMEM;
        TRY(gw_config_path_resolve(&config->log.access, dir, log_targets));
        TRY(gw_config_path_resolve(&config->log.error, dir, log_targets));
        TRY(gw_config_path_resolve(&config->acme.state_dir, dir, NULL));
        TRY(gw_config_path_resolve(&config->acme.ecc.ca_file, dir, NULL));
        TRY(gw_config_path_resolve(&config->acme.sm2.ca_file, dir, NULL));
        TRY(gw_config_path_resolve(&config->acme.dns_hook, dir, NULL));
        gw_config_acme_normalise(config);
        for (size_t i = 0; i < config->sites.num; i++)
                TRY(gw_config_site_normalise((struct gw_site_config *)config->sites.items + i, dir));
        return SMT_OK;
}

/* The folder relative paths resolve against, absolute: dir, made absolute against the working folder. */
static void gw_config_file_free(struct gw_config_file *file)
{
        free(file->config.dir);
        file->config.dir = NULL;
        gw_config_sites_free(&file->config.sites);
        config_free(file, &gw_config_file_schema);
}

int gw_config_load_string(struct gw_config *out, const char *name, const char *text, size_t len, const char *dir,
                          struct config_errors *errors)
{
        struct gw_config_file file;
        char *absolute = NULL;
        int status = config_load_string(&file, &gw_config_file_schema, name, text, len, errors);
        if (status < 0)
                return status;
        status = config_folder_absolute(&absolute, dir);
        if (status == SMT_OK)
                status = gw_config_normalise(&file, absolute);
        if (status < 0)
                config_errors_add(errors, 0, "%s: %s while reading the configuration", name, err_describe(status));
        else
                status = gw_config_rules_check(&file.config, name, text, len, errors);
        free(absolute);
        if (status < 0) {
                gw_config_file_free(&file);
                return status;
        }
        *out = file.config;
        return SMT_OK;
}

static int gw_config_load_text(void *out, const char *name, const char *text, size_t len, const char *dir,
                               struct config_errors *errors)
{
        return gw_config_load_string(out, name, text, len, dir, errors);
}

int gw_config_load(struct gw_config *out, const char *path, struct config_errors *errors)
{
        return config_load_file_in_folder(out, path, gw_config_load_text, errors);
}

void gw_config_free(struct gw_config *config)
{
        if (config == NULL)
                return;
        struct gw_config_file file = {.config = *config};
        gw_config_file_free(&file);
        memset(config, 0, sizeof *config);
}

int gw_config_workers(const struct gw_config *config)
{
        if (config->workers > 0)
                return (int)config->workers;
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        if (online < 1)
                return 1;
        return online > 256 ? 256 : (int)online;
}
