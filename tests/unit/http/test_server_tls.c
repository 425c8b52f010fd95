/* tests/unit/http/test_server_tls.c: the TLS side of src/http/server.c with OpenSSL clients: TLS 1.2 and
 * 1.3, keep-alive through TLS, client certificates (none, from the configured CA, from another CA with the
 * same names: served, but without client_cert), the 0600 rule for the key file, a silent client that never
 * handshakes, and stop with a TLS client connected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "server_fixture.h"

#define GET_ROOT "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"

static struct http_server *start_tls(bool ask_client_certs, int head_timeout_ms)
{
        const struct server_pki *pki = server_pki_get();
        struct http_server_config config = {
            .threads = 2,
            .tls_cert_file = pki->server_cert_file,
            .tls_key_file = pki->server_key_file,
            .client_ca_file = ask_client_certs ? pki->ca_file : NULL,
            .head_timeout_ms = head_timeout_ms,
        };
        return server_fixture_start(&config);
}

static void expect_line(const struct server_reply *reply, const char *line)
{
        if (!server_reply_has_line(reply, line))
                check_fail(__FILE__, __LINE__, "no line \"%s\" in:\n%s", line, reply->body_text);
}

/* request_client_line connects with the given client certificate and returns the echoed "client=" line. */
static void expect_client(struct http_server *server, const char *cert_file, const char *key_file, const char *line)
{
        const struct server_pki *pki = server_pki_get();
        struct server_client *client =
            server_client_connect_tls(http_server_port(server), pki->ca_file, cert_file, key_file, 0);
        CHECK(client != NULL);
        struct server_reply *reply = server_client_request(client, "GET", GET_ROOT);
        CHECK(reply != NULL && reply->status == 200);
        expect_line(reply, "tls=1");
        expect_line(reply, line);
        free(reply);
        server_client_free(client);
}

static void test_tls_12_and_13_serve_keep_alive(void)
{
        const struct server_pki *pki = server_pki_get();
        struct http_server *server = start_tls(false, 0);
        int versions[] = {TLS1_2_VERSION, TLS1_3_VERSION};
        for (size_t v = 0; v < 2; v++) {
                struct server_client *client =
                    server_client_connect_tls(http_server_port(server), pki->ca_file, NULL, NULL, versions[v]);
                CHECK(client != NULL);
                CHECK_EQ(SSL_version(client->ssl), versions[v]);
                for (int i = 0; i < 3; i++) {
                        struct server_reply *reply = server_client_request(
                            client, "POST", "POST /t HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\nok");
                        CHECK(reply != NULL && reply->status == 200);
                        expect_line(reply, "tls=1");
                        expect_line(reply, "body=ok");
                        expect_line(reply, "client=-");
                        free(reply);
                }
                server_client_free(client);
        }
        http_server_stop(server);
}

static void test_tls_server_never_asks_without_client_ca(void)
{
        const struct server_pki *pki = server_pki_get();
        struct http_server *server = start_tls(false, 0);
        /* a client offering a certificate nobody asked for is served without one */
        expect_client(server, pki->client_cert_file, pki->client_key_file, "client=-");
        http_server_stop(server);
}

static void test_client_certificate_from_the_client_ca_is_verified(void)
{
        const struct server_pki *pki = server_pki_get();
        struct http_server *server = start_tls(true, 0);
        expect_client(server, pki->client_cert_file, pki->client_key_file, "client=O=smtrust tests, CN=admin");
        expect_client(server, NULL, NULL, "client=-");
        /* from the right CA but for servers only (extendedKeyUsage serverAuth): not a client certificate */
        expect_client(server, pki->server_cert_file, pki->server_key_file, "client=-");
        http_server_stop(server);
}

static void test_client_certificate_from_another_ca_is_served_without_client_cert(void)
{
        const struct server_pki *pki = server_pki_get();
        struct http_server *server = start_tls(true, 0);
        expect_client(server, pki->other_client_cert_file, pki->other_client_key_file, "client=-");
        /* the same connection setup with the right certificate still verifies (nothing cached wrongly) */
        expect_client(server, pki->client_cert_file, pki->client_key_file, "client=O=smtrust tests, CN=admin");
        http_server_stop(server);
}

static void test_key_file_must_be_private(void)
{
        const struct server_pki *pki = server_pki_get();
        char loose[600];
        snprintf(loose, sizeof loose, "%s.loose", pki->server_key_file);
        FILE *in = fopen(pki->server_key_file, "rb"), *out = fopen(loose, "wb");
        CHECK(in != NULL && out != NULL);
        char buf[8192];
        size_t n = fread(buf, 1, sizeof buf, in);
        CHECK_EQ(fwrite(buf, 1, n, out), n);
        fclose(in);
        fclose(out);
        CHECK_EQ(chmod(loose, 0644), 0);
        struct http_server *server = NULL;
        struct err err = {0};
        struct http_server_config config = {
            .listen = "127.0.0.1:0", .tls_cert_file = pki->server_cert_file, .tls_key_file = loose};
        CHECK_STATUS(http_server_start(&server, &config, server_fixture_echo, NULL, &err), SMT_EPERM);
        CHECK(server == NULL);
        /* a key that does not match the certificate */
        config.tls_key_file = pki->client_key_file;
        CHECK_STATUS(http_server_start(&server, &config, server_fixture_echo, NULL, &err), CRYPTO_EOPENSSL);
}

static void test_client_that_never_handshakes_is_dropped_after_head_timeout(void)
{
        const struct server_pki *pki = server_pki_get();
        struct http_server *server = start_tls(false, 300);
        struct server_client *silent = server_client_connect(http_server_port(server));
        int64_t start = server_now_ms();
        CHECK(server_client_wait_closed(silent, 3000));
        int64_t took = server_now_ms() - start;
        CHECK(took >= 250 && took < 2000);
        server_client_free(silent);
        struct server_client *client = server_client_connect_tls(http_server_port(server), pki->ca_file, NULL, NULL, 0);
        CHECK(client != NULL);
        struct server_reply *reply = server_client_request(client, "GET", GET_ROOT);
        CHECK(reply != NULL && reply->status == 200);
        free(reply);
        server_client_free(client);
        http_server_stop(server);
}

static void test_stop_with_an_idle_tls_client(void)
{
        const struct server_pki *pki = server_pki_get();
        struct http_server *server = start_tls(true, 0);
        struct server_client *client = server_client_connect_tls(http_server_port(server), pki->ca_file,
                                                                 pki->client_cert_file, pki->client_key_file, 0);
        CHECK(client != NULL);
        struct server_reply *reply = server_client_request(client, "GET", GET_ROOT);
        CHECK(reply != NULL && reply->status == 200);
        free(reply);
        int64_t start = server_now_ms();
        http_server_stop(server);
        CHECK(server_now_ms() - start < 1000);
        CHECK(server_client_wait_closed(client, 1000));
        server_client_free(client);
}

static void test_malformed_request_over_tls_gets_400(void)
{
        const struct server_pki *pki = server_pki_get();
        struct http_server *server = start_tls(false, 0);
        struct server_client *client = server_client_connect_tls(http_server_port(server), pki->ca_file, NULL, NULL, 0);
        CHECK(client != NULL);
        struct server_reply *reply = server_client_request(
            client, "POST",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n0\r\n\r\n");
        CHECK(reply != NULL);
        CHECK_EQ(reply->status, 400);
        CHECK_STR(server_reply_field(reply, "Connection"), "close");
        CHECK(server_client_wait_closed(client, 2000));
        free(reply);
        server_client_free(client);
        http_server_stop(server);
}

CHECK_MAIN(CHECK_TEST(test_tls_12_and_13_serve_keep_alive), CHECK_TEST(test_tls_server_never_asks_without_client_ca),
           CHECK_TEST(test_client_certificate_from_the_client_ca_is_verified),
           CHECK_TEST(test_client_certificate_from_another_ca_is_served_without_client_cert),
           CHECK_TEST(test_key_file_must_be_private),
           CHECK_TEST(test_client_that_never_handshakes_is_dropped_after_head_timeout),
           CHECK_TEST(test_stop_with_an_idle_tls_client), CHECK_TEST(test_malformed_request_over_tls_gets_400))
