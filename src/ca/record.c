/* src/ca/record.c: the store's record of an issued certificate (see record.h). */
#include "ca/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/jose.h"

#define CA_RECORD_SANS_MAX 128

/* The SAN values, lowercase, comma-separated: what store_cert_search matches names against. */
static int ca_record_names(const struct cert *cert, char **out, struct err *err)
{
        struct cert_san *sans = calloc(CA_RECORD_SANS_MAX, sizeof(*sans));
        size_t num = 0;
        if (sans == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        int status = cert_san_list(cert, sans, CA_RECORD_SANS_MAX, &num, err);
        size_t len = 1;
        for (size_t i = 0; status == 0 && i < num; i++)
                len += strlen(sans[i].value) + 1;
        char *names = status == 0 ? calloc(1, len) : NULL;
        for (size_t i = 0; names != NULL && i < num; i++) {
                if (i > 0)
                        strcat(names, ",");
                for (char *c = sans[i].value; *c; c++)
                        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
                strcat(names, sans[i].value);
        }
        free(sans);
        if (status == 0 && names == NULL)
                status = SMT_ERR(err, SMT_ENOMEM, "out of memory");
        *out = names;
        return status;
}

/* SHA-256 of the certified SubjectPublicKeyInfo, base64url. */
static int ca_record_thumbprint(const struct cert *cert, char out[STORE_ID_MAX], struct err *err)
{
        struct key *key = NULL;
        uint8_t fingerprint[32];
        struct buf_writer b64;
        int status = cert_public_key(cert, &key, err);
        if (status == 0)
                status = key_public_fingerprint(key, fingerprint, err);
        key_free(key);
        buf_writer_init_fixed(&b64, (uint8_t *)out, STORE_ID_MAX - 1);
        if (status == 0)
                status = jose_b64url_encode(fingerprint, sizeof(fingerprint), &b64, err);
        out[status == 0 ? b64.len : 0] = '\0';
        return status;
}

int ca_record_fill(struct store_cert *record, char subject[CERT_NAME_TEXT_MAX], const struct ca_authority *ca,
                   const struct cert *cert, const char *profile, int64_t now, struct err *err)
{
        time_t not_before, not_after;
        memset(record, 0, sizeof(*record));
        TRY(cert_serial_hex(cert, record->serial, sizeof(record->serial), err));
        TRY(cert_subject_text(cert, subject, CERT_NAME_TEXT_MAX, err));
        TRY(cert_not_before(cert, &not_before, err));
        TRY(cert_not_after(cert, &not_after, err));
        TRY(ca_record_thumbprint(cert, record->key_thumbprint, err));
        snprintf(record->ca_name, sizeof(record->ca_name), "%s", ca_authority_name(ca));
        snprintf(record->profile, sizeof(record->profile), "%s", profile);
        record->subject = subject;
        record->not_before = not_before;
        record->not_after = not_after;
        record->created_at = now;
        record->status = STORE_CERT_VALID;
        record->revocation_reason = -1;
        const uint8_t *der;
        cert_der(cert, &der, &record->der_len);
        record->der = (uint8_t *)der;
        return ca_record_names(cert, &record->names, err);
}
