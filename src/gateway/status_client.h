/* src/gateway/status_client.h: `smtrust gateway status`: the certificates of a running gateway, read from
 * its admin listener's GET /certificates (gateway/admin.h) over plain HTTP, and shown as a table. */
#ifndef SMT_GATEWAY_STATUS_CLIENT_H
#define SMT_GATEWAY_STATUS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/config.h"
#include "base/err.h"

/* The document standing for a gateway without sites with `certificates: auto` (its 404). */
#define GW_STATUS_CLIENT_EMPTY "{\"certificates\": []}\n"

/* gw_status_client_url writes "http://HOST:PORT/certificates" for the admin.listen value listen into out: a
 * listener on every address (":9145", "*:9145", "0.0.0.0:9145", "[::]:9145") is asked on loopback.
 * SMT_ECONFIG for a listen value that is not an address with a port, SMT_ENOSPACE when cap is too small. */
int gw_status_client_url(char *out, size_t cap, const char *listen, struct err *err) SMT_MUST_USE;

/* gw_status_client_fetch appends the JSON document of GET /certificates at listen to doc (blocking, 10 s at
 * most); GW_STATUS_CLIENT_EMPTY when the gateway has no ACME manager. SMT_EIO "no gateway answers at ADDR
 * (is it running?)" when the connection is refused, SMT_EIO with the HTTP status for any other answer. */
int gw_status_client_fetch(struct buf_writer *doc, const char *listen, struct err *err) SMT_MUST_USE;

/* gw_status_client_get loads config_path (problems listed in errors, SMT_ECONFIG), takes its admin.listen
 * (SMT_ECONFIG when there is none) and fetches that gateway's document into doc. */
int gw_status_client_get(struct buf_writer *doc, const char *config_path, struct config_errors *errors,
                         struct err *err) SMT_MUST_USE;

/* gw_status_client_table writes doc (a GET /certificates document) as a text table, one line per site and
 * kind: SITE KIND ALGORITHM ISSUER NOT-AFTER NEXT-RENEWAL STATUS, times as "2026-11-23 19:20Z" (UTC), STATUS
 * "ok", "ordering", "no certificate" or "failing (N): <last error>"; "no sites with certificates: auto" for
 * an empty list. Then, when doc's "stapling" array is not empty, "OCSP stapling:" and a line per stapled
 * certificate: SITE KIND STAPLED (yes/no) OCSP (good/revoked/unknown/-) NEXT-UPDATE NEXT-FETCH PROBLEM.
 * SMT_EDECODE names what in doc is not as expected; SMT_ENOSPACE when out is full. */
int gw_status_client_table(struct buf_writer *out, const uint8_t *doc, size_t doc_len, struct err *err) SMT_MUST_USE;

#endif
