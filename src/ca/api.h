/* src/ca/api.h: the CA API for operators, JSON over HTTPS under /api/v1/, authenticated by a client
 * certificate from the admin CA (state_dir/admin/operator.crt): no passwords. http/server.h checks the
 * certificate chain; this module also requires the clientAuth EKU and refuses anything else with 401.
 *
 *   GET  /api/v1/certificates?name=&status=&ca=&expires_before=&expires_after=&limit=&offset=
 *   GET  /api/v1/certificates/<serial>            one certificate, with its PEM and what relying parties
 *                                                 see: "crl" (listed in its CA's current CRL?) and "ocsp"
 *                                                 (the responder's signed answer, read back)
 *   POST /api/v1/certificates                     issue: {"csr": PEM, "ca": name, "validity": seconds,
 *                                                 "common_name", "organization", "encryption": bool}
 *   POST /api/v1/certificates/<serial>/revoke     {"reason": "keyCompromise" | 0..10}
 *   GET  /api/v1/cas                              the issuing CAs
 *   POST /api/v1/cas                              create a custom-branded issuing CA: {"name", "kind",
 *                                                 "common_name", "organization", "algorithm", "validity",
 *                                                 "permitted_dns", "excluded_dns"}
 *   POST /api/v1/eab-keys                         a new external account binding key (kid + HMAC key)
 *   POST /api/v1/accounts/<id>                    {"organization": "..."}: mark an ACME account as a
 *                                                 validated organisation (its SM2 orders get OV certificates)
 *
 * Errors are RFC 7807 problem documents (type "about:blank", title, detail, status). */
#ifndef SMT_CA_API_H
#define SMT_CA_API_H

#include "ca/authority.h"
#include "ca/config.h"
#include "ca/crl_cache.h"
#include "ca/ocsp_responder.h"
#include "ca/store.h"
#include "http/server.h"

struct ca_api {
        const struct ca_config *config;
        struct store *store;
        struct ca_authorities *authorities; /* ca_authorities_create adds to it (it locks) */
        struct ca_crl_cache *crl_cache;     /* NULL: no "crl" in certificate answers */
        struct ca_ocsp *ocsp;               /* NULL: no "ocsp" */
};

/* ca_api_handle serves one request whose path starts with "/api/" (any thread). */
void ca_api_handle(const struct ca_api *api, const struct http_server_request *request,
                   struct http_server_response *response);

#endif
