/* tests/unit/ca/challenge_fake_tls.c: tls-alpn-01 certificates (RFC 8737 3) made with OpenSSL's own APIs,
 * the server context that presents them, and the dns-01 digest computed with EVP directly. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "challenge_fakes.h"

static void challenge_tls_die(const char *what)
{
        fprintf(stderr, "challenge fake TLS: %s failed\n", what);
        abort();
}

static void challenge_add_names(X509 *cert, const struct challenge_cert_spec *spec)
{
        GENERAL_NAMES *names = GENERAL_NAMES_new();
        for (size_t i = 0; i < 4 && spec->dns_names[i] != NULL; i++) {
                GENERAL_NAME *name = GENERAL_NAME_new();
                ASN1_IA5STRING *text = ASN1_IA5STRING_new();
                ASN1_STRING_set(text, spec->dns_names[i], -1);
                GENERAL_NAME_set0_value(name, GEN_DNS, text);
                sk_GENERAL_NAME_push(names, name);
        }
        if (spec->ip != NULL) {
                uint8_t ip[16];
                int len = inet_pton(AF_INET, spec->ip, ip) == 1 ? 4 : 16;
                if (len == 16 && inet_pton(AF_INET6, spec->ip, ip) != 1)
                        challenge_tls_die("IP literal");
                GENERAL_NAME *name = GENERAL_NAME_new();
                ASN1_OCTET_STRING *octets = ASN1_OCTET_STRING_new();
                ASN1_OCTET_STRING_set(octets, ip, len);
                GENERAL_NAME_set0_value(name, GEN_IPADD, octets);
                sk_GENERAL_NAME_push(names, name);
        }
        if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) != 1)
                challenge_tls_die("subjectAltName");
        GENERAL_NAMES_free(names);
}

/* RFC 8737 3: extnValue is the DER of Authorization ::= OCTET STRING (SIZE (32)). */
static void challenge_add_identifier(X509 *cert, const struct challenge_cert_spec *spec)
{
        uint8_t der[34] = {0x04, 0x20};
        unsigned digest_len = 0;
        if (EVP_Digest(spec->key_authorization, strlen(spec->key_authorization), der + 2, &digest_len, EVP_sha256(),
                       NULL) != 1)
                challenge_tls_die("SHA-256");
        ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
        ASN1_OCTET_STRING *value = ASN1_OCTET_STRING_new();
        ASN1_OCTET_STRING_set(value, der, sizeof der);
        X509_EXTENSION *extension = X509_EXTENSION_create_by_OBJ(NULL, oid, spec->is_not_critical ? 0 : 1, value);
        if (extension == NULL || X509_add_ext(cert, extension, -1) != 1)
                challenge_tls_die("acmeIdentifier");
        X509_EXTENSION_free(extension);
        ASN1_OCTET_STRING_free(value);
        ASN1_OBJECT_free(oid);
}

static X509 *challenge_cert_make(EVP_PKEY *key, const struct challenge_cert_spec *spec)
{
        X509 *cert = X509_new();
        X509_NAME *subject = X509_NAME_new();
        X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *)"ACME challenge", -1, -1, 0);
        if (cert == NULL || X509_set_version(cert, X509_VERSION_3) != 1 ||
            ASN1_INTEGER_set(X509_get_serialNumber(cert), 1) != 1 || X509_set_subject_name(cert, subject) != 1 ||
            X509_set_issuer_name(cert, subject) != 1 || X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == NULL ||
            X509_gmtime_adj(X509_getm_notAfter(cert), 86400) == NULL || X509_set_pubkey(cert, key) != 1)
                challenge_tls_die("X509 fields");
        X509_NAME_free(subject);
        challenge_add_names(cert, spec);
        if (spec->key_authorization != NULL)
                challenge_add_identifier(cert, spec);
        if (X509_sign(cert, key, EVP_sha256()) == 0)
                challenge_tls_die("X509_sign");
        return cert;
}

static int challenge_select_acme_tls(SSL *ssl, const unsigned char **out, unsigned char *out_len,
                                     const unsigned char *in, unsigned in_len, void *arg)
{
        (void)ssl;
        (void)arg;
        static const unsigned char ours[] = "\x0a"
                                            "acme-tls/1";
        unsigned char *selected = NULL;
        if (SSL_select_next_proto(&selected, out_len, ours, sizeof ours - 1, in, in_len) != OPENSSL_NPN_NEGOTIATED)
                return SSL_TLSEXT_ERR_NOACK;
        *out = selected;
        return SSL_TLSEXT_ERR_OK;
}

SSL_CTX *challenge_tls_context(const struct challenge_cert_spec *spec, bool select_acme_tls)
{
        EVP_PKEY *key = EVP_EC_gen("P-256");
        SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
        if (key == NULL || ctx == NULL)
                challenge_tls_die("key or context");
        X509 *cert = challenge_cert_make(key, spec);
        if (SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1)
                challenge_tls_die("SSL_CTX_use_certificate");
        if (select_acme_tls)
                SSL_CTX_set_alpn_select_cb(ctx, challenge_select_acme_tls, NULL);
        X509_free(cert);
        EVP_PKEY_free(key);
        return ctx;
}

void challenge_base64url_sha256(char out[44], const char *text)
{
        unsigned char digest[32], encoded[48];
        unsigned digest_len = 0;
        if (EVP_Digest(text, strlen(text), digest, &digest_len, EVP_sha256(), NULL) != 1)
                challenge_tls_die("SHA-256");
        int len = EVP_EncodeBlock(encoded, digest, (int)digest_len);
        /* 32 bytes give 44 characters with one '=': base64url (RFC 4648 5) drops it and swaps two letters. */
        if (len != 44 || encoded[43] != '=')
                challenge_tls_die("base64");
        for (int i = 0; i < 43; i++)
                out[i] = encoded[i] == '+' ? '-' : encoded[i] == '/' ? '_' : (char)encoded[i];
        out[43] = 0;
}
