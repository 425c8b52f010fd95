/* tests/unit/ca/test_authority_tlcp.c: an SM2 signing + encryption pair issued by ca_issue from an
 * ssl-sm2-dv CA carries a TLCP handshake (GB/T 38636) end to end in memory: the client verifies the server's
 * pair up to the SM2 root and the name, under an ECC suite and under an ECDHE suite, where the server also
 * verifies the client's pair (issued the same way) and both encryption keys do the SM2 key exchange. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/authority.h"
#include "ca/config.h"
#include "ca/config_internal.h"
#include "check.h"
#include "tlcp/conn.h"
#include "tlcp/protocol.h"

static const char test_yaml[] = "organization: Test Trust\n"
                                "state_dir: state\n"
                                "listen: 127.0.0.1:14000\n"
                                "base_url: https://127.0.0.1:14000\n"
                                "issuing_cas:\n"
                                "  - {name: sm2-dv, kind: ssl-sm2-dv, common_name: Test SM2 DV}\n";

/* One side's pair, issued by the CA. */
struct pair {
        struct key *sign_key, *enc_key;
        struct cert *sign_cert, *enc_cert;
        struct tlcp_credentials credentials;
};

static struct ca_config config;
static struct ca_authorities *authorities;
static struct cert_store *trust;

static void fixture(void)
{
        static bool is_ready;
        static struct config_errors errors;
        struct ca_init_report report;
        struct err err = {0};
        if (is_ready)
                return;
        CHECK_OK(ca_config_load_string(&config, "ca.yaml", test_yaml, strlen(test_yaml), check_temp_dir(), &errors),
                 &err);
        CHECK_OK(ca_init(&config, &report, &err), &err);
        CHECK_OK(ca_authorities_load(&authorities, &config, &err), &err);
        CHECK_OK(cert_store_new(&trust, &err), &err);
        CHECK_OK(cert_store_add(trust, cert_chain_get(ca_authorities_roots(authorities), 0), &err), &err);
        is_ready = true;
}

static void pair_issue(struct pair *pair, const char *name)
{
        struct err err = {0};
        const struct ca_authority *ca = ca_authorities_find(authorities, "sm2-dv");
        const char *names[] = {name};
        struct ca_issue_request request = {.dns_names = names, .num_dns_names = 1};
        CHECK_OK(key_generate(&pair->sign_key, KEY_ALG_SM2, &err), &err);
        CHECK_OK(key_generate(&pair->enc_key, KEY_ALG_SM2, &err), &err);
        request.subject_key = pair->sign_key;
        CHECK_OK(ca_issue(ca, &config, &request, &pair->sign_cert, &err), &err);
        request.subject_key = pair->enc_key;
        request.sm2_encryption = true;
        CHECK_OK(ca_issue(ca, &config, &request, &pair->enc_cert, &err), &err);
        pair->credentials = (struct tlcp_credentials){.sign_cert = pair->sign_cert,
                                                      .enc_cert = pair->enc_cert,
                                                      .chain = ca_authority_chain(ca),
                                                      .sign_key = pair->sign_key,
                                                      .enc_key = pair->enc_key};
}

static void pair_free(struct pair *pair)
{
        cert_free(pair->sign_cert);
        cert_free(pair->enc_cert);
        key_free(pair->sign_key);
        key_free(pair->enc_key);
}

/* Moves what from has to send into to, as far as to takes it now. */
static void move(struct tlcp_conn *from, struct tlcp_conn *to)
{
        const uint8_t *data;
        size_t len = tlcp_conn_peek_output(from, &data), used = 0;
        struct err err = {0};
        if (len == 0)
                return;
        CHECK_OK(tlcp_conn_put_input(to, data, len, &used, &err), &err);
        tlcp_conn_consume_output(from, used);
}

static int step(struct tlcp_conn *conn, int status, struct err *err)
{
        if (status == 0)
                return 0;
        status = tlcp_conn_handshake(conn, err);
        if (status < 0 && status != SMT_EAGAIN)
                check_fail(__FILE__, __LINE__, "handshake: %s (%s)", err_name(status), err->msg);
        return status;
}

/* Runs a handshake of suite to its end, then sends one message from the client to the server. */
static void handshake(uint16_t suite, const struct pair *server_pair, const struct pair *client_pair)
{
        struct tlcp_config client_config, server_config;
        struct tlcp_conn *client = NULL, *server = NULL;
        struct err err = {0};
        tlcp_config_init(&client_config, TLCP_ROLE_CLIENT);
        tlcp_config_init(&server_config, TLCP_ROLE_SERVER);
        client_config.suites = server_config.suites = &suite;
        client_config.num_suites = server_config.num_suites = 1;
        client_config.trust = server_config.trust = trust;
        client_config.server_name = "tlcp.example.com";
        client_config.client_credentials = client_pair != NULL ? &client_pair->credentials : NULL;
        server_config.credentials = &server_pair->credentials;
        server_config.client_auth = client_pair != NULL ? TLCP_CLIENT_AUTH_REQUIRED : TLCP_CLIENT_AUTH_NONE;
        CHECK_OK(tlcp_conn_new(&client, &client_config, &err), &err);
        CHECK_OK(tlcp_conn_new(&server, &server_config, &err), &err);
        int client_status = SMT_EAGAIN, server_status = SMT_EAGAIN;
        for (int round = 0; round < 200 && (client_status != 0 || server_status != 0); round++) {
                client_status = step(client, client_status, &err);
                move(client, server);
                server_status = step(server, server_status, &err);
                move(server, client);
        }
        CHECK(client_status == 0 && server_status == 0);
        CHECK_EQ(tlcp_conn_get_suite(client) != NULL, 1);
        CHECK(tlcp_conn_get_peer_enc_cert(client) != NULL);
        if (client_pair != NULL)
                CHECK(tlcp_conn_get_peer_sign_cert(server) != NULL);
        uint8_t got[16];
        size_t len = 0;
        CHECK_OK(tlcp_conn_write(client, (const uint8_t *)"hello", 5, &err), &err);
        move(client, server);
        CHECK_OK(tlcp_conn_read(server, got, sizeof got, &len, &err), &err);
        CHECK(len == 5 && memcmp(got, "hello", 5) == 0);
        tlcp_conn_free(client);
        tlcp_conn_free(server);
}

static void test_ecc_suite(void)
{
        fixture();
        struct pair server = {0};
        pair_issue(&server, "tlcp.example.com");
        handshake(TLCP_ECC_SM4_CBC_SM3, &server, NULL);
        handshake(TLCP_ECC_SM4_GCM_SM3, &server, NULL);
        pair_free(&server);
}

static void test_ecdhe_suite_with_client_pair(void)
{
        fixture();
        struct pair server = {0}, client = {0};
        pair_issue(&server, "tlcp.example.com");
        pair_issue(&client, "client.example.com");
        handshake(TLCP_ECDHE_SM4_GCM_SM3, &server, &client);
        handshake(TLCP_ECDHE_SM4_CBC_SM3, &server, &client);
        pair_free(&server);
        pair_free(&client);
}

static void test_cleanup(void)
{
        fixture();
        cert_store_free(trust);
        ca_authorities_free(authorities);
        ca_config_free(&config);
}

CHECK_MAIN(CHECK_TEST(test_ecc_suite), CHECK_TEST(test_ecdhe_suite_with_client_pair), CHECK_TEST(test_cleanup))
