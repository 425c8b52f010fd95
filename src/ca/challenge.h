/* src/ca/challenge.h: validation of ACME challenges (RFC 8555 8.3 http-01, 8.4 dns-01; RFC 8737 tls-alpn-01),
 * as a CA does it: outbound connections to the name being validated, with every wait bounded.
 *
 * Names are resolved through the configured resolver (a DNS server's address and port, so tests run on
 * loopback with a local DNS server) or, when none is configured, the system's (getaddrinfo / res_query).
 * The ports connected to are configurable for the same reason (80 and 443 by default). A failure returns
 * CA_EVALIDATION and fills *problem with the ACME problem type and a message a user can act on
 * ("http-01: GET http://a.test:5002/.well-known/acme-challenge/X: connection refused"). */
#ifndef SMT_CA_CHALLENGE_H
#define SMT_CA_CHALLENGE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct ca_challenge_config {
        const char *resolver;     /* "127.0.0.1:5353", "[::1]:53"; NULL = the system's resolver */
        uint16_t http_port;       /* http-01 (default 80) */
        uint16_t tls_alpn_port;   /* tls-alpn-01 (default 443) */
        int timeout_ms;           /* one whole validation, all redirects and connections (default 10 s) */
};

/* ACME problem types (RFC 8555 6.7) a validation can end with. */
enum ca_challenge_problem {
        CA_PROBLEM_NONE = 0,
        CA_PROBLEM_CONNECTION = 1,        /* "connection": refused, timed out, reset */
        CA_PROBLEM_DNS = 2,               /* "dns": no such name, no A/AAAA/TXT, SERVFAIL */
        CA_PROBLEM_INCORRECT_RESPONSE = 3, /* "incorrectResponse": the key authorization does not match */
        CA_PROBLEM_TLS = 4,               /* "tls": handshake failed, wrong ALPN, bad acmeIdentifier */
        CA_PROBLEM_UNAUTHORIZED = 5,      /* "unauthorized": e.g. a 404 for the challenge URL */
};

struct ca_challenge_result {
        enum ca_challenge_problem problem;
        char detail[512];
};

/* ca_challenge_problem_type returns the URN's last part ("connection", "dns", ...), "" for NONE. */
const char *ca_challenge_problem_type(enum ca_challenge_problem problem);

/* ca_challenge_http01: GET http://<domain>:<http_port>/.well-known/acme-challenge/<token> (Host: domain),
 * following up to 10 redirects to http or https URLs (the URL's port, else http_port for http and 443 for
 * https; certificates of https redirects are not checked, as RFC 8555 8.3 says); the body, trailing
 * whitespace removed, must equal
 * key_authorization. domain may be an IP address literal (RFC 8738). */
int ca_challenge_http01(const struct ca_challenge_config *config, const char *domain, const char *token,
                        const char *key_authorization, struct ca_challenge_result *result,
                        struct err *err) SMT_MUST_USE;

/* ca_challenge_dns01: one of the TXT records of _acme-challenge.<domain> (CNAMEs followed by the resolver)
 * must equal base64url(SHA-256(key_authorization)). */
int ca_challenge_dns01(const struct ca_challenge_config *config, const char *domain, const char *key_authorization,
                       struct ca_challenge_result *result, struct err *err) SMT_MUST_USE;

/* ca_challenge_tls_alpn01: TLS to <domain>:<tls_alpn_port> with SNI domain (or the reverse name for an IP,
 * RFC 8738 6) and ALPN "acme-tls/1" only; the server must select acme-tls/1 and present a self-signed
 * certificate with exactly one SAN, the domain, and a critical acmeIdentifier extension
 * (1.3.6.1.5.5.7.1.31) holding SHA-256(key_authorization). */
int ca_challenge_tls_alpn01(const struct ca_challenge_config *config, const char *domain,
                            const char *key_authorization, struct ca_challenge_result *result,
                            struct err *err) SMT_MUST_USE;

#endif
