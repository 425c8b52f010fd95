/* src/crypto/csr_create.c: making PKCS#10 requests (RFC 2986 §4) with the names and keyUsage asked in an
 * extensionRequest attribute (RFC 2985 §5.4.2). SM2 keys sign SM2-with-SM3 over Z with the ID
 * 1234567812345678 (GM/T 0009 §10), which GmSSL, Tongsuo and `openssl req -verify -vfyopt distid:...` check. */
#include "crypto/csr.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/cert_issue_internal.h"
#include "crypto/crypto_error.h"
#include "crypto/sm2_sign_ctx.h"
#include "crypto/sm2.h"

static struct cert_issue_alt_names csr_create_alt_names(const struct csr_params *p)
{
        return (struct cert_issue_alt_names){
            .dns_names = p->dns_names,
            .num_dns_names = p->num_dns_names,
            .ip_addresses = p->ip_addresses,
            .num_ip_addresses = p->num_ip_addresses,
            .emails = p->emails,
            .num_emails = p->num_emails,
        };
}

static int csr_create_check(const struct csr_params *p, struct err *err)
{
        if (p->key == NULL || !key_is_private(p->key))
                return SMT_ERR(err, SMT_EINVAL, "csr_create: a private key is needed to sign the request");
        struct cert_issue_alt_names names = csr_create_alt_names(p);
        TRY(cert_issue_check_alt_names(&names, "csr_create", err));
        bool has_cn = p->common_name != NULL && p->common_name[0] != '\0';
        if (!has_cn && p->num_dns_names + p->num_ip_addresses + p->num_emails == 0)
                return SMT_ERR(err, SMT_EINVAL, "csr_create: neither a common name nor subjectAltName entries");
        if (p->key_usage & ~(unsigned)(CERT_KEY_USAGE_CRL_SIGN * 2 - 1))
                return SMT_ERR(err, SMT_EINVAL, "csr_create: unknown keyUsage bits 0x%x", p->key_usage);
        return SMT_OK;
}

static int csr_create_subject(X509_REQ *req, const struct csr_params *p, struct err *err)
{
        const struct {
                int nid;
                const char *value;
        } entries[] = {
            {NID_countryName, p->country},
            {NID_organizationName, p->organization},
            {NID_commonName, p->common_name != NULL && p->common_name[0] != '\0' ? p->common_name : NULL},
        };
        X509_NAME *subject = X509_REQ_get_subject_name(req);
        for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++)
                if (entries[i].value != NULL &&
                    !X509_NAME_add_entry_by_NID(subject, entries[i].nid, MBSTRING_UTF8,
                                                (const unsigned char *)entries[i].value, -1, -1, 0))
                        return crypto_error_set(err, SMT_EINVAL, "csr_create: subject %s \"%s\"",
                                                OBJ_nid2sn(entries[i].nid), entries[i].value);
        return SMT_OK;
}

static int csr_create_key_usage(STACK_OF(X509_EXTENSION) * *extensions, unsigned usage, struct err *err)
{
        if (usage == 0)
                return SMT_OK;
        ASN1_BIT_STRING *bits = ASN1_BIT_STRING_new();
        bool ok = bits != NULL;
        for (int bit = 0; ok && bit <= 6; bit++)
                if (usage & (1u << bit))
                        ok = ASN1_BIT_STRING_set_bit(bits, bit, 1);
        ok = ok && X509V3_add1_i2d(extensions, NID_key_usage, bits, 1, X509V3_ADD_DEFAULT) == 1;
        ASN1_BIT_STRING_free(bits);
        return ok ? SMT_OK : crypto_error_set(err, CRYPTO_EOPENSSL, "csr_create: keyUsage");
}

/* csr_create_extensions asks for the SAN (critical when the subject is empty, RFC 5280 §4.2.1.6) and
 * keyUsage (critical, §4.2.1.3) in one extensionRequest attribute. */
static int csr_create_extensions(X509_REQ *req, const struct csr_params *p, struct err *err)
{
        struct cert_issue_alt_names wanted = csr_create_alt_names(p);
        GENERAL_NAMES *names = NULL;
        STACK_OF(X509_EXTENSION) *extensions = NULL;
        TRY(cert_issue_alt_names_new(&names, &wanted, err));
        bool is_subject_empty = X509_NAME_entry_count(X509_REQ_get_subject_name(req)) == 0;
        int status = SMT_OK;
        if (names != NULL &&
            X509V3_add1_i2d(&extensions, NID_subject_alt_name, names, is_subject_empty, X509V3_ADD_DEFAULT) != 1)
                status = crypto_error_set(err, CRYPTO_EOPENSSL, "csr_create: subjectAltName");
        if (status == SMT_OK)
                status = csr_create_key_usage(&extensions, p->key_usage, err);
        if (status == SMT_OK && extensions != NULL && !X509_REQ_add_extensions(req, extensions))
                status = crypto_error_set(err, CRYPTO_EOPENSSL, "csr_create: extensionRequest");
        sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
        GENERAL_NAMES_free(names);
        return status;
}

static int csr_create_sign_sm2(X509_REQ *req, EVP_PKEY *pkey, struct err *err)
{
        struct sm2_sign_ctx ctx;
        TRY(sm2_sign_ctx_init(&ctx, pkey, "csr_create", err));
        int ok = X509_REQ_sign_ctx(req, ctx.md) > 0;
        sm2_sign_ctx_cleanup(&ctx);
        return ok ? SMT_OK : crypto_error_set(err, CRYPTO_EOPENSSL, "csr_create: SM2 signing");
}

/* csr_create_sign: the hash matches the curve's strength (RFC 5480 §4), SHA-256 for RSA. */
static int csr_create_sign(X509_REQ *req, const struct key *key, struct err *err)
{
        enum key_alg alg = key_get_alg(key);
        if (alg == KEY_ALG_SM2)
                return csr_create_sign_sm2(req, key_evp(key), err);
        const EVP_MD *md = alg == KEY_ALG_EC_P384 ? EVP_sha384() : EVP_sha256();
        if (X509_REQ_sign(req, key_evp(key), md) <= 0)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "csr_create: signing with %s", key_alg_name(alg));
        return SMT_OK;
}

/* csr_create_finish re-reads the signed request from its DER, so the result is exactly what a CA parses. */
static int csr_create_finish(struct csr **out, X509_REQ *req, struct err *err)
{
        unsigned char *der = NULL;
        int len = i2d_X509_REQ(req, &der);
        if (len <= 0)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "csr_create: encoding");
        int status = csr_parse_der(out, der, (size_t)len, err);
        OPENSSL_free(der);
        return status;
}

int csr_create(struct csr **out, const struct csr_params *params, struct err *err)
{
        TRY(csr_create_check(params, err));
        X509_REQ *req = X509_REQ_new();
        if (req == NULL)
                return crypto_error_set(err, SMT_ENOMEM, "csr_create");
        int status = SMT_OK;
        if (!X509_REQ_set_version(req, X509_REQ_VERSION_1) || !X509_REQ_set_pubkey(req, key_evp(params->key)))
                status = crypto_error_set(err, CRYPTO_EOPENSSL, "csr_create: version and public key");
        if (status == SMT_OK)
                status = csr_create_subject(req, params, err);
        if (status == SMT_OK)
                status = csr_create_extensions(req, params, err);
        if (status == SMT_OK)
                status = csr_create_sign(req, params->key, err);
        if (status == SMT_OK)
                status = csr_create_finish(out, req, err);
        X509_REQ_free(req);
        return status;
}
