/* tests/unit/gateway/test_access_log.c: gateway/access_log — the exact line of a full record and of one with
 * every value absent, hostile request line / Host / User-Agent bytes escaped so the line still splits into
 * its 15 fields and each decodes back to what the client sent, no half line when the writer is full, and
 * the log file: created 0640, appended to, reopened after a rotation (old file keeps the earlier lines, the
 * new one gets the later ones), failed writes counted, and 4 threads writing 10,000 lines each while the
 * file is rotated 20 times give exactly 40,000 whole lines. */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "gateway/access_log.h"

#define LINE_FIELDS 15
#define LINE_MAX    4096

static struct buf_reader text_reader(const char *text)
{
        return buf_reader_make((const uint8_t *)text, strlen(text));
}

/* format_line formats rec into line (NUL-terminated) and returns its length. */
static size_t format_line(char line[LINE_MAX], const struct gw_access_record *rec)
{
        struct buf_writer w;
        struct err err = {0};
        buf_writer_init_fixed(&w, (uint8_t *)line, LINE_MAX - 1);
        CHECK_OK(gw_access_log_format(&w, rec, &err), &err);
        line[w.len] = '\0';
        return w.len;
}

/* unix_ms converts a UTC calendar time with timegm, independently of the gmtime_r the formatter uses. */
static int64_t unix_ms(int year, int month, int day, int hour, int minute, int second, int ms)
{
        struct tm utc = {.tm_year = year - 1900,
                         .tm_mon = month - 1,
                         .tm_mday = day,
                         .tm_hour = hour,
                         .tm_min = minute,
                         .tm_sec = second};
        return (int64_t)timegm(&utc) * 1000 + ms;
}

static struct gw_access_record full_record(void)
{
        return (struct gw_access_record){
            .client_ip = "192.0.2.7",
            .site = "www.example.com",
            .method = text_reader("GET"),
            .target = text_reader("/a?b=1"),
            .http_minor = 1,
            .host = text_reader("www.example.com"),
            .user_agent = text_reader("curl/7.88.1"),
            .status = 200,
            .body_bytes_sent = 5120,
            .request_bytes = 0,
            .start_unix_ms = unix_ms(2026, 11, 23, 13, 20, 1, 123),
            .duration_us = 12345,
            .protocol = "TLCP",
            .cipher = "ECC-SM4-SM3",
            .cert_alg = "SM2",
            .origin_status = 200,
            .upstream_us = 9600,
        };
}

/* The header's example, with the rounding of both durations to milliseconds. */
static void test_full_record(void)
{
        char line[LINE_MAX];
        struct gw_access_record rec = full_record();
        format_line(line, &rec);
        CHECK_STR(line, "192.0.2.7 www.example.com [2026-11-23T13:20:01.123Z] \"GET /a?b=1 HTTP/1.1\" 200 5120 0 "
                        "0.012 TLCP ECC-SM4-SM3 SM2 \"www.example.com\" \"curl/7.88.1\" 200 0.010\n");

        rec.http_minor = 0;
        rec.duration_us = 2500500; /* half a millisecond rounds up */
        rec.upstream_us = 0;
        rec.request_bytes = 18446744073709551615u;
        rec.start_unix_ms = unix_ms(1999, 12, 31, 23, 59, 59, 7);
        format_line(line, &rec);
        CHECK_STR(line,
                  "192.0.2.7 www.example.com [1999-12-31T23:59:59.007Z] \"GET /a?b=1 HTTP/1.0\" 200 5120 "
                  "18446744073709551615 2.501 TLCP ECC-SM4-SM3 SM2 \"www.example.com\" \"curl/7.88.1\" 200 0.000\n");
}

static void test_every_field_absent(void)
{
        char line[LINE_MAX];
        struct gw_access_record rec = {.duration_us = -1, .upstream_us = -1};
        format_line(line, &rec);
        CHECK_STR(line, "- - - - - 0 0 - - - - - - - -\n");

        /* Empty strings are absent too; a plain-HTTP request keeps cipher and cert_alg absent. */
        rec = full_record();
        rec.site = "";
        rec.cipher = NULL;
        rec.cert_alg = NULL;
        rec.protocol = "HTTP";
        rec.user_agent = text_reader("");
        rec.status = 0;
        rec.origin_status = 0;
        rec.upstream_us = -1;
        format_line(line, &rec);
        CHECK_STR(line, "192.0.2.7 - [2026-11-23T13:20:01.123Z] \"GET /a?b=1 HTTP/1.1\" - 5120 0 0.012 HTTP - - "
                        "\"www.example.com\" - - -\n");
}

/* split_line splits a line (without '\n') into fields: bare tokens up to a space, or "..." strings whose
 * content holds no '"' (the writer escapes it). Returns the number of fields, or -1 when malformed. */
static int split_line(char *line, char *fields[LINE_FIELDS + 1])
{
        int n = 0;
        char *p = line;
        while (*p != '\0') {
                if (n > LINE_FIELDS)
                        return -1;
                char *end = *p == '"' ? strchr(p + 1, '"') : strchr(p, ' ');
                if (*p == '"' && end == NULL)
                        return -1;
                if (*p == '"')
                        end++;
                else if (end == NULL)
                        end = p + strlen(p);
                fields[n++] = p;
                if (*end == '\0')
                        break;
                if (*end != ' ' || end[1] == '\0')
                        return -1;
                *end = '\0';
                p = end + 1;
        }
        return n;
}

static int hex_digit(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1; /* the writer uses upper case only */
}

/* unescape decodes \xHH in field (quotes already stripped) into out; fails the test on any other '\\'. */
static size_t unescape(uint8_t *out, const char *field, size_t field_len)
{
        size_t n = 0;
        for (size_t i = 0; i < field_len; i++) {
                if (field[i] != '\\') {
                        out[n++] = (uint8_t)field[i];
                        continue;
                }
                CHECK(i + 3 < field_len && field[i + 1] == 'x');
                int high = hex_digit(field[i + 2]), low = hex_digit(field[i + 3]);
                CHECK(high >= 0 && low >= 0);
                out[n++] = (uint8_t)(high << 4 | low);
                i += 3;
        }
        return n;
}

/* check_quoted checks field is "..." and decodes to expected. */
static void check_quoted(const char *field, struct buf_reader expected)
{
        size_t len = strlen(field);
        CHECK(len >= 2 && field[0] == '"' && field[len - 1] == '"');
        uint8_t decoded[LINE_MAX];
        size_t decoded_len = unescape(decoded, field + 1, len - 2);
        CHECK_EQ(decoded_len, expected.len);
        CHECK_MEM(decoded, expected.data, decoded_len);
}

static void check_printable_one_line(const char *line, size_t len)
{
        CHECK(len > 0 && line[len - 1] == '\n');
        for (size_t i = 0; i + 1 < len; i++)
                CHECK((uint8_t)line[i] >= 0x20 && (uint8_t)line[i] <= 0x7e);
}

static void test_hostile_strings_escaped(void)
{
        static const char method[] = "GET /x HTTP/1.1\r\n1.2.3.4 - [";
        static const uint8_t target[] = {'/', 'a', ' ', 'b', '"', '\\', 0x01, 0x7f, 0x80, 0xff, '\n'};
        static const char host[] = "evil\" \"x";
        static const char agent[] = "Mozilla/5.0 (X11)\" 200 0\n10.0.0.1 forged [2026-01-01T00:00:00.000Z] \"GET /";
        struct gw_access_record rec = full_record();
        rec.method = text_reader(method);
        rec.target = buf_reader_make(target, sizeof target);
        rec.host = text_reader(host);
        rec.user_agent = text_reader(agent);
        rec.site = "site with\tspace";
        rec.client_ip = "::1";

        char line[LINE_MAX];
        size_t len = format_line(line, &rec);
        check_printable_one_line(line, len);
        line[len - 1] = '\0';
        char *fields[LINE_FIELDS + 1];
        CHECK_EQ(split_line(line, fields), LINE_FIELDS);
        CHECK_STR(fields[0], "::1");
        CHECK_STR(fields[1], "site\\x20with\\x09space");
        CHECK_STR(fields[4], "200");
        check_quoted(fields[11], text_reader(host));
        check_quoted(fields[12], text_reader(agent));
        static const char agent_tail[] = "\\x0A10.0.0.1 forged [2026-01-01T00:00:00.000Z] \\x22GET /\"";
        CHECK(strlen(fields[12]) > strlen(agent_tail));
        CHECK_STR(fields[12] + strlen(fields[12]) - strlen(agent_tail), agent_tail);
        CHECK_STR(fields[14], "0.010");

        /* The request line: three words, method and target decoding back to the bytes received. */
        char *request = fields[3];
        CHECK(request[0] == '"' && request[strlen(request) - 1] == '"');
        request[strlen(request) - 1] = '\0';
        char *first_space = strchr(request + 1, ' ');
        CHECK(first_space != NULL && strchr(first_space + 1, ' ') != NULL);
        char *second_space = strchr(first_space + 1, ' ');
        CHECK(strchr(second_space + 1, ' ') == NULL);
        CHECK_STR(second_space + 1, "HTTP/1.1");
        uint8_t decoded[LINE_MAX];
        CHECK_EQ(unescape(decoded, request + 1, (size_t)(first_space - request - 1)), strlen(method));
        CHECK_MEM(decoded, method, strlen(method));
        CHECK_EQ(unescape(decoded, first_space + 1, (size_t)(second_space - first_space - 1)), sizeof target);
        CHECK_MEM(decoded, target, sizeof target);
        *first_space = '\0';
        CHECK_STR(first_space + 1, "/a\\x20b\\x22\\x5C\\x01\\x7F\\x80\\xFF\\x0A HTTP/1.1");
}

static void test_full_writer_keeps_earlier_bytes(void)
{
        uint8_t mem[60];
        struct buf_writer w;
        struct err err = {0};
        buf_writer_init_fixed(&w, mem, sizeof mem);
        CHECK_OK(buf_write_bytes(&w, (const uint8_t *)"earlier\n", 8), &err);
        struct gw_access_record rec = full_record();
        CHECK_STATUS(gw_access_log_format(&w, &rec, &err), SMT_ENOSPACE);
        CHECK_EQ(w.len, 8);
        CHECK_MEM(mem, "earlier\n", 8);
}

static char *read_text(const char *path)
{
        FILE *f = fopen(path, "rb");
        CHECK(f != NULL);
        static char text[1 << 12];
        size_t n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[n] = '\0';
        return text;
}

static void write_text_line(struct gw_log_file *file, const char *text)
{
        gw_log_file_write(file, (const uint8_t *)text, strlen(text));
}

static void test_file_reopen_after_rename(void)
{
        char path[512], rotated[600];
        snprintf(path, sizeof path, "%s/access.log", check_temp_dir());
        snprintf(rotated, sizeof rotated, "%s.1", path);
        struct err err = {0};
        struct gw_log_file *file;
        mode_t old_mask = umask(022);
        CHECK_OK(gw_log_file_open(&file, path, &err), &err);
        umask(old_mask);
        struct stat st;
        CHECK(stat(path, &st) == 0);
        CHECK_EQ(st.st_mode & 07777, 0640);

        write_text_line(file, "one\n");
        CHECK(rename(path, rotated) == 0);
        write_text_line(file, "two\n"); /* still the open (moved) file */
        CHECK_OK(gw_log_file_reopen(file, &err), &err);
        write_text_line(file, "three\n");
        CHECK_OK(gw_log_file_reopen(file, &err), &err); /* reopening the same path keeps appending */
        write_text_line(file, "four\n");
        CHECK_EQ(gw_log_file_failures(file), 0);
        gw_log_file_close(file);
        CHECK_STR(read_text(rotated), "one\ntwo\n");
        CHECK_STR(read_text(path), "three\nfour\n");

        /* Opening an existing file appends, never truncates. */
        CHECK_OK(gw_log_file_open(&file, path, &err), &err);
        write_text_line(file, "five\n");
        gw_log_file_close(file);
        CHECK_STR(read_text(path), "three\nfour\nfive\n");
}

static void test_file_special_names_and_failures(void)
{
        struct err err = {0};
        struct gw_log_file *file;
        CHECK_OK(gw_log_file_open(&file, "off", &err), &err);
        write_text_line(file, "dropped\n");
        CHECK_OK(gw_log_file_reopen(file, &err), &err);
        CHECK_EQ(gw_log_file_failures(file), 0);
        gw_log_file_close(file);
        CHECK_OK(gw_log_file_open(&file, "-", &err), &err);
        CHECK_OK(gw_log_file_reopen(file, &err), &err);
        gw_log_file_close(file);
        CHECK(fcntl(STDOUT_FILENO, F_GETFD) >= 0); /* closing "-" leaves standard output open */
        CHECK_OK(gw_log_file_open(&file, "stderr", &err), &err);
        gw_log_file_close(file);
        CHECK(fcntl(STDERR_FILENO, F_GETFD) >= 0);

        char missing[512];
        snprintf(missing, sizeof missing, "%s/no/such/dir/access.log", check_temp_dir());
        CHECK_STATUS(gw_log_file_open(&file, missing, &err), SMT_EIO);
        CHECK(strstr(err.msg, missing) != NULL);
        CHECK_STATUS(gw_log_file_open(&file, "", &err), SMT_EINVAL);

        /* A full disk: each failed write is counted, none reported. */
        CHECK_OK(gw_log_file_open(&file, "/dev/full", &err), &err);
        write_text_line(file, "a\n");
        write_text_line(file, "b\n");
        CHECK_EQ(gw_log_file_failures(file), 2);
        gw_log_file_close(file);
}

#define WRITER_THREADS   4
#define LINES_PER_THREAD 10000
#define ROTATIONS        20
#define SEGMENT_LINES    (LINES_PER_THREAD / (ROTATIONS + 1))

/* The writers may not run more than one segment ahead of the rotations, and the main thread rotates half
 * way through each segment: every rotation happens while lines are being written, and every file gets
 * lines, however the threads are scheduled. */
struct writer_gate {
        _Atomic int lines_written;
        _Atomic int rotations_done;
};

struct writer_arg {
        struct gw_log_file *file;
        int thread;
        struct writer_gate *gate;
};

static void *writer_run(void *p)
{
        const struct writer_arg *arg = p;
        char agent[256];
        memset(agent, 'a' + arg->thread, sizeof agent - 1);
        agent[sizeof agent - 1] = '\0';
        for (int i = 0; i < LINES_PER_THREAD; i++) {
                int segment = i / SEGMENT_LINES < ROTATIONS ? i / SEGMENT_LINES : ROTATIONS;
                while (atomic_load(&arg->gate->rotations_done) < segment)
                        sched_yield();
                char ip[32];
                snprintf(ip, sizeof ip, "10.0.%d.%d", arg->thread, i);
                struct gw_access_record rec = full_record();
                rec.client_ip = ip;
                rec.user_agent = text_reader(agent);
                uint8_t mem[LINE_MAX];
                struct buf_writer w;
                struct err err = {0};
                buf_writer_init_fixed(&w, mem, sizeof mem);
                if (gw_access_log_format(&w, &rec, &err) == 0)
                        gw_log_file_write(arg->file, w.data, w.len);
                atomic_fetch_add(&arg->gate->lines_written, 1);
        }
        return NULL;
}

/* count_lines checks every line of path is a whole record from writer_run and marks its (thread, i). */
static size_t count_lines(const char *path, uint8_t seen[WRITER_THREADS][LINES_PER_THREAD])
{
        FILE *f = fopen(path, "rb");
        CHECK(f != NULL);
        char line[LINE_MAX];
        size_t lines = 0;
        while (fgets(line, sizeof line, f) != NULL) {
                size_t len = strlen(line);
                CHECK(len > 300 && line[len - 1] == '\n');
                line[len - 1] = '\0';
                char *fields[LINE_FIELDS + 1];
                CHECK_EQ(split_line(line, fields), LINE_FIELDS);
                int thread, i;
                CHECK(sscanf(fields[0], "10.0.%d.%d", &thread, &i) == 2);
                CHECK(thread >= 0 && thread < WRITER_THREADS && i >= 0 && i < LINES_PER_THREAD);
                CHECK(fields[12][1] == 'a' + thread && strlen(fields[12]) == 257);
                CHECK_STR(fields[14], "0.010");
                seen[thread][i]++;
                lines++;
        }
        fclose(f);
        return lines;
}

static void test_threads_write_whole_lines(void)
{
        char path[512];
        snprintf(path, sizeof path, "%s/threads.log", check_temp_dir());
        struct err err = {0};
        struct gw_log_file *file;
        CHECK_OK(gw_log_file_open(&file, path, &err), &err);
        pthread_t threads[WRITER_THREADS];
        struct writer_arg args[WRITER_THREADS];
        struct writer_gate gate = {0};
        for (int t = 0; t < WRITER_THREADS; t++) {
                args[t] = (struct writer_arg){file, t, &gate};
                CHECK(pthread_create(&threads[t], NULL, writer_run, &args[t]) == 0);
        }
        /* No line may be lost, cut, or land on a closed descriptor. */
        for (int r = 0; r < ROTATIONS; r++) {
                char rotated[600];
                snprintf(rotated, sizeof rotated, "%s.%d", path, r);
                while (atomic_load(&gate.lines_written) < (2 * r + 1) * WRITER_THREADS * SEGMENT_LINES / 2)
                        sched_yield();
                CHECK(rename(path, rotated) == 0);
                CHECK_OK(gw_log_file_reopen(file, &err), &err);
                atomic_fetch_add(&gate.rotations_done, 1);
        }
        for (int t = 0; t < WRITER_THREADS; t++)
                pthread_join(threads[t], NULL);
        CHECK_EQ(gw_log_file_failures(file), 0);
        gw_log_file_close(file);

        static uint8_t seen[WRITER_THREADS][LINES_PER_THREAD];
        memset(seen, 0, sizeof seen);
        size_t lines = count_lines(path, seen);
        for (int r = 0; r < ROTATIONS; r++) {
                char rotated[600];
                snprintf(rotated, sizeof rotated, "%s.%d", path, r);
                size_t rotated_lines = count_lines(rotated, seen);
                CHECK(rotated_lines > 0); /* each rotation really split the stream */
                lines += rotated_lines;
        }
        CHECK_EQ(lines, WRITER_THREADS * LINES_PER_THREAD);
        for (int t = 0; t < WRITER_THREADS; t++)
                for (int i = 0; i < LINES_PER_THREAD; i++)
                        CHECK_EQ(seen[t][i], 1);
}

CHECK_MAIN(CHECK_TEST(test_full_record), CHECK_TEST(test_every_field_absent), CHECK_TEST(test_hostile_strings_escaped),
           CHECK_TEST(test_full_writer_keeps_earlier_bytes), CHECK_TEST(test_file_reopen_after_rename),
           CHECK_TEST(test_file_special_names_and_failures), CHECK_TEST(test_threads_write_whole_lines))
