/* tests/unit/gateway/test_status_client.c: gateway/status_client — the table of `smtrust gateway status`
 * read from a document written by the real formatter (gateway/autocert_status.h): every cell under its
 * heading, times in UTC minutes, each STATUS wording, control characters shown as '?'; an empty list is
 * "no sites with certificates: auto"; malformed documents are SMT_EDECODE; admin.listen values map to
 * loopback URLs; and fetching against a one-shot HTTP server in the test: 200 passes the body through, the
 * admin listener's "no ACME manager" 404 becomes the empty document, another 404 or a 500 is an error
 * naming the status (and the 500's reason), and a closed port is "no gateway answers". */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "gateway/admin.h"
#include "gateway/autocert_status.h"
#include "gateway/status_client.h"

static time_t utc(int year, int month, int day, int hour, int minute, int second)
{
        struct tm tm = {.tm_year = year - 1900,
                        .tm_mon = month - 1,
                        .tm_mday = day,
                        .tm_hour = hour,
                        .tm_min = minute,
                        .tm_sec = second};
        return timegm(&tm);
}

static void entry(struct gw_autocert_status *st, const char *site, enum gw_autocert_kind kind, bool has)
{
        memset(st, 0, sizeof *st);
        snprintf(st->site, sizeof st->site, "%s", site);
        st->kind = kind;
        st->has_certificate = has;
        snprintf(st->algorithm, sizeof st->algorithm, "%s", kind == GW_AUTOCERT_SM2 ? "SM2" : "ECDSA P-256");
        snprintf(st->issuer, sizeof st->issuer, "C=CN, O=Example, CN=Example CA");
        snprintf(st->serial, sizeof st->serial, "7f");
        st->not_before = utc(2026, 11, 1, 0, 0, 0);
        st->not_after = utc(2027, 1, 30, 23, 59, 59);
        st->next_renewal = utc(2026, 12, 31, 8, 5, 30);
}

/* The table of list, through the JSON the admin listener would serve; NUL-terminated in *out (heap). */
static void table_of(struct buf_writer *out, const struct gw_autocert_status *list, size_t num)
{
        struct err err;
        struct buf_writer doc;
        buf_writer_init_heap(&doc, 1 << 20);
        CHECK_OK(gw_autocert_status_format(list, num, true, utc(2026, 11, 23, 19, 0, 0), &doc, &err), &err);
        buf_writer_init_heap(out, 1 << 20);
        CHECK_OK(gw_status_client_table(out, doc.data, doc.len, &err), &err);
        CHECK_OK(buf_write_u8(out, '\0'), &err);
        buf_writer_cleanup(&doc);
}

/* The cell of line under heading (from the heading's column to the next heading's, spaces trimmed). */
static void cell(char *out, size_t cap, const char *header, const char *line, const char *heading)
{
        const char *at = strstr(header, heading);
        CHECK(at != NULL);
        size_t start = (size_t)(at - header), end = start + strlen(heading);
        while (header[end] == ' ')
                end++;
        bool is_last = header[end] == '\n';
        size_t line_len = strcspn(line, "\n");
        CHECK(start <= line_len);
        size_t len = is_last ? line_len - start : end - start;
        while (len > 0 && line[start + len - 1] == ' ')
                len--;
        CHECK(len < cap);
        memcpy(out, line + start, len);
        out[len] = '\0';
}

static void check_row(const char *text, int row, const char *const expected[7])
{
        static const char *const heads[7] = {"SITE",      "KIND",         "ALGORITHM", "ISSUER",
                                             "NOT-AFTER", "NEXT-RENEWAL", "STATUS"};
        const char *line = text;
        for (int i = 0; i < row; i++) {
                line = strchr(line, '\n');
                CHECK(line != NULL);
                line++;
        }
        for (int col = 0; col < 7; col++) {
                char got[600];
                cell(got, sizeof got, text, line, heads[col]);
                CHECK_STR(got, expected[col]);
        }
}

static void test_table(void)
{
        struct gw_autocert_status list[4];
        entry(&list[0], "shop", GW_AUTOCERT_ECC, true);
        entry(&list[1], "shop", GW_AUTOCERT_SM2, true);
        list[1].failures = 2;
        list[1].last_error_at = utc(2026, 11, 23, 18, 0, 0);
        snprintf(list[1].last_error, sizeof list[1].last_error, "acme.sm2: connection refused");
        entry(&list[2], "new\nsite", GW_AUTOCERT_ECC, false);
        list[2].is_ordering = true;
        entry(&list[3], "new\nsite", GW_AUTOCERT_SM2, false);
        list[3].next_renewal = 0;
        struct buf_writer out;
        table_of(&out, list, 4);
        const char *text = (const char *)out.data;
        CHECK(strncmp(text, "SITE  ", 6) == 0);
        check_row(text, 1,
                  (const char *const[]){"shop", "ecc", "ECDSA P-256", "C=CN, O=Example, CN=Example CA",
                                        "2027-01-30 23:59Z", "2026-12-31 08:05Z", "ok"});
        check_row(text, 2,
                  (const char *const[]){"shop", "sm2", "SM2", "C=CN, O=Example, CN=Example CA", "2027-01-30 23:59Z",
                                        "2026-12-31 08:05Z", "failing (2): acme.sm2: connection refused"});
        check_row(text, 3, (const char *const[]){"new?site", "ecc", "-", "-", "-", "2026-12-31 08:05Z", "ordering"});
        check_row(text, 4, (const char *const[]){"new?site", "sm2", "-", "-", "-", "-", "no certificate"});
        size_t lines = 0;
        for (const char *p = text; *p != '\0'; p++)
                lines += *p == '\n';
        CHECK_EQ(lines, 5);
        buf_writer_cleanup(&out);
}

static void test_table_empty(void)
{
        struct buf_writer out;
        table_of(&out, NULL, 0);
        CHECK_STR((const char *)out.data, GW_ADMIN_NO_AUTO_SITES "\n");
        buf_writer_cleanup(&out);
        struct err err;
        buf_writer_init_heap(&out, 1 << 10);
        CHECK_OK(
            gw_status_client_table(&out, (const uint8_t *)GW_STATUS_CLIENT_EMPTY, strlen(GW_STATUS_CLIENT_EMPTY), &err),
            &err);
        CHECK_EQ(out.len, strlen(GW_ADMIN_NO_AUTO_SITES "\n"));
        buf_writer_cleanup(&out);
}

static void test_table_malformed(void)
{
        static const char *const docs[] = {
            "not json",
            "[]",
            "{\"certificates\": {}}",
            "{\"certificates\": [1]}",
            "{\"certificates\": [{\"site\": 5}]}",
            "{\"certificates\": [{\"site\": \"a\", \"kind\": \"ecc\", \"algorithm\": null, \"issuer\": null, "
            "\"not_after\": \"tomorrow\", \"next_renewal\": null, \"ordering\": false, \"failures\": 0, "
            "\"has_certificate\": false, \"last_error\": null}]}",
            "{\"certificates\": [{\"site\": \"a\", \"kind\": \"ecc\", \"algorithm\": null, \"issuer\": null, "
            "\"not_after\": null, \"next_renewal\": null, \"ordering\": \"no\", \"failures\": 0, "
            "\"has_certificate\": false, \"last_error\": null}]}",
        };
        for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
                struct err err;
                struct buf_writer out;
                buf_writer_init_heap(&out, 1 << 16);
                CHECK_STATUS(gw_status_client_table(&out, (const uint8_t *)docs[i], strlen(docs[i]), &err),
                             SMT_EDECODE);
                buf_writer_cleanup(&out);
        }
}

static void test_url(void)
{
        static const char *const cases[][2] = {
            {":9145", "http://127.0.0.1:9145/certificates"},          {"*:9145", "http://127.0.0.1:9145/certificates"},
            {"0.0.0.0:9145", "http://127.0.0.1:9145/certificates"},   {"[::]:9145", "http://[::1]:9145/certificates"},
            {"127.0.0.2:80", "http://127.0.0.2:80/certificates"},     {"[::1]:8080", "http://[::1]:8080/certificates"},
            {"localhost:9145", "http://localhost:9145/certificates"},
        };
        struct err err;
        char url[128];
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                CHECK_OK(gw_status_client_url(url, sizeof url, cases[i][0], &err), &err);
                CHECK_STR(url, cases[i][1]);
        }
        CHECK_STATUS(gw_status_client_url(url, sizeof url, "9145", &err), SMT_ECONFIG);
        CHECK_STATUS(gw_status_client_url(url, sizeof url, "127.0.0.1:0", &err), SMT_ECONFIG);
        CHECK_STATUS(gw_status_client_url(url, 20, ":9145", &err), SMT_ENOSPACE);
}

/* A server on 127.0.0.1 that answers one request with a canned response, then closes. */
struct one_shot {
        int fd;
        const char *response;
        char request[2048];
        pthread_t thread;
};

static void *one_shot_run(void *arg)
{
        struct one_shot *s = arg;
        int fd = accept(s->fd, NULL, NULL);
        size_t len = 0;
        while (fd >= 0 && len + 1 < sizeof s->request && strstr(s->request, "\r\n\r\n") == NULL) {
                ssize_t n = recv(fd, s->request + len, sizeof s->request - 1 - len, 0);
                if (n <= 0)
                        break;
                len += (size_t)n;
                s->request[len] = '\0';
        }
        if (fd >= 0 && send(fd, s->response, strlen(s->response), MSG_NOSIGNAL) < 0)
                perror("one_shot send");
        if (fd >= 0)
                close(fd);
        return NULL;
}

/* Starts s and writes its listen value ("127.0.0.1:PORT") into address. */
static void one_shot_start(struct one_shot *s, const char *response, char address[32])
{
        memset(s, 0, sizeof *s);
        s->response = response;
        s->fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t sa_len = sizeof sa;
        CHECK(s->fd >= 0 && bind(s->fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(s->fd, 1) == 0);
        CHECK(getsockname(s->fd, (struct sockaddr *)&sa, &sa_len) == 0);
        snprintf(address, 32, "127.0.0.1:%u", ntohs(sa.sin_port));
        CHECK(pthread_create(&s->thread, NULL, one_shot_run, s) == 0);
}

static void one_shot_finish(struct one_shot *s)
{
        pthread_join(s->thread, NULL);
        close(s->fd);
        CHECK(strncmp(s->request, "GET /certificates HTTP/1.1\r\n", 28) == 0);
}

static int fetch(const char *response, struct buf_writer *doc, struct err *err)
{
        struct one_shot s;
        char listen[32];
        one_shot_start(&s, response, listen);
        buf_writer_init_heap(doc, 1 << 16);
        int status = gw_status_client_fetch(doc, listen, err);
        one_shot_finish(&s);
        return status;
}

static void test_fetch(void)
{
        struct err err;
        struct buf_writer doc;
        CHECK_OK(fetch("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20\r\n"
                       "Connection: close\r\n\r\n{\"certificates\": []}",
                       &doc, &err),
                 &err);
        CHECK_EQ(doc.len, 20);
        CHECK_MEM(doc.data, "{\"certificates\": []}", 20);
        buf_writer_cleanup(&doc);

        static const char no_sites[] = "{\"error\": \"" GW_ADMIN_NO_AUTO_SITES "\"}\n";
        char response[256];
        snprintf(response, sizeof response,
                 "HTTP/1.1 404 Not Found\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s", strlen(no_sites),
                 no_sites);
        CHECK_OK(fetch(response, &doc, &err), &err);
        CHECK_EQ(doc.len, strlen(GW_STATUS_CLIENT_EMPTY));
        CHECK_MEM(doc.data, GW_STATUS_CLIENT_EMPTY, doc.len);
        buf_writer_cleanup(&doc);

        CHECK_STATUS(
            fetch("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot here\n", &doc, &err),
            SMT_EIO);
        CHECK(strstr(err.msg, "HTTP 404") != NULL);
        buf_writer_cleanup(&doc);
        CHECK_STATUS(fetch("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 22\r\nConnection: close\r\n\r\n"
                           "certificates: no room\n",
                           &doc, &err),
                     SMT_EIO);
        CHECK(strstr(err.msg, "HTTP 500: certificates: no room") != NULL);
        buf_writer_cleanup(&doc);
}

static void test_fetch_refused(void)
{
        /* A port that was just bound and closed: nothing listens there. */
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t sa_len = sizeof sa;
        CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
        CHECK(getsockname(fd, (struct sockaddr *)&sa, &sa_len) == 0);
        close(fd);
        char listen[32], expected[96];
        snprintf(listen, sizeof listen, "127.0.0.1:%u", ntohs(sa.sin_port));
        snprintf(expected, sizeof expected, "no gateway answers at %s (is it running?)", listen);
        struct err err;
        struct buf_writer doc;
        buf_writer_init_heap(&doc, 1 << 10);
        CHECK_STATUS(gw_status_client_fetch(&doc, listen, &err), SMT_EIO);
        CHECK_STR(err.msg, expected);
        CHECK_EQ(doc.len, 0);
        buf_writer_cleanup(&doc);
}

CHECK_MAIN(CHECK_TEST(test_table), CHECK_TEST(test_table_empty), CHECK_TEST(test_table_malformed), CHECK_TEST(test_url),
           CHECK_TEST(test_fetch), CHECK_TEST(test_fetch_refused))
