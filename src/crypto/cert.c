/* src/crypto/cert.c: certificate objects, chains, PEM reading and writing.
 * Names, dates and checks are in cert_info.c, trust stores and verification in cert_verify.c, issuing in
 * cert_issue.c. */
#include "crypto/cert.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/file.h"
#include "crypto/crypto_error.h"
#include "crypto/sm2.h"

struct cert {
        X509 *x509;
        uint8_t *der; /* the exact bytes it was made from */
        size_t der_len;
};

struct cert_chain {
        struct cert **certs;
        size_t count;
        size_t cap;
};

/* cert_set_sm2_id tells OpenSSL the ID under which an SM2-with-SM3 signature on this certificate was made
 * (GM/T 0009 §10 default): OpenSSL 3.0 otherwise hashes an empty ID into Z, and every SM2 certificate fails
 * with "certificate signature failure". X509_verify reads it from the certificate being checked, so it
 * is set once, here, when the certificate is made, and the struct cert never changes afterwards. */
static int cert_set_sm2_id(X509 *x509, struct err *err)
{
        if (X509_get_signature_nid(x509) != NID_SM2_with_SM3)
                return SMT_OK;
        ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new();
        if (id == NULL || !ASN1_OCTET_STRING_set(id, (const unsigned char *)SM2_DEFAULT_ID, strlen(SM2_DEFAULT_ID))) {
                ASN1_OCTET_STRING_free(id);
                return crypto_error_set(err, SMT_ENOMEM, "certificate: setting the SM2 ID");
        }
        X509_set0_distinguishing_id(x509, id);
        return SMT_OK;
}

/* cert_make takes ownership of x509 and of der (both freed on failure). */
static int cert_make(struct cert **out, X509 *x509, uint8_t *der, size_t der_len, struct err *err)
{
        int status = cert_set_sm2_id(x509, err);
        struct cert *cert = status == SMT_OK ? calloc(1, sizeof *cert) : NULL;
        if (status == SMT_OK && cert == NULL)
                status = SMT_ERR(err, SMT_ENOMEM, "certificate: out of memory");
        if (status < 0) {
                X509_free(x509);
                free(der);
                return status;
        }
        cert->x509 = x509;
        cert->der = der;
        cert->der_len = der_len;
        *out = cert;
        return SMT_OK;
}

static uint8_t *cert_copy_bytes(const uint8_t *in, size_t len)
{
        uint8_t *copy = malloc(len);
        if (copy != NULL)
                memcpy(copy, in, len);
        return copy;
}

int cert_parse_der(struct cert **out, const uint8_t *in, size_t in_len, struct err *err)
{
        if (in_len == 0)
                return SMT_ERR(err, CRYPTO_ECERT, "certificate: empty input");
        if (in_len > CERT_FILE_MAX)
                return SMT_ERR(err, CRYPTO_ECERT, "certificate: %zu bytes, at most %d accepted", in_len, CERT_FILE_MAX);
        const unsigned char *p = in;
        X509 *x509 = d2i_X509(NULL, &p, (long)in_len);
        if (x509 == NULL)
                return crypto_error_set(err, CRYPTO_ECERT, "certificate: malformed DER (%zu bytes)", in_len);
        size_t used = (size_t)(p - in);
        if (used != in_len) {
                X509_free(x509);
                return SMT_ERR(err, CRYPTO_ECERT, "certificate: %zu bytes after its end (%zu of %zu used)",
                               in_len - used, used, in_len);
        }
        uint8_t *der = cert_copy_bytes(in, in_len);
        if (der == NULL) {
                X509_free(x509);
                return SMT_ERR(err, SMT_ENOMEM, "certificate: out of memory");
        }
        return cert_make(out, x509, der, in_len, err);
}

int cert_wrap(struct cert **out, X509 *x509, struct err *err)
{
        unsigned char *der = NULL;
        int len = i2d_X509(x509, &der);
        if (len <= 0) {
                X509_free(x509);
                return crypto_error_set(err, CRYPTO_ECERT, "certificate: cannot encode");
        }
        /* OpenSSL_malloc'd bytes move to our own heap so cert_free has one rule. */
        uint8_t *copy = cert_copy_bytes(der, (size_t)len);
        OPENSSL_free(der);
        if (copy == NULL) {
                X509_free(x509);
                return SMT_ERR(err, SMT_ENOMEM, "certificate: out of memory");
        }
        return cert_make(out, x509, copy, (size_t)len, err);
}

/* cert_dup shares the parsed X509 (reference counted, never changed after creation, so safe across threads)
 * instead of parsing the DER again: a resumed TLCP session hands out copies of the client's certificates. */
int cert_dup(struct cert **out, const struct cert *cert, struct err *err)
{
        struct cert *copy = calloc(1, sizeof *copy);
        uint8_t *der = copy != NULL ? malloc(cert->der_len) : NULL;
        if (der == NULL || X509_up_ref(cert->x509) != 1) {
                free(der);
                free(copy);
                return SMT_ERR(err, SMT_ENOMEM, "cert_dup: out of memory");
        }
        memcpy(der, cert->der, cert->der_len);
        *copy = (struct cert){ .x509 = cert->x509, .der = der, .der_len = cert->der_len };
        *out = copy;
        return SMT_OK;
}

void cert_free(struct cert *cert)
{
        if (cert == NULL)
                return;
        X509_free(cert->x509);
        free(cert->der);
        free(cert);
}

void cert_der(const struct cert *cert, const uint8_t **data, size_t *len)
{
        *data = cert->der;
        *len = cert->der_len;
}

X509 *cert_x509(const struct cert *cert)
{
        return cert->x509;
}

/* cert_public_key goes through the DER SubjectPublicKeyInfo so the new key shares nothing with the
 * certificate and gets the same checks as a key read from a file. */
int cert_public_key(const struct cert *cert, struct key **out, struct err *err)
{
        X509_PUBKEY *spki = X509_get_X509_PUBKEY(cert->x509);
        unsigned char *der = NULL;
        int len = spki != NULL ? i2d_X509_PUBKEY(spki, &der) : -1;
        if (len <= 0)
                return crypto_error_set(err, CRYPTO_ECERT, "certificate: no encodable public key");
        int status = key_parse(out, der, (size_t)len, NULL, err);
        OPENSSL_free(der);
        if (status < 0)
                return err_prefix(err, "certificate public key");
        return SMT_OK;
}

/* --- chains --- */

int cert_chain_new(struct cert_chain **out, struct err *err)
{
        *out = calloc(1, sizeof **out);
        if (*out == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "certificate chain: out of memory");
        return SMT_OK;
}

void cert_chain_free(struct cert_chain *chain)
{
        if (chain == NULL)
                return;
        for (size_t i = 0; i < chain->count; i++)
                cert_free(chain->certs[i]);
        free(chain->certs);
        free(chain);
}

int cert_chain_append(struct cert_chain *chain, struct cert *cert, struct err *err)
{
        if (chain->count == chain->cap) {
                size_t cap = chain->cap == 0 ? 4 : chain->cap * 2;
                struct cert **certs = reallocarray(chain->certs, cap, sizeof *certs);
                if (certs == NULL) {
                        cert_free(cert);
                        return SMT_ERR(err, SMT_ENOMEM, "certificate chain: out of memory");
                }
                chain->certs = certs;
                chain->cap = cap;
        }
        chain->certs[chain->count++] = cert;
        return SMT_OK;
}

size_t cert_chain_count(const struct cert_chain *chain)
{
        return chain->count;
}

const struct cert *cert_chain_get(const struct cert_chain *chain, size_t index)
{
        return chain->certs[index];
}

/* --- PEM (RFC 7468 §5: label CERTIFICATE) --- */

/* cert_chain_read_block reads the next PEM block; 1 when one was read, 0 at the end of the input. */
static int cert_chain_read_block(BIO *bio, struct cert_chain *chain, size_t block, struct err *err)
{
        char *label = NULL, *header = NULL;
        unsigned char *data = NULL;
        long len = 0;
        if (!PEM_read_bio(bio, &label, &header, &data, &len)) {
                if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE) {
                        crypto_error_clear();
                        return 0;
                }
                return crypto_error_set(err, CRYPTO_ECERT, "PEM block %zu is truncated or malformed", block);
        }
        int status = 1;
        if (strcmp(label, "CERTIFICATE") == 0) {
                struct cert *cert = NULL;
                status = cert_parse_der(&cert, data, (size_t)len, err);
                if (status == SMT_OK)
                        status = cert_chain_append(chain, cert, err);
                status = status < 0 ? err_prefix(err, "PEM block %zu", block) : 1;
        }
        OPENSSL_free(label);
        OPENSSL_free(header);
        OPENSSL_free(data);
        return status;
}

static int cert_chain_read_blocks(struct cert_chain *chain, const uint8_t *in, size_t in_len, struct err *err)
{
        if (in_len > CERT_FILE_MAX)
                return SMT_ERR(err, CRYPTO_ECERT, "PEM input of %zu bytes, at most %d accepted", in_len, CERT_FILE_MAX);
        BIO *bio = BIO_new_mem_buf(in, (int)in_len);
        if (bio == NULL)
                return crypto_error_set(err, SMT_ENOMEM, "reading PEM");
        int status = 1;
        for (size_t block = 1; status == 1; block++)
                status = cert_chain_read_block(bio, chain, block, err);
        BIO_free(bio);
        if (status == 0 && chain->count == 0)
                status = SMT_ERR(err, CRYPTO_ECERT, "no CERTIFICATE block in the PEM input");
        return status;
}

int cert_chain_parse_pem(struct cert_chain **out, const uint8_t *in, size_t in_len, struct err *err)
{
        struct cert_chain *chain = NULL;
        TRY(cert_chain_new(&chain, err));
        int status = cert_chain_read_blocks(chain, in, in_len, err);
        if (status < 0) {
                cert_chain_free(chain);
                return status;
        }
        *out = chain;
        return SMT_OK;
}

int cert_chain_load_pem(struct cert_chain **out, const char *path, struct err *err)
{
        uint8_t *data = NULL;
        size_t len = 0;
        TRY(file_read_all(&data, &len, path, CERT_FILE_MAX, err));
        int status = cert_chain_parse_pem(out, data, len, err);
        file_free_contents(data, len);
        if (status < 0)
                return err_prefix(err, "%s", path);
        return SMT_OK;
}

/* --- writing --- */

int cert_write_pem(const struct cert *cert, struct buf_writer *out, struct err *err)
{
        BIO *bio = BIO_new(BIO_s_mem());
        if (bio == NULL || !PEM_write_bio(bio, "CERTIFICATE", "", cert->der, (long)cert->der_len)) {
                BIO_free(bio);
                return crypto_error_set(err, CRYPTO_EOPENSSL, "writing a certificate as PEM");
        }
        char *mem = NULL;
        long len = BIO_get_mem_data(bio, &mem);
        int status = SMT_OK;
        if (len <= 0 || buf_write_bytes(out, (const uint8_t *)mem, (size_t)len) < 0)
                status = SMT_ERR(err, SMT_ENOSPACE, "certificate PEM of %ld bytes does not fit the output", len);
        BIO_free(bio);
        return status;
}

int cert_chain_write_pem(const struct cert_chain *chain, struct buf_writer *out, struct err *err)
{
        for (size_t i = 0; i < chain->count; i++)
                TRY(cert_write_pem(chain->certs[i], out, err));
        return SMT_OK;
}

static int cert_save_writer(struct buf_writer *pem, const char *path, bool overwrite, struct err *err)
{
        return file_write_atomic(path, pem->data, pem->len, 0644, overwrite ? FILE_WRITE_REPLACE : FILE_WRITE_EXCLUSIVE,
                                 err);
}

int cert_save_pem(const struct cert *cert, const char *path, bool overwrite, struct err *err)
{
        struct buf_writer pem;
        buf_writer_init_heap(&pem, CERT_FILE_MAX);
        int status = cert_write_pem(cert, &pem, err);
        if (status == SMT_OK)
                status = cert_save_writer(&pem, path, overwrite, err);
        buf_writer_cleanup(&pem);
        return status;
}

int cert_chain_save_pem(const struct cert_chain *chain, const char *path, bool overwrite, struct err *err)
{
        if (chain->count == 0)
                return SMT_ERR(err, SMT_EINVAL, "%s: refusing to write an empty certificate chain", path);
        struct buf_writer pem;
        buf_writer_init_heap(&pem, CERT_FILE_MAX);
        int status = cert_chain_write_pem(chain, &pem, err);
        if (status == SMT_OK)
                status = cert_save_writer(&pem, path, overwrite, err);
        buf_writer_cleanup(&pem);
        return status;
}
