/* tests/unit/tlcp/message_vectors.c: see message_vectors.h. */
#include "message_vectors.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "check.h"
#include "tlcp/messages.h"

X509 *message_vectors_load_cert(const char *path)
{
        CHECK(path != NULL);
        FILE *f = fopen(path, "r");
        CHECK(f != NULL);
        X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
        CHECK(cert != NULL);
        return cert;
}

bool message_vectors_cert_equals(const char *path, struct buf_reader der)
{
        X509 *cert = message_vectors_load_cert(path);
        uint8_t *encoded = NULL;
        int len = i2d_X509(cert, &encoded);
        bool same = len > 0 && (size_t)len == der.len && memcmp(encoded, der.data, der.len) == 0;
        OPENSSL_free(encoded);
        X509_free(cert);
        return same;
}

bool message_vectors_sm2_verifies(const char *cert_path, const uint8_t *msg, size_t msg_len, struct buf_reader sig)
{
        X509 *cert = message_vectors_load_cert(cert_path);
        EVP_PKEY *key = X509_get0_pubkey(cert);
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(key, NULL);
        CHECK(key != NULL && md != NULL && pctx != NULL);
        CHECK(EVP_PKEY_CTX_set1_id(pctx, "1234567812345678", 16) == 1);
        EVP_MD_CTX_set_pkey_ctx(md, pctx);
        CHECK(EVP_DigestVerifyInit(md, NULL, EVP_sm3(), NULL, key) == 1);
        bool ok = EVP_DigestVerify(md, sig.data, sig.len, msg, msg_len) == 1;
        EVP_MD_CTX_free(md);
        EVP_PKEY_CTX_free(pctx);
        X509_free(cert);
        return ok;
}

bool message_vectors_sm2_decrypts_to(const char *key_path, struct buf_reader ciphertext, const uint8_t *expected,
                                     size_t expected_len)
{
        FILE *f = fopen(key_path, "r");
        CHECK(f != NULL);
        EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
        CHECK(key != NULL);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
        uint8_t plain[256];
        size_t plain_len = sizeof plain;
        CHECK(ctx != NULL && EVP_PKEY_decrypt_init(ctx) == 1);
        bool ok = EVP_PKEY_decrypt(ctx, plain, &plain_len, ciphertext.data, ciphertext.len) == 1 &&
                  plain_len == expected_len && memcmp(plain, expected, expected_len) == 0;
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(key);
        return ok;
}

struct buf_reader message_vectors_body(const struct tlcp_vector_message *msg)
{
        struct buf_reader in = buf_reader_make(msg->data, msg->len), body;
        struct tlcp_handshake_header header;
        struct err err = {0};
        CHECK_OK(tlcp_handshake_header_split(&header, &body, &in, &err), &err);
        CHECK(buf_reader_is_empty(&in));
        CHECK_EQ(header.type, msg->msg_type);
        return body;
}

struct buf_reader message_vectors_find_body(const struct tlcp_vector *v, uint8_t type, bool is_from_client)
{
        const struct tlcp_vector_message *msg = tlcp_vector_find_message(v, type, is_from_client);
        CHECK(msg != NULL);
        return message_vectors_body(msg);
}

bool message_vectors_is_gmssl(const struct tlcp_vector *v, const char *side)
{
        json_t *node = json_object_get(json_object_get(v->root, side), "implementation");
        CHECK(json_is_string(node));
        return strstr(json_string_value(node), "GmSSL") != NULL;
}

bool message_vectors_equals_hex(struct buf_reader got, const struct tlcp_vector *v, const char *path)
{
        uint8_t want[256];
        size_t want_len = tlcp_vector_get_hex(v, path, want, sizeof want);
        return got.len == want_len && memcmp(got.data, want, want_len) == 0;
}
