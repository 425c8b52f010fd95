/* tests/unit/net/test_hello_sni.c: the server name of real ClientHellos (OpenSSL's TLS 1.3 and 1.2
 * clients, made in memory here) for pass-through routing; prefixes ask for more; other bytes are refused. */
#include <openssl/ssl.h>
#include <string.h>

#include "check.h"
#include "net/hello_sni.h"
#include "tlcp/conn.h"

/* client_hello writes an OpenSSL client's first flight (its ClientHello record) into out. */
static size_t client_hello(uint8_t *out, size_t cap, const char *server_name, int max_version)
{
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        CHECK(ctx != NULL);
        CHECK(SSL_CTX_set_max_proto_version(ctx, max_version) == 1);
        SSL *ssl = SSL_new(ctx);
        BIO *in = BIO_new(BIO_s_mem()), *wire = BIO_new(BIO_s_mem());
        SSL_set_bio(ssl, in, wire);
        if (server_name != NULL)
                CHECK(SSL_set_tlsext_host_name(ssl, server_name) == 1);
        CHECK(SSL_connect(ssl) <= 0); /* waits for the server: the ClientHello is out */
        int n = BIO_read(wire, out, (int)cap);
        CHECK(n > 0);
        SSL_free(ssl);
        SSL_CTX_free(ctx);
        return (size_t)n;
}

static void test_names_of_real_client_hellos(void)
{
        uint8_t hello[16384];
        char name[NET_HELLO_SNI_MAX + 1];
        size_t need = 0;
        struct err err = {0};
        int versions[] = { TLS1_3_VERSION, TLS1_2_VERSION };
        for (size_t i = 0; i < 2; i++) {
                size_t len = client_hello(hello, sizeof hello, "shop.example.com", versions[i]);
                CHECK_OK(net_hello_sni(hello, len, name, &need, &err), &err);
                CHECK_STR(name, "shop.example.com");
                CHECK_EQ(need, len);
                /* Every prefix asks for more, naming how much the record needs once its header is in. */
                for (size_t cut = 0; cut < len; cut++) {
                        CHECK_STATUS(net_hello_sni(hello, cut, name, &need, &err), SMT_EAGAIN);
                        CHECK_EQ(need, cut < 5 ? (size_t)5 : len);
                }
        }
        size_t len = client_hello(hello, sizeof hello, NULL, TLS1_3_VERSION);
        CHECK_OK(net_hello_sni(hello, len, name, &need, &err), &err);
        CHECK_STR(name, "");
}

/* Our TLCP client's ClientHello (record version 1.1) names its server the same way. */
static void test_name_of_a_tlcp_client_hello(void)
{
        struct tlcp_config config;
        struct tlcp_conn *conn = NULL;
        struct err err = {0};
        tlcp_config_init(&config, TLCP_ROLE_CLIENT);
        config.verify_peer = false;
        config.server_name = "tlcp.example.cn";
        CHECK_OK(tlcp_conn_new(&conn, &config, &err), &err);
        CHECK_STATUS(tlcp_conn_handshake(conn, &err), SMT_EAGAIN);
        const uint8_t *hello;
        size_t len = tlcp_conn_peek_output(conn, &hello);
        CHECK(len > 5 && hello[1] == 1 && hello[2] == 1);
        char name[NET_HELLO_SNI_MAX + 1];
        size_t need;
        CHECK_OK(net_hello_sni(hello, len, name, &need, &err), &err);
        CHECK_STR(name, "tlcp.example.cn");
        tlcp_conn_free(conn);
}

static void test_other_bytes_are_refused(void)
{
        char name[NET_HELLO_SNI_MAX + 1];
        size_t need;
        struct err err = {0};
        static const uint8_t http[] = "GET / HTTP/1.1\r\n";
        CHECK_STATUS(net_hello_sni(http, sizeof http - 1, name, &need, &err), SMT_EDECODE);
        static const uint8_t alert[] = { 21, 3, 3, 0, 2, 2, 40 };
        CHECK_STATUS(net_hello_sni(alert, sizeof alert, name, &need, &err), SMT_EDECODE);
        /* A handshake record whose message is longer than the record (a ClientHello split in two). */
        static const uint8_t split[] = { 22, 3, 1, 0, 4, 1, 0, 1, 0 };
        CHECK_STATUS(net_hello_sni(split, sizeof split, name, &need, &err), SMT_EDECODE);
}

CHECK_MAIN(CHECK_TEST(test_names_of_real_client_hellos), CHECK_TEST(test_name_of_a_tlcp_client_hello),
           CHECK_TEST(test_other_bytes_are_refused))
