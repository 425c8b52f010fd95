/* src/ca/challenge_tls.c: tls-alpn-01 (RFC 8737; RFC 8738 6 for IP addresses): a TLS handshake offering
 * only "acme-tls/1", then the peer's certificate is examined (not verified, RFC 8737 3): exactly one
 * subjectAltName, the identifier, and a critical acmeIdentifier extension holding SHA-256 of the key
 * authorization. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "base/der.h"
#include "ca/challenge_internal.h"

/* RFC 8737 6.2: the ALPN protocol ID, in the wire form of a protocol list. */
static const uint8_t ca_challenge_acme_tls_alpn[] = "\x0a"
                                                    "acme-tls/1";
#define CA_CHALLENGE_ACME_TLS_ALPN_LEN 11
/* RFC 8737 6.1: id-pe-acmeIdentifier. */
#define CA_CHALLENGE_ACME_IDENTIFIER_OID "1.3.6.1.5.5.7.1.31"
#define CA_CHALLENGE_REVERSE_NAME_MAX    NET_ADDRESS_HOST_MAX

/* RFC 8738 6: the SNI for an IP address is its reverse-mapping name (RFC 1035 3.5, RFC 3596 2.5). */
static void ca_challenge_reverse_name(char out[CA_CHALLENGE_REVERSE_NAME_MAX], const char *ip)
{
        uint8_t bytes[16];
        size_t used = 0;
        if (inet_pton(AF_INET, ip, bytes) == 1) {
                snprintf(out, CA_CHALLENGE_REVERSE_NAME_MAX, "%u.%u.%u.%u.in-addr.arpa", bytes[3], bytes[2], bytes[1],
                         bytes[0]);
                return;
        }
        if (inet_pton(AF_INET6, ip, bytes) != 1) {
                out[0] = 0;
                return;
        }
        for (int i = 15; i >= 0; i--)
                used += (size_t)snprintf(out + used, CA_CHALLENGE_REVERSE_NAME_MAX - used, "%x.%x.", bytes[i] & 0xf,
                                         bytes[i] >> 4);
        snprintf(out + used, CA_CHALLENGE_REVERSE_NAME_MAX - used, "ip6.arpa");
}

static int ca_challenge_tls_check_alpn(struct ca_challenge_run *run, SSL *ssl, struct err *err)
{
        const unsigned char *selected = NULL;
        unsigned selected_len = 0;
        SSL_get0_alpn_selected(ssl, &selected, &selected_len);
        if (selected_len == 0)
                return ca_challenge_fail(run, err, CA_PROBLEM_TLS,
                                         "the server selected no ALPN protocol; expected \"acme-tls/1\" (RFC 8737 3)");
        if (selected_len != CA_CHALLENGE_ACME_TLS_ALPN_LEN - 1 ||
            memcmp(selected, ca_challenge_acme_tls_alpn + 1, selected_len))
                return ca_challenge_fail(run, err, CA_PROBLEM_TLS,
                                         "the server selected ALPN \"%.*s\", not \"acme-tls/1\"", (int)selected_len,
                                         (const char *)selected);
        return SMT_OK;
}

/* "dNSName "x"" or "iPAddress 1.2.3.4" for a message. */
static void ca_challenge_tls_describe_name(char *out, size_t cap, const GENERAL_NAME *name)
{
        char quoted[320], ip[INET6_ADDRSTRLEN] = "?";
        if (name->type == GEN_DNS) {
                ca_challenge_quote(quoted, sizeof quoted, ASN1_STRING_get0_data(name->d.dNSName),
                                   (size_t)ASN1_STRING_length(name->d.dNSName));
                snprintf(out, cap, "dNSName %s", quoted);
        } else if (name->type == GEN_IPADD) {
                int len = ASN1_STRING_length(name->d.iPAddress);
                if (len == 4 || len == 16)
                        inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(name->d.iPAddress), ip,
                                  sizeof ip);
                snprintf(out, cap, "iPAddress %s", ip);
        } else {
                snprintf(out, cap, "a name of type %d", name->type);
        }
}

static bool ca_challenge_tls_name_matches(const GENERAL_NAME *name, const char *domain)
{
        uint8_t ip[16];
        if (inet_pton(AF_INET, domain, ip) == 1 || inet_pton(AF_INET6, domain, ip) == 1) {
                size_t ip_len = strchr(domain, ':') != NULL ? 16 : 4;
                return name->type == GEN_IPADD && (size_t)ASN1_STRING_length(name->d.iPAddress) == ip_len &&
                       memcmp(ASN1_STRING_get0_data(name->d.iPAddress), ip, ip_len) == 0;
        }
        return name->type == GEN_DNS && (size_t)ASN1_STRING_length(name->d.dNSName) == strlen(domain) &&
               strncasecmp((const char *)ASN1_STRING_get0_data(name->d.dNSName), domain, strlen(domain)) == 0;
}

/* RFC 8737 3: "a subjectAltName extension containing the dNSName being validated and no other entries". */
static int ca_challenge_tls_check_names(struct ca_challenge_run *run, X509 *cert, const char *domain, struct err *err)
{
        int critical = 0;
        GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, &critical, NULL);
        if (names == NULL)
                return ca_challenge_fail(run, err, CA_PROBLEM_TLS, "the certificate has %s subjectAltName extension",
                                         critical == -2 ? "more than one" : "no (readable)");
        const char *kind = net_address_is_ip_literal(domain) ? "iPAddress" : "dNSName";
        int num = sk_GENERAL_NAME_num(names);
        char seen[400];
        ca_challenge_tls_describe_name(seen, sizeof seen, sk_GENERAL_NAME_value(names, 0));
        bool matches = num == 1 && ca_challenge_tls_name_matches(sk_GENERAL_NAME_value(names, 0), domain);
        GENERAL_NAMES_free(names);
        if (num != 1)
                return ca_challenge_fail(run, err, CA_PROBLEM_TLS,
                                         "the certificate has %d subjectAltName entries, expected exactly one: %s %s",
                                         num, kind, domain);
        if (!matches)
                return ca_challenge_fail(run, err, CA_PROBLEM_TLS, "the certificate names %s, expected %s %s", seen,
                                         kind, domain);
        return SMT_OK;
}

static void ca_challenge_hex(char *out, const uint8_t *data, size_t len)
{
        for (size_t i = 0; i < len; i++)
                snprintf(out + 2 * i, 3, "%02x", data[i]);
}

/* RFC 8737 3: Authorization ::= OCTET STRING (SIZE (32)), DER in the extension's value, critical. */
static int ca_challenge_tls_check_identifier(struct ca_challenge_run *run, X509 *cert, const uint8_t digest[32],
                                             struct err *err)
{
        ASN1_OBJECT *oid = OBJ_txt2obj(CA_CHALLENGE_ACME_IDENTIFIER_OID, 1);
        if (oid == NULL)
                return SMT_ERR(err, SMT_EINTERNAL, "acmeIdentifier OID refused by OpenSSL");
        int at = X509_get_ext_by_OBJ(cert, oid, -1);
        int again = at >= 0 ? X509_get_ext_by_OBJ(cert, oid, at) : -1;
        ASN1_OBJECT_free(oid);
        if (at < 0 || again >= 0)
                return ca_challenge_fail(run, err, CA_PROBLEM_TLS,
                                         "the certificate has %s acmeIdentifier extension (%s)",
                                         at < 0 ? "no" : "more than one", CA_CHALLENGE_ACME_IDENTIFIER_OID);
        X509_EXTENSION *extension = X509_get_ext(cert, at);
        if (!X509_EXTENSION_get_critical(extension))
                return ca_challenge_fail(run, err, CA_PROBLEM_TLS,
                                         "the acmeIdentifier extension is not marked critical (RFC 8737 3)");
        const ASN1_OCTET_STRING *value = X509_EXTENSION_get_data(extension);
        struct buf_reader r = buf_reader_make(ASN1_STRING_get0_data(value), (size_t)ASN1_STRING_length(value));
        struct buf_reader content;
        if (der_read_element(&r, DER_TAG_OCTET_STRING, &content, "acmeIdentifier", err) < 0 ||
            buf_reader_expect_end(&r, "acmeIdentifier", err) < 0 || content.len != 32)
                return ca_challenge_fail(run, err, CA_PROBLEM_TLS,
                                         "the acmeIdentifier extension is not an OCTET STRING of 32 bytes");
        if (CRYPTO_memcmp(content.data, digest, 32) != 0) {
                char seen[65], expected[65];
                ca_challenge_hex(seen, content.data, 32);
                ca_challenge_hex(expected, digest, 32);
                return ca_challenge_fail(run, err, CA_PROBLEM_INCORRECT_RESPONSE,
                                         "acmeIdentifier holds %s, expected SHA-256 of the key authorization, %s", seen,
                                         expected);
        }
        return SMT_OK;
}

static int ca_challenge_tls_examine(struct ca_challenge_run *run, SSL *ssl, const char *domain,
                                    const char *key_authorization, struct err *err)
{
        TRY(ca_challenge_tls_check_alpn(run, ssl, err));
        X509 *cert = SSL_get1_peer_certificate(ssl);
        if (cert == NULL)
                return ca_challenge_fail(run, err, CA_PROBLEM_TLS, "the server sent no certificate");
        uint8_t digest[32];
        ca_challenge_sha256(digest, key_authorization);
        int status = ca_challenge_tls_check_names(run, cert, domain, err);
        if (status == 0)
                status = ca_challenge_tls_check_identifier(run, cert, digest, err);
        X509_free(cert);
        return status;
}

int ca_challenge_tls_alpn01(const struct ca_challenge_config *config, const char *domain, const char *key_authorization,
                            struct ca_challenge_result *result, struct err *err)
{
        struct ca_challenge_run run;
        ca_challenge_run_init(&run, config, result);
        TRY(ca_challenge_check_domain(domain, err));
        if (key_authorization == NULL)
                return SMT_ERR(err, SMT_EINVAL, "tls-alpn-01: no key authorization given");
        char sni[CA_CHALLENGE_REVERSE_NAME_MAX];
        if (net_address_is_ip_literal(domain))
                ca_challenge_reverse_name(sni, domain);
        else
                snprintf(sni, sizeof sni, "%s", domain);
        struct ca_challenge_stream stream = {.fd = -1};
        int status = ca_challenge_stream_connect(&run, &stream, domain, run.config.tls_alpn_port, err);
        if (status == 0)
                status = ca_challenge_stream_start_tls(&run, &stream, sni, ca_challenge_acme_tls_alpn,
                                                       CA_CHALLENGE_ACME_TLS_ALPN_LEN, err);
        if (status == 0)
                status = ca_challenge_tls_examine(&run, stream.ssl, domain, key_authorization, err);
        ca_challenge_stream_close(&stream);
        if (status == 0)
                err_clear(err); /* what a failed attempt on the way left there */
        if (status == CA_EVALIDATION)
                ca_challenge_prefix(&run, err, "tls-alpn-01: %s port %u (SNI %s)", domain,
                                    (unsigned)run.config.tls_alpn_port, sni);
        return status;
}
