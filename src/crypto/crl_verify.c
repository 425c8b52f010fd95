/* src/crypto/crl_verify.c: reading a CRL's fields and checking its signature (crl.h). OpenSSL parses the
 * CRL; the signed bytes and both signature algorithm fields are cut from the DER with our own reader, since
 * the signature covers tbsCertList exactly as received (RFC 5280 §5.1.1.3) and OpenSSL 3.0 offers no way to
 * verify an SM2 CRL signature under the default ID. */
#include "crypto/crl.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/der.h"
#include "crypto/crypto_error.h"
#include "crypto/sm2.h"

/* The raw parts of CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue }. */
struct crl_parts {
        struct buf_reader tbs;       /* the whole TBSCertList element, header included */
        struct buf_reader inner_alg; /* tbsCertList.signature, whole element */
        struct buf_reader outer_alg; /* signatureAlgorithm, whole element */
};

/* crl_read_whole reads one element of tag and gives it back whole (header and content). */
static int crl_read_whole(struct buf_reader *r, uint8_t tag, struct buf_reader *whole, const char *what,
                          struct err *err)
{
        const uint8_t *start = r->data;
        struct buf_reader content;
        TRY(der_read_element(r, tag, &content, what, err));
        *whole = buf_reader_make(start, (size_t)(r->data - start));
        return SMT_OK;
}

static int crl_split(struct crl_parts *out, const uint8_t *der, size_t der_len, struct err *err)
{
        struct buf_reader in = buf_reader_make(der, der_len), list, tbs_content, bits;
        TRY(der_read_element(&in, DER_TAG_SEQUENCE, &list, "CertificateList", err));
        TRY(crl_read_whole(&list, DER_TAG_SEQUENCE, &out->tbs, "tbsCertList", err));
        TRY(crl_read_whole(&list, DER_TAG_SEQUENCE, &out->outer_alg, "signatureAlgorithm", err));
        TRY(der_read_element(&list, DER_TAG_BIT_STRING, &bits, "signatureValue", err));
        if (in.len != 0 || list.len != 0)
                return SMT_ERR(err, CRYPTO_ECERT, "crl: %zu bytes after the CRL", in.len + list.len);
        /* A signature is whole octets: an "unused bits" count other than 0 would let a changed byte pass. */
        if (bits.len < 2 || bits.data[0] != 0)
                return SMT_ERR(err, CRYPTO_ECERT, "crl: signatureValue does not hold whole octets");
        struct buf_reader tbs = out->tbs;
        TRY(der_read_element(&tbs, DER_TAG_SEQUENCE, &tbs_content, "tbsCertList", err));
        struct buf_reader version;
        if (tbs_content.len > 0 && tbs_content.data[0] == DER_TAG_INTEGER)
                TRY(der_read_element(&tbs_content, DER_TAG_INTEGER, &version, "version", err));
        return crl_read_whole(&tbs_content, DER_TAG_SEQUENCE, &out->inner_alg, "tbsCertList.signature", err);
}

/* crl_parse gives OpenSSL's view of the CRL, which must be the whole input. */
static int crl_parse(X509_CRL **out, const uint8_t *der, size_t der_len, struct err *err)
{
        if (der_len == 0 || der_len > CRL_FILE_MAX)
                return SMT_ERR(err, CRYPTO_ECERT, "crl: %zu bytes, expected 1..%d", der_len, CRL_FILE_MAX);
        const unsigned char *p = der;
        *out = d2i_X509_CRL(NULL, &p, (long)der_len);
        if (*out == NULL || p != der + der_len) {
                X509_CRL_free(*out);
                *out = NULL;
                return crypto_error_set(err, CRYPTO_ECERT, "crl: malformed DER CRL");
        }
        return SMT_OK;
}

static int crl_time(const ASN1_TIME *t, int64_t *out, const char *what, struct err *err)
{
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
                return crypto_error_set(err, CRYPTO_ECERT, "crl: malformed %s", what);
        *out = (int64_t)timegm(&tm);
        return SMT_OK;
}

static void crl_issuer_text(const X509_CRL *crl, char *out, size_t out_cap)
{
        unsigned long flags = (ASN1_STRFLGS_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) | XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN;
        BIO *bio = BIO_new(BIO_s_mem());
        char *text = NULL;
        long len = bio != NULL && X509_NAME_print_ex(bio, X509_CRL_get_issuer(crl), 0, flags) >= 0
                       ? BIO_get_mem_data(bio, &text)
                       : 0;
        snprintf(out, out_cap, "%.*s", (int)(len > 0 ? len : 0), text != NULL ? text : "");
        BIO_free(bio);
}

static int crl_info_fill(struct crl_info *out, const X509_CRL *crl, struct err *err)
{
        memset(out, 0, sizeof *out);
        TRY(crl_time(X509_CRL_get0_lastUpdate(crl), &out->this_update, "thisUpdate", err));
        if (X509_CRL_get0_nextUpdate(crl) != NULL)
                TRY(crl_time(X509_CRL_get0_nextUpdate(crl), &out->next_update, "nextUpdate", err));
        int critical = 0;
        ASN1_INTEGER *number = X509_CRL_get_ext_d2i(crl, NID_crl_number, &critical, NULL);
        out->has_number = number != NULL && ASN1_INTEGER_get_uint64(&out->number, number) == 1;
        ASN1_INTEGER_free(number);
        STACK_OF(X509_REVOKED) *revoked = X509_CRL_get_REVOKED((X509_CRL *)crl);
        out->num_entries = revoked != NULL ? (size_t)sk_X509_REVOKED_num(revoked) : 0;
        crl_issuer_text(crl, out->issuer, sizeof out->issuer);
        return SMT_OK;
}

int crl_info_read(struct crl_info *out, const uint8_t *der, size_t der_len, struct err *err)
{
        X509_CRL *crl = NULL;
        TRY(crl_parse(&crl, der, der_len, err));
        int status = crl_info_fill(out, crl, err);
        X509_CRL_free(crl);
        return status;
}

static bool crl_serial_is(const X509_REVOKED *entry, const BIGNUM *want)
{
        BIGNUM *have = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(entry), NULL);
        bool same = have != NULL && BN_cmp(have, want) == 0;
        BN_free(have);
        return same;
}

static int crl_entry_fill(const X509_REVOKED *entry, int *reason, int64_t *revoked_at, struct err *err)
{
        int critical = 0;
        ASN1_ENUMERATED *code = X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, &critical, NULL);
        *reason = code != NULL ? (int)ASN1_ENUMERATED_get(code) : 0;
        ASN1_ENUMERATED_free(code);
        return crl_time(X509_REVOKED_get0_revocationDate(entry), revoked_at, "revocationDate", err);
}

int crl_entry_lookup(const uint8_t *der, size_t der_len, const char *serial_hex, bool *found, int *reason,
                     int64_t *revoked_at, struct err *err)
{
        *found = false;
        BIGNUM *want = NULL;
        if (serial_hex == NULL || BN_hex2bn(&want, serial_hex) != (int)strlen(serial_hex) || serial_hex[0] == '\0')
                return SMT_ERR(err, SMT_EINVAL, "crl: serial \"%.48s\" is not hex", serial_hex ? serial_hex : "");
        X509_CRL *crl = NULL;
        int status = crl_parse(&crl, der, der_len, err);
        STACK_OF(X509_REVOKED) *entries = status == SMT_OK ? X509_CRL_get_REVOKED(crl) : NULL;
        for (int i = 0; status == SMT_OK && !*found && i < sk_X509_REVOKED_num(entries); i++) {
                const X509_REVOKED *entry = sk_X509_REVOKED_value(entries, i);
                if (crl_serial_is(entry, want)) {
                        *found = true;
                        status = crl_entry_fill(entry, reason, revoked_at, err);
                }
        }
        X509_CRL_free(crl);
        BN_free(want);
        return status;
}

static int crl_verify_digest(const struct key *key, int nid, const struct buf_reader *tbs,
                             const ASN1_BIT_STRING *sig, struct err *err)
{
        int md_nid = NID_undef, pkey_nid = NID_undef;
        const EVP_MD *md = OBJ_find_sigid_algs(nid, &md_nid, &pkey_nid) ? EVP_get_digestbynid(md_nid) : NULL;
        if (md == NULL || pkey_nid == NID_sm2)
                return SMT_ERR(err, CRYPTO_EVERIFY, "crl: signature algorithm %s does not fit a %s issuer",
                               OBJ_nid2sn(nid), key_alg_name(key_get_alg(key)));
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        int ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key_evp(key)) == 1 &&
                 EVP_DigestVerify(ctx, sig->data, (size_t)sig->length, tbs->data, tbs->len) == 1;
        EVP_MD_CTX_free(ctx);
        if (!ok)
                return crypto_error_set(err, CRYPTO_EVERIFY, "crl: the %s signature does not verify", OBJ_nid2sn(nid));
        return SMT_OK;
}

static int crl_verify_signature(const X509_CRL *crl, const struct crl_parts *parts, const struct key *key,
                                struct err *err)
{
        const ASN1_BIT_STRING *sig = NULL;
        const X509_ALGOR *alg = NULL;
        X509_CRL_get0_signature(crl, &sig, &alg);
        int nid = X509_CRL_get_signature_nid(crl);
        if (key_get_alg(key) != KEY_ALG_SM2)
                return crl_verify_digest(key, nid, &parts->tbs, sig, err);
        if (nid != NID_SM2_with_SM3)
                return SMT_ERR(err, CRYPTO_EVERIFY, "crl: signed with %s, an SM2 issuer signs SM2-with-SM3",
                               OBJ_nid2sn(nid));
        int status = sm2_verify(key, NULL, parts->tbs.data, parts->tbs.len, sig->data, (size_t)sig->length, err);
        if (status < 0 && status != CRYPTO_EVERIFY)
                return SMT_ERR(err, CRYPTO_EVERIFY, "crl: the SM2 signature does not verify (%s)", err->msg);
        return status;
}

int crl_verify(const uint8_t *der, size_t der_len, const struct cert *issuer, struct err *err)
{
        struct crl_parts parts;
        X509_CRL *crl = NULL;
        TRY(crl_parse(&crl, der, der_len, err));
        int status = crl_split(&parts, der, der_len, err);
        if (status < 0)
                status = SMT_ERR(err, CRYPTO_ECERT, "crl: malformed DER CRL (%s)", "its outer structure");
        else if (parts.inner_alg.len != parts.outer_alg.len ||
                 memcmp(parts.inner_alg.data, parts.outer_alg.data, parts.inner_alg.len) != 0)
                status = SMT_ERR(err, CRYPTO_EVERIFY, "crl: signatureAlgorithm differs from tbsCertList.signature");
        struct key *key = NULL;
        if (status == SMT_OK && X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(cert_x509(issuer))) != 0) {
                char name[CERT_NAME_TEXT_MAX];
                crl_issuer_text(crl, name, sizeof name);
                status = SMT_ERR(err, CRYPTO_EVERIFY, "crl: issued by \"%s\", not by the given certificate's subject",
                                 name);
        }
        if (status == SMT_OK)
                status = cert_public_key(issuer, &key, err);
        if (status == SMT_OK)
                status = crl_verify_signature(crl, &parts, key, err);
        key_free(key);
        X509_CRL_free(crl);
        return status;
}

static int crl_copy(uint8_t **out, size_t *out_len, const uint8_t *der, size_t der_len, struct err *err)
{
        *out = malloc(der_len);
        if (*out == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "crl: %zu bytes", der_len);
        memcpy(*out, der, der_len);
        *out_len = der_len;
        return SMT_OK;
}

int crl_decode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, struct err *err)
{
        static const char pem_start[] = "-----BEGIN X509 CRL-----";
        X509_CRL *crl = NULL;
        const uint8_t *start = in_len >= strlen(pem_start) ? memmem(in, in_len, pem_start, strlen(pem_start)) : NULL;
        if (start == NULL) {
                TRY(crl_parse(&crl, in, in_len, err));
                X509_CRL_free(crl);
                return crl_copy(out, out_len, in, in_len, err);
        }
        BIO *bio = in_len <= CRL_FILE_MAX ? BIO_new_mem_buf(start, (int)(in_len - (size_t)(start - in))) : NULL;
        crl = bio != NULL ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
        unsigned char *der = NULL;
        int len = crl != NULL ? i2d_X509_CRL(crl, &der) : -1;
        X509_CRL_free(crl);
        if (len <= 0)
                return crypto_error_set(err, CRYPTO_ECERT, "crl: malformed PEM CRL");
        int status = crl_copy(out, out_len, der, (size_t)len, err);
        OPENSSL_free(der);
        return status;
}
