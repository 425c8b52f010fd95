/* src/crypto/sm2_ciphertext.c: the two SM2 ciphertext encodings.
 *
 * GM/T 0009-2012 §7.2: SEQUENCE { XCoordinate INTEGER, YCoordinate INTEGER, HASH OCTET STRING (SIZE(32)),
 * CipherText OCTET STRING }; raw (GB/T 32918.4 §6.1 step A8, the C1||C3||C2 order): C1 as an uncompressed
 * point 0x04 || x || y (GB/T 32918.1 §4.2), C3 = SM3(x2 || M || y2), then C2. Both are parsed strictly
 * so that writing a parsed ciphertext gives back the same bytes. */
#include "crypto/sm2.h"

#include <string.h>

#include "base/der.h"

/* An empty C2 would be the encryption of nothing, which GB/T 32918.4 §6.1 cannot produce (see sm2_encrypt). */
static int sm2_ciphertext_check_c2(const struct sm2_ciphertext *ct, struct err *err)
{
        if (ct->c2.len == 0)
                return SMT_ERR(err, SMT_EDECODE, "sm2 ciphertext: C2 is empty");
        return SMT_OK;
}

static int sm2_ciphertext_parse_asn1(struct sm2_ciphertext *out, struct buf_reader *in, struct err *err)
{
        struct buf_reader seq, hash;
        TRY(der_read_element(in, DER_TAG_SEQUENCE, &seq, "sm2 ciphertext", err));
        TRY(buf_reader_expect_end(in, "sm2 ciphertext", err));
        TRY(der_read_unsigned_integer(&seq, out->c1_x, sizeof out->c1_x, "sm2 ciphertext: C1 x", err));
        TRY(der_read_unsigned_integer(&seq, out->c1_y, sizeof out->c1_y, "sm2 ciphertext: C1 y", err));
        TRY(der_read_element(&seq, DER_TAG_OCTET_STRING, &hash, "sm2 ciphertext: C3", err));
        if (hash.len != sizeof out->c3)
                return SMT_ERR(err, SMT_EDECODE, "sm2 ciphertext: C3 of %zu bytes, expected %zu", hash.len,
                               sizeof out->c3);
        TRY(buf_read_bytes(&hash, out->c3, sizeof out->c3));
        TRY(der_read_element(&seq, DER_TAG_OCTET_STRING, &out->c2, "sm2 ciphertext: C2", err));
        TRY(buf_reader_expect_end(&seq, "sm2 ciphertext: SEQUENCE", err));
        return sm2_ciphertext_check_c2(out, err);
}

static int sm2_ciphertext_parse_raw(struct sm2_ciphertext *out, struct buf_reader *in, struct err *err)
{
        uint8_t form;
        if (in->len < SM2_CIPHERTEXT_RAW_OVERHEAD + 1)
                return SMT_ERR(err, SMT_EDECODE, "sm2 ciphertext: %zu bytes, a raw one has at least %d", in->len,
                               SM2_CIPHERTEXT_RAW_OVERHEAD + 1);
        TRY(buf_read_u8(in, &form));
        if (form != 0x04)
                return SMT_ERR(err, SMT_EDECODE, "sm2 ciphertext: C1 starts with 0x%02x, expected 0x04", form);
        TRY(buf_read_bytes(in, out->c1_x, sizeof out->c1_x));
        TRY(buf_read_bytes(in, out->c1_y, sizeof out->c1_y));
        TRY(buf_read_bytes(in, out->c3, sizeof out->c3));
        out->c2 = *in;
        return sm2_ciphertext_check_c2(out, err);
}

int sm2_ciphertext_parse(struct sm2_ciphertext *out, enum sm2_ciphertext_format format, const uint8_t *in,
                         size_t in_len, struct err *err)
{
        struct buf_reader reader = buf_reader_make(in, in_len);
        int status = SMT_EINVAL;
        switch (format) {
        case SM2_CIPHERTEXT_ASN1:
                status = sm2_ciphertext_parse_asn1(out, &reader, err);
                break;
        case SM2_CIPHERTEXT_RAW:
                status = sm2_ciphertext_parse_raw(out, &reader, err);
                break;
        }
        if (status == SMT_EINVAL)
                return SMT_ERR(err, SMT_EINVAL, "sm2 ciphertext: unknown format %d", (int)format);
        /* The input is the whole ciphertext, so running short is one more way of being malformed. */
        if (status == SMT_ETRUNCATED) {
                if (err != NULL)
                        err->code = SMT_EDECODE;
                status = SMT_EDECODE;
        }
        return status;
}

static size_t sm2_ciphertext_asn1_content_len(const struct sm2_ciphertext *ct)
{
        return der_unsigned_integer_len(ct->c1_x, sizeof ct->c1_x) +
               der_unsigned_integer_len(ct->c1_y, sizeof ct->c1_y) + der_element_len(sizeof ct->c3) +
               der_element_len(ct->c2.len);
}

static int sm2_ciphertext_write_asn1(struct buf_writer *w, const struct sm2_ciphertext *ct)
{
        TRY(der_write_header(w, DER_TAG_SEQUENCE, sm2_ciphertext_asn1_content_len(ct)));
        TRY(der_write_unsigned_integer(w, ct->c1_x, sizeof ct->c1_x));
        TRY(der_write_unsigned_integer(w, ct->c1_y, sizeof ct->c1_y));
        TRY(der_write_header(w, DER_TAG_OCTET_STRING, sizeof ct->c3));
        TRY(buf_write_bytes(w, ct->c3, sizeof ct->c3));
        TRY(der_write_header(w, DER_TAG_OCTET_STRING, ct->c2.len));
        return buf_write_bytes(w, ct->c2.data, ct->c2.len);
}

static int sm2_ciphertext_write_raw(struct buf_writer *w, const struct sm2_ciphertext *ct)
{
        TRY(buf_write_u8(w, 0x04));
        TRY(buf_write_bytes(w, ct->c1_x, sizeof ct->c1_x));
        TRY(buf_write_bytes(w, ct->c1_y, sizeof ct->c1_y));
        TRY(buf_write_bytes(w, ct->c3, sizeof ct->c3));
        return buf_write_bytes(w, ct->c2.data, ct->c2.len);
}

/* sm2_ciphertext_write reserves the exact size first, so out gets the whole ciphertext or nothing. */
int sm2_ciphertext_write(struct buf_writer *out, const struct sm2_ciphertext *ct, enum sm2_ciphertext_format format,
                         struct err *err)
{
        size_t len = 0;
        switch (format) {
        case SM2_CIPHERTEXT_ASN1:
                len = der_element_len(sm2_ciphertext_asn1_content_len(ct));
                break;
        case SM2_CIPHERTEXT_RAW:
                len = SM2_CIPHERTEXT_RAW_OVERHEAD + ct->c2.len;
                break;
        }
        if (len == 0)
                return SMT_ERR(err, SMT_EINVAL, "sm2 ciphertext: unknown format %d", (int)format);
        if (ct->c2.len == 0)
                return SMT_ERR(err, SMT_EINVAL, "sm2 ciphertext: C2 is empty");
        uint8_t *dst;
        int status = buf_write_reserve(out, &dst, len);
        if (status < 0)
                return SMT_ERR(err, status, "sm2 ciphertext: no room for %zu bytes", len);
        struct buf_writer exact;
        buf_writer_init_fixed(&exact, dst, len);
        status = format == SM2_CIPHERTEXT_ASN1 ? sm2_ciphertext_write_asn1(&exact, ct)
                                               : sm2_ciphertext_write_raw(&exact, ct);
        if (status < 0 || exact.len != len)
                return SMT_ERR(err, SMT_EINTERNAL, "sm2 ciphertext: wrote %zu of %zu bytes", exact.len, len);
        return SMT_OK;
}
