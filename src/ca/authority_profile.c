/* src/ca/authority_profile.c: what goes into each kind of certificate (ca/authority.h lists the profiles):
 * subject, key usages, EKU, certificate policies, AIA and CRL distribution point, for leaves and for the
 * issuing CAs. Requests reach here already checked (authority_issue.c). */
#include <stdio.h>
#include <string.h>

#include "ca/authority_internal.h"

/* CA/Browser Forum BR §7.1.6.1: reserved policy identifiers of domain- and organization-validated TLS
 * certificates. */
#define CA_POLICY_DV "2.23.140.1.2.1"
#define CA_POLICY_OV "2.23.140.1.2.2"

static bool ca_profile_is_ssl(int kind)
{
        return kind == CA_KIND_SSL_SM2_DV || kind == CA_KIND_SSL_SM2_OV || kind == CA_KIND_SSL_ECC_DV;
}

static bool ca_profile_is_rsa(enum key_alg alg)
{
        return alg == KEY_ALG_RSA_2048 || alg == KEY_ALG_RSA_3072 || alg == KEY_ALG_RSA_OTHER;
}

unsigned ca_profile_key_usage(int kind, enum key_alg alg, bool sm2_encryption)
{
        /* tlcp-wire.md: a TLCP encryption certificate has keyEncipherment + dataEncipherment, and keyAgreement
         * for the ECDHE suites (GB/T 38636 §6.4.5.3 uses the encryption key in the SM2 key exchange). */
        if (sm2_encryption)
                return CERT_KEY_USAGE_KEY_ENCIPHERMENT | CERT_KEY_USAGE_DATA_ENCIPHERMENT |
                       CERT_KEY_USAGE_KEY_AGREEMENT;
        unsigned usage = CERT_KEY_USAGE_DIGITAL_SIGNATURE;
        switch ((enum ca_kind)kind) {
        case CA_KIND_SSL_SM2_DV:
        case CA_KIND_SSL_SM2_OV:
        case CA_KIND_SSL_ECC_DV:
        case CA_KIND_IOT_SM2:
        case CA_KIND_IOT_ECC:
                /* BR §7.1.2.7.11: RSA may add keyEncipherment (RSA key transport); EC keys sign only. */
                return ca_profile_is_rsa(alg) ? usage | CERT_KEY_USAGE_KEY_ENCIPHERMENT : usage;
        case CA_KIND_EMAIL_SM2:
        case CA_KIND_EMAIL_ECC:
                /* S/MIME BR §7.1.2.3(e): dual use, so mail can also be encrypted to the key. */
                return usage |
                       (ca_profile_is_rsa(alg) ? CERT_KEY_USAGE_KEY_ENCIPHERMENT : CERT_KEY_USAGE_KEY_AGREEMENT);
        case CA_KIND_DOCUMENT_SM2:
        case CA_KIND_DOCUMENT_ECC:
                /* A signature on a document is a commitment (RFC 5280 §4.2.1.3: nonRepudiation). */
                return usage | CERT_KEY_USAGE_NON_REPUDIATION;
        case CA_KIND_CODE_SM2:
        case CA_KIND_CODE_ECC:
        case CA_KIND_ADMIN:
                return usage;
        }
        return usage;
}

unsigned ca_profile_extended_usage(int kind)
{
        switch ((enum ca_kind)kind) {
        case CA_KIND_SSL_SM2_DV:
        case CA_KIND_SSL_SM2_OV:
        case CA_KIND_SSL_ECC_DV:
        case CA_KIND_IOT_SM2:
        case CA_KIND_IOT_ECC:
                return CERT_EXTENDED_USAGE_SERVER_AUTH | CERT_EXTENDED_USAGE_CLIENT_AUTH;
        case CA_KIND_EMAIL_SM2:
        case CA_KIND_EMAIL_ECC:
                return CERT_EXTENDED_USAGE_EMAIL_PROTECTION;
        case CA_KIND_CODE_SM2:
        case CA_KIND_CODE_ECC:
                return CERT_EXTENDED_USAGE_CODE_SIGNING;
        case CA_KIND_DOCUMENT_SM2:
        case CA_KIND_DOCUMENT_ECC:
                return 0; /* no registered purpose fits every document format: no extension */
        case CA_KIND_ADMIN:
                return CERT_EXTENDED_USAGE_CLIENT_AUTH;
        }
        return 0;
}

static size_t ca_profile_policies(struct ca_profile *profile, int kind)
{
        if (!ca_profile_is_ssl(kind))
                return 0;
        profile->policies[0] = kind == CA_KIND_SSL_SM2_OV ? CA_POLICY_OV : CA_POLICY_DV;
        return 1;
}

static int ca_profile_url(char out[CA_URL_MAX], const struct ca_config *config, const char *folder, const char *name,
                          const char *suffix, struct err *err)
{
        int n = snprintf(out, CA_URL_MAX, "%s/%s/%s%s", config->public_url, folder, name, suffix);
        if (n < 0 || n >= CA_URL_MAX)
                return SMT_ERR(err, SMT_ENOSPACE, "public_url \"%.80s...\" is too long for certificate URLs",
                               config->public_url);
        return SMT_OK;
}

/* AIA (OCSP, caIssuers) and the CRL distribution point of certificates that issuer signs (BR §7.1.2.7.7,
 * §7.1.2.11.2): <public_url>/ocsp/<issuer>, /ca/<issuer>.crt, /crl/<issuer>.crl. */
static int ca_profile_urls(struct ca_profile *profile, const struct ca_config *config, const char *issuer,
                           bool with_ocsp, struct err *err)
{
        if (with_ocsp)
                TRY(ca_profile_url(profile->ocsp_url, config, "ocsp", issuer, "", err));
        TRY(ca_profile_url(profile->issuer_url, config, "ca", issuer, ".crt", err));
        return ca_profile_url(profile->crl_url, config, "crl", issuer, ".crl", err);
}

static void ca_profile_subject(struct cert_issue_params *params, const struct ca_config *config, int kind,
                               const struct ca_issue_request *request)
{
        if (ca_profile_is_ssl(kind)) {
                /* BR §7.1.2.7.2/7.1.4.3: the CN, when present, is one of the SAN values. */
                params->common_name = request->common_name != NULL ? request->common_name
                                      : request->num_dns_names > 0 ? request->dns_names[0]
                                                                   : request->ip_addresses[0];
        } else if (request->common_name != NULL) {
                params->common_name = request->common_name;
        } else {
                params->common_name = request->emails[0]; /* e-mail: checked to have one */
        }
        /* DV carries no organization (BR §7.1.2.7.2); checked before. */
        params->organization = request->organization;
        params->country = request->organization != NULL ? config->country : NULL;
}

int ca_profile_leaf(struct cert_issue_params *params, struct ca_profile *profile, const struct ca_authority *ca,
                    const struct ca_config *config, int kind, const struct ca_issue_request *request, struct err *err)
{
        memset(params, 0, sizeof *params);
        memset(profile, 0, sizeof *profile);
        TRY(ca_profile_urls(profile, config, ca->name, true, err));
        params->subject_key = request->subject_key;
        params->issuer_key = ca->key;
        params->issuer_cert = cert_chain_get(ca->chain, 0);
        ca_profile_subject(params, config, kind, request);
        params->dns_names = request->dns_names;
        params->num_dns_names = request->num_dns_names;
        params->ip_addresses = request->ip_addresses;
        params->num_ip_addresses = request->num_ip_addresses;
        params->emails = request->emails;
        params->num_emails = request->num_emails;
        params->key_usage = ca_profile_key_usage(kind, key_get_alg(request->subject_key), request->sm2_encryption);
        params->extended_usage = ca_profile_extended_usage(kind);
        params->num_policy_oids = ca_profile_policies(profile, kind);
        params->policy_oids = profile->policies;
        params->ocsp_url = profile->ocsp_url;
        params->ca_issuers_url = profile->issuer_url;
        params->crl_url = profile->crl_url;
        return SMT_OK;
}

int ca_profile_issuing(struct cert_issue_params *params, struct ca_profile *profile, const struct ca_config *config,
                       const struct ca_issuing_config *issuing, int kind, const char *common_name,
                       const char *root_name, struct err *err)
{
        memset(params, 0, sizeof *params);
        memset(profile, 0, sizeof *profile);
        /* BR §7.1.2.10: a subordinate CA certificate names the root's CRL and certificate, OCSP optional (the
         * roots' keys stay offline, so they answer no OCSP). */
        TRY(ca_profile_urls(profile, config, root_name, false, err));
        params->common_name = common_name;
        params->organization = config->organization;
        params->country = config->country;
        params->is_ca = true;
        params->has_path_len = true;
        params->path_len = 0; /* issuing CAs sign leaves only */
        /* digitalSignature: the CA key signs its own OCSP responses (BR §7.1.2.10.7). */
        params->key_usage = CERT_KEY_USAGE_DIGITAL_SIGNATURE | CERT_KEY_USAGE_KEY_CERT_SIGN | CERT_KEY_USAGE_CRL_SIGN;
        /* BR §7.1.2.10.6 wants the family's EKU in an ECC issuing CA. GmSSL 3 refuses any EKU in a CA
         * certificate of a TLCP chain (x509_ext_key_usage_check knows no CA type), and GM/T 0015 asks none:
         * SM2 issuing CAs carry no EKU, so Tongsuo, GmSSL and SM2 browsers all accept their chains. */
        params->extended_usage = ca_kind_is_sm2(kind) ? 0 : ca_profile_extended_usage(kind);
        params->num_policy_oids = ca_profile_policies(profile, kind);
        params->policy_oids = profile->policies;
        params->ca_issuers_url = profile->issuer_url;
        params->crl_url = profile->crl_url;
        if (issuing != NULL) {
                params->permitted_dns = (const char *const *)issuing->permitted_dns.items;
                params->num_permitted_dns = issuing->permitted_dns.num;
                params->excluded_dns = (const char *const *)issuing->excluded_dns.items;
                params->num_excluded_dns = issuing->excluded_dns.num;
        }
        return SMT_OK;
}
