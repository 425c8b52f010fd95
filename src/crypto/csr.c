/* src/crypto/csr.c: reading and checking PKCS#10 requests (RFC 2986): parsing (DER, PEM), the
 * self-signature, and what a CA reads from them (key, CN, subjectAltName and keyUsage of the
 * extensionRequest attribute, RFC 2985 §5.4.2). Making requests is in csr_create.c. */
#include "crypto/csr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/file.h"
#include "crypto/crypto_error.h"
#include "crypto/sm2.h"

#define CSR_RSA_BITS_MAX 8192

struct csr {
        X509_REQ *req;
        uint8_t *der; /* the exact bytes it was parsed from */
        size_t der_len;
        uint8_t *spki_der; /* the SubjectPublicKeyInfo, for csr_public_key_der */
        size_t spki_der_len;
};

void csr_free(struct csr *csr)
{
        if (csr == NULL)
                return;
        X509_REQ_free(csr->req);
        free(csr->der);
        free(csr->spki_der);
        free(csr);
}

/* csr_set_sm2_id: OpenSSL 3.0 hashes an empty ID into Z unless told the one the request was signed with
 * (GM/T 0009 §10 default, as for certificates in cert.c); X509_REQ_verify reads it from the request. */
static int csr_set_sm2_id(X509_REQ *req, struct err *err)
{
        if (X509_REQ_get_signature_nid(req) != NID_SM2_with_SM3)
                return SMT_OK;
        ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new();
        if (id == NULL || !ASN1_OCTET_STRING_set(id, (const unsigned char *)SM2_DEFAULT_ID, strlen(SM2_DEFAULT_ID))) {
                ASN1_OCTET_STRING_free(id);
                return crypto_error_set(err, SMT_ENOMEM, "CSR: setting the SM2 ID");
        }
        X509_REQ_set0_distinguishing_id(req, id);
        return SMT_OK;
}

static uint8_t *csr_copy(const uint8_t *in, size_t len)
{
        uint8_t *copy = malloc(len);
        if (copy != NULL)
                memcpy(copy, in, len);
        return copy;
}

/* csr_fill keeps copies of the request's DER and of its SubjectPublicKeyInfo's. */
static int csr_fill(struct csr *csr, const uint8_t *in, size_t in_len, struct err *err)
{
        if (X509_REQ_get_version(csr->req) != X509_REQ_VERSION_1)
                return SMT_ERR(err, CA_ECSR, "CSR: version %ld, expected 0 (RFC 2986 §4.1)",
                               X509_REQ_get_version(csr->req));
        unsigned char *spki = NULL;
        X509_PUBKEY *key = X509_REQ_get_X509_PUBKEY(csr->req);
        int spki_len = key != NULL ? i2d_X509_PUBKEY(key, &spki) : -1;
        if (spki_len <= 0)
                return crypto_error_set(err, CA_ECSR, "CSR: the subjectPublicKeyInfo cannot be encoded");
        csr->spki_der = csr_copy(spki, (size_t)spki_len);
        csr->spki_der_len = (size_t)spki_len;
        OPENSSL_free(spki);
        csr->der = csr_copy(in, in_len);
        csr->der_len = in_len;
        if (csr->der == NULL || csr->spki_der == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "CSR: out of memory");
        return csr_set_sm2_id(csr->req, err);
}

int csr_parse_der(struct csr **out, const uint8_t *in, size_t in_len, struct err *err)
{
        if (in_len == 0)
                return SMT_ERR(err, CA_ECSR, "CSR: empty input");
        if (in_len > CSR_MAX)
                return SMT_ERR(err, CA_ECSR, "CSR: %zu bytes, at most %d accepted", in_len, CSR_MAX);
        struct csr *csr = calloc(1, sizeof *csr);
        if (csr == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "CSR: out of memory");
        const unsigned char *p = in;
        csr->req = d2i_X509_REQ(NULL, &p, (long)in_len);
        int status = SMT_OK;
        if (csr->req == NULL)
                status = crypto_error_set(err, CA_ECSR, "CSR: malformed DER (%zu bytes)", in_len);
        else if (p != in + in_len)
                status = SMT_ERR(err, CA_ECSR, "CSR: %zu bytes after its end", (size_t)(in + in_len - p));
        else
                status = csr_fill(csr, in, in_len, err);
        if (status < 0) {
                csr_free(csr);
                return status;
        }
        *out = csr;
        return SMT_OK;
}

/* csr_read_pem_block reads the next PEM block and parses it when it is a request (RFC 7468 §7; the NEW
 * label is what older Netscape-era tools write); 1 when it was not one, 0 when one was parsed. */
static int csr_read_pem_block(BIO *bio, struct csr **out, size_t block, struct err *err)
{
        char *label = NULL, *header = NULL;
        unsigned char *data = NULL;
        long len = 0;
        if (!PEM_read_bio(bio, &label, &header, &data, &len)) {
                if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE)
                        return crypto_error_set(err, CA_ECSR, "CSR: no CERTIFICATE REQUEST PEM block");
                return crypto_error_set(err, CA_ECSR, "CSR: PEM block %zu is truncated or malformed", block);
        }
        int status = 1;
        if (strcmp(label, "CERTIFICATE REQUEST") == 0 || strcmp(label, "NEW CERTIFICATE REQUEST") == 0)
                status = csr_parse_der(out, data, (size_t)len, err);
        OPENSSL_free(label);
        OPENSSL_free(header);
        OPENSSL_free(data);
        return status;
}

int csr_parse_pem(struct csr **out, const uint8_t *in, size_t in_len, struct err *err)
{
        if (in_len == 0 || in_len > 2 * CSR_MAX)
                return SMT_ERR(err, CA_ECSR, "CSR: PEM input of %zu bytes, expected 1..%d", in_len, 2 * CSR_MAX);
        BIO *bio = BIO_new_mem_buf(in, (int)in_len);
        if (bio == NULL)
                return crypto_error_set(err, SMT_ENOMEM, "CSR: reading PEM");
        int status = 1;
        for (size_t block = 1; status == 1; block++)
                status = csr_read_pem_block(bio, out, block, err);
        BIO_free(bio);
        return status;
}

static bool csr_looks_like_pem(const uint8_t *in, size_t len)
{
        static const char begin[] = "-----BEGIN ";
        for (size_t i = 0; i + sizeof begin - 1 <= len; i++)
                if (memcmp(in + i, begin, sizeof begin - 1) == 0)
                        return true;
        return false;
}

int csr_load(struct csr **out, const char *path, struct err *err)
{
        uint8_t *data = NULL;
        size_t len = 0;
        TRY(file_read_all(&data, &len, path, 2 * CSR_MAX, err));
        int status =
            csr_looks_like_pem(data, len) ? csr_parse_pem(out, data, len, err) : csr_parse_der(out, data, len, err);
        file_free_contents(data, len);
        if (status < 0)
                return err_prefix(err, "%s", path);
        return SMT_OK;
}

void csr_der(const struct csr *csr, const uint8_t **data, size_t *len)
{
        *data = csr->der;
        *len = csr->der_len;
}

int csr_public_key_der(const struct csr *csr, const uint8_t **data, size_t *len, struct err *err)
{
        (void)err; /* kept at parse time, so this cannot fail */
        *data = csr->spki_der;
        *len = csr->spki_der_len;
        return SMT_OK;
}

int csr_public_key(const struct csr *csr, struct key **out, struct err *err)
{
        struct key *key = NULL;
        if (key_parse(&key, csr->spki_der, csr->spki_der_len, NULL, err) < 0)
                return err_prefix(err, "CSR public key");
        if (key_bits(key) > CSR_RSA_BITS_MAX) {
                int bits = key_bits(key);
                key_free(key);
                return SMT_ERR(err, CRYPTO_EWRONGALG, "CSR public key: RSA key of %d bits; at most %d accepted", bits,
                               CSR_RSA_BITS_MAX);
        }
        *out = key;
        return SMT_OK;
}

/* --- the signature --- */

/* csr_is_weak_digest: MD5 and SHA-1 are broken for signatures (RFC 6151, RFC 9155, CA/B BR 7.1.3.2). */
static bool csr_is_weak_digest(int md_nid)
{
        return md_nid == NID_md5 || md_nid == NID_sha1 || md_nid == NID_md4 || md_nid == NID_md2 ||
               md_nid == NID_mdc2 || md_nid == NID_md5_sha1 || md_nid == NID_ripemd160;
}

/* csr_pss_digest reads the hash of RSASSA-PSS parameters (RFC 4055 §3.1): absent means SHA-1. */
static int csr_pss_digest(const X509_ALGOR *alg)
{
        const ASN1_OBJECT *oid = NULL;
        int type = 0;
        const void *value = NULL;
        X509_ALGOR_get0(&oid, &type, &value, alg);
        if (type != V_ASN1_SEQUENCE)
                return NID_sha1;
        RSA_PSS_PARAMS *params = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS), alg->parameter);
        int md_nid = params == NULL                  ? NID_undef
                     : params->hashAlgorithm == NULL ? NID_sha1
                                                     : OBJ_obj2nid(params->hashAlgorithm->algorithm);
        RSA_PSS_PARAMS_free(params);
        return md_nid;
}

/* csr_check_algorithm refuses signature algorithms we do not know and those over a broken hash. */
static int csr_check_algorithm(const struct csr *csr, struct err *err)
{
        const X509_ALGOR *alg = NULL;
        X509_REQ_get0_signature(csr->req, NULL, &alg);
        int sig_nid = OBJ_obj2nid(alg->algorithm);
        int md_nid = NID_undef, pkey_nid = NID_undef;
        if (sig_nid == NID_undef || !OBJ_find_sigid_algs(sig_nid, &md_nid, &pkey_nid))
                return SMT_ERR(err, CA_ECSR, "CSR: unknown signature algorithm");
        if (sig_nid == NID_rsassaPss)
                md_nid = csr_pss_digest(alg);
        if (md_nid == NID_undef && sig_nid != NID_ED25519 && sig_nid != NID_ED448)
                return SMT_ERR(err, CA_ECSR, "CSR: signature algorithm %s without a known hash", OBJ_nid2sn(sig_nid));
        if (csr_is_weak_digest(md_nid))
                return SMT_ERR(err, CA_ECSR,
                               "CSR: signature algorithm %s uses %s, refused as too weak; expected "
                               "SM3, SHA-256 or stronger",
                               OBJ_nid2sn(sig_nid), OBJ_nid2sn(md_nid));
        return SMT_OK;
}

int csr_verify(const struct csr *csr, struct err *err)
{
        TRY(csr_check_algorithm(csr, err));
        EVP_PKEY *key = X509_REQ_get0_pubkey(csr->req);
        if (key == NULL)
                return crypto_error_set(err, CA_ECSR, "CSR: unreadable public key");
        int ok = X509_REQ_verify(csr->req, key);
        if (ok != 1)
                return crypto_error_set(err, CRYPTO_EVERIFY, "CSR: the signature does not verify with its public key");
        return SMT_OK;
}

/* --- what the request asks for --- */

/* csr_utf8 copies an X.509 string as UTF-8; a NUL inside would let "a.com\0.evil" pass as text. */
static int csr_utf8(const ASN1_STRING *value, char *out, size_t out_cap, const char *what, struct err *err)
{
        unsigned char *utf8 = NULL;
        int len = ASN1_STRING_to_UTF8(&utf8, value);
        int status = SMT_OK;
        if (len < 0)
                status = crypto_error_set(err, CA_ECSR, "CSR: %s is not a valid string", what);
        else if (memchr(utf8, '\0', (size_t)len) != NULL)
                status = SMT_ERR(err, CA_ECSR, "CSR: %s holds a NUL byte", what);
        else if ((size_t)len >= out_cap)
                status = SMT_ERR(err, SMT_ENOSPACE, "CSR: %s of %d bytes exceeds %zu", what, len, out_cap - 1);
        else
                memcpy(out, utf8, (size_t)len + 1);
        OPENSSL_free(utf8);
        return status;
}

static int csr_subject_nid(enum csr_subject_field field)
{
        switch (field) {
        case CSR_SUBJECT_COUNTRY:
                return NID_countryName;
        case CSR_SUBJECT_PROVINCE:
                return NID_stateOrProvinceName;
        case CSR_SUBJECT_LOCALITY:
                return NID_localityName;
        case CSR_SUBJECT_ORGANIZATION:
                return NID_organizationName;
        case CSR_SUBJECT_ORGANIZATIONAL_UNIT:
                return NID_organizationalUnitName;
        case CSR_SUBJECT_COMMON_NAME:
                return NID_commonName;
        }
        return NID_undef;
}

int csr_subject_field(const struct csr *csr, enum csr_subject_field field, char *out, size_t out_cap, struct err *err)
{
        int nid = csr_subject_nid(field);
        if (nid == NID_undef)
                return SMT_ERR(err, SMT_EINVAL, "csr_subject_field: unknown field %d", (int)field);
        if (out_cap == 0)
                return SMT_ERR(err, SMT_ENOSPACE, "csr_subject_field: no room");
        const X509_NAME *subject = X509_REQ_get_subject_name(csr->req);
        int last = -1;
        for (int at = -1; (at = X509_NAME_get_index_by_NID(subject, nid, at)) >= 0;)
                last = at;
        out[0] = '\0';
        if (last < 0)
                return SMT_OK;
        char what[48];
        snprintf(what, sizeof what, "subject %s", OBJ_nid2sn(nid));
        return csr_utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, last)), out, out_cap, what, err);
}

int csr_common_name(const struct csr *csr, char *out, size_t out_cap, struct err *err)
{
        return csr_subject_field(csr, CSR_SUBJECT_COMMON_NAME, out, out_cap, err);
}

/* csr_extension decodes extension nid of the extensionRequest attribute into *out (NULL when absent);
 * a repeated or undecodable one is CA_ECSR. */
static int csr_extension(const struct csr *csr, int nid, void **out, struct err *err)
{
        *out = NULL;
        STACK_OF(X509_EXTENSION) *extensions = X509_REQ_get_extensions(csr->req);
        if (extensions == NULL) {
                crypto_error_clear();
                if (X509_REQ_get_attr_by_NID(csr->req, NID_ext_req, -1) >= 0)
                        return SMT_ERR(err, CA_ECSR, "CSR: malformed extensionRequest attribute");
                return SMT_OK;
        }
        int critical = 0;
        *out = X509V3_get_d2i(extensions, nid, &critical, NULL);
        sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
        if (*out == NULL && critical != -1)
                return crypto_error_set(err, CA_ECSR, "CSR: extension %s is malformed or repeated", OBJ_nid2ln(nid));
        crypto_error_clear();
        return SMT_OK;
}

static int csr_ia5(struct cert_san *san, enum cert_san_type type, const ASN1_IA5STRING *value, struct err *err)
{
        san->type = type;
        return csr_utf8(value, san->value, sizeof san->value, "subjectAltName entry", err);
}

/* csr_san converts one GeneralName; 1 when it is of a type we list, 0 to skip it. */
static int csr_san(struct cert_san *san, const GENERAL_NAME *name, struct err *err)
{
        int family = 0;
        switch (name->type) {
        case GEN_DNS:
                TRY(csr_ia5(san, CERT_SAN_DNS, name->d.dNSName, err));
                return 1;
        case GEN_EMAIL:
                TRY(csr_ia5(san, CERT_SAN_EMAIL, name->d.rfc822Name, err));
                return 1;
        case GEN_URI:
                TRY(csr_ia5(san, CERT_SAN_URI, name->d.uniformResourceIdentifier, err));
                return 1;
        case GEN_IPADD:
                family = ASN1_STRING_length(name->d.iPAddress) == 4    ? AF_INET
                         : ASN1_STRING_length(name->d.iPAddress) == 16 ? AF_INET6
                                                                       : 0;
                if (family == 0 ||
                    inet_ntop(family, ASN1_STRING_get0_data(name->d.iPAddress), san->value, sizeof san->value) == NULL)
                        return SMT_ERR(err, CA_ECSR, "CSR: subjectAltName iPAddress of %d bytes, expected 4 or 16",
                                       ASN1_STRING_length(name->d.iPAddress));
                san->type = CERT_SAN_IP;
                return 1;
        default:
                return 0;
        }
}

int csr_san_list(const struct csr *csr, struct cert_san *out, size_t out_cap, size_t *out_count, struct err *err)
{
        GENERAL_NAMES *names = NULL;
        *out_count = 0;
        TRY(csr_extension(csr, NID_subject_alt_name, (void **)&names, err));
        int status = SMT_OK;
        struct cert_san san;
        for (int i = 0; names != NULL && i < sk_GENERAL_NAME_num(names) && status >= 0; i++) {
                status = csr_san(&san, sk_GENERAL_NAME_value(names, i), err);
                if (status == 1 && *out_count == out_cap)
                        status = SMT_ERR(err, SMT_ENOSPACE, "CSR: more than %zu subjectAltName entries", out_cap);
                else if (status == 1)
                        out[(*out_count)++] = san;
        }
        GENERAL_NAMES_free(names);
        return status < 0 ? status : SMT_OK;
}

/* csr_requested_key_usage: our bit n is keyUsage bit n of RFC 5280 §4.2.1.3 (encipherOnly and decipherOnly,
 * bits 7 and 8, are not asked of this CA and are ignored). */
int csr_requested_key_usage(const struct csr *csr, unsigned *out, struct err *err)
{
        ASN1_BIT_STRING *bits = NULL;
        *out = 0;
        TRY(csr_extension(csr, NID_key_usage, (void **)&bits, err));
        for (int bit = 0; bits != NULL && bit <= 6; bit++)
                if (ASN1_BIT_STRING_get_bit(bits, bit))
                        *out |= 1u << bit;
        ASN1_BIT_STRING_free(bits);
        return SMT_OK;
}

/* --- writing --- */

int csr_write_pem(const struct csr *csr, struct buf_writer *out, struct err *err)
{
        BIO *bio = BIO_new(BIO_s_mem());
        if (bio == NULL || !PEM_write_bio(bio, "CERTIFICATE REQUEST", "", csr->der, (long)csr->der_len)) {
                BIO_free(bio);
                return crypto_error_set(err, CRYPTO_EOPENSSL, "writing a CSR as PEM");
        }
        char *mem = NULL;
        long len = BIO_get_mem_data(bio, &mem);
        int status = SMT_OK;
        if (len <= 0 || buf_write_bytes(out, (const uint8_t *)mem, (size_t)len) < 0)
                status = SMT_ERR(err, SMT_ENOSPACE, "CSR PEM of %ld bytes does not fit the output", len);
        BIO_free(bio);
        return status;
}
