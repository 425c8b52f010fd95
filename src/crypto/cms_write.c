/* src/crypto/cms_write.c: cms_sign, the SignedData encoder (RFC 5652 §5, GB/T 35275-2017 §8). Each level is
 * built in its own writer and then wrapped, since DER puts a length before its content. */
#include "crypto/cms.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "crypto/cms_internal.h"
#include "crypto/crypto_error.h"
#include "crypto/sm2.h"
#include "crypto/sm3.h"

/* The encoded signed attributes, each a whole Attribute, kept in one writer and sorted through offsets. */
struct cms_write_attrs {
        struct buf_reader items[CMS_ATTRIBUTES_MAX];
        size_t num_items;
};

/* cms_write_wrap appends inner's bytes as the content of one tag element. */
static int cms_write_wrap(struct buf_writer *out, uint8_t tag, const struct buf_writer *inner)
{
        return cms_der_write_element(out, tag, inner->data, inner->len);
}

static int cms_write_algorithm(struct buf_writer *out, const char *dotted, struct err *err)
{
        struct buf_writer seq;
        buf_writer_init_heap(&seq, CMS_OID_MAX + 8);
        /* Parameters absent, as RFC 5754 §2 has it for hashes and GB/T 35275 for SM2/SM3. */
        int status = cms_der_write_oid(&seq, dotted, err);
        if (status == SMT_OK)
                status = cms_write_wrap(out, DER_TAG_SEQUENCE, &seq);
        buf_writer_cleanup(&seq);
        return status;
}

/* cms_write_attribute appends Attribute { type, SET { value } } where value is one whole DER element. */
static int cms_write_attribute(struct buf_writer *out, const char *type, const struct buf_writer *value,
                               struct err *err)
{
        struct buf_writer seq;
        buf_writer_init_heap(&seq, CMS_MAX);
        int status = cms_der_write_oid(&seq, type, err);
        if (status == SMT_OK)
                status = cms_write_wrap(&seq, CMS_TAG_SET, value);
        if (status == SMT_OK)
                status = cms_write_wrap(out, DER_TAG_SEQUENCE, &seq);
        buf_writer_cleanup(&seq);
        return status;
}

/* cms_write_standard_attributes writes contentType, messageDigest and signingTime (RFC 5652 §5.3, §11). */
static int cms_write_standard_attributes(struct buf_writer *out, const struct cms_sign_params *p,
                                         const uint8_t digest[SM3_DIGEST_LEN], struct err *err)
{
        struct buf_writer value;
        buf_writer_init_heap(&value, 256);
        int status = cms_der_write_oid(&value, p->content_type != NULL ? p->content_type : CMS_OID_GBT_DATA, err);
        if (status == SMT_OK)
                status = cms_write_attribute(out, CMS_OID_ATTR_CONTENT_TYPE, &value, err);
        buf_writer_truncate(&value, 0);
        if (status == SMT_OK)
                status = cms_der_write_element(&value, DER_TAG_OCTET_STRING, digest, SM3_DIGEST_LEN);
        if (status == SMT_OK)
                status = cms_write_attribute(out, CMS_OID_ATTR_MESSAGE_DIGEST, &value, err);
        buf_writer_truncate(&value, 0);
        if (status == SMT_OK)
                status = cms_der_write_time(&value, p->signing_time != 0 ? p->signing_time : time(NULL), err);
        if (status == SMT_OK)
                status = cms_write_attribute(out, CMS_OID_ATTR_SIGNING_TIME, &value, err);
        buf_writer_cleanup(&value);
        return status < 0 && err->msg[0] == '\0' ? SMT_ERR(err, status, "cms_sign: signed attributes") : status;
}

/* cms_write_check_attribute accepts one whole SEQUENCE { OID, SET } and nothing after it. */
static int cms_write_check_attribute(const struct cms_attribute *a, size_t index, struct err *err)
{
        struct buf_reader r = buf_reader_make(a->der, a->der_len), seq, oid, set;
        if (a->der == NULL || der_read_element(&r, DER_TAG_SEQUENCE, &seq, "cms_sign: extra attribute", err) < 0 ||
            der_read_element(&seq, DER_TAG_OID, &oid, "cms_sign: extra attribute type", err) < 0 ||
            der_read_element(&seq, CMS_TAG_SET, &set, "cms_sign: extra attribute values", err) < 0 ||
            !buf_reader_is_empty(&seq) || !buf_reader_is_empty(&r))
                return SMT_ERR(err, SMT_EINVAL, "cms_sign: extra attribute %zu is not one DER Attribute", index);
        return SMT_OK;
}

/* cms_write_split records where each Attribute of all (a concatenation) starts and ends. */
static int cms_write_split(struct cms_write_attrs *attrs, const struct buf_writer *all, struct err *err)
{
        struct buf_reader r = buf_reader_make(all->data, all->len), content;
        attrs->num_items = 0;
        while (!buf_reader_is_empty(&r)) {
                if (attrs->num_items == CMS_ATTRIBUTES_MAX)
                        return SMT_ERR(err, SMT_EINVAL, "cms_sign: more than %d signed attributes", CMS_ATTRIBUTES_MAX);
                TRY(cms_der_read_whole(&r, DER_TAG_SEQUENCE, &content, &attrs->items[attrs->num_items++],
                                       "cms_sign: attribute", err));
        }
        return SMT_OK;
}

static int cms_write_compare(const void *a, const void *b)
{
        const struct buf_reader *x = a, *y = b;
        size_t n = x->len < y->len ? x->len : y->len;
        int order = memcmp(x->data, y->data, n);
        return order != 0 ? order : (x->len > y->len) - (x->len < y->len);
}

/* cms_write_signed_attrs writes the attributes' SET content in DER order: a SET OF sorts its encodings
 * (X.690 §11.6), and the signature covers exactly this order (RFC 5652 §5.4). */
static int cms_write_signed_attrs(struct buf_writer *out, const struct cms_sign_params *p,
                                  const uint8_t digest[SM3_DIGEST_LEN], struct err *err)
{
        struct buf_writer all;
        struct cms_write_attrs attrs;
        buf_writer_init_heap(&all, CMS_MAX);
        int status = cms_write_standard_attributes(&all, p, digest, err);
        for (size_t i = 0; status == SMT_OK && i < p->num_extra_attributes; i++) {
                status = cms_write_check_attribute(&p->extra_attributes[i], i, err);
                if (status == SMT_OK &&
                    buf_write_bytes(&all, p->extra_attributes[i].der, p->extra_attributes[i].der_len) < 0)
                        status = SMT_ERR(err, SMT_ENOMEM, "cms_sign: attributes exceed %d bytes", CMS_MAX);
        }
        if (status == SMT_OK)
                status = cms_write_split(&attrs, &all, err);
        if (status == SMT_OK)
                qsort(attrs.items, attrs.num_items, sizeof attrs.items[0], cms_write_compare);
        for (size_t i = 0; status == SMT_OK && i < attrs.num_items; i++)
                if (buf_write_bytes(out, attrs.items[i].data, attrs.items[i].len) < 0)
                        status = SMT_ERR(err, SMT_ENOMEM, "cms_sign: attributes exceed %d bytes", CMS_MAX);
        buf_writer_cleanup(&all);
        return status;
}

/* cms_write_issuer_and_serial writes IssuerAndSerialNumber (RFC 5652 §10.2.4) from the certificate's own DER. */
static int cms_write_issuer_and_serial(struct buf_writer *out, const struct cert *signer, struct err *err)
{
        const uint8_t *issuer = NULL;
        size_t issuer_len = 0;
        TRY(cert_issuer_der(signer, &issuer, &issuer_len, err));
        unsigned char *serial = NULL;
        int serial_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert_x509(signer)), &serial);
        if (serial_len <= 0)
                return crypto_error_set(err, CRYPTO_ECERT, "cms_sign: signer serial number");
        struct buf_writer seq;
        buf_writer_init_heap(&seq, CMS_MAX);
        int status = SMT_OK;
        if (buf_write_bytes(&seq, issuer, issuer_len) < 0 || buf_write_bytes(&seq, serial, (size_t)serial_len) < 0 ||
            cms_write_wrap(out, DER_TAG_SEQUENCE, &seq) < 0)
                status = SMT_ERR(err, SMT_ENOMEM, "cms_sign: issuerAndSerialNumber");
        OPENSSL_free(serial);
        buf_writer_cleanup(&seq);
        return status;
}

/* cms_write_signature signs the attributes re-tagged as a SET OF (RFC 5652 §5.4) and appends the OCTET STRING. */
static int cms_write_signature(struct buf_writer *out, const struct key *key, const struct buf_writer *attrs,
                               struct err *err)
{
        struct buf_writer set;
        uint8_t sig[SM2_SIGNATURE_MAX];
        size_t sig_len = 0;
        buf_writer_init_heap(&set, CMS_MAX);
        int status =
            cms_write_wrap(&set, CMS_TAG_SET, attrs) < 0 ? SMT_ERR(err, SMT_ENOMEM, "cms_sign: attributes") : SMT_OK;
        if (status == SMT_OK)
                status = sm2_sign(key, sig, &sig_len, SM2_DEFAULT_ID, set.data, set.len, err);
        if (status == SMT_OK && cms_der_write_element(out, DER_TAG_OCTET_STRING, sig, sig_len) < 0)
                status = SMT_ERR(err, SMT_ENOMEM, "cms_sign: signature");
        buf_writer_cleanup(&set);
        return status;
}

/* cms_write_signer_info writes SignerInfo (RFC 5652 §5.3) version 1. */
static int cms_write_signer_info(struct buf_writer *out, const struct cms_sign_params *p,
                                 const uint8_t digest[SM3_DIGEST_LEN], struct err *err)
{
        struct buf_writer info, attrs;
        buf_writer_init_heap(&info, CMS_MAX);
        buf_writer_init_heap(&attrs, CMS_MAX);
        int status = cms_write_signed_attrs(&attrs, p, digest, err);
        if (status == SMT_OK && der_write_unsigned_integer(&info, (const uint8_t[]){1}, 1) < 0)
                status = SMT_ERR(err, SMT_ENOMEM, "cms_sign: SignerInfo");
        if (status == SMT_OK)
                status = cms_write_issuer_and_serial(&info, p->signer, err);
        if (status == SMT_OK)
                status = cms_write_algorithm(&info, CMS_OID_SM3, err);
        if (status == SMT_OK && cms_write_wrap(&info, CMS_TAG_CONTEXT_0, &attrs) < 0)
                status = SMT_ERR(err, SMT_ENOMEM, "cms_sign: signedAttrs");
        if (status == SMT_OK)
                status = cms_write_algorithm(&info, CMS_OID_SM2_SIGN, err);
        if (status == SMT_OK)
                status = cms_write_signature(&info, p->key, &attrs, err);
        if (status == SMT_OK && cms_write_wrap(out, DER_TAG_SEQUENCE, &info) < 0)
                status = SMT_ERR(err, SMT_ENOMEM, "cms_sign: SignerInfo");
        buf_writer_cleanup(&attrs);
        buf_writer_cleanup(&info);
        return status;
}

/* cms_write_certificates writes certificates [0] IMPLICIT SET OF: signer first, then the chain. */
static int cms_write_certificates(struct buf_writer *out, const struct cms_sign_params *p, struct err *err)
{
        struct buf_writer certs;
        buf_writer_init_heap(&certs, CMS_MAX);
        const uint8_t *der = NULL;
        size_t der_len = 0, count = p->chain != NULL ? cert_chain_count(p->chain) : 0;
        int status = count + 1 > CMS_CERTIFICATES_MAX ? SMT_ERR(err, SMT_EINVAL, "cms_sign: %zu certificates exceed %d",
                                                                count + 1, CMS_CERTIFICATES_MAX)
                                                      : SMT_OK;
        for (size_t i = 0; status == SMT_OK && i <= count; i++) {
                cert_der(i == 0 ? p->signer : cert_chain_get(p->chain, i - 1), &der, &der_len);
                if (buf_write_bytes(&certs, der, der_len) < 0)
                        status = SMT_ERR(err, SMT_ENOMEM, "cms_sign: certificates exceed %d bytes", CMS_MAX);
        }
        if (status == SMT_OK && cms_write_wrap(out, CMS_TAG_CONTEXT_0, &certs) < 0)
                status = SMT_ERR(err, SMT_ENOMEM, "cms_sign: certificates");
        buf_writer_cleanup(&certs);
        return status;
}

/* cms_write_encap writes EncapsulatedContentInfo (RFC 5652 §5.2): eContent [0] EXPLICIT OCTET STRING unless
 * detached. */
static int cms_write_encap(struct buf_writer *out, const struct cms_sign_params *p, struct err *err)
{
        struct buf_writer seq, octets;
        buf_writer_init_heap(&seq, CMS_MAX);
        buf_writer_init_heap(&octets, CMS_MAX);
        int status = cms_der_write_oid(&seq, p->content_type != NULL ? p->content_type : CMS_OID_GBT_DATA, err);
        if (status == SMT_OK && !p->is_detached &&
            (cms_der_write_element(&octets, DER_TAG_OCTET_STRING, p->content, p->content_len) < 0 ||
             cms_write_wrap(&seq, CMS_TAG_CONTEXT_0, &octets) < 0))
                status = SMT_ERR(err, SMT_ENOMEM, "cms_sign: content of %zu bytes", p->content_len);
        if (status == SMT_OK && cms_write_wrap(out, DER_TAG_SEQUENCE, &seq) < 0)
                status = SMT_ERR(err, SMT_ENOMEM, "cms_sign: encapContentInfo");
        buf_writer_cleanup(&octets);
        buf_writer_cleanup(&seq);
        return status;
}

/* cms_write_signed_data writes SignedData: version 1 as GB/T 35275 §8.1 has it, but 3 when eContentType is not
 * data (RFC 5652 §5.1), which RFC 3161 tokens (id-ct-TSTInfo) need. */
static int cms_write_signed_data(struct buf_writer *out, const struct cms_sign_params *p,
                                 const uint8_t digest[SM3_DIGEST_LEN], struct err *err)
{
        struct buf_writer sd, set;
        buf_writer_init_heap(&sd, CMS_MAX);
        buf_writer_init_heap(&set, CMS_MAX);
        bool is_data = p->content_type == NULL || strcmp(p->content_type, CMS_OID_GBT_DATA) == 0 ||
                       strcmp(p->content_type, CMS_OID_PKCS7_DATA) == 0;
        int status = der_write_unsigned_integer(&sd, (const uint8_t[]){is_data ? 1 : 3}, 1) < 0
                         ? SMT_ERR(err, SMT_ENOMEM, "cms_sign: SignedData")
                         : cms_write_algorithm(&set, CMS_OID_SM3, err);
        if (status == SMT_OK && cms_write_wrap(&sd, CMS_TAG_SET, &set) < 0)
                status = SMT_ERR(err, SMT_ENOMEM, "cms_sign: digestAlgorithms");
        if (status == SMT_OK)
                status = cms_write_encap(&sd, p, err);
        if (status == SMT_OK)
                status = cms_write_certificates(&sd, p, err);
        buf_writer_truncate(&set, 0);
        if (status == SMT_OK)
                status = cms_write_signer_info(&set, p, digest, err);
        if (status == SMT_OK &&
            (cms_write_wrap(&sd, CMS_TAG_SET, &set) < 0 || cms_write_wrap(out, DER_TAG_SEQUENCE, &sd) < 0))
                status = SMT_ERR(err, SMT_ENOMEM, "cms_sign: SignedData");
        buf_writer_cleanup(&set);
        buf_writer_cleanup(&sd);
        return status;
}

static int cms_write_check(const struct cms_sign_params *p, struct err *err)
{
        if (p->key == NULL || p->signer == NULL || !key_is_private(p->key) || key_get_alg(p->key) != KEY_ALG_SM2)
                return SMT_ERR(err, SMT_EINVAL, "cms_sign: a private SM2 key and its certificate are needed");
        if (X509_check_private_key(cert_x509(p->signer), key_evp(p->key)) != 1)
                return crypto_error_set(err, SMT_EINVAL, "cms_sign: the key does not match the signer certificate");
        if (p->content == NULL && p->content_len != 0)
                return SMT_ERR(err, SMT_EINVAL, "cms_sign: content NULL with length %zu", p->content_len);
        if (p->num_extra_attributes > CMS_ATTRIBUTES_MAX - 3 ||
            (p->num_extra_attributes != 0 && p->extra_attributes == NULL))
                return SMT_ERR(err, SMT_EINVAL, "cms_sign: %zu extra attributes, at most %d", p->num_extra_attributes,
                               CMS_ATTRIBUTES_MAX - 3);
        uint8_t oid[CMS_OID_MAX];
        size_t oid_len = 0;
        return cms_oid_encode(oid, &oid_len, p->content_type != NULL ? p->content_type : CMS_OID_GBT_DATA, err);
}

int cms_sign(struct buf_writer *out, const struct cms_sign_params *params, struct err *err)
{
        TRY(cms_write_check(params, err));
        uint8_t digest[SM3_DIGEST_LEN];
        TRY(sm3_hash(digest, params->content != NULL ? params->content : (const uint8_t *)"", params->content_len,
                     err));
        struct buf_writer info, sd;
        buf_writer_init_heap(&info, CMS_MAX);
        buf_writer_init_heap(&sd, CMS_MAX);
        int status = cms_der_write_oid(&info, CMS_OID_GBT_SIGNED_DATA, err);
        if (status == SMT_OK)
                status = cms_write_signed_data(&sd, params, digest, err);
        if (status == SMT_OK &&
            (cms_write_wrap(&info, CMS_TAG_CONTEXT_0, &sd) < 0 || cms_write_wrap(out, DER_TAG_SEQUENCE, &info) < 0))
                status = SMT_ERR(err, SMT_ENOSPACE, "cms_sign: ContentInfo of %zu bytes does not fit", info.len);
        buf_writer_cleanup(&sd);
        buf_writer_cleanup(&info);
        return status;
}
