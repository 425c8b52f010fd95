/* tests/fuzz/fuzz_cms_parse.c: targets cms_parse (src/crypto/cms_parse.c), cms_attribute_lookup and cms_verify
 * (src/crypto/cms_verify.c) on what parsed: every field borrows from inside the input, a failure always says
 * why, and verification (with the embedded certificates, detached content empty) neither crashes nor leaves
 * OpenSSL errors behind. Seeds: tests/fuzz/corpus/fuzz_cms_parse/, SignedData from cms_sign (attached, detached,
 * id-ct-TSTInfo with an extra attribute, PKCS#7 wrapper), GmSSL's `cmssign` output (no signed attributes),
 * and truncations of them. */
#include <stdint.h>
#include <stdlib.h>

#include <openssl/err.h>

#include "crypto/cms.h"

static void fuzz_check_inside(const struct buf_reader *field, const uint8_t *data, size_t len)
{
        if (field->len == 0)
                return;
        if (field->data < data || field->data + field->len > data + len)
                abort();
}

static void fuzz_check_fields(const struct cms_signed_data *sd, const uint8_t *data, size_t len)
{
        if (sd->num_certificates > CMS_CERTIFICATES_MAX || sd->num_attributes > CMS_ATTRIBUTES_MAX)
                abort();
        const struct buf_reader *fields[] = {&sd->content_type,
                                             &sd->content,
                                             &sd->issuer,
                                             &sd->serial,
                                             &sd->signed_attrs,
                                             &sd->attr_content_type,
                                             &sd->attr_message_digest,
                                             &sd->signature};
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
                fuzz_check_inside(fields[i], data, len);
        for (size_t i = 0; i < sd->num_certificates; i++)
                fuzz_check_inside(&sd->certificates[i], data, len);
        for (size_t i = 0; i < sd->num_attributes; i++) {
                fuzz_check_inside(&sd->attributes[i].der, data, len);
                if (cms_attribute_lookup(sd, "1.2.840.113549.1.9.4") == NULL && sd->has_signed_attrs)
                        abort(); /* messageDigest is required whenever signed attributes are present */
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        struct cms_signed_data sd;
        struct err err = {0};
        int status = cms_parse(&sd, data, len, &err);
        if (status > 0 || (status < 0 && err.msg[0] == '\0'))
                abort();
        if (status == 0) {
                fuzz_check_fields(&sd, data, len);
                struct cms_verify_params params = {0};
                enum cms_verify_failure failure = CMS_VERIFY_OK;
                err_clear(&err);
                status = cms_verify(&sd, &params, &failure, NULL, &err);
                if ((status == 0) != (failure == CMS_VERIFY_OK) || (status < 0 && err.msg[0] == '\0'))
                        abort();
        }
        if (ERR_peek_error() != 0)
                abort();
        return 0;
}
