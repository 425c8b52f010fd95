/* src/gateway/access_log.h: one line per request, written with one write(2) per line to a file opened
 * O_APPEND (so lines of several worker threads never interleave), and reopened on demand (log rotation:
 * SIGUSR1, after logrotate moved the file away).
 *
 * Line format (fields separated by one space; strings in double quotes with '"', '\\' and bytes outside
 * 0x20..0x7e written as \xHH, so a line can always be split back into its fields; "-" for an absent value):
 *   client_ip site [2026-11-23T13:20:01.123Z] "METHOD TARGET HTTP/1.1" status body_bytes_sent
 *   request_bytes duration_s protocol cipher cert_alg "host" "user-agent" origin_status upstream_s
 * for example:
 *   192.0.2.7 www.example.com [2026-11-23T13:20:01.123Z] "GET /a?b=1 HTTP/1.1" 200 5120 0 0.012 TLCP
 *   ECC-SM4-SM3 SM2 "www.example.com" "curl/7.88.1" 200 0.010          (one line) */
#ifndef SMT_GATEWAY_ACCESS_LOG_H
#define SMT_GATEWAY_ACCESS_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

struct gw_access_record {
        const char *client_ip;   /* no port */
        const char *site;        /* site name, NULL: none matched */
        struct buf_reader method;
        struct buf_reader target;
        int http_minor;          /* 0 or 1: HTTP/1.0 or HTTP/1.1 */
        struct buf_reader host;
        struct buf_reader user_agent;
        int status;              /* sent to the client */
        uint64_t body_bytes_sent;
        uint64_t request_bytes;  /* request body bytes received */
        int64_t start_unix_ms;   /* wall clock when the request head was complete */
        int64_t duration_us;     /* until the last byte of the response was queued */
        const char *protocol;    /* "TLCP", "TLSv1.3", "TLSv1.2", "HTTP" */
        const char *cipher;      /* NULL for plain HTTP */
        const char *cert_alg;    /* "SM2", "ECDSA", "RSA"; NULL for plain HTTP */
        int origin_status;       /* 0: the origin gave no response */
        int64_t upstream_us;     /* request sent to response head received; < 0: none */
};

/* gw_access_log_format appends rec's line (with '\n') to out; SMT_ENOSPACE when it does not fit. */
int gw_access_log_format(struct buf_writer *out, const struct gw_access_record *rec, struct err *err) SMT_MUST_USE;

struct gw_log_file;

/* gw_log_file_open opens path for appending (created 0640), or standard output for "-", standard error
 * for "stderr"; "off" gives a file that drops every line. SMT_EIO names the path. */
int gw_log_file_open(struct gw_log_file **out, const char *path, struct err *err) SMT_MUST_USE;

/* gw_log_file_write writes len bytes with one write(2) (thread-safe); a failure is counted, not reported
 * (a full disk must not stop the proxy). */
void gw_log_file_write(struct gw_log_file *file, const uint8_t *data, size_t len);

/* gw_log_file_reopen opens the path again and swaps the descriptor (thread-safe). */
int gw_log_file_reopen(struct gw_log_file *file, struct err *err) SMT_MUST_USE;

/* gw_log_file_failures returns the number of failed writes since open. */
uint64_t gw_log_file_failures(const struct gw_log_file *file);

void gw_log_file_close(struct gw_log_file *file);

#endif
