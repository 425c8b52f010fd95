/* src/crypto/cert_issue_ext.c: the X.509 v3 extensions cert_issue writes (RFC 5280 §4.2), each built as its
 * OpenSSL ASN.1 structure and encoded with X509_add1_ext_i2d, never from configuration strings, so a value
 * cannot smuggle in a second entry. */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/cert_issue_internal.h"
#include "crypto/crypto_error.h"

#define CERT_ISSUE_DNS_NAME_MAX 253
#define CERT_ISSUE_URI_MAX      2048

/* --- checks of the values --- */

bool cert_issue_is_dns_name(const char *name, bool allow_wildcard)
{
        size_t len = strlen(name);
        if (len == 0 || len > CERT_ISSUE_DNS_NAME_MAX)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = name[i];
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                          c == '.' || c == '_' || (c == '*' && allow_wildcard);
                if (!ok)
                        return false;
        }
        return true;
}

/* cert_issue_is_email: an rfc822Name is an IA5String addr-spec (RFC 5280 §4.2.1.6): local@domain, printable
 * ASCII without spaces. */
static bool cert_issue_is_email(const char *email)
{
        const char *at = strchr(email, '@');
        if (at == NULL || at == email || strchr(at + 1, '@') != NULL || !cert_issue_is_dns_name(at + 1, false))
                return false;
        for (const char *c = email; c < at; c++)
                if (*c <= ' ' || *c > '~')
                        return false;
        return true;
}

/* cert_issue_is_uri: an absolute URI (RFC 3986 §4.3) of printable ASCII: a scheme of letters, digits, '+',
 * '-', '.' starting with a letter, then ':'. */
static bool cert_issue_is_uri(const char *uri)
{
        size_t len = strlen(uri);
        size_t scheme = strcspn(uri, ":");
        if (len > CERT_ISSUE_URI_MAX || scheme == 0 || scheme + 1 >= len)
                return false;
        if (!((uri[0] >= 'a' && uri[0] <= 'z') || (uri[0] >= 'A' && uri[0] <= 'Z')))
                return false;
        for (size_t i = 0; i < len; i++)
                if (uri[i] <= ' ' || uri[i] > '~')
                        return false;
        return strspn(uri, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.") == scheme;
}

static int cert_issue_check_list(const char *const *values, size_t count, bool (*is_valid)(const char *),
                                 const char *kind, const char *what, struct err *err)
{
        if (count > 0 && values == NULL)
                return SMT_ERR(err, SMT_EINVAL, "%s: %zu %s entries without an array", what, count, kind);
        for (size_t i = 0; i < count; i++)
                if (values[i] == NULL || !is_valid(values[i]))
                        return SMT_ERR(err, SMT_EINVAL, "%s: \"%s\" is not a valid %s", what,
                                       values[i] != NULL ? values[i] : "(null)", kind);
        return SMT_OK;
}

static bool cert_issue_is_san_dns_name(const char *name)
{
        return cert_issue_is_dns_name(name, true);
}

static bool cert_issue_is_constraint_dns_name(const char *name)
{
        return cert_issue_is_dns_name(name, false);
}

static bool cert_issue_is_ip(const char *text)
{
        ASN1_OCTET_STRING *ip = a2i_IPADDRESS(text);
        ASN1_OCTET_STRING_free(ip);
        crypto_error_clear();
        return ip != NULL;
}

/* cert_issue_is_oid accepts dotted numbers only: a name like "anyPolicy" would be looked up, not encoded. */
static bool cert_issue_is_oid(const char *text)
{
        ASN1_OBJECT *oid = strspn(text, "0123456789.") == strlen(text) ? OBJ_txt2obj(text, 1) : NULL;
        ASN1_OBJECT_free(oid);
        crypto_error_clear();
        return oid != NULL;
}

int cert_issue_check_alt_names(const struct cert_issue_alt_names *names, const char *what, struct err *err)
{
        TRY(cert_issue_check_list(names->dns_names, names->num_dns_names, cert_issue_is_san_dns_name, "DNS name", what,
                                  err));
        TRY(cert_issue_check_list(names->ip_addresses, names->num_ip_addresses, cert_issue_is_ip, "IP address", what,
                                  err));
        TRY(cert_issue_check_list(names->emails, names->num_emails, cert_issue_is_email, "e-mail address", what, err));
        return cert_issue_check_list(names->uris, names->num_uris, cert_issue_is_uri, "URI", what, err);
}

static int cert_issue_check_url(const char *url, const char *kind, struct err *err)
{
        if (url == NULL || cert_issue_is_uri(url))
                return SMT_OK;
        return SMT_ERR(err, SMT_EINVAL, "cert_issue: %s \"%s\" is not an absolute URI", kind, url);
}

int cert_issue_check_extensions(const struct cert_issue_params *p, struct err *err)
{
        bool has_constraints = p->num_permitted_dns > 0 || p->num_excluded_dns > 0;
        if (has_constraints && !p->is_ca)
                return SMT_ERR(err, SMT_EINVAL, "cert_issue: nameConstraints on a leaf (RFC 5280 4.2.1.10: CAs only)");
        if (p->has_path_len && p->path_len >= 0 && !p->is_ca)
                return SMT_ERR(err, SMT_EINVAL, "cert_issue: pathLenConstraint %d on a leaf (CAs only)", p->path_len);
        if (p->has_path_len && p->path_len < -1)
                return SMT_ERR(err, SMT_EINVAL, "cert_issue: pathLenConstraint %d, expected -1 (none) or >= 0",
                               p->path_len);
        TRY(cert_issue_check_list(p->policy_oids, p->num_policy_oids, cert_issue_is_oid, "policy OID", "cert_issue",
                                  err));
        TRY(cert_issue_check_list(p->permitted_dns, p->num_permitted_dns, cert_issue_is_constraint_dns_name,
                                  "permitted DNS subtree", "cert_issue", err));
        TRY(cert_issue_check_list(p->excluded_dns, p->num_excluded_dns, cert_issue_is_constraint_dns_name,
                                  "excluded DNS subtree", "cert_issue", err));
        TRY(cert_issue_check_url(p->ocsp_url, "OCSP URL", err));
        TRY(cert_issue_check_url(p->ca_issuers_url, "caIssuers URL", err));
        return cert_issue_check_url(p->crl_url, "CRL URL", err);
}

/* --- GeneralName (RFC 5280 §4.2.1.6) --- */

static GENERAL_NAME *cert_issue_ia5_name(int type, const char *text)
{
        ASN1_IA5STRING *value = ASN1_IA5STRING_new();
        GENERAL_NAME *name = GENERAL_NAME_new();
        if (value == NULL || name == NULL || !ASN1_STRING_set(value, text, -1)) {
                ASN1_IA5STRING_free(value);
                GENERAL_NAME_free(name);
                return NULL;
        }
        GENERAL_NAME_set0_value(name, type, value);
        return name;
}

static GENERAL_NAME *cert_issue_ip_name(const char *text)
{
        ASN1_OCTET_STRING *value = a2i_IPADDRESS(text);
        GENERAL_NAME *name = value != NULL ? GENERAL_NAME_new() : NULL;
        if (name == NULL) {
                ASN1_OCTET_STRING_free(value);
                return NULL;
        }
        GENERAL_NAME_set0_value(name, GEN_IPADD, value);
        return name;
}

/* cert_issue_push_names appends one GeneralName of type per text; the values were checked before. */
static int cert_issue_push_names(GENERAL_NAMES *names, int type, const char *const *texts, size_t count,
                                 struct err *err)
{
        for (size_t i = 0; i < count; i++) {
                GENERAL_NAME *name =
                    type == GEN_IPADD ? cert_issue_ip_name(texts[i]) : cert_issue_ia5_name(type, texts[i]);
                if (name == NULL || !sk_GENERAL_NAME_push(names, name)) {
                        GENERAL_NAME_free(name);
                        return crypto_error_set(err, SMT_EINVAL, "subjectAltName entry \"%s\"", texts[i]);
                }
        }
        return SMT_OK;
}

int cert_issue_alt_names_new(GENERAL_NAMES **out, const struct cert_issue_alt_names *n, struct err *err)
{
        *out = NULL;
        if (n->num_dns_names + n->num_ip_addresses + n->num_emails + n->num_uris == 0)
                return SMT_OK;
        GENERAL_NAMES *names = GENERAL_NAMES_new();
        if (names == NULL)
                return crypto_error_set(err, SMT_ENOMEM, "subjectAltName");
        int status = cert_issue_push_names(names, GEN_DNS, n->dns_names, n->num_dns_names, err);
        if (status == SMT_OK)
                status = cert_issue_push_names(names, GEN_IPADD, n->ip_addresses, n->num_ip_addresses, err);
        if (status == SMT_OK)
                status = cert_issue_push_names(names, GEN_EMAIL, n->emails, n->num_emails, err);
        if (status == SMT_OK)
                status = cert_issue_push_names(names, GEN_URI, n->uris, n->num_uris, err);
        if (status < 0) {
                GENERAL_NAMES_free(names);
                return status;
        }
        *out = names;
        return SMT_OK;
}

/* --- the extensions --- */

static int cert_issue_add(X509 *x509, int nid, void *value, bool critical, const char *what, struct err *err)
{
        if (value == NULL)
                return crypto_error_set(err, SMT_ENOMEM, "cert_issue: %s", what);
        if (X509_add1_ext_i2d(x509, nid, value, critical ? 1 : 0, X509V3_ADD_DEFAULT) != 1)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "cert_issue: adding %s", what);
        return SMT_OK;
}

/* cert_issue_basic_constraints marks a CA (critical, §4.2.1.9), with pathLenConstraint when asked; leaves get
 * no extension at all because GmSSL refuses the empty SEQUENCE OpenSSL writes for CA:FALSE. */
static int cert_issue_basic_constraints(X509 *x509, const struct cert_issue_params *p, struct err *err)
{
        if (!p->is_ca)
                return SMT_OK;
        BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
        if (bc != NULL)
                bc->ca = 0xff;
        if (bc != NULL && p->has_path_len && p->path_len >= 0) {
                bc->pathlen = ASN1_INTEGER_new();
                if (bc->pathlen == NULL || !ASN1_INTEGER_set(bc->pathlen, p->path_len)) {
                        BASIC_CONSTRAINTS_free(bc);
                        bc = NULL;
                }
        }
        int status = cert_issue_add(x509, NID_basic_constraints, bc, true, "basicConstraints", err);
        BASIC_CONSTRAINTS_free(bc);
        return status;
}

/* cert_issue_key_usage: our bit n is keyUsage bit n of §4.2.1.3; a CA always may sign certificates and CRLs. */
static int cert_issue_key_usage(X509 *x509, unsigned usage, bool is_ca, struct err *err)
{
        if (is_ca)
                usage |= CERT_KEY_USAGE_KEY_CERT_SIGN | CERT_KEY_USAGE_CRL_SIGN;
        if (usage == 0)
                return SMT_OK;
        ASN1_BIT_STRING *bits = ASN1_BIT_STRING_new();
        for (int bit = 0; bits != NULL && bit <= 6; bit++)
                if ((usage & (1u << bit)) && !ASN1_BIT_STRING_set_bit(bits, bit, 1))
                        break;
        int status = cert_issue_add(x509, NID_key_usage, bits, true, "keyUsage", err);
        ASN1_BIT_STRING_free(bits);
        return status;
}

static int cert_issue_extended_usage(X509 *x509, unsigned usage, bool critical, struct err *err)
{
        static const struct {
                unsigned bit;
                int nid;
        } purposes[] = {
            {CERT_EXTENDED_USAGE_SERVER_AUTH, NID_server_auth},
            {CERT_EXTENDED_USAGE_CLIENT_AUTH, NID_client_auth},
            {CERT_EXTENDED_USAGE_CODE_SIGNING, NID_code_sign},
            {CERT_EXTENDED_USAGE_EMAIL_PROTECTION, NID_email_protect},
            {CERT_EXTENDED_USAGE_TIME_STAMPING, NID_time_stamp},
            {CERT_EXTENDED_USAGE_OCSP_SIGNING, NID_OCSP_sign},
        };
        if (usage == 0)
                return SMT_OK;
        EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
        for (size_t i = 0; eku != NULL && i < sizeof purposes / sizeof purposes[0]; i++)
                if ((usage & purposes[i].bit) && !sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(purposes[i].nid)))
                        break;
        int status = cert_issue_add(x509, NID_ext_key_usage, eku, critical, "extendedKeyUsage", err);
        sk_ASN1_OBJECT_free(eku); /* OBJ_nid2obj objects are static */
        return status;
}

/* cert_issue_alt_names: §4.2.1.6 makes the extension critical when the subject is empty (a subject without CN
 * and without other attributes), and wants one then. */
static int cert_issue_subject_alt_names(X509 *x509, const struct cert_issue_params *p, struct err *err)
{
        struct cert_issue_alt_names wanted = {
            .dns_names = p->dns_names,
            .num_dns_names = p->num_dns_names,
            .ip_addresses = p->ip_addresses,
            .num_ip_addresses = p->num_ip_addresses,
            .emails = p->emails,
            .num_emails = p->num_emails,
            .uris = p->uris,
            .num_uris = p->num_uris,
        };
        bool is_subject_empty = X509_NAME_entry_count(X509_get_subject_name(x509)) == 0;
        GENERAL_NAMES *names = NULL;
        TRY(cert_issue_alt_names_new(&names, &wanted, err));
        if (names == NULL && is_subject_empty)
                return SMT_ERR(err, SMT_EINVAL, "cert_issue: an empty subject needs subjectAltName entries");
        if (names == NULL)
                return SMT_OK;
        int status = cert_issue_add(x509, NID_subject_alt_name, names, is_subject_empty, "subjectAltName", err);
        GENERAL_NAMES_free(names);
        return status;
}

/* cert_issue_key_id is method (1) of RFC 5280 §4.2.1.2: SHA-1 of the subjectPublicKey BIT STRING. */
static ASN1_OCTET_STRING *cert_issue_key_id(const X509 *x509)
{
        uint8_t digest[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new();
        if (id == NULL || !X509_pubkey_digest(x509, EVP_sha1(), digest, &len) ||
            !ASN1_OCTET_STRING_set(id, digest, (int)len)) {
                ASN1_OCTET_STRING_free(id);
                return NULL;
        }
        return id;
}

/* cert_issue_key_ids adds the subject key identifier and the authority key identifier (§4.2.1.1), the issuer's
 * own SKI when it has one so chain building matches them, which strict verification requires. */
static int cert_issue_key_ids(X509 *x509, const struct cert_issue_params *p, struct err *err)
{
        ASN1_OCTET_STRING *ski = cert_issue_key_id(x509);
        int status = cert_issue_add(x509, NID_subject_key_identifier, ski, false, "subjectKeyIdentifier", err);
        AUTHORITY_KEYID *aki = status == SMT_OK ? AUTHORITY_KEYID_new() : NULL;
        if (aki != NULL && p->issuer_cert == NULL)
                aki->keyid = ASN1_OCTET_STRING_dup(ski);
        else if (aki != NULL && X509_get0_subject_key_id(cert_x509(p->issuer_cert)) != NULL)
                aki->keyid = ASN1_OCTET_STRING_dup(X509_get0_subject_key_id(cert_x509(p->issuer_cert)));
        else if (aki != NULL)
                aki->keyid = cert_issue_key_id(cert_x509(p->issuer_cert));
        if (status == SMT_OK)
                status =
                    cert_issue_add(x509, NID_authority_key_identifier, aki != NULL && aki->keyid != NULL ? aki : NULL,
                                   false, "authorityKeyIdentifier", err);
        AUTHORITY_KEYID_free(aki);
        ASN1_OCTET_STRING_free(ski);
        return status;
}

/* cert_issue_policies: one PolicyInformation per OID, without qualifiers (CA/B BR 7.1.6.4 asks none). */
static int cert_issue_policies(X509 *x509, const struct cert_issue_params *p, struct err *err)
{
        if (p->num_policy_oids == 0)
                return SMT_OK;
        CERTIFICATEPOLICIES *policies = sk_POLICYINFO_new_null();
        for (size_t i = 0; policies != NULL && i < p->num_policy_oids; i++) {
                POLICYINFO *info = POLICYINFO_new();
                ASN1_OBJECT *oid = info != NULL ? OBJ_txt2obj(p->policy_oids[i], 1) : NULL;
                if (oid != NULL) {
                        ASN1_OBJECT_free(info->policyid);
                        info->policyid = oid;
                }
                if (oid == NULL || !sk_POLICYINFO_push(policies, info)) {
                        POLICYINFO_free(info);
                        CERTIFICATEPOLICIES_free(policies);
                        return crypto_error_set(err, SMT_EINVAL, "cert_issue: policy \"%s\"", p->policy_oids[i]);
                }
        }
        int status = cert_issue_add(x509, NID_certificate_policies, policies, false, "certificatePolicies", err);
        CERTIFICATEPOLICIES_free(policies);
        return status;
}

/* cert_issue_push_access appends an AccessDescription (§4.2.2.1) whose location is url. */
static bool cert_issue_push_access(AUTHORITY_INFO_ACCESS *aia, int method, const char *url)
{
        if (url == NULL)
                return true;
        ACCESS_DESCRIPTION *access = ACCESS_DESCRIPTION_new();
        GENERAL_NAME *location = cert_issue_ia5_name(GEN_URI, url);
        if (access == NULL || location == NULL) {
                ACCESS_DESCRIPTION_free(access);
                GENERAL_NAME_free(location);
                return false;
        }
        ASN1_OBJECT_free(access->method);
        access->method = OBJ_nid2obj(method);
        GENERAL_NAME_free(access->location);
        access->location = location;
        if (!sk_ACCESS_DESCRIPTION_push(aia, access)) {
                ACCESS_DESCRIPTION_free(access);
                return false;
        }
        return true;
}

static int cert_issue_authority_info_access(X509 *x509, const struct cert_issue_params *p, struct err *err)
{
        if (p->ocsp_url == NULL && p->ca_issuers_url == NULL)
                return SMT_OK;
        AUTHORITY_INFO_ACCESS *aia = sk_ACCESS_DESCRIPTION_new_null();
        if (aia != NULL && (!cert_issue_push_access(aia, NID_ad_OCSP, p->ocsp_url) ||
                            !cert_issue_push_access(aia, NID_ad_ca_issuers, p->ca_issuers_url))) {
                AUTHORITY_INFO_ACCESS_free(aia);
                aia = NULL;
        }
        int status = cert_issue_add(x509, NID_info_access, aia, false, "authorityInfoAccess", err);
        AUTHORITY_INFO_ACCESS_free(aia);
        return status;
}

/* cert_issue_crl_points writes one DistributionPoint with a fullName URI and no reasons or cRLIssuer
 * (§4.2.1.13: the CRL covers every reason and is signed by this certificate's issuer). */
static int cert_issue_crl_points(X509 *x509, const char *url, struct err *err)
{
        if (url == NULL)
                return SMT_OK;
        CRL_DIST_POINTS *points = sk_DIST_POINT_new_null();
        DIST_POINT *point = DIST_POINT_new();
        DIST_POINT_NAME *name = DIST_POINT_NAME_new();
        GENERAL_NAMES *full = GENERAL_NAMES_new();
        GENERAL_NAME *uri = cert_issue_ia5_name(GEN_URI, url);
        bool ok = points != NULL && point != NULL && name != NULL && full != NULL && uri != NULL &&
                  sk_GENERAL_NAME_push(full, uri);
        if (!ok) {
                GENERAL_NAME_free(uri);
                GENERAL_NAMES_free(full);
                DIST_POINT_NAME_free(name);
                DIST_POINT_free(point);
                CRL_DIST_POINTS_free(points);
                return crypto_error_set(err, SMT_ENOMEM, "cert_issue: cRLDistributionPoints");
        }
        name->type = 0; /* fullName */
        name->name.fullname = full;
        point->distpoint = name;
        if (!sk_DIST_POINT_push(points, point)) {
                DIST_POINT_free(point);
                CRL_DIST_POINTS_free(points);
                points = NULL;
        }
        int status = cert_issue_add(x509, NID_crl_distribution_points, points, false, "cRLDistributionPoints", err);
        CRL_DIST_POINTS_free(points);
        return status;
}

/* cert_issue_subtrees builds GeneralSubtrees of dNSName bases with the default minimum 0 and no maximum
 * (§4.2.1.10 says both MUST be so); NULL when there are none or on failure (*ok false). */
static STACK_OF(GENERAL_SUBTREE) * cert_issue_subtrees(const char *const *names, size_t count, bool *ok)
{
        if (count == 0)
                return NULL;
        STACK_OF(GENERAL_SUBTREE) *subtrees = sk_GENERAL_SUBTREE_new_null();
        for (size_t i = 0; subtrees != NULL && i < count; i++) {
                GENERAL_SUBTREE *subtree = GENERAL_SUBTREE_new();
                GENERAL_NAME *base = subtree != NULL ? cert_issue_ia5_name(GEN_DNS, names[i]) : NULL;
                if (base != NULL) {
                        GENERAL_NAME_free(subtree->base);
                        subtree->base = base;
                }
                if (base == NULL || !sk_GENERAL_SUBTREE_push(subtrees, subtree)) {
                        GENERAL_SUBTREE_free(subtree);
                        sk_GENERAL_SUBTREE_pop_free(subtrees, GENERAL_SUBTREE_free);
                        subtrees = NULL;
                }
        }
        *ok = *ok && subtrees != NULL;
        return subtrees;
}

/* cert_issue_name_constraints: critical, as §4.2.1.10 requires of conforming CAs. */
static int cert_issue_name_constraints(X509 *x509, const struct cert_issue_params *p, struct err *err)
{
        if (p->num_permitted_dns == 0 && p->num_excluded_dns == 0)
                return SMT_OK;
        NAME_CONSTRAINTS *constraints = NAME_CONSTRAINTS_new();
        bool ok = constraints != NULL;
        if (ok) {
                constraints->permittedSubtrees = cert_issue_subtrees(p->permitted_dns, p->num_permitted_dns, &ok);
                constraints->excludedSubtrees = cert_issue_subtrees(p->excluded_dns, p->num_excluded_dns, &ok);
        }
        if (!ok) {
                NAME_CONSTRAINTS_free(constraints);
                constraints = NULL;
        }
        int status = cert_issue_add(x509, NID_name_constraints, constraints, true, "nameConstraints", err);
        NAME_CONSTRAINTS_free(constraints);
        return status;
}

/* cert_issue_ocsp_no_check: id-pkix-ocsp-nocheck is a NULL (RFC 6960 §4.2.2.2.1), not critical. */
static int cert_issue_ocsp_no_check(X509 *x509, bool wanted, struct err *err)
{
        if (!wanted)
                return SMT_OK;
        ASN1_NULL *null = ASN1_NULL_new();
        int status = cert_issue_add(x509, NID_id_pkix_OCSP_noCheck, null, false, "id-pkix-ocsp-nocheck", err);
        ASN1_NULL_free(null);
        return status;
}

int cert_issue_extensions(X509 *x509, const struct cert_issue_params *p, struct err *err)
{
        TRY(cert_issue_basic_constraints(x509, p, err));
        TRY(cert_issue_key_usage(x509, p->key_usage, p->is_ca, err));
        TRY(cert_issue_extended_usage(x509, p->extended_usage, p->extended_usage_critical, err));
        TRY(cert_issue_subject_alt_names(x509, p, err));
        TRY(cert_issue_key_ids(x509, p, err));
        TRY(cert_issue_policies(x509, p, err));
        TRY(cert_issue_authority_info_access(x509, p, err));
        TRY(cert_issue_crl_points(x509, p->crl_url, err));
        TRY(cert_issue_name_constraints(x509, p, err));
        return cert_issue_ocsp_no_check(x509, p->ocsp_no_check, err);
}
