/* tests/unit/net/test_secure_stream.c: both back ends through the one interface, each chosen by
 * net_secure_stream_new_for_client_hello from the client's real first flight: TLCP against smtrust's own
 * TLCP client (the shared SM2 test PKI of vectors/tlcp/pki/sm2), TLS against OpenSSL's client (a P-256 CA
 * and leaf from cert_issue). Each side checks the other: the clients verify the server certificates. */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "base/file.h"
#include "check.h"
#include "shared_pki.h"
#include "net/secure_stream.h"
#include "tlcp/session_cache.h"

#define TEST_DATA_LEN (100 * 1024)

/* test_move hands every byte from's side has waiting to the stream, as far as it takes them. */
static void test_move_to_stream(struct tlcp_conn *from, struct net_secure_stream *to)
{
        struct err err = {0};
        const uint8_t *data = NULL;
        size_t n = tlcp_conn_peek_output(from, &data), consumed = 0;
        if (n == 0)
                return;
        int status = net_secure_stream_put_input(to, data, n, &consumed, &err);
        CHECK(status == 0 || status == SMT_EAGAIN);
        tlcp_conn_consume_output(from, consumed);
}

static void test_move_to_client(struct net_secure_stream *from, struct tlcp_conn *to)
{
        struct err err = {0};
        const uint8_t *data = NULL;
        size_t n = net_secure_stream_peek_output(from, &data), consumed = 0;
        if (n == 0)
                return;
        int status = tlcp_conn_put_input(to, data, n, &consumed, &err);
        CHECK(status == 0 || status == SMT_EAGAIN);
        net_secure_stream_consume_output(from, consumed);
}

struct test_tlcp_pki {
        struct cert_chain *sign, *enc;
        struct key *sign_key, *enc_key;
        struct cert_store *trust;
        struct tlcp_credentials cred;
};

static void test_tlcp_pki_load(struct test_tlcp_pki *p)
{
        struct err err = {0};
        CHECK_OK(cert_chain_load_pem(&p->sign, shared_pki_path("server_sign.crt"), &err), &err);
        CHECK_OK(cert_chain_load_pem(&p->enc, shared_pki_path("server_enc.crt"), &err), &err);
        CHECK_OK(cert_store_load(&p->trust, shared_pki_path("ca.crt"), &err), &err);
        p->sign_key = shared_pki_key("server_sign.key");
        p->enc_key = shared_pki_key("server_enc.key");
        p->cred = (struct tlcp_credentials){.sign_cert = cert_chain_get(p->sign, 0),
                                            .enc_cert = cert_chain_get(p->enc, 0),
                                            .sign_key = p->sign_key,
                                            .enc_key = p->enc_key};
}

static void test_tlcp_pki_free(struct test_tlcp_pki *p)
{
        cert_chain_free(p->sign);
        cert_chain_free(p->enc);
        key_free(p->sign_key);
        key_free(p->enc_key);
        cert_store_free(p->trust);
}

/* test_tlcp_handshake: the client speaks first; the stream is made from its first bytes. */
static struct net_secure_stream *test_tlcp_handshake(struct tlcp_conn *client, const struct tlcp_config *server)
{
        struct err err = {0};
        struct net_secure_stream *s = NULL;
        const struct net_tls_config tls = {0};
        CHECK_STATUS(tlcp_conn_handshake(client, &err), SMT_EAGAIN);
        const uint8_t *first = NULL;
        size_t n = tlcp_conn_peek_output(client, &first);
        CHECK_STATUS(net_secure_stream_new_for_client_hello(&s, first, 2, server, &tls, &err), SMT_EAGAIN);
        CHECK_OK(net_secure_stream_new_for_client_hello(&s, first, n, server, &tls, &err), &err);
        CHECK_EQ(net_secure_stream_get_kind(s), NET_SECURE_STREAM_TLCP);
        int cs = SMT_EAGAIN, ss = SMT_EAGAIN;
        for (int round = 0; round < 50 && (cs != 0 || ss != 0); round++) {
                test_move_to_stream(client, s);
                if (ss != 0)
                        ss = net_secure_stream_handshake(s, &err);
                CHECK(ss == 0 || ss == SMT_EAGAIN);
                test_move_to_client(s, client);
                if (cs != 0)
                        cs = tlcp_conn_handshake(client, &err);
                CHECK(cs == 0 || cs == SMT_EAGAIN);
        }
        CHECK_EQ(cs, 0);
        CHECK_EQ(ss, 0);
        return s;
}

static void test_tlcp_back_end(void)
{
        struct test_tlcp_pki pki = {0};
        test_tlcp_pki_load(&pki);
        struct tlcp_config server, client_config;
        tlcp_config_init(&server, TLCP_ROLE_SERVER);
        server.credentials = &pki.cred;
        tlcp_config_init(&client_config, TLCP_ROLE_CLIENT);
        client_config.trust = pki.trust;
        client_config.server_name = "localhost";
        struct tlcp_conn *client = NULL;
        struct err err = {0};
        CHECK_OK(tlcp_conn_new(&client, &client_config, &err), &err);
        struct net_secure_stream *s = test_tlcp_handshake(client, &server);
        CHECK_STR(net_secure_stream_get_protocol(s), "TLCP");
        CHECK_STR(net_secure_stream_get_cipher(s), tlcp_conn_get_suite(client)->name);
        CHECK_STR(net_secure_stream_get_server_name(s), "localhost");
        CHECK_STR(net_secure_stream_get_certificate_alg(s), "SM2");
        CHECK(!net_secure_stream_is_resumed(s));

        uint8_t *sent = malloc(TEST_DATA_LEN), *recv = malloc(TEST_DATA_LEN);
        for (size_t i = 0; i < TEST_DATA_LEN; i++)
                sent[i] = (uint8_t)(i * 13 + 1);
        CHECK_OK(tlcp_conn_write(client, sent, TEST_DATA_LEN, &err), &err);
        size_t got = 0, len = 0;
        for (int round = 0; round < 1000 && got < TEST_DATA_LEN; round++) {
                test_move_to_stream(client, s);
                int status = net_secure_stream_read(s, recv + got, TEST_DATA_LEN - got, &len, &err);
                CHECK(status == 0 || status == SMT_EAGAIN);
                got += status == 0 ? len : 0;
        }
        CHECK_EQ(got, TEST_DATA_LEN);
        CHECK_MEM(sent, recv, TEST_DATA_LEN);
        CHECK_OK(net_secure_stream_write(s, sent, TEST_DATA_LEN, &err), &err);
        CHECK_OK(net_secure_stream_close(s, &err), &err);
        memset(recv, 0, TEST_DATA_LEN);
        int status = 0;
        for (got = 0; status != TLCP_ECLOSED;) {
                test_move_to_client(s, client);
                status = tlcp_conn_read(client, recv + got, TEST_DATA_LEN - got, &len, &err);
                CHECK(status == 0 || status == SMT_EAGAIN || status == TLCP_ECLOSED);
                got += status == 0 ? len : 0;
        }
        CHECK_EQ(got, TEST_DATA_LEN);
        CHECK_MEM(sent, recv, TEST_DATA_LEN);
        free(sent);
        free(recv);
        net_secure_stream_free(s);
        tlcp_conn_free(client);
        test_tlcp_pki_free(&pki);
}

/* A second TLCP client offering the first one's session resumes it from the server's cache. */
static void test_tlcp_resumed(void)
{
        struct test_tlcp_pki pki = {0};
        test_tlcp_pki_load(&pki);
        struct err err = {0};
        struct tlcp_session_cache *cache = NULL;
        CHECK_OK(tlcp_session_cache_new(&cache, 16, 3600, &err), &err);
        struct tlcp_config server, client_config;
        tlcp_config_init(&server, TLCP_ROLE_SERVER);
        server.credentials = &pki.cred;
        server.session_cache = cache;
        tlcp_config_init(&client_config, TLCP_ROLE_CLIENT);
        client_config.trust = pki.trust;
        client_config.server_name = "localhost";
        struct tlcp_conn *first = NULL, *second = NULL;
        CHECK_OK(tlcp_conn_new(&first, &client_config, &err), &err);
        struct net_secure_stream *s = test_tlcp_handshake(first, &server);
        CHECK(!net_secure_stream_is_resumed(s));
        net_secure_stream_free(s);
        struct tlcp_config resume_config = client_config;
        resume_config.resume = tlcp_conn_get_session(first);
        CHECK_OK(tlcp_conn_new(&second, &resume_config, &err), &err);
        s = test_tlcp_handshake(second, &server);
        CHECK(tlcp_conn_is_resumed(second));
        CHECK(net_secure_stream_is_resumed(s));
        CHECK_STR(net_secure_stream_get_certificate_alg(s), "SM2");
        net_secure_stream_free(s);
        tlcp_conn_free(first);
        tlcp_conn_free(second);
        tlcp_session_cache_free(cache);
        test_tlcp_pki_free(&pki);
}

struct test_tls_pki {
        struct key *ca_key, *leaf_key;
        struct cert *ca, *leaf;
        struct net_tls_credentials cred;
};

static void test_tls_pki_make(struct test_tls_pki *p)
{
        struct err err = {0};
        const char *names[] = {"localhost"};
        CHECK_OK(key_generate(&p->ca_key, KEY_ALG_EC_P256, &err), &err);
        CHECK_OK(key_generate(&p->leaf_key, KEY_ALG_EC_P256, &err), &err);
        struct cert_issue_params ca = {
            .subject_key = p->ca_key, .common_name = "smtrust test CA", .not_after = time(NULL) + 86400, .is_ca = true};
        CHECK_OK(cert_issue(&p->ca, &ca, &err), &err);
        struct cert_issue_params leaf = {.subject_key = p->leaf_key,
                                         .issuer_key = p->ca_key,
                                         .issuer_cert = p->ca,
                                         .common_name = "localhost",
                                         .dns_names = names,
                                         .num_dns_names = 1,
                                         .not_after = time(NULL) + 86400,
                                         .key_usage = CERT_KEY_USAGE_DIGITAL_SIGNATURE};
        CHECK_OK(cert_issue(&p->leaf, &leaf, &err), &err);
        p->cred = (struct net_tls_credentials){.ecc_cert = p->leaf, .ecc_key = p->leaf_key};
}

static void test_tls_pki_free(struct test_tls_pki *p)
{
        cert_free(p->ca);
        cert_free(p->leaf);
        key_free(p->ca_key);
        key_free(p->leaf_key);
}

/* test_tls_move moves every byte both ways between OpenSSL's client (memory BIOs) and the stream. */
static void test_tls_move(BIO *client_in, BIO *client_out, struct net_secure_stream *s)
{
        struct err err = {0};
        const uint8_t *data = NULL;
        size_t n = net_secure_stream_peek_output(s, &data), consumed = 0;
        if (n > 0) {
                CHECK_EQ(BIO_write(client_in, data, (int)n), n);
                net_secure_stream_consume_output(s, n);
        }
        char *p = NULL;
        long m = BIO_get_mem_data(client_out, &p);
        if (m > 0) {
                CHECK_OK(net_secure_stream_put_input(s, (const uint8_t *)p, (size_t)m, &consumed, &err), &err);
                CHECK_EQ(consumed, m);
                CHECK(BIO_reset(client_out) == 1);
        }
}

static SSL *test_tls_client(SSL_CTX *ctx, const struct test_tls_pki *pki, BIO **in, BIO **out)
{
        CHECK(SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) == 1);
        CHECK(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), cert_x509(pki->ca)) == 1);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        SSL *ssl = SSL_new(ctx);
        *in = BIO_new(BIO_s_mem());
        *out = BIO_new(BIO_s_mem());
        BIO_set_mem_eof_return(*in, -1);
        SSL_set_bio(ssl, *in, *out);
        SSL_set_connect_state(ssl);
        CHECK(SSL_set_tlsext_host_name(ssl, "localhost") == 1);
        CHECK(SSL_set1_host(ssl, "localhost") == 1);
        return ssl;
}

/* test_tls_stream runs one TLS 1.3 connection through a stream made from the client's first bytes, offering
 * session (may be NULL), and returns the client's session after the exchange (its ticket read). */
static SSL_SESSION *test_tls_stream(const struct test_tls_pki *pki, const struct net_tls_config *tls,
                                    SSL_SESSION *session, bool want_resumed)
{
        struct tlcp_config tlcp;
        tlcp_config_init(&tlcp, TLCP_ROLE_SERVER);
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        BIO *in = NULL, *out = NULL;
        SSL *ssl = test_tls_client(ctx, pki, &in, &out);
        struct err err = {0};
        struct net_secure_stream *s = NULL;
        if (session != NULL)
                CHECK(SSL_set_session(ssl, session) == 1);
        CHECK(SSL_do_handshake(ssl) != 1);
        char *first = NULL;
        long n = BIO_get_mem_data(out, &first);
        CHECK_OK(net_secure_stream_new_for_client_hello(&s, (const uint8_t *)first, (size_t)n, &tlcp, tls, &err), &err);
        CHECK_EQ(net_secure_stream_get_kind(s), NET_SECURE_STREAM_TLS);
        CHECK_STR(net_secure_stream_get_certificate_alg(s), "");
        int ss = SMT_EAGAIN, cs = 0;
        for (int round = 0; round < 20 && (ss != 0 || cs != 1); round++) {
                test_tls_move(in, out, s);
                if (ss != 0)
                        ss = net_secure_stream_handshake(s, &err);
                CHECK(ss == 0 || ss == SMT_EAGAIN);
                test_tls_move(in, out, s);
                cs = SSL_do_handshake(ssl);
        }
        CHECK_EQ(cs, 1);
        CHECK_STR(net_secure_stream_get_protocol(s), "TLSv1.3");
        CHECK_STR(net_secure_stream_get_cipher(s), SSL_get_cipher_name(ssl));
        CHECK_STR(net_secure_stream_get_server_name(s), "localhost");
        CHECK_STR(net_secure_stream_get_certificate_alg(s), "ECDSA");
        CHECK_EQ(net_secure_stream_is_resumed(s), want_resumed);
        CHECK_EQ(SSL_session_reused(ssl), want_resumed);

        uint8_t buf[64];
        size_t len = 0;
        CHECK_OK(net_secure_stream_write(s, (const uint8_t *)"hello client", 12, &err), &err);
        test_tls_move(in, out, s);
        CHECK(SSL_read_ex(ssl, buf, sizeof buf, &len) == 1);
        CHECK_EQ(len, 12);
        CHECK_MEM(buf, "hello client", 12);
        CHECK(SSL_write_ex(ssl, "hello server", 12, &len) == 1);
        test_tls_move(in, out, s);
        CHECK_OK(net_secure_stream_read(s, buf, sizeof buf, &len, &err), &err);
        CHECK_EQ(len, 12);
        CHECK_MEM(buf, "hello server", 12);
        SSL_SESSION *newest = SSL_get1_session(ssl);
        CHECK(SSL_shutdown(ssl) == 0);
        test_tls_move(in, out, s);
        CHECK_STATUS(net_secure_stream_read(s, buf, sizeof buf, &len, &err), TLCP_ECLOSED);
        ERR_clear_error();
        net_secure_stream_free(s);
        SSL_free(ssl);
        SSL_CTX_free(ctx);
        return newest;
}

static void test_tls_back_end(void)
{
        struct test_tls_pki pki = {0};
        test_tls_pki_make(&pki);
        struct net_tls_config tls = {.credentials = &pki.cred};
        SSL_SESSION_free(test_tls_stream(&pki, &tls, NULL, false));
        test_tls_pki_free(&pki);
}

/* On a prepared config the second connection resumes the first one's ticket. */
static void test_tls_resumed(void)
{
        struct test_tls_pki pki = {0};
        struct err err = {0};
        test_tls_pki_make(&pki);
        struct net_tls_config tls = {.credentials = &pki.cred};
        CHECK_OK(net_tls_credentials_prepare(&pki.cred, &err), &err);
        CHECK_OK(net_tls_config_prepare(&tls, &err), &err);
        SSL_SESSION *first = test_tls_stream(&pki, &tls, NULL, false);
        SSL_SESSION_free(test_tls_stream(&pki, &tls, first, true));
        SSL_SESSION_free(first);
        net_tls_config_release(&tls);
        net_tls_credentials_release(&pki.cred);
        test_tls_pki_free(&pki);
}

/* What the shared port does not serve is refused before any back end exists. */
static void test_refused_first_bytes(void)
{
        struct err err = {0};
        struct net_secure_stream *s = NULL;
        struct tlcp_config tlcp;
        tlcp_config_init(&tlcp, TLCP_ROLE_SERVER);
        const struct net_tls_config tls = {0};
        static const uint8_t http[] = "GET / HTTP/1.1\r\n";
        static const uint8_t tls_hello[] = {0x16, 0x03, 0x01, 0x00, 0x10};
        static const uint8_t tlcp_hello[] = {0x16, 0x01, 0x01, 0x00, 0x10};
        CHECK_STATUS(net_secure_stream_new_for_client_hello(&s, http, sizeof http - 1, &tlcp, &tls, &err), SMT_EDECODE);
        CHECK_STATUS(net_secure_stream_new_for_client_hello(&s, tls_hello, 5, &tlcp, NULL, &err), SMT_EDECODE);
        CHECK_STATUS(net_secure_stream_new_for_client_hello(&s, tlcp_hello, 5, NULL, &tls, &err), SMT_EDECODE);
        CHECK_STATUS(net_secure_stream_new_for_client_hello(&s, tlcp_hello, 1, &tlcp, &tls, &err), SMT_EAGAIN);
        CHECK(s == NULL);
}

CHECK_MAIN(CHECK_TEST(test_tlcp_back_end), CHECK_TEST(test_tlcp_resumed), CHECK_TEST(test_tls_back_end),
           CHECK_TEST(test_tls_resumed), CHECK_TEST(test_refused_first_bytes))
