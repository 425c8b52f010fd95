/* src/ca/authority_issue.c: ca_issue: a request is checked against the CA's policy (key family, the names
 * a profile takes, wildcards, the CA's name constraints, validity bounds) before anything is signed; the
 * profile (authority_profile.c) then says what the certificate carries. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ca/authority_internal.h"

static bool ca_issue_is_ssl(int kind)
{
        return kind == CA_KIND_SSL_SM2_DV || kind == CA_KIND_SSL_SM2_OV || kind == CA_KIND_SSL_ECC_DV;
}

/* --- the key --- */

static int ca_issue_check_key(int kind, const struct ca_issue_request *request, struct err *err)
{
        if (request->subject_key == NULL)
                return SMT_ERR(err, CA_EPOLICY, "no subject key");
        enum key_alg alg = key_get_alg(request->subject_key);
        if (ca_kind_is_sm2(kind) != (alg == KEY_ALG_SM2))
                return SMT_ERR(err, CA_EPOLICY, "a %s certificate certifies %s key, got %s", ca_kind_name(kind),
                               ca_kind_is_sm2(kind) ? "an SM2" : "an EC (P-256, P-384) or RSA (2048 bits or more)",
                               key_alg_name(alg));
        bool is_rsa = alg == KEY_ALG_RSA_2048 || alg == KEY_ALG_RSA_3072 || alg == KEY_ALG_RSA_OTHER;
        /* BR §6.1.5: RSA moduli of at least 2048 bits. */
        if (is_rsa && key_bits(request->subject_key) < 2048)
                return SMT_ERR(err, CA_EPOLICY, "an RSA key of %d bits; at least 2048 are needed",
                               key_bits(request->subject_key));
        bool is_sm2_ssl = kind == CA_KIND_SSL_SM2_DV || kind == CA_KIND_SSL_SM2_OV;
        if (request->sm2_encryption && !is_sm2_ssl)
                return SMT_ERR(err, CA_EPOLICY, "an SM2 encryption certificate comes from an ssl-sm2-* CA, not %s",
                               ca_kind_name(kind));
        return SMT_OK;
}

/* --- names --- */

/* RFC 6125 §6.4.3 and BR §7.1.2.7.12: a wildcard is the whole left-most label, over two labels at least. */
static int ca_issue_check_dns_name(int kind, const char *name, struct err *err)
{
        struct err ignored = {0};
        bool is_wildcard = strncmp(name, "*.", 2) == 0;
        const char *base = is_wildcard ? name + 2 : name;
        if (is_wildcard && !ca_issue_is_ssl(kind))
                return SMT_ERR(err, CA_EPOLICY, "\"%.80s\": wildcards are for TLS certificates only", name);
        if (is_wildcard && strchr(base, '.') == NULL)
                return SMT_ERR(err, CA_EPOLICY, "\"%.80s\": a wildcard covers a domain of two labels or more", name);
        if (ca_config_check_dns_name(base, &ignored) < 0)
                return SMT_ERR(err, CA_EPOLICY,
                               "\"%.80s\" is not a DNS name (a wildcard '*' only as the whole left-most label)", name);
        return SMT_OK;
}

static int ca_issue_check_ip(const char *text, struct err *err)
{
        unsigned char ip[16];
        if (inet_pton(AF_INET, text, ip) != 1 && inet_pton(AF_INET6, text, ip) != 1)
                return SMT_ERR(err, CA_EPOLICY, "\"%.80s\" is not an IP address", text);
        return SMT_OK;
}

static int ca_issue_check_email(const char *email, struct err *err)
{
        struct err ignored = {0};
        const char *at = strrchr(email, '@');
        bool local_ok = at != NULL && at != email && (size_t)(at - email) <= 64;
        for (const char *c = email; local_ok && c < at; c++)
                local_ok = *c > ' ' && *c <= '~' && *c != '@' && *c != '"' && *c != '\\';
        if (!local_ok || ca_config_check_dns_name(at + 1, &ignored) < 0)
                return SMT_ERR(err, CA_EPOLICY, "\"%.80s\" is not an e-mail address (local@domain)", email);
        return SMT_OK;
}

/* Which names and subject fields each profile takes (ca/authority.h). */
static int ca_issue_check_shape(int kind, const struct ca_issue_request *r, struct err *err)
{
        const char *kind_name = ca_kind_name(kind);
        size_t num_hosts = r->num_dns_names + r->num_ip_addresses;
        bool is_ssl = ca_issue_is_ssl(kind);
        bool is_email = kind == CA_KIND_EMAIL_SM2 || kind == CA_KIND_EMAIL_ECC;
        bool is_iot = kind == CA_KIND_IOT_SM2 || kind == CA_KIND_IOT_ECC;
        bool is_document = kind == CA_KIND_DOCUMENT_SM2 || kind == CA_KIND_DOCUMENT_ECC;
        bool is_code = kind == CA_KIND_CODE_SM2 || kind == CA_KIND_CODE_ECC;
        if (is_ssl && num_hosts == 0)
                return SMT_ERR(err, CA_EPOLICY, "a %s certificate needs a DNS name or IP address", kind_name);
        if (num_hosts > 0 && !is_ssl && !is_iot)
                return SMT_ERR(err, CA_EPOLICY, "a %s certificate carries no DNS names or IP addresses", kind_name);
        if (is_email && r->num_emails == 0)
                return SMT_ERR(err, CA_EPOLICY, "a %s certificate needs an e-mail address", kind_name);
        if (r->num_emails > 0 && !is_email && !is_document)
                return SMT_ERR(err, CA_EPOLICY, "a %s certificate carries no e-mail addresses", kind_name);
        if (!is_ssl && !is_email && (r->common_name == NULL || r->common_name[0] == '\0'))
                return SMT_ERR(err, CA_EPOLICY, "a %s certificate needs a common name", kind_name);
        bool has_organization = r->organization != NULL && r->organization[0] != '\0';
        if ((kind == CA_KIND_SSL_SM2_OV || is_code) && !has_organization)
                return SMT_ERR(err, CA_EPOLICY, "a %s certificate needs the subject's organization", kind_name);
        /* BR §7.1.2.7.2: a DV subject has no organization; an empty one would be an empty RDN. */
        if (r->organization != NULL && (!has_organization || kind == CA_KIND_SSL_SM2_DV || kind == CA_KIND_SSL_ECC_DV))
                return SMT_ERR(err, CA_EPOLICY, "a %s certificate carries no organization", kind_name);
        return SMT_OK;
}

static bool ca_issue_name_in(const char *name, const char *subtree)
{
        size_t len = strlen(name), sub = strlen(subtree);
        if (len == sub)
                return strcasecmp(name, subtree) == 0;
        return len > sub && name[len - sub - 1] == '.' && strcasecmp(name + len - sub, subtree) == 0;
}

/* A wildcard "*.d" also covers an excluded "x.d" (one more label): refused, or the certificate would
 * name what the CA may not. */
static bool ca_issue_wildcard_covers(const char *name, const char *subtree)
{
        if (strncmp(name, "*.", 2) != 0)
                return false;
        const char *dot = strchr(subtree, '.');
        return dot != NULL && dot != subtree && strcasecmp(dot + 1, name + 2) == 0;
}

/* RFC 5280 §4.2.1.10: a dNSName is inside a subtree when it equals it or ends with "." and it. The CA's
 * certificate carries the same constraints, so a name outside would fail every verifier anyway. */
static int ca_issue_check_constraints(const struct ca_authority *ca, const struct ca_issue_request *r, struct err *err)
{
        const struct ca_name_constraints *c = &ca->constraints;
        if (c->num_permitted_dns > 0 && r->num_ip_addresses > 0)
                return SMT_ERR(err, CA_EPOLICY,
                               "CA %s may name only DNS names under its permitted domains, not the "
                               "IP address %s",
                               ca->name, r->ip_addresses[0]);
        for (size_t i = 0; i < r->num_dns_names; i++) {
                const char *name = r->dns_names[i];
                bool is_permitted = c->num_permitted_dns == 0;
                for (size_t p = 0; p < c->num_permitted_dns && !is_permitted; p++)
                        is_permitted = ca_issue_name_in(name, c->permitted_dns[p]);
                if (!is_permitted)
                        return SMT_ERR(err, CA_EPOLICY, "\"%.80s\" is outside the names CA %s may certify (%s%s)", name,
                                       ca->name, c->permitted_dns[0], c->num_permitted_dns > 1 ? ", ..." : "");
                for (size_t e = 0; e < c->num_excluded_dns; e++)
                        if (ca_issue_name_in(name, c->excluded_dns[e]) ||
                            ca_issue_wildcard_covers(name, c->excluded_dns[e]))
                                return SMT_ERR(err, CA_EPOLICY, "\"%.80s\" falls under %s, which CA %s excludes", name,
                                               c->excluded_dns[e], ca->name);
        }
        return SMT_OK;
}

static int ca_issue_check_names(const struct ca_authority *ca, int kind, const struct ca_issue_request *r,
                                struct err *err)
{
        TRY(ca_issue_check_shape(kind, r, err));
        bool common_name_found = r->common_name == NULL || !ca_issue_is_ssl(kind);
        for (size_t i = 0; i < r->num_dns_names; i++) {
                TRY(ca_issue_check_dns_name(kind, r->dns_names[i], err));
                common_name_found = common_name_found || strcmp(r->common_name, r->dns_names[i]) == 0;
        }
        for (size_t i = 0; i < r->num_ip_addresses; i++) {
                TRY(ca_issue_check_ip(r->ip_addresses[i], err));
                common_name_found = common_name_found || strcmp(r->common_name, r->ip_addresses[i]) == 0;
        }
        for (size_t i = 0; i < r->num_emails; i++)
                TRY(ca_issue_check_email(r->emails[i], err));
        /* BR §7.1.4.3: the CN of a TLS certificate repeats one of its SAN values. */
        if (!common_name_found)
                return SMT_ERR(err, CA_EPOLICY, "common name \"%.80s\" is none of the certificate's names",
                               r->common_name);
        return ca_issue_check_constraints(ca, r, err);
}

/* --- validity --- */

static int ca_issue_validity(time_t *not_before, time_t *not_after, const struct ca_authority *ca,
                             const struct ca_config *config, const struct ca_issue_request *r, struct err *err)
{
        int64_t seconds = r->validity_seconds != 0 ? r->validity_seconds : config->certificates.default_validity / 1000;
        int64_t min = config->certificates.min_validity / 1000, max = config->certificates.max_validity / 1000;
        if (seconds < min || seconds > max)
                return SMT_ERR(err, CA_EPOLICY,
                               "a validity of %lld s is outside %lld..%lld s (certificates.min_validity"
                               "..max_validity)",
                               (long long)seconds, (long long)min, (long long)max);
        time_t ca_not_before, ca_not_after;
        TRY(cert_not_before(cert_chain_get(ca->chain, 0), &ca_not_before, err));
        TRY(cert_not_after(cert_chain_get(ca->chain, 0), &ca_not_after, err));
        *not_before = r->not_before != 0 ? r->not_before : time(NULL);
        *not_after = *not_before + (time_t)seconds;
        if (*not_before < ca_not_before)
                return SMT_ERR(err, CA_EPOLICY,
                               "the certificate would start before CA %s's own notBefore (%lld s "
                               "earlier)",
                               ca->name, (long long)(ca_not_before - *not_before));
        /* RFC 5280 §6.1.3: a certificate past its issuer's notAfter would not verify at its end. */
        if (*not_after > ca_not_after)
                return SMT_ERR(err, CA_EPOLICY, "the certificate would end after CA %s's own notAfter (%lld s later)",
                               ca->name, (long long)(*not_after - ca_not_after));
        return SMT_OK;
}

int ca_authority_issue(const struct ca_authority *ca, const struct ca_config *config, int kind,
                       const struct ca_issue_request *request, struct cert **out, struct err *err)
{
        struct cert_issue_params params;
        struct ca_profile profile;
        time_t not_before = 0, not_after = 0;
        TRY(ca_issue_check_key(kind, request, err));
        TRY(ca_issue_check_names(ca, kind, request, err));
        TRY(ca_issue_validity(&not_before, &not_after, ca, config, request, err));
        TRY(ca_profile_leaf(&params, &profile, ca, config, kind, request, err));
        params.not_before = not_before;
        params.not_after = not_after;
        return cert_issue(out, &params, err);
}

int ca_issue(const struct ca_authority *ca, const struct ca_config *config, const struct ca_issue_request *request,
             struct cert **out, struct err *err)
{
        return ca_authority_issue(ca, config, ca->kind, request, out, err);
}
