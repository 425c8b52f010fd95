/* src/gateway/access_log.c: the access-log line and the file it goes to.
 *
 * Every field is either a bare token (no space, no '"') or a double-quoted string, so a line splits back
 * into its 15 fields whatever the client sent: request line, Host and User-Agent are hostile input, and a
 * CR or LF in them would otherwise forge a second record (CWE-117). An absent value is a bare "-", never a
 * quoted one, so a User-Agent that is literally "-" stays distinguishable. Inside the request line the
 * method and target also escape the space, so the quoted request always splits into exactly three words. */
#include "gateway/access_log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Room for one formatted number or timestamp (a uint64 has 20 digits). */
#define ACCESS_LOG_NUMBER_MAX 48

static int write_text(struct buf_writer *out, const char *text)
{
        return buf_write_bytes(out, (const uint8_t *)text, strlen(text));
}

static bool is_plain_byte(uint8_t c, bool is_space_plain)
{
        if (c == ' ')
                return is_space_plain;
        return c > 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* write_escaped copies in, writing '"', '\\', bytes outside 0x20..0x7e (and the space unless is_space_plain)
 * as \xHH; runs of plain bytes go out in one copy. */
static int write_escaped(struct buf_writer *out, struct buf_reader in, bool is_space_plain)
{
        static const char hex[] = "0123456789ABCDEF";
        while (!buf_reader_is_empty(&in)) {
                size_t run = 0;
                while (run < in.len && is_plain_byte(in.data[run], is_space_plain))
                        run++;
                if (run > 0) {
                        struct buf_reader plain;
                        TRY(buf_read_slice(&in, &plain, run));
                        TRY(buf_write_bytes(out, plain.data, plain.len));
                        continue;
                }
                uint8_t c;
                TRY(buf_read_u8(&in, &c));
                const uint8_t escape[4] = {'\\', 'x', (uint8_t)hex[c >> 4], (uint8_t)hex[c & 0xf]};
                TRY(buf_write_bytes(out, escape, sizeof escape));
        }
        return SMT_OK;
}

/* write_bare writes a token from our own side (address, site name, protocol, cipher), "-" when absent. */
static int write_bare(struct buf_writer *out, const char *value)
{
        if (value == NULL || value[0] == '\0')
                return write_text(out, "-");
        return write_escaped(out, buf_reader_make((const uint8_t *)value, strlen(value)), false);
}

/* write_quoted writes a client-supplied string in double quotes, "-" (bare) when absent or empty. */
static int write_quoted(struct buf_writer *out, struct buf_reader value)
{
        if (value.len == 0)
                return write_text(out, "-");
        TRY(write_text(out, "\""));
        TRY(write_escaped(out, value, true));
        return write_text(out, "\"");
}

static int write_request_line(struct buf_writer *out, const struct gw_access_record *rec)
{
        if (rec->method.len == 0)
                return write_text(out, "-");
        TRY(write_text(out, "\""));
        TRY(write_escaped(out, rec->method, false));
        TRY(write_text(out, " "));
        if (rec->target.len == 0)
                TRY(write_text(out, "-"));
        else
                TRY(write_escaped(out, rec->target, false));
        return write_text(out, rec->http_minor == 0 ? " HTTP/1.0\"" : " HTTP/1.1\"");
}

/* write_time writes [YYYY-MM-DDTHH:MM:SS.mmmZ] in UTC; "-" when the request never completed a head. */
static int write_time(struct buf_writer *out, int64_t unix_ms)
{
        struct tm utc;
        time_t seconds = (time_t)(unix_ms / 1000);
        if (unix_ms <= 0 || gmtime_r(&seconds, &utc) == NULL)
                return write_text(out, "-");
        char text[ACCESS_LOG_NUMBER_MAX + 16];
        snprintf(text, sizeof text, "[%04d-%02d-%02dT%02d:%02d:%02d.%03dZ]", utc.tm_year + 1900, utc.tm_mon + 1,
                 utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, (int)(unix_ms % 1000));
        return write_text(out, text);
}

/* write_seconds writes a duration in seconds, rounded to the millisecond; "-" when negative (none). */
static int write_seconds(struct buf_writer *out, int64_t us)
{
        if (us < 0)
                return write_text(out, "-");
        int64_t ms = us / 1000 + (us % 1000 >= 500 ? 1 : 0);
        char text[ACCESS_LOG_NUMBER_MAX];
        snprintf(text, sizeof text, "%" PRId64 ".%03d", ms / 1000, (int)(ms % 1000));
        return write_text(out, text);
}

static int write_u64(struct buf_writer *out, uint64_t value)
{
        char text[ACCESS_LOG_NUMBER_MAX];
        snprintf(text, sizeof text, "%" PRIu64, value);
        return write_text(out, text);
}

/* write_status writes an HTTP status, "-" for 0 (no response) or anything outside 100..999. */
static int write_status(struct buf_writer *out, int status)
{
        if (status < 100 || status > 999)
                return write_text(out, "-");
        return write_u64(out, (uint64_t)status);
}

/* The first half: who, which site, when, what was asked and what it got. */
static int write_request_fields(struct buf_writer *out, const struct gw_access_record *rec)
{
        TRY(write_bare(out, rec->client_ip));
        TRY(write_text(out, " "));
        TRY(write_bare(out, rec->site));
        TRY(write_text(out, " "));
        TRY(write_time(out, rec->start_unix_ms));
        TRY(write_text(out, " "));
        TRY(write_request_line(out, rec));
        TRY(write_text(out, " "));
        TRY(write_status(out, rec->status));
        TRY(write_text(out, " "));
        TRY(write_u64(out, rec->body_bytes_sent));
        TRY(write_text(out, " "));
        TRY(write_u64(out, rec->request_bytes));
        TRY(write_text(out, " "));
        return write_seconds(out, rec->duration_us);
}

/* The second half: how the client connected, its headers, and what the origin did. */
static int write_connection_fields(struct buf_writer *out, const struct gw_access_record *rec)
{
        TRY(write_text(out, " "));
        TRY(write_bare(out, rec->protocol));
        TRY(write_text(out, " "));
        TRY(write_bare(out, rec->cipher));
        TRY(write_text(out, " "));
        TRY(write_bare(out, rec->cert_alg));
        TRY(write_text(out, " "));
        TRY(write_quoted(out, rec->host));
        TRY(write_text(out, " "));
        TRY(write_quoted(out, rec->user_agent));
        TRY(write_text(out, " "));
        TRY(write_status(out, rec->origin_status));
        TRY(write_text(out, " "));
        TRY(write_seconds(out, rec->upstream_us));
        return write_text(out, "\n");
}

int gw_access_log_format(struct buf_writer *out, const struct gw_access_record *rec, struct err *err)
{
        size_t start = out->len;
        int status = write_request_fields(out, rec);
        if (status == 0)
                status = write_connection_fields(out, rec);
        if (status < 0) {
                /* No half line: the caller may flush what the writer held before. */
                buf_writer_truncate(out, start);
                return SMT_ERR(err, status, "access log: line does not fit in %zu bytes", out->max_len - start);
        }
        return SMT_OK;
}

/* The descriptor number never changes while the file is open: reopen points it at the new file with
 * dup3(2), which replaces the open file atomically. A write racing a reopen thus lands in the old file or
 * the new one, never on a closed or reused descriptor, and the write path takes no lock at all. */
struct gw_log_file {
        int fd; /* -1: "off" */
        bool owns_fd;
        char *path;
        pthread_mutex_t reopen_lock;
        _Atomic uint64_t failures;
};

static const int log_file_flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC;

int gw_log_file_open(struct gw_log_file **out, const char *path, struct err *err)
{
        *out = NULL;
        if (path == NULL || path[0] == '\0')
                return SMT_ERR(err, SMT_EINVAL,
                               "access log: empty path (expected a file, \"-\", \"stderr\" or \"off\")");
        struct gw_log_file *file = calloc(1, sizeof *file);
        char *copy = strdup(path);
        if (file == NULL || copy == NULL) {
                free(file);
                free(copy);
                return SMT_ERR(err, SMT_ENOMEM, "access log %s: out of memory", path);
        }
        file->path = copy;
        file->fd = -1;
        if (strcmp(path, "-") == 0) {
                file->fd = STDOUT_FILENO;
        } else if (strcmp(path, "stderr") == 0) {
                file->fd = STDERR_FILENO;
        } else if (strcmp(path, "off") != 0) {
                file->fd = open(path, log_file_flags, 0640);
                file->owns_fd = true;
        }
        if (file->owns_fd && file->fd < 0) {
                int saved = errno;
                free(file->path);
                free(file);
                return SMT_ERR(err, SMT_EIO, "access log %s: %s", path, strerror(saved));
        }
        pthread_mutex_init(&file->reopen_lock, NULL);
        atomic_init(&file->failures, 0);
        *out = file;
        return SMT_OK;
}

void gw_log_file_write(struct gw_log_file *file, const uint8_t *data, size_t len)
{
        if (file->fd < 0 || len == 0)
                return;
        ssize_t written;
        do {
                written = write(file->fd, data, len);
        } while (written < 0 && errno == EINTR);
        /* A short write (disk full) leaves a partial line; it counts as a failure, and no retry appends
         * the rest after another thread's line. */
        if (written < 0 || (size_t)written != len)
                atomic_fetch_add_explicit(&file->failures, 1, memory_order_relaxed);
}

int gw_log_file_reopen(struct gw_log_file *file, struct err *err)
{
        if (!file->owns_fd)
                return SMT_OK;
        pthread_mutex_lock(&file->reopen_lock);
        int status = SMT_OK;
        int fresh = open(file->path, log_file_flags, 0640);
        if (fresh < 0) {
                status = SMT_ERR(err, SMT_EIO, "access log %s: reopen: %s", file->path, strerror(errno));
        } else {
                if (dup3(fresh, file->fd, O_CLOEXEC) < 0)
                        status = SMT_ERR(err, SMT_EIO, "access log %s: dup3 onto fd %d: %s", file->path, file->fd,
                                         strerror(errno));
                close(fresh);
        }
        pthread_mutex_unlock(&file->reopen_lock);
        return status;
}

uint64_t gw_log_file_failures(const struct gw_log_file *file)
{
        return atomic_load_explicit(&file->failures, memory_order_relaxed);
}

void gw_log_file_close(struct gw_log_file *file)
{
        if (file == NULL)
                return;
        if (file->owns_fd)
                close(file->fd);
        pthread_mutex_destroy(&file->reopen_lock);
        free(file->path);
        free(file);
}
