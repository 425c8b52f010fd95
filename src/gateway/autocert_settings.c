/* src/gateway/autocert_settings.c: the acme settings of one configuration generation, copied out of the
 * configuration (which a reload frees) and shared, counted, by the orders started under them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/autocert_internal.h"

static void gw_autocert_issuer_free(struct gw_autocert_issuer *issuer)
{
        free(issuer->directory);
        free(issuer->ca_file);
        free(issuer->eab_kid);
        if (issuer->eab_hmac_key != NULL)
                explicit_bzero(issuer->eab_hmac_key, strlen(issuer->eab_hmac_key));
        free(issuer->eab_hmac_key);
}

static void gw_autocert_settings_free(struct gw_autocert_settings *settings)
{
        for (size_t i = 0; i < GW_AUTOCERT_KINDS; i++)
                gw_autocert_issuer_free(&settings->issuers[i]);
        for (size_t i = 0; i < settings->num_contacts; i++)
                free(settings->contacts[i]);
        free(settings->contacts);
        free(settings->state_dir);
        free(settings->dns_hook);
        free(settings);
}

/* Copies text (NULL stays NULL); false when out of memory. */
static bool gw_autocert_copy(char **out, const char *text)
{
        *out = text != NULL ? strdup(text) : NULL;
        return text == NULL || *out != NULL;
}

static bool gw_autocert_issuer_copy(struct gw_autocert_issuer *out, const struct gw_acme_issuer_config *in)
{
        out->key_type = in->key_type;
        return gw_autocert_copy(&out->directory, in->directory) && gw_autocert_copy(&out->ca_file, in->ca_file) &&
               gw_autocert_copy(&out->eab_kid, in->eab_kid) && gw_autocert_copy(&out->eab_hmac_key, in->eab_hmac_key);
}

static bool gw_autocert_contacts_copy(struct gw_autocert_settings *out, const struct config_strings *email)
{
        out->contacts = calloc(email->num > 0 ? email->num : 1, sizeof *out->contacts);
        if (out->contacts == NULL)
                return false;
        for (size_t i = 0; i < email->num; i++) {
                const char *address = email->items[i];
                bool has_scheme = strncmp(address, "mailto:", 7) == 0;
                if (asprintf(&out->contacts[i], "%s%s", has_scheme ? "" : "mailto:", address) < 0)
                        return false;
                out->num_contacts++;
        }
        return true;
}

int gw_autocert_settings_new(struct gw_autocert_settings **out, const struct gw_acme_config *acme, struct err *err)
{
        struct gw_autocert_settings *settings = calloc(1, sizeof *settings);
        if (settings == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        atomic_init(&settings->refs, 1);
        bool ok = gw_autocert_copy(&settings->state_dir, acme->state_dir) &&
                  gw_autocert_copy(&settings->dns_hook, acme->dns_hook) &&
                  gw_autocert_issuer_copy(&settings->issuers[GW_AUTOCERT_ECC], &acme->ecc) &&
                  gw_autocert_issuer_copy(&settings->issuers[GW_AUTOCERT_SM2], &acme->sm2) &&
                  gw_autocert_contacts_copy(settings, &acme->email);
        if (!ok) {
                gw_autocert_settings_free(settings);
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        }
        memcpy(settings->challenges, acme->challenges, sizeof settings->challenges);
        settings->num_challenges = acme->num_challenges;
        settings->renewal_window_percent = (int)acme->renewal_window_percent;
        settings->retry_min_ms = acme->retry_min_ms;
        settings->retry_max_ms = acme->retry_max_ms;
        settings->order_timeout_ms = acme->order_timeout_ms;
        *out = settings;
        return SMT_OK;
}

void gw_autocert_settings_ref(struct gw_autocert_settings *settings)
{
        atomic_fetch_add(&settings->refs, 1);
}

void gw_autocert_settings_unref(struct gw_autocert_settings *settings)
{
        if (settings != NULL && atomic_fetch_sub(&settings->refs, 1) == 1)
                gw_autocert_settings_free(settings);
}
