/* src/ca/config.c: loading ca.yaml: base/config.h walks the schema (config_schema.c), then the values are
 * normalised (paths absolute against the file's folder, URLs without a trailing '/', defaults that depend
 * on other keys) and the rules across issuing CAs run (config_rules.c). Nothing reaches the caller unless
 * all of it succeeded. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "ca/config.h"
#include "ca/config_internal.h"

static const char *const ca_kind_names[] = {
    [CA_KIND_SSL_SM2_DV] = "ssl-sm2-dv",     [CA_KIND_SSL_SM2_OV] = "ssl-sm2-ov",
    [CA_KIND_SSL_ECC_DV] = "ssl-ecc-dv",     [CA_KIND_EMAIL_SM2] = "email-sm2",
    [CA_KIND_EMAIL_ECC] = "email-ecc",       [CA_KIND_CODE_SM2] = "code-sm2",
    [CA_KIND_CODE_ECC] = "code-ecc",         [CA_KIND_DOCUMENT_SM2] = "document-sm2",
    [CA_KIND_DOCUMENT_ECC] = "document-ecc", [CA_KIND_IOT_SM2] = "iot-sm2",
    [CA_KIND_IOT_ECC] = "iot-ecc",           [CA_KIND_ADMIN] = "admin",
};

#define CA_KIND_LAST CA_KIND_ADMIN

const char *ca_kind_name(int kind)
{
        if (kind < CA_KIND_SSL_SM2_DV || kind > CA_KIND_LAST)
                return "unknown";
        return ca_kind_names[kind];
}

int ca_kind_parse(const char *name, int *out)
{
        for (int kind = CA_KIND_SSL_SM2_DV; kind <= CA_KIND_LAST; kind++)
                if (strcmp(name, ca_kind_names[kind]) == 0) {
                        *out = kind;
                        return SMT_OK;
                }
        return SMT_EINVAL;
}

bool ca_kind_is_sm2(int kind)
{
        switch ((enum ca_kind)kind) {
        case CA_KIND_SSL_SM2_DV:
        case CA_KIND_SSL_SM2_OV:
        case CA_KIND_EMAIL_SM2:
        case CA_KIND_CODE_SM2:
        case CA_KIND_DOCUMENT_SM2:
        case CA_KIND_IOT_SM2:
                return true;
        case CA_KIND_SSL_ECC_DV:
        case CA_KIND_EMAIL_ECC:
        case CA_KIND_CODE_ECC:
        case CA_KIND_DOCUMENT_ECC:
        case CA_KIND_IOT_ECC:
        case CA_KIND_ADMIN:
                return false;
        }
        return false;
}

const struct ca_issuing_config *ca_config_find_issuing(const struct ca_config *config, int kind)
{
        const struct ca_issuing_config *cas = config->issuing_cas.items;
        for (size_t i = 0; i < config->issuing_cas.num; i++)
                if (cas[i].kind == kind)
                        return &cas[i];
        return NULL;
}

/* --- normalisation --- */

static void ca_config_lowercase_all(struct config_strings *names)
{
        for (size_t i = 0; i < names->num; i++)
                for (char *c = names->items[i]; *c != '\0'; c++)
                        *c = (char)tolower((unsigned char)*c);
}

/* Makes *path absolute against dir, keeping a prefix ("sqlite:") in front. */
static int ca_config_path_resolve(char **path, const char *dir, size_t prefix_len)
{
        if (*path == NULL || (*path)[prefix_len] == '/')
                return SMT_OK;
        char *joined = NULL;
        if (asprintf(&joined, "%.*s%s/%s", (int)prefix_len, *path, dir, *path + prefix_len) < 0)
                return SMT_ENOMEM;
        free(*path);
        *path = joined;
        return SMT_OK;
}

/* store.h's DSNs: PostgreSQL ones are left alone, a SQLite path ("sqlite:PATH" or PATH) made absolute. */
static int ca_config_store_resolve(struct ca_config *config, const char *dir)
{
        if (config->store == NULL)
                return asprintf(&config->store, "%s/ca.db", config->state_dir) < 0 ? SMT_ENOMEM : SMT_OK;
        if (strncmp(config->store, "postgresql:", 11) == 0 || strncmp(config->store, "postgres:", 9) == 0)
                return SMT_OK;
        return ca_config_path_resolve(&config->store, dir, strncmp(config->store, "sqlite:", 7) == 0 ? 7 : 0);
}

static void ca_config_url_trim(char *url)
{
        size_t len = url != NULL ? strlen(url) : 0;
        while (len > 0 && url[len - 1] == '/')
                url[--len] = '\0';
}

static int ca_config_set(char **field, const char *fmt, const char *a, const char *b)
{
        if (*field != NULL)
                return SMT_OK;
        return asprintf(field, fmt, a, b) < 0 ? SMT_ENOMEM : SMT_OK;
}

static int ca_config_server_names_default(struct config_strings *names)
{
        static const char *const defaults[] = {"localhost", "127.0.0.1"};
        if (names->num > 0)
                return SMT_OK;
        free(names->items);
        names->items = calloc(2, sizeof *names->items);
        if (names->items == NULL)
                return SMT_ENOMEM;
        for (; names->num < 2; names->num++)
                if ((names->items[names->num] = strdup(defaults[names->num])) == NULL)
                        return SMT_ENOMEM;
        return SMT_OK;
}

/* The TSA certificates' CAs by default: a document-signing CA, else a code-signing one, of each family. */
static int ca_config_tsa_default(char **field, const struct ca_config *config, int kind, int fallback)
{
        const struct ca_issuing_config *ca = ca_config_find_issuing(config, kind);
        if (ca == NULL)
                ca = ca_config_find_issuing(config, fallback);
        if (*field != NULL || ca == NULL)
                return SMT_OK;
        return (*field = strdup(ca->name)) == NULL ? SMT_ENOMEM : SMT_OK;
}

static int ca_config_normalise(struct ca_config *config, const char *dir)
{
        ca_config_url_trim(config->base_url);
        ca_config_url_trim(config->public_url);
        TRY(ca_config_set(&config->public_url, "%s%s", config->base_url, ""));
        TRY(ca_config_server_names_default(&config->server_names));
        ca_config_lowercase_all(&config->server_names);
        ca_config_lowercase_all(&config->acme.caa_identities);
        if (config->store_pool == 0)
                config->store_pool = config->threads;
        TRY(ca_config_set(&config->sm2_root.common_name, "%s%s", config->organization, " SM2 Root CA"));
        TRY(ca_config_set(&config->ecc_root.common_name, "%s%s", config->organization, " ECC Root CA"));
        struct ca_issuing_config *cas = config->issuing_cas.items;
        for (size_t i = 0; i < config->issuing_cas.num; i++) {
                ca_config_lowercase_all(&cas[i].permitted_dns);
                ca_config_lowercase_all(&cas[i].excluded_dns);
                TRY(ca_config_set(&cas[i].algorithm, "%s%s", ca_kind_is_sm2(cas[i].kind) ? "sm2" : "ec-p256", ""));
        }
        TRY(ca_config_tsa_default(&config->tsa.sm2_ca, config, CA_KIND_DOCUMENT_SM2, CA_KIND_CODE_SM2));
        TRY(ca_config_tsa_default(&config->tsa.ecc_ca, config, CA_KIND_DOCUMENT_ECC, CA_KIND_CODE_ECC));
        TRY(ca_config_path_resolve(&config->state_dir, dir, 0));
        return ca_config_store_resolve(config, dir);
}

/* The folder relative paths resolve against, absolute: dir, made absolute against the working folder. */
static int ca_config_path_set(struct ca_config *config, const char *name, const char *dir)
{
        const char *slash = strrchr(name, '/');
        const char *base = slash != NULL ? slash + 1 : name;
        return asprintf(&config->path, "%s/%s", dir, base) < 0 ? SMT_ENOMEM : SMT_OK;
}

int ca_config_load_string(struct ca_config *out, const char *name, const char *text, size_t len, const char *dir,
                          struct config_errors *errors)
{
        struct ca_config config;
        char *absolute = NULL;
        int status = config_load_string(&config, &ca_config_schema, name, text, len, errors);
        if (status < 0)
                return status;
        status = config_folder_absolute(&absolute, dir);
        if (status == SMT_OK)
                status = ca_config_normalise(&config, absolute);
        if (status == SMT_OK)
                status = ca_config_path_set(&config, name, absolute);
        if (status < 0)
                config_errors_add(errors, 0, "%s: %s while reading the configuration", name, err_describe(status));
        else
                status = ca_config_rules_check(&config, name, text, len, errors);
        free(absolute);
        if (status < 0) {
                ca_config_free(&config);
                return status;
        }
        *out = config;
        return SMT_OK;
}

static int ca_config_load_text(void *out, const char *name, const char *text, size_t len, const char *dir,
                               struct config_errors *errors)
{
        return ca_config_load_string(out, name, text, len, dir, errors);
}

int ca_config_load(struct ca_config *out, const char *path, struct config_errors *errors)
{
        return config_load_file_in_folder(out, path, ca_config_load_text, errors);
}

void ca_config_free(struct ca_config *config)
{
        if (config == NULL)
                return;
        free(config->path);
        config->path = NULL;
        config_free(config, &ca_config_schema);
}
