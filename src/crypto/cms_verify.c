/* src/crypto/cms_verify.c: cms_verify, the checks RFC 5652 §5.4 and §5.6 and GB/T 35275-2017 §8 ask of a
 * parsed SignedData signed with SM2 (ID 1234567812345678, GM/T 0009 §10). */
#include "crypto/cms.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "crypto/cms_internal.h"
#include "crypto/crypto_error.h"
#include "crypto/sm2.h"
#include "crypto/sm3.h"

static int cms_verify_fail(enum cms_verify_failure *failure, enum cms_verify_failure why, int status)
{
        if (failure != NULL)
                *failure = why;
        return status;
}

/* cms_verify_matches says whether cert is the one issuerAndSerialNumber names (RFC 5652 §5.3: same issuer
 * Name encoding and serial INTEGER value). */
static bool cms_verify_matches(const struct cms_signed_data *sd, const struct cert *cert)
{
        const uint8_t *issuer = NULL;
        size_t issuer_len = 0;
        struct err ignored = {0};
        if (cert_issuer_der(cert, &issuer, &issuer_len, &ignored) != SMT_OK || issuer_len != sd->issuer.len ||
            memcmp(issuer, sd->issuer.data, issuer_len) != 0)
                return false;
        unsigned char *serial = NULL;
        int serial_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert_x509(cert)), &serial);
        struct buf_reader r = buf_reader_make(serial, serial_len > 0 ? (size_t)serial_len : 0), value;
        bool is_same = serial_len > 0 && der_read_element(&r, DER_TAG_INTEGER, &value, "serial", &ignored) == SMT_OK &&
                       value.len == sd->serial.len && memcmp(value.data, sd->serial.data, value.len) == 0;
        OPENSSL_free(serial);
        return is_same;
}

/* cms_verify_find_signer picks params->signer, else the embedded certificate issuerAndSerialNumber names. */
static int cms_verify_find_signer(struct cert **out, const struct cms_signed_data *sd,
                                  const struct cms_verify_params *p, struct err *err)
{
        if (p->signer != NULL) {
                if (!cms_verify_matches(sd, p->signer))
                        return SMT_ERR(err, CRYPTO_ECERT,
                                       "cms: the given certificate is not the signer named by "
                                       "issuerAndSerialNumber");
                return cert_dup(out, p->signer, err);
        }
        for (size_t i = 0; i < sd->num_certificates && i < CMS_CERTIFICATES_MAX; i++) {
                struct cert *cert = NULL;
                struct err ignored = {0};
                if (cert_parse_der(&cert, sd->certificates[i].data, sd->certificates[i].len, &ignored) != SMT_OK)
                        continue;
                if (cms_verify_matches(sd, cert)) {
                        *out = cert;
                        return SMT_OK;
                }
                cert_free(cert);
        }
        return SMT_ERR(err, CRYPTO_ECERT, "cms: none of the %zu embedded certificates is the signer",
                       sd->num_certificates);
}

/* cms_verify_get_content gives the signed content: eContent, or the caller's when detached. */
static int cms_verify_get_content(struct buf_reader *out, const struct cms_signed_data *sd,
                                  const struct cms_verify_params *p, enum cms_verify_failure *failure, struct err *err)
{
        *out = sd->content;
        if (!sd->is_detached)
                return SMT_OK;
        if (p->detached_content == NULL && p->detached_content_len != 0)
                return cms_verify_fail(
                    failure, CMS_VERIFY_USAGE,
                    SMT_ERR(err, SMT_EINVAL, "cms: detached content NULL with length %zu", p->detached_content_len));
        *out = buf_reader_make(p->detached_content, p->detached_content_len);
        return SMT_OK;
}

/* cms_verify_content checks contentType against eContentType and messageDigest against SM3 of the content;
 * without signed attributes there is nothing to check here, the signature covers the content. */
static int cms_verify_content(const struct cms_signed_data *sd, struct buf_reader content,
                              enum cms_verify_failure *failure, struct err *err)
{
        if (!sd->has_signed_attrs)
                return SMT_OK;
        if (sd->attr_content_type.len != sd->content_type.len ||
            memcmp(sd->attr_content_type.data, sd->content_type.data, sd->content_type.len) != 0)
                return cms_verify_fail(failure, CMS_VERIFY_CONTENT_TYPE,
                                       SMT_ERR(err, CRYPTO_EVERIFY,
                                               "cms: contentType attribute differs from "
                                               "eContentType (RFC 5652 5.3)"));
        uint8_t digest[SM3_DIGEST_LEN];
        TRY(sm3_hash(digest, content.data != NULL ? content.data : (const uint8_t *)"", content.len, err));
        if (sd->attr_message_digest.len != SM3_DIGEST_LEN ||
            CRYPTO_memcmp(digest, sd->attr_message_digest.data, SM3_DIGEST_LEN) != 0)
                return cms_verify_fail(failure, CMS_VERIFY_CONTENT_DIGEST,
                                       SMT_ERR(err, CRYPTO_EVERIFY,
                                               "cms: messageDigest (%zu bytes) is not SM3 of "
                                               "the %zu content bytes",
                                               sd->attr_message_digest.len, content.len));
        return SMT_OK;
}

/* cms_verify_signature checks the SM2 signature over SET-tagged signedAttrs, or over the content when there
 * are none (RFC 5652 §5.4). */
static int cms_verify_signature(const struct cms_signed_data *sd, struct buf_reader content, const struct cert *signer,
                                enum cms_verify_failure *failure, struct err *err)
{
        struct key *key = NULL;
        int status = cert_public_key(signer, &key, err);
        if (status == SMT_OK && key_get_alg(key) != KEY_ALG_SM2)
                status = SMT_ERR(err, CRYPTO_EWRONGALG, "cms: the signer's key is %s, not SM2",
                                 key_alg_name(key_get_alg(key)));
        if (status < 0) {
                key_free(key);
                return cms_verify_fail(failure, CMS_VERIFY_USAGE, status);
        }
        struct buf_writer set;
        buf_writer_init_heap(&set, CMS_MAX + 8);
        if (!sd->has_signed_attrs
                ? content.len != 0 && buf_write_bytes(&set, content.data, content.len) < 0
                : cms_der_write_element(&set, CMS_TAG_SET, sd->signed_attrs.data, sd->signed_attrs.len) < 0)
                status = SMT_ERR(err, SMT_ENOMEM, "cms: re-encoding signedAttrs");
        if (status == SMT_OK)
                status = sm2_verify(key, SM2_DEFAULT_ID, set.data, set.len, sd->signature.data, sd->signature.len, err);
        if (status == SMT_EDECODE) /* a changed signature byte may break its DER: still a bad signature */
                status = SMT_ERR(err, CRYPTO_EVERIFY, "cms: the signature is not a well-formed SM2 signature");
        buf_writer_cleanup(&set);
        key_free(key);
        return status < 0 ? cms_verify_fail(failure, CMS_VERIFY_SIGNATURE, status) : SMT_OK;
}

/* cms_verify_chain checks signer against params->trust with the embedded certificates as intermediates. */
static int cms_verify_chain(const struct cms_signed_data *sd, const struct cert *signer,
                            const struct cms_verify_params *p, struct err *err)
{
        struct cert_chain *intermediates = NULL;
        TRY(cert_chain_new(&intermediates, err));
        int status = SMT_OK;
        for (size_t i = 0; status == SMT_OK && i < sd->num_certificates && i < CMS_CERTIFICATES_MAX; i++) {
                struct cert *cert = NULL;
                struct err ignored = {0};
                if (cert_parse_der(&cert, sd->certificates[i].data, sd->certificates[i].len, &ignored) == SMT_OK)
                        status = cert_chain_append(intermediates, cert, err);
        }
        if (status == SMT_OK)
                status = cert_verify_chain(p->trust, signer, intermediates, p->now, NULL, err);
        cert_chain_free(intermediates);
        return status;
}

int cms_verify(const struct cms_signed_data *sd, const struct cms_verify_params *params,
               enum cms_verify_failure *failure, struct cert **signer_out, struct err *err)
{
        cms_verify_fail(failure, CMS_VERIFY_OK, SMT_OK);
        struct buf_reader content;
        TRY(cms_verify_get_content(&content, sd, params, failure, err));
        TRY(cms_verify_content(sd, content, failure, err));
        struct cert *signer = NULL;
        int status = cms_verify_find_signer(&signer, sd, params, err);
        if (status < 0)
                return cms_verify_fail(failure, CMS_VERIFY_SIGNER_NOT_FOUND, status);
        status = cms_verify_signature(sd, content, signer, failure, err);
        if (status == SMT_OK && params->trust != NULL) {
                status = cms_verify_chain(sd, signer, params, err);
                if (status < 0)
                        cms_verify_fail(failure, CMS_VERIFY_CHAIN, status);
        }
        if (status == SMT_OK && signer_out != NULL)
                *signer_out = signer;
        else
                cert_free(signer);
        return status;
}
