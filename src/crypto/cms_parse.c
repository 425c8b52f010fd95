/* src/crypto/cms_parse.c: cms_parse, reading a SignedData ContentInfo (RFC 5652 §3, §5; GB/T 35275-2017 §8)
 * strictly as DER. Each element becomes a sub-reader bounded by its parent, so no length is trusted. */
#include "crypto/cms.h"

#include <string.h>

#include "crypto/cms_internal.h"

/* cms_parse_version reads an INTEGER that must equal expected (one byte values only). */
static int cms_parse_version(struct buf_reader *r, uint8_t expected, const char *what, struct err *err)
{
        struct buf_reader value;
        TRY(der_read_element(r, DER_TAG_INTEGER, &value, what, err));
        if (value.len != 1 || value.data[0] != expected)
                return SMT_ERR(err, SMT_EDECODE, "%s: version of %zu bytes (first 0x%02x), expected %u", what,
                               value.len, value.len > 0 ? value.data[0] : 0, expected);
        return SMT_OK;
}

/* cms_parse_digest_algorithms wants SM3, alone (the only digest smtrust signs or checks with). */
static int cms_parse_digest_algorithms(struct buf_reader *r, struct err *err)
{
        struct buf_reader set, oid;
        TRY(der_read_element(r, CMS_TAG_SET, &set, "cms: digestAlgorithms", err));
        TRY(cms_der_read_algorithm(&set, &oid, "cms: digestAlgorithms", err));
        if (!cms_oid_is(&oid, CMS_OID_SM3))
                return SMT_ERR(err, SMT_EDECODE, "cms: digestAlgorithm is not SM3 (%s)", CMS_OID_SM3);
        return buf_reader_expect_end(&set, "cms: digestAlgorithms (only SM3 is supported)", err);
}

static int cms_parse_encap(struct cms_signed_data *out, struct buf_reader *r, struct err *err)
{
        struct buf_reader seq, explicit;
        TRY(der_read_element(r, DER_TAG_SEQUENCE, &seq, "cms: encapContentInfo", err));
        TRY(der_read_element(&seq, DER_TAG_OID, &out->content_type, "cms: eContentType", err));
        out->is_detached = buf_reader_is_empty(&seq);
        out->content = buf_reader_make(NULL, 0);
        if (out->is_detached)
                return SMT_OK;
        TRY(der_read_element(&seq, CMS_TAG_CONTEXT_0, &explicit, "cms: eContent", err));
        TRY(der_read_element(&explicit, DER_TAG_OCTET_STRING, &out->content, "cms: eContent OCTET STRING", err));
        TRY(buf_reader_expect_end(&explicit, "cms: eContent", err));
        return buf_reader_expect_end(&seq, "cms: encapContentInfo", err);
}

/* cms_parse_certificates keeps each Certificate whole; other CertificateChoices (RFC 5652 §10.2.2) are refused. */
static int cms_parse_certificates(struct cms_signed_data *out, struct buf_reader *r, struct err *err)
{
        uint8_t tag = 0;
        struct buf_reader set, content;
        out->num_certificates = 0;
        if (buf_peek_u8(r, &tag) < 0 || tag != CMS_TAG_CONTEXT_0)
                return SMT_OK;
        TRY(der_read_element(r, CMS_TAG_CONTEXT_0, &set, "cms: certificates", err));
        while (!buf_reader_is_empty(&set)) {
                if (out->num_certificates == CMS_CERTIFICATES_MAX)
                        return SMT_ERR(err, SMT_EDECODE, "cms: more than %d certificates", CMS_CERTIFICATES_MAX);
                TRY(cms_der_read_whole(&set, DER_TAG_SEQUENCE, &content, &out->certificates[out->num_certificates++],
                                       "cms: certificate", err));
        }
        /* crls [1] (RFC 5652 §5.1) are skipped: the caller checks revocation its own way. */
        if (buf_peek_u8(r, &tag) == SMT_OK && tag == CMS_TAG_CONTEXT_1)
                TRY(der_read_element(r, CMS_TAG_CONTEXT_1, &content, "cms: crls", err));
        return SMT_OK;
}

static int cms_parse_single_value(const struct cms_parsed_attribute *a, uint8_t tag, struct buf_reader *value,
                                  const char *what, struct err *err)
{
        struct buf_reader values = a->values;
        TRY(der_read_element(&values, tag, value, what, err));
        return buf_reader_expect_end(&values, what, err); /* RFC 5652 §11.1-11.3: exactly one value */
}

/* cms_parse_known_attribute fills the fields of contentType, messageDigest and signingTime, each at most once. */
static int cms_parse_known_attribute(struct cms_signed_data *out, const struct cms_parsed_attribute *a, bool seen[3],
                                     struct err *err)
{
        static const char *const types[3] = {CMS_OID_ATTR_CONTENT_TYPE, CMS_OID_ATTR_MESSAGE_DIGEST,
                                             CMS_OID_ATTR_SIGNING_TIME};
        for (size_t i = 0; i < 3; i++) {
                if (!cms_oid_is(&a->type, types[i]))
                        continue;
                if (seen[i])
                        return SMT_ERR(err, SMT_EDECODE, "cms: attribute %s appears twice", types[i]);
                seen[i] = true;
                if (i == 0)
                        return cms_parse_single_value(a, DER_TAG_OID, &out->attr_content_type, "cms: contentType", err);
                if (i == 1)
                        return cms_parse_single_value(a, DER_TAG_OCTET_STRING, &out->attr_message_digest,
                                                      "cms: messageDigest", err);
                struct buf_reader values = a->values;
                out->has_signing_time = true;
                TRY(cms_der_read_time(&values, &out->signing_time, "cms: signingTime", err));
                return buf_reader_expect_end(&values, "cms: signingTime", err);
        }
        return SMT_OK;
}

static int cms_parse_signed_attrs(struct cms_signed_data *out, struct buf_reader *r, struct err *err)
{
        bool seen[3] = {false, false, false};
        out->has_signed_attrs = true;
        TRY(der_read_element(r, CMS_TAG_CONTEXT_0, &out->signed_attrs, "cms: signedAttrs", err));
        struct buf_reader attrs = out->signed_attrs, seq;
        out->num_attributes = 0;
        while (!buf_reader_is_empty(&attrs)) {
                if (out->num_attributes == CMS_ATTRIBUTES_MAX)
                        return SMT_ERR(err, SMT_EDECODE, "cms: more than %d signed attributes", CMS_ATTRIBUTES_MAX);
                struct cms_parsed_attribute *a = &out->attributes[out->num_attributes++];
                TRY(cms_der_read_whole(&attrs, DER_TAG_SEQUENCE, &seq, &a->der, "cms: attribute", err));
                TRY(der_read_element(&seq, DER_TAG_OID, &a->type, "cms: attribute type", err));
                TRY(der_read_element(&seq, CMS_TAG_SET, &a->values, "cms: attribute values", err));
                TRY(buf_reader_expect_end(&seq, "cms: attribute", err));
                if (buf_reader_is_empty(&a->values))
                        return SMT_ERR(err, SMT_EDECODE, "cms: attribute without a value");
                TRY(cms_parse_known_attribute(out, a, seen, err));
        }
        if (!seen[0] || !seen[1])
                return SMT_ERR(err, SMT_EDECODE, "cms: signedAttrs lack %s (RFC 5652 5.3)",
                               !seen[0] ? "contentType" : "messageDigest");
        return SMT_OK;
}

static int cms_parse_signature_algorithm(struct cms_signed_data *out, struct buf_reader *r, struct err *err)
{
        struct buf_reader oid;
        TRY(cms_der_read_algorithm(r, &oid, "cms: signatureAlgorithm", err));
        out->is_sm2_sign_with_sm3 = cms_oid_is(&oid, CMS_OID_SM2_SIGN_WITH_SM3);
        if (!out->is_sm2_sign_with_sm3 && !cms_oid_is(&oid, CMS_OID_SM2_SIGN))
                return SMT_ERR(err, SMT_EDECODE, "cms: signatureAlgorithm is neither %s nor %s", CMS_OID_SM2_SIGN,
                               CMS_OID_SM2_SIGN_WITH_SM3);
        return SMT_OK;
}

/* cms_parse_signer_info reads the one SignerInfo (RFC 5652 §5.3); unsignedAttrs [1] are allowed and skipped
 * (RFC 3161 tokens may carry none, later services may add countersignatures). */
static int cms_parse_signer_info(struct cms_signed_data *out, struct buf_reader *r, struct err *err)
{
        struct buf_reader set, info, sid, content, oid;
        TRY(der_read_element(r, CMS_TAG_SET, &set, "cms: signerInfos", err));
        TRY(der_read_element(&set, DER_TAG_SEQUENCE, &info, "cms: SignerInfo", err));
        TRY(buf_reader_expect_end(&set, "cms: signerInfos (only one signer is supported)", err));
        TRY(cms_parse_version(&info, 1, "cms: SignerInfo (issuerAndSerialNumber only)", err));
        TRY(der_read_element(&info, DER_TAG_SEQUENCE, &sid, "cms: issuerAndSerialNumber", err));
        TRY(cms_der_read_whole(&sid, DER_TAG_SEQUENCE, &content, &out->issuer, "cms: issuer", err));
        TRY(der_read_element(&sid, DER_TAG_INTEGER, &out->serial, "cms: serialNumber", err));
        TRY(buf_reader_expect_end(&sid, "cms: issuerAndSerialNumber", err));
        if (out->serial.len == 0)
                return SMT_ERR(err, SMT_EDECODE, "cms: empty serialNumber");
        TRY(cms_der_read_algorithm(&info, &oid, "cms: SignerInfo digestAlgorithm", err));
        if (!cms_oid_is(&oid, CMS_OID_SM3))
                return SMT_ERR(err, SMT_EDECODE, "cms: SignerInfo digestAlgorithm is not SM3 (%s)", CMS_OID_SM3);
        uint8_t tag = 0;
        if (buf_peek_u8(&info, &tag) == SMT_OK && tag == CMS_TAG_CONTEXT_0)
                TRY(cms_parse_signed_attrs(out, &info, err));
        else if (!cms_oid_is(&out->content_type, CMS_OID_GBT_DATA) &&
                 !cms_oid_is(&out->content_type, CMS_OID_PKCS7_DATA))
                return SMT_ERR(err, SMT_EDECODE, "cms: signedAttrs absent for content that is not data (RFC 5652 5.3)");
        TRY(cms_parse_signature_algorithm(out, &info, err));
        TRY(der_read_element(&info, DER_TAG_OCTET_STRING, &out->signature, "cms: signature", err));
        if (buf_peek_u8(&info, &tag) == SMT_OK && tag == CMS_TAG_CONTEXT_1)
                TRY(der_read_element(&info, CMS_TAG_CONTEXT_1, &content, "cms: unsignedAttrs", err));
        return buf_reader_expect_end(&info, "cms: SignerInfo", err);
}

static int cms_parse_signed_data(struct cms_signed_data *out, struct buf_reader *r, struct err *err)
{
        struct buf_reader sd;
        TRY(der_read_element(r, DER_TAG_SEQUENCE, &sd, "cms: SignedData", err));
        /* RFC 5652 §5.1: version 1 with issuerAndSerialNumber signers, id-data-like content and X.509 certs only;
         * GB/T 35275 §8.1 has version 1 too. Some encoders write 3 for other eContentTypes (RFC 3161 tokens). */
        struct buf_reader version;
        TRY(der_read_element(&sd, DER_TAG_INTEGER, &version, "cms: SignedData version", err));
        if (version.len != 1 || (version.data[0] != 1 && version.data[0] != 3))
                return SMT_ERR(err, SMT_EDECODE, "cms: SignedData version is not 1 or 3");
        out->version = version.data[0];
        TRY(cms_parse_digest_algorithms(&sd, err));
        TRY(cms_parse_encap(out, &sd, err));
        TRY(cms_parse_certificates(out, &sd, err));
        TRY(cms_parse_signer_info(out, &sd, err));
        return buf_reader_expect_end(&sd, "cms: SignedData", err);
}

int cms_parse(struct cms_signed_data *out, const uint8_t *in, size_t in_len, struct err *err)
{
        memset(out, 0, sizeof *out);
        if (in_len > CMS_MAX)
                return SMT_ERR(err, SMT_EDECODE, "cms: %zu bytes exceed %d", in_len, CMS_MAX);
        struct buf_reader r = buf_reader_make(in, in_len), info, oid, explicit;
        TRY(der_read_element(&r, DER_TAG_SEQUENCE, &info, "cms: ContentInfo", err));
        TRY(buf_reader_expect_end(&r, "cms: ContentInfo", err));
        TRY(der_read_element(&info, DER_TAG_OID, &oid, "cms: contentType", err));
        out->is_gbt_content_info = cms_oid_is(&oid, CMS_OID_GBT_SIGNED_DATA);
        if (!out->is_gbt_content_info && !cms_oid_is(&oid, CMS_OID_PKCS7_SIGNED_DATA))
                return SMT_ERR(err, SMT_EDECODE, "cms: contentType is neither %s nor %s", CMS_OID_GBT_SIGNED_DATA,
                               CMS_OID_PKCS7_SIGNED_DATA);
        TRY(der_read_element(&info, CMS_TAG_CONTEXT_0, &explicit, "cms: content", err));
        TRY(buf_reader_expect_end(&info, "cms: ContentInfo", err));
        TRY(cms_parse_signed_data(out, &explicit, err));
        return buf_reader_expect_end(&explicit, "cms: content", err);
}

const struct cms_parsed_attribute *cms_attribute_lookup(const struct cms_signed_data *sd, const char *dotted)
{
        for (size_t i = 0; i < sd->num_attributes && i < CMS_ATTRIBUTES_MAX; i++)
                if (cms_oid_is(&sd->attributes[i].type, dotted))
                        return &sd->attributes[i];
        return NULL;
}
