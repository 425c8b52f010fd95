/* src/ca/authority_constraints.c: the DNS name constraints of an issuing CA as ca_issue checks them: copied
 * from ca.yaml, or read back from the certificate of a CA made at run time (the store keeps only the
 * certificate, so the certificate is where its constraints live). */
#include <stdlib.h>
#include <string.h>

#include "base/der.h"
#include "ca/authority_internal.h"

/* More subtrees than this in one list is not a certificate we made. */
#define CA_CONSTRAINTS_MAX 256

/* RFC 5280 §4.2.1.10: id-ce-nameConstraints 2.5.29.30, as the OID's content bytes. */
static const uint8_t ca_constraints_oid[] = {0x55, 0x1d, 0x1e};

enum {
        CA_DER_BOOLEAN = 0x01,
        CA_DER_EXTENSIONS = 0xa3, /* tbsCertificate extensions [3] EXPLICIT */
        CA_DER_PERMITTED = 0xa0,  /* permittedSubtrees [0] IMPLICIT GeneralSubtrees */
        CA_DER_EXCLUDED = 0xa1,   /* excludedSubtrees [1] */
        CA_DER_DNS_NAME = 0x82,   /* GeneralName dNSName [2] IMPLICIT IA5String */
};

static int ca_constraints_append(char ***list, size_t *num, const struct buf_reader *value, struct err *err)
{
        if (*num >= CA_CONSTRAINTS_MAX)
                return SMT_ERR(err, CRYPTO_ECERT, "nameConstraints: more than %d subtrees", CA_CONSTRAINTS_MAX);
        if (value->len == 0 || value->len > 253 || memchr(value->data, '\0', value->len) != NULL)
                return SMT_ERR(err, CRYPTO_ECERT, "nameConstraints: a dNSName of %zu bytes", value->len);
        char **grown = realloc(*list, (*num + 1) * sizeof *grown);
        if (grown == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        *list = grown;
        grown[*num] = strndup((const char *)value->data, value->len);
        if (grown[*num] == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        (*num)++;
        return SMT_OK;
}

int ca_name_constraints_copy(struct ca_name_constraints *out, const char *const *permitted, size_t num_permitted,
                             const char *const *excluded, size_t num_excluded, struct err *err)
{
        for (size_t i = 0; i < num_permitted; i++) {
                struct buf_reader value = buf_reader_make((const uint8_t *)permitted[i], strlen(permitted[i]));
                TRY(ca_constraints_append(&out->permitted_dns, &out->num_permitted_dns, &value, err));
        }
        for (size_t i = 0; i < num_excluded; i++) {
                struct buf_reader value = buf_reader_make((const uint8_t *)excluded[i], strlen(excluded[i]));
                TRY(ca_constraints_append(&out->excluded_dns, &out->num_excluded_dns, &value, err));
        }
        return SMT_OK;
}

void ca_name_constraints_cleanup(struct ca_name_constraints *constraints)
{
        for (size_t i = 0; i < constraints->num_permitted_dns; i++)
                free(constraints->permitted_dns[i]);
        for (size_t i = 0; i < constraints->num_excluded_dns; i++)
                free(constraints->excluded_dns[i]);
        free(constraints->permitted_dns);
        free(constraints->excluded_dns);
        memset(constraints, 0, sizeof *constraints);
}

/* Reads the next element, whatever its (single-byte) tag. */
static int ca_der_next(struct buf_reader *r, uint8_t *tag, struct buf_reader *content, const char *what,
                       struct err *err)
{
        if (buf_peek_u8(r, tag) < 0)
                return SMT_ERR(err, SMT_ETRUNCATED, "%s: truncated", what);
        return der_read_element(r, *tag, content, what, err);
}

/* GeneralSubtrees ::= SEQUENCE OF GeneralSubtree { base GeneralName, minimum [0] DEFAULT 0, maximum [1] }:
 * we write dNSName bases alone (the only form the CA profiles use). */
static int ca_constraints_subtrees(struct buf_reader *in, char ***list, size_t *num, struct err *err)
{
        while (!buf_reader_is_empty(in)) {
                struct buf_reader subtree, base;
                TRY(der_read_element(in, DER_TAG_SEQUENCE, &subtree, "GeneralSubtree", err));
                TRY(der_read_element(&subtree, CA_DER_DNS_NAME, &base, "GeneralSubtree dNSName", err));
                TRY(buf_reader_expect_end(&subtree, "GeneralSubtree (minimum/maximum)", err));
                TRY(ca_constraints_append(list, num, &base, err));
        }
        return SMT_OK;
}

static int ca_constraints_parse(struct ca_name_constraints *out, struct buf_reader *value, struct err *err)
{
        struct buf_reader constraints, subtrees;
        uint8_t tag;
        TRY(der_read_element(value, DER_TAG_SEQUENCE, &constraints, "NameConstraints", err));
        TRY(buf_reader_expect_end(value, "nameConstraints", err));
        while (!buf_reader_is_empty(&constraints)) {
                TRY(ca_der_next(&constraints, &tag, &subtrees, "NameConstraints", err));
                if (tag == CA_DER_PERMITTED)
                        TRY(ca_constraints_subtrees(&subtrees, &out->permitted_dns, &out->num_permitted_dns, err));
                else if (tag == CA_DER_EXCLUDED)
                        TRY(ca_constraints_subtrees(&subtrees, &out->excluded_dns, &out->num_excluded_dns, err));
                else
                        return SMT_ERR(err, CRYPTO_ECERT, "NameConstraints: unexpected tag 0x%02x", tag);
        }
        return SMT_OK;
}

/* Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
static int ca_constraints_extension(struct ca_name_constraints *out, struct buf_reader *extension, struct err *err)
{
        struct buf_reader oid, value;
        uint8_t tag;
        TRY(der_read_element(extension, DER_TAG_OID, &oid, "Extension extnID", err));
        if (oid.len != sizeof ca_constraints_oid || memcmp(oid.data, ca_constraints_oid, oid.len) != 0)
                return SMT_OK;
        TRY(ca_der_next(extension, &tag, &value, "Extension", err));
        if (tag == CA_DER_BOOLEAN)
                TRY(ca_der_next(extension, &tag, &value, "Extension", err));
        if (tag != DER_TAG_OCTET_STRING)
                return SMT_ERR(err, CRYPTO_ECERT, "nameConstraints: extnValue has tag 0x%02x", tag);
        return ca_constraints_parse(out, &value, err);
}

static int ca_constraints_find(struct ca_name_constraints *out, const struct cert *cert, struct err *err)
{
        const uint8_t *der;
        size_t der_len;
        cert_der(cert, &der, &der_len);
        struct buf_reader in = buf_reader_make(der, der_len), certificate, tbs, field, extensions, extension;
        uint8_t tag = 0;
        TRY(der_read_element(&in, DER_TAG_SEQUENCE, &certificate, "Certificate", err));
        TRY(der_read_element(&certificate, DER_TAG_SEQUENCE, &tbs, "tbsCertificate", err));
        while (!buf_reader_is_empty(&tbs) && tag != CA_DER_EXTENSIONS)
                TRY(ca_der_next(&tbs, &tag, &field, "tbsCertificate", err));
        if (tag != CA_DER_EXTENSIONS)
                return SMT_OK; /* no extensions at all */
        TRY(der_read_element(&field, DER_TAG_SEQUENCE, &extensions, "Extensions", err));
        while (!buf_reader_is_empty(&extensions)) {
                TRY(der_read_element(&extensions, DER_TAG_SEQUENCE, &extension, "Extension", err));
                TRY(ca_constraints_extension(out, &extension, err));
        }
        return SMT_OK;
}

int ca_name_constraints_read(struct ca_name_constraints *out, const struct cert *cert, struct err *err)
{
        int status = ca_constraints_find(out, cert, err);
        if (status < 0)
                ca_name_constraints_cleanup(out);
        return status;
}
