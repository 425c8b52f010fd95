/* src/ca/config_rules.c: the rules that compare issuing CAs with each other and with the roots (unique
 * names, one CA per ssl-* kind, no CA outliving its root). base/config.h checks one section at a time, so
 * these run on the loaded struct; the lines come from parsing the text once more with libyaml, only when
 * there is a problem to report. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/config_lines.h"
#include "ca/config.h"
#include "ca/config_internal.h"

struct ca_rules {
        const struct ca_config *config;
        const char *name;
        struct config_errors *errors;
        size_t num_found;
        struct config_lines lines;
};

/* The line of issuing_cas[index].key, or of the item when the key is absent. */
static size_t ca_rules_line(struct ca_rules *r, size_t index, const char *key)
{
        yaml_node_t *list = config_lines_value(&r->lines, config_lines_root(&r->lines), "issuing_cas");
        yaml_node_t *item =
            list != NULL && list->type == YAML_SEQUENCE_NODE ? config_lines_item(&r->lines, list, index) : NULL;
        size_t line = config_lines_line(item, config_lines_line(list, 0));
        return config_lines_line(config_lines_value(&r->lines, item, key), line);
}

static void ca_rules_error(struct ca_rules *r, size_t index, const char *key, const char *fmt, ...) SMT_PRINTF(4, 5);
static void ca_rules_error(struct ca_rules *r, size_t index, const char *key, const char *fmt, ...)
{
        char message[CONFIG_ERROR_LEN];
        va_list args;
        va_start(args, fmt);
        vsnprintf(message, sizeof message, fmt, args);
        va_end(args);
        size_t line = ca_rules_line(r, index, key);
        config_errors_add(r->errors, line, "%s:%zu: issuing_cas[%zu].%s: %s", r->name, line, index, key, message);
        r->num_found++;
}

static bool ca_rules_is_ssl(int kind)
{
        return kind == CA_KIND_SSL_SM2_DV || kind == CA_KIND_SSL_SM2_OV || kind == CA_KIND_SSL_ECC_DV;
}

/* Compares issuing CA i with the ones before it. */
static void ca_rules_issuing(struct ca_rules *r, size_t i)
{
        const struct ca_issuing_config *cas = r->config->issuing_cas.items;
        for (size_t j = 0; j < i; j++) {
                if (strcmp(cas[i].name, cas[j].name) == 0) {
                        ca_rules_error(r, i, "name",
                                       "\"%s\" is the name of issuing_cas[%zu] (line %zu) too; names "
                                       "are unique",
                                       cas[i].name, j, ca_rules_line(r, j, "name"));
                        return;
                }
                /* ACME picks the CA from the CSR's key and the account (ca/authority.h), one per kind. */
                if (cas[i].kind == cas[j].kind && ca_rules_is_ssl(cas[i].kind)) {
                        ca_rules_error(r, i, "kind",
                                       "a second %s CA (issuing_cas[%zu] \"%s\" is one); ACME issues "
                                       "from one CA of each ssl-* kind",
                                       ca_kind_name(cas[i].kind), j, cas[j].name);
                        return;
                }
        }
        const struct ca_root_config *root = ca_kind_is_sm2(cas[i].kind) ? &r->config->sm2_root : &r->config->ecc_root;
        if (cas[i].validity > root->validity)
                ca_rules_error(r, i, "validity",
                               "%lld days exceed the %s root's %lld days (a CA cannot outlive "
                               "its issuer, RFC 5280 §6.1.3)",
                               (long long)(cas[i].validity / 86400000), ca_kind_is_sm2(cas[i].kind) ? "SM2" : "ECC",
                               (long long)(root->validity / 86400000));
}

/* tsa.sm2_ca / tsa.ecc_ca name an issuing CA of ca.yaml of that family (the TSA certificate is made when
 * the CA is, by `smtrust ca init`'s hierarchy, so a CA made at run time cannot be named). */
static void ca_rules_tsa_ca(struct ca_rules *r, const char *key, const char *name, bool is_sm2)
{
        if (name == NULL)
                return;
        const struct ca_issuing_config *cas = r->config->issuing_cas.items;
        for (size_t i = 0; i < r->config->issuing_cas.num; i++)
                if (strcmp(cas[i].name, name) == 0) {
                        if (ca_kind_is_sm2(cas[i].kind) == is_sm2)
                                return;
                        break;
                }
        yaml_node_t *tsa = config_lines_value(&r->lines, config_lines_root(&r->lines), "tsa");
        size_t line = config_lines_line(config_lines_value(&r->lines, tsa, key), config_lines_line(tsa, 0));
        config_errors_add(r->errors, line, "%s:%zu: tsa.%s: \"%s\" is not an %s issuing CA of issuing_cas", r->name,
                          line, key, name, is_sm2 ? "SM2" : "ECC");
        r->num_found++;
}

int ca_config_rules_check(const struct ca_config *config, const char *name, const char *text, size_t len,
                          struct config_errors *errors)
{
        struct ca_rules r = {.config = config, .name = name, .errors = errors};
        config_lines_init(&r.lines, text, len);
        for (size_t i = 0; i < config->issuing_cas.num; i++)
                ca_rules_issuing(&r, i);
        ca_rules_tsa_ca(&r, "sm2_ca", config->tsa.sm2_ca, true);
        ca_rules_tsa_ca(&r, "ecc_ca", config->tsa.ecc_ca, false);
        config_lines_free(&r.lines);
        if (r.num_found == 0)
                return SMT_OK;
        config_errors_sort(errors);
        return SMT_ECONFIG;
}
