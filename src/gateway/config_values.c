/* src/gateway/config_values.c: the syntax of the gateway's own kinds of value (host names, listen
 * addresses, origin URLs, certificate pins), shared by the schema's checks and the code that uses them. */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gateway/config.h"
#include "gateway/config_internal.h"

/* Values are quoted in messages up to this many characters. */
#define GW_CONFIG_SHOWN 80

static bool gw_config_is_label_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/* One label of name: 1..63 letters, digits and '-', not starting or ending with '-' (RFC 1123 §2.1). */
static int gw_config_check_label(const char *name, const char *label, size_t len, struct err *err)
{
        if (len == 0)
                return SMT_ERR(err, SMT_ECONFIG, "\"%.*s\": empty label (a leading, trailing or double dot)",
                               GW_CONFIG_SHOWN, name);
        if (len > GW_CONFIG_LABEL_MAX)
                return SMT_ERR(err, SMT_ECONFIG, "\"%.*s\": a label of %zu characters exceeds %d", GW_CONFIG_SHOWN,
                               name, len, GW_CONFIG_LABEL_MAX);
        for (size_t i = 0; i < len; i++)
                if (!gw_config_is_label_char(label[i]))
                        return SMT_ERR(err, SMT_ECONFIG,
                                       "\"%.*s\": character '%c' is not allowed in a host name (letters, digits, "
                                       "'-' and '.')",
                                       GW_CONFIG_SHOWN, name, isprint((unsigned char)label[i]) ? label[i] : '?');
        if (label[0] == '-' || label[len - 1] == '-')
                return SMT_ERR(err, SMT_ECONFIG, "\"%.*s\": the label \"%.*s\" starts or ends with '-'",
                               GW_CONFIG_SHOWN, name, (int)len, label);
        return SMT_OK;
}

int gw_config_check_dns_name(const char *name, size_t len, struct err *err)
{
        if (len == 0)
                return SMT_ERR(err, SMT_ECONFIG, "an empty host name");
        if (len > GW_CONFIG_NAME_MAX)
                return SMT_ERR(err, SMT_ECONFIG, "\"%.*s...\": a host name of %zu characters exceeds %d",
                               GW_CONFIG_SHOWN, name, len, GW_CONFIG_NAME_MAX);
        size_t start = 0;
        for (size_t i = 0; i <= len; i++) {
                if (i < len && name[i] != '.')
                        continue;
                TRY(gw_config_check_label(name, name + start, i - start, err));
                start = i + 1;
        }
        return SMT_OK;
}

int gw_config_check_site_name_text(const char *name, struct err *err)
{
        size_t len = strlen(name);
        if (len >= 2 && name[0] == '*' && name[1] == '.') {
                const char *suffix = name + 2;
                TRY(gw_config_check_dns_name(suffix, len - 2, err));
                if (strchr(suffix, '*') == NULL && strchr(suffix, '.') == NULL)
                        return SMT_ERR(err, SMT_ECONFIG,
                                       "\"%.*s\": a wildcard needs two labels or more after \"*.\" (it would match "
                                       "every name under a top-level domain)",
                                       GW_CONFIG_SHOWN, name);
                return SMT_OK;
        }
        if (strchr(name, '*') != NULL)
                return SMT_ERR(err, SMT_ECONFIG,
                               "\"%.*s\": '*' is allowed only as the whole first label, as in \"*.example.com\" "
                               "(RFC 6125 §6.4.3)",
                               GW_CONFIG_SHOWN, name);
        return gw_config_check_dns_name(name, len, err);
}

static void gw_config_lowercase(char *text)
{
        for (; *text != '\0'; text++)
                *text = (char)tolower((unsigned char)*text);
}

/* A host of an address: an IPv4 literal or a DNS name, rewritten canonical (IPv4 as inet_ntop writes it,
 * names lowercase); an IPv6 literal only when it was written in brackets. */
static int gw_config_host_check(char *host, bool was_bracketed, const char *text, struct err *err)
{
        uint8_t binary[sizeof(struct in6_addr)];
        char canonical[INET6_ADDRSTRLEN];
        if (was_bracketed) {
                if (inet_pton(AF_INET6, host, binary) != 1)
                        return SMT_ERR(err, SMT_ECONFIG, "\"%.*s\": \"%s\" is not an IPv6 address", GW_CONFIG_SHOWN,
                                       text, host);
                inet_ntop(AF_INET6, binary, canonical, sizeof canonical);
                snprintf(host, NET_ADDRESS_HOST_MAX, "%s", canonical);
                return SMT_OK;
        }
        if (strchr(host, ':') != NULL)
                return SMT_ERR(err, SMT_ECONFIG, "\"%.*s\": write an IPv6 address in brackets, as \"[::1]:443\"",
                               GW_CONFIG_SHOWN, text);
        if (inet_pton(AF_INET, host, binary) == 1) {
                inet_ntop(AF_INET, binary, canonical, sizeof canonical);
                snprintf(host, NET_ADDRESS_HOST_MAX, "%s", canonical);
                return SMT_OK;
        }
        if (gw_config_check_dns_name(host, strlen(host), err) < 0)
                return err_prefix(err, "\"%.*s\"", GW_CONFIG_SHOWN, text);
        gw_config_lowercase(host);
        return SMT_OK;
}

/* The parts of "host", "host:port", "[v6]" or "[v6]:port", borrowed from the text. */
struct gw_config_authority {
        const char *host;
        size_t host_len;
        bool is_bracketed;
        const char *port; /* NULL: none written */
        size_t port_len;
};

static int gw_config_authority_split(struct gw_config_authority *out, const char *text, const char *authority,
                                     size_t len, struct err *err)
{
        *out = (struct gw_config_authority){.host = authority, .host_len = len};
        const char *end = authority + len, *after_host = end;
        const char *colon = memchr(authority, ':', len);
        if (len > 0 && authority[0] == '[') {
                const char *close = memchr(authority, ']', len);
                if (close == NULL)
                        return SMT_ERR(err, SMT_ECONFIG, "\"%.*s\": '[' without ']'", GW_CONFIG_SHOWN, text);
                out->is_bracketed = true;
                out->host = authority + 1;
                out->host_len = (size_t)(close - out->host);
                after_host = close + 1;
                if (after_host != end && after_host[0] != ':')
                        return SMT_ERR(err, SMT_ECONFIG, "\"%.*s\": expected \":port\" after \"]\"", GW_CONFIG_SHOWN,
                                       text);
        } else if (colon != NULL && colon == memrchr(authority, ':', len)) {
                out->host_len = (size_t)(colon - authority);
                after_host = colon;
        }
        if (after_host != end) {
                out->port = after_host + 1;
                out->port_len = (size_t)(end - out->port);
        }
        return SMT_OK;
}

/* A port 1..65535, or 0 when allow_zero (a listener on any free port, for tests). */
static int gw_config_port_parse(uint16_t *out, const char *text, const struct gw_config_authority *parts,
                                bool allow_zero, struct err *err)
{
        char port[8] = "";
        struct err ignored = {0};
        if (parts->port_len < sizeof port)
                memcpy(port, parts->port, parts->port_len);
        if (allow_zero && strcmp(port, "0") == 0) {
                *out = 0;
                return SMT_OK;
        }
        if (parts->port_len >= sizeof port || net_address_port_parse(out, port, &ignored) < 0)
                return SMT_ERR(err, SMT_ECONFIG, "\"%.*s\": port \"%.*s\": expected a number 1..65535%s",
                               GW_CONFIG_SHOWN, text, GW_CONFIG_SHOWN, parts->port,
                               allow_zero ? " (or 0: any free port)" : "");
        return SMT_OK;
}

/* Reads an authority into out. default_port 0: a port is required. A listen address (is_listen) may have
 * port 0 and the host "" or "*" for every address. */
static int gw_config_address_parse(struct net_address *out, const char *text, const char *authority, size_t len,
                                   uint16_t default_port, bool is_listen, struct err *err)
{
        struct gw_config_authority parts;
        TRY(gw_config_authority_split(&parts, text, authority, len, err));
        if (parts.host_len >= sizeof out->host)
                return SMT_ERR(err, SMT_ECONFIG, "\"%.*s...\": a host of %zu characters exceeds %d", GW_CONFIG_SHOWN,
                               text, parts.host_len, GW_CONFIG_NAME_MAX);
        memcpy(out->host, parts.host, parts.host_len);
        out->host[parts.host_len] = '\0';
        if (is_listen && !parts.is_bracketed && (parts.host_len == 0 || strcmp(out->host, "*") == 0))
                out->host[0] = '\0'; /* every address */
        else if (parts.host_len == 0)
                return SMT_ERR(err, SMT_ECONFIG, "\"%.*s\": no host", GW_CONFIG_SHOWN, text);
        else
                TRY(gw_config_host_check(out->host, parts.is_bracketed, text, err));
        if (parts.port == NULL && default_port == 0)
                return SMT_ERR(err, SMT_ECONFIG, "\"%.*s\": expected host:port", GW_CONFIG_SHOWN, text);
        out->port = default_port;
        if (parts.port != NULL)
                TRY(gw_config_port_parse(&out->port, text, &parts, is_listen, err));
        return SMT_OK;
}

int gw_config_listen_address(struct net_address *out, const char *listen, struct err *err)
{
        memset(out, 0, sizeof *out);
        return gw_config_address_parse(out, listen, listen, strlen(listen), 0, true, err);
}

/* The scheme of an origin; RFC 3986 §3.1: schemes are case-insensitive. */
static int gw_config_origin_scheme(bool *is_https, size_t *skip, const char *origin, struct err *err)
{
        if (strncasecmp(origin, "http://", 7) == 0) {
                *is_https = false;
                *skip = 7;
        } else if (strncasecmp(origin, "https://", 8) == 0) {
                *is_https = true;
                *skip = 8;
        } else {
                return SMT_ERR(err, SMT_ECONFIG, "\"%.*s\": expected an http:// or https:// URL", GW_CONFIG_SHOWN,
                               origin);
        }
        return SMT_OK;
}

int gw_config_origin_parse(bool *is_https, struct net_address *out, const char *origin, struct err *err)
{
        memset(out, 0, sizeof *out);
        size_t skip = 0;
        TRY(gw_config_origin_scheme(is_https, &skip, origin, err));
        const char *authority = origin + skip;
        size_t len = strcspn(authority, "/?#");
        if (memchr(authority, '@', len) != NULL)
                return SMT_ERR(err, SMT_ECONFIG, "\"%.*s\": a user name or password is not allowed in an origin",
                               GW_CONFIG_SHOWN, origin);
        const char *rest = authority + len;
        if (rest[0] == '?' || rest[0] == '#')
                return SMT_ERR(err, SMT_ECONFIG, "\"%.*s\": a query or fragment is not allowed in an origin",
                               GW_CONFIG_SHOWN, origin);
        if (rest[0] == '/' && rest[1] != '\0')
                return SMT_ERR(err, SMT_ECONFIG,
                               "\"%.*s\": a path is not allowed in an origin (requests keep their own path)",
                               GW_CONFIG_SHOWN, origin);
        return gw_config_address_parse(out, origin, authority, len, *is_https ? 443 : 80, false, err);
}

static int gw_config_hex_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int gw_config_pin_parse(uint8_t out[32], const char *pin, struct err *err)
{
        size_t digits = 0;
        for (const char *c = pin; *c != '\0'; c++) {
                if (*c == ':')
                        continue;
                int value = gw_config_hex_value(*c);
                if (value < 0)
                        return SMT_ERR(err, SMT_ECONFIG,
                                       "\"%.*s\": expected the SHA-256 of a certificate in hex (64 digits, colons "
                                       "allowed), got the character '%c'",
                                       GW_CONFIG_SHOWN, pin, isprint((unsigned char)*c) ? *c : '?');
                if (digits < 64)
                        out[digits / 2] = (uint8_t)(digits % 2 == 0 ? value << 4 : out[digits / 2] | value);
                digits++;
        }
        if (digits != 64)
                return SMT_ERR(err, SMT_ECONFIG,
                               "\"%.*s\": expected the SHA-256 of a certificate in hex (64 digits, colons allowed), "
                               "got %zu digits",
                               GW_CONFIG_SHOWN, pin, digits);
        return SMT_OK;
}

/* The Host field a health check sends: uri-host [":" port] (RFC 9110 §7.2), IPv6 in brackets. */
int gw_config_check_host_field(const char *host, struct err *err)
{
        struct net_address address;
        memset(&address, 0, sizeof address);
        return gw_config_address_parse(&address, host, host, strlen(host), 80, false, err);
}

/* A health check's request target in origin form (RFC 9112 §3.2.1): '/' first, then visible ASCII; a
 * fragment ('#') is never part of a request. */
int gw_config_check_request_path(const char *path, struct err *err)
{
        size_t len = strlen(path);
        if (path[0] != '/')
                return SMT_ERR(err, SMT_ECONFIG, "\"%.*s\": expected a path starting with '/', as \"/healthz\"",
                               GW_CONFIG_SHOWN, path);
        if (len > GW_CONFIG_PATH_MAX)
                return SMT_ERR(err, SMT_ECONFIG, "\"%.*s...\": a path of %zu characters exceeds %d", GW_CONFIG_SHOWN,
                               path, len, GW_CONFIG_PATH_MAX);
        for (size_t i = 0; i < len; i++) {
                if (path[i] <= ' ' || path[i] > '~')
                        return SMT_ERR(err, SMT_ECONFIG,
                                       "\"%.*s\": character '%c' is not allowed in a request path (visible ASCII "
                                       "only: write others as %%XX)",
                                       GW_CONFIG_SHOWN, path, isprint((unsigned char)path[i]) ? path[i] : '?');
                if (path[i] == '#')
                        return SMT_ERR(err, SMT_ECONFIG,
                                       "\"%.*s\": a fragment ('#') is not sent in a request (RFC 9112 §3.2)",
                                       GW_CONFIG_SHOWN, path);
        }
        return SMT_OK;
}

/* RFC 6265 §4.1.1: cookie-name is an RFC 2616 §2.2 token: visible ASCII except the separators. */
int gw_config_check_cookie_name(const char *name, struct err *err)
{
        size_t len = strlen(name);
        if (len == 0 || len > GW_CONFIG_COOKIE_NAME_MAX)
                return SMT_ERR(err, SMT_ECONFIG, "expected a cookie name of 1..%d characters, got %zu",
                               GW_CONFIG_COOKIE_NAME_MAX, len);
        for (size_t i = 0; i < len; i++)
                if (name[i] <= ' ' || name[i] > '~' || strchr("()<>@,;:\\\"/[]?={}", name[i]) != NULL)
                        return SMT_ERR(err, SMT_ECONFIG,
                                       "\"%.*s\": character '%c' is not allowed in a cookie name (RFC 6265 §4.1.1: "
                                       "a token: visible ASCII without ()<>@,;:\\\"/[]?={})",
                                       GW_CONFIG_SHOWN, name, isprint((unsigned char)name[i]) ? name[i] : '?');
        return SMT_OK;
}

/* Three digits making a status code 100..599 (RFC 9110 §15: the first digit is the class, 1 to 5). */
static bool gw_config_status_read(const char *text, size_t len, int64_t *out)
{
        if (len != 3 || text[0] < '1' || text[0] > '5' || text[1] < '0' || text[1] > '9' || text[2] < '0' ||
            text[2] > '9')
                return false;
        *out = (text[0] - '0') * 100 + (text[1] - '0') * 10 + (text[2] - '0');
        return true;
}

int gw_config_expect_parse(int64_t *min, int64_t *max, const char *expect, struct err *err)
{
        const char *dash = strchr(expect, '-');
        size_t first_len = dash != NULL ? (size_t)(dash - expect) : strlen(expect);
        int64_t low = 0, high = 0;
        if (!gw_config_status_read(expect, first_len, &low) ||
            (dash != NULL && !gw_config_status_read(dash + 1, strlen(dash + 1), &high)))
                return SMT_ERR(err, SMT_ECONFIG,
                               "\"%.*s\": expected an HTTP status 100..599 (\"200\") or a range of them "
                               "(\"200-399\")",
                               GW_CONFIG_SHOWN, expect);
        if (dash == NULL)
                high = low;
        if (low > high)
                return SMT_ERR(err, SMT_ECONFIG, "\"%.*s\": the range ends below its start (%lld > %lld)",
                               GW_CONFIG_SHOWN, expect, (long long)low, (long long)high);
        *min = low;
        *max = high;
        return SMT_OK;
}
