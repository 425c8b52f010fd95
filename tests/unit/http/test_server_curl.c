/* tests/unit/http/test_server_curl.c: src/http/server.c against a real, independent client: curl. curl
 * sends "Expect: 100-continue" for bodies over 1 KiB and waits for the interim answer, streams chunked
 * uploads, speaks HTTP/1.0 on request and presents client certificates over TLS. Skipped without curl. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "server_fixture.h"

#define CURL "curl -q -sS --noproxy '*' --max-time 20 "

/* run_curl runs curl with args and returns its whole output (static storage); the exit status must be 0. */
static const char *run_curl(const char *args)
{
        static char output[64 * 1024];
        char command[4096];
        snprintf(command, sizeof command, CURL "%s 2>&1", args);
        FILE *pipe = popen(command, "r");
        CHECK(pipe != NULL);
        size_t len = fread(output, 1, sizeof output - 1, pipe);
        output[len] = '\0';
        int status = pclose(pipe);
        if (status != 0)
                check_fail(__FILE__, __LINE__, "%s: exit status %d: %s", command, status, output);
        return output;
}

static void expect_in(const char *output, const char *text)
{
        if (strstr(output, text) == NULL)
                check_fail(__FILE__, __LINE__, "no \"%s\" in:\n%s", text, output);
}

/* body_file writes len bytes of a known pattern to a file and returns its path (static storage). */
static const char *body_file(size_t len, char pattern[])
{
        static char path[512];
        snprintf(path, sizeof path, "%s/body-%zu", check_temp_dir(), len);
        FILE *out = fopen(path, "wb");
        CHECK(out != NULL);
        for (size_t i = 0; i < len; i++) {
                pattern[i] = (char)('A' + i % 23);
                CHECK(fputc(pattern[i], out) != EOF);
        }
        pattern[len] = '\0';
        fclose(out);
        return path;
}

static void test_curl_post_with_expect_continue(void)
{
        struct http_server_config config = {.threads = 2};
        struct http_server *server = server_fixture_start(&config);
        static char pattern[5001];
        const char *path = body_file(5000, pattern);
        char args[2048];
        /* curl 7.88 asks by itself only for uploads (-T); told to ask, it waits up to --expect100-timeout for
         * the interim answer before sending the body: a server that never answers costs those 10 s. */
        char trace[512];
        snprintf(trace, sizeof trace, "%s/curl-trace", check_temp_dir());
        snprintf(args, sizeof args,
                 "-v --stderr %s -H 'Expect: 100-continue' --expect100-timeout 10 --data-binary @%s "
                 "http://127.0.0.1:%u/upload?kind=data",
                 trace, path, http_server_port(server));
        int64_t start = server_now_ms();
        const char *output = run_curl(args);
        CHECK(server_now_ms() - start < 5000);
        static char trace_text[16 * 1024];
        FILE *in = fopen(trace, "r");
        CHECK(in != NULL);
        trace_text[fread(trace_text, 1, sizeof trace_text - 1, in)] = '\0';
        fclose(in);
        expect_in(trace_text, "< HTTP/1.1 100 Continue");
        expect_in(output, "method=POST\n");
        expect_in(output, "query=kind=data\n");
        expect_in(output, "field=Expect: 100-continue\n");
        expect_in(output, "field=Content-Length: 5000\n");
        expect_in(output, pattern);
        http_server_stop(server);
}

static void test_curl_chunked_upload_and_http_1_0(void)
{
        struct http_server_config config = {.threads = 2};
        struct http_server *server = server_fixture_start(&config);
        static char pattern[3001];
        const char *path = body_file(3000, pattern);
        char args[1024];
        snprintf(args, sizeof args, "-H 'Transfer-Encoding: chunked' -T %s http://127.0.0.1:%u/put", path,
                 http_server_port(server));
        const char *output = run_curl(args);
        expect_in(output, "method=PUT\n");
        expect_in(output, "field=Expect: 100-continue\n"); /* curl's own, for an upload */
        expect_in(output, "field=Transfer-Encoding: chunked\n");
        expect_in(output, pattern);
        snprintf(args, sizeof args, "-i --http1.0 http://127.0.0.1:%u/old", http_server_port(server));
        output = run_curl(args);
        expect_in(output, "HTTP/1.1 200 OK\r\n");
        expect_in(output, "Connection: close\r\n");
        expect_in(output, "path=/old\n");
        /* two URLs on one connection: curl reports reusing it */
        snprintf(args, sizeof args, "-v http://127.0.0.1:%u/one http://127.0.0.1:%u/two", http_server_port(server),
                 http_server_port(server));
        output = run_curl(args);
        expect_in(output, "path=/one\n");
        expect_in(output, "path=/two\n");
        expect_in(output, "Re-using existing connection");
        http_server_stop(server);
}

static void test_curl_https_with_client_certificate(void)
{
        const struct server_pki *pki = server_pki_get();
        struct http_server_config config = {
            .threads = 2,
            .tls_cert_file = pki->server_cert_file,
            .tls_key_file = pki->server_key_file,
            .client_ca_file = pki->ca_file,
        };
        struct http_server *server = server_fixture_start(&config);
        char args[2048];
        snprintf(args, sizeof args, "--cacert %s --cert %s --key %s https://localhost:%u/admin", pki->ca_file,
                 pki->client_cert_file, pki->client_key_file, http_server_port(server));
        const char *output = run_curl(args);
        expect_in(output, "tls=1\n");
        expect_in(output, "client=O=smtrust tests, CN=admin\n");
        snprintf(args, sizeof args, "--cacert %s --cert %s --key %s https://localhost:%u/admin", pki->ca_file,
                 pki->other_client_cert_file, pki->other_client_key_file, http_server_port(server));
        output = run_curl(args);
        expect_in(output, "client=-\n");
        snprintf(args, sizeof args, "--cacert %s https://localhost:%u/acme", pki->ca_file, http_server_port(server));
        output = run_curl(args);
        expect_in(output, "client=-\n");
        expect_in(output, "path=/acme\n");
        http_server_stop(server);
}

static void skip_without_curl(void)
{
        if (access("/usr/bin/curl", X_OK) != 0 && system("command -v curl >/dev/null 2>&1") != 0)
                check_skip_all("curl is not installed");
}

static void test_curl_is_available(void)
{
        skip_without_curl();
}

CHECK_MAIN(CHECK_TEST(test_curl_is_available), CHECK_TEST(test_curl_post_with_expect_continue),
           CHECK_TEST(test_curl_chunked_upload_and_http_1_0), CHECK_TEST(test_curl_https_with_client_certificate))
