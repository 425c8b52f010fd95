/* src/crypto/cert_aia.c: the authorityInfoAccess URLs of a certificate (RFC 5280 4.2.2.1): where to ask
 * about its status (id-ad-ocsp, RFC 6960 3.1) and where its issuer's certificate is (id-ad-caIssuers). */
#include <string.h>
#include <strings.h>

#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/cert.h"

/* cert_aia_is_http says whether an URI is one a client can fetch: RFC 5280 4.2.2.1 lets caIssuers name LDAP
 * too, which nothing here speaks. */
static bool cert_aia_is_http(const char *uri, size_t len)
{
        return (len > 7 && strncasecmp(uri, "http://", 7) == 0) || (len > 8 && strncasecmp(uri, "https://", 8) == 0);
}

static int cert_aia_url(const struct cert *cert, int method, const char *what, char *out, size_t out_cap,
                        struct err *err)
{
        AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(cert_x509(cert), NID_info_access, NULL, NULL);
        int status = SMT_ERR(err, CRYPTO_ECERT, "the certificate names no %s URL (authorityInfoAccess)", what);
        for (int i = 0; aia != NULL && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
                const ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
                if (OBJ_obj2nid(ad->method) != method || ad->location->type != GEN_URI)
                        continue;
                const ASN1_IA5STRING *uri = ad->location->d.uniformResourceIdentifier;
                const char *text = (const char *)ASN1_STRING_get0_data(uri);
                size_t len = (size_t)ASN1_STRING_length(uri);
                if (memchr(text, '\0', len) != NULL || !cert_aia_is_http(text, len))
                        continue;
                if (len >= out_cap) {
                        status = SMT_ERR(err, SMT_ENOSPACE, "%s URL of %zu bytes exceeds %zu", what, len, out_cap - 1);
                        break;
                }
                memcpy(out, text, len);
                out[len] = '\0';
                status = 0;
                break;
        }
        AUTHORITY_INFO_ACCESS_free(aia);
        return status;
}

int cert_ocsp_url(const struct cert *cert, char *out, size_t out_cap, struct err *err)
{
        return cert_aia_url(cert, NID_ad_OCSP, "OCSP", out, out_cap, err);
}

int cert_ca_issuers_url(const struct cert *cert, char *out, size_t out_cap, struct err *err)
{
        return cert_aia_url(cert, NID_ad_ca_issuers, "caIssuers", out, out_cap, err);
}
