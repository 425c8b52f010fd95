/* tests/unit/net/tls_fixture.c: see tls_fixture.h. */
#include "tls_fixture.h"

#include <stdlib.h>

#include <openssl/err.h>

#include "check.h"

struct cert *tls_fixture_issue(const struct key *subject, const struct key *issuer_key, const struct cert *issuer,
                               const char *name, const char *ip, bool is_ca, time_t not_before, time_t not_after)
{
        struct err err = {0};
        struct cert *out = NULL;
        const char *names[] = {name};
        const char *ips[] = {ip};
        struct cert_issue_params p = {.subject_key = subject,
                                      .issuer_key = issuer_key,
                                      .issuer_cert = issuer,
                                      .common_name = name,
                                      .dns_names = is_ca ? NULL : names,
                                      .num_dns_names = is_ca ? 0 : 1,
                                      .ip_addresses = ip != NULL ? ips : NULL,
                                      .num_ip_addresses = ip != NULL ? 1 : 0,
                                      .not_before = not_before,
                                      .not_after = not_after != 0 ? not_after : time(NULL) + 86400,
                                      .is_ca = is_ca,
                                      .key_usage = CERT_KEY_USAGE_DIGITAL_SIGNATURE,
                                      .extended_usage = is_ca ? 0 : CERT_EXTENDED_USAGE_SERVER_AUTH};
        CHECK_OK(cert_issue(&out, &p, &err), &err);
        return out;
}

/* The process's keys, in the order of tls_fixture_key_names. */
enum { TLS_FIXTURE_KEYS = 6 };
static struct key *tls_fixture_keys[TLS_FIXTURE_KEYS];

static void tls_fixture_keys_free(void)
{
        for (size_t i = 0; i < TLS_FIXTURE_KEYS; i++)
                key_free(tls_fixture_keys[i]);
}

static struct key *tls_fixture_key(size_t index, enum key_alg alg)
{
        struct err err = {0};
        if (tls_fixture_keys[index] == NULL) {
                if (index == 0)
                        atexit(tls_fixture_keys_free);
                CHECK_OK(key_generate(&tls_fixture_keys[index], alg, &err), &err);
        }
        return tls_fixture_keys[index];
}

void tls_fixture_pki_make(struct tls_fixture_pki *pki)
{
        struct err err = {0};
        struct cert *copy = NULL;
        memset(pki, 0, sizeof(*pki));
        pki->ca_key = tls_fixture_key(0, KEY_ALG_EC_P256);
        pki->rsa_ca_key = tls_fixture_key(1, KEY_ALG_RSA_2048);
        pki->inter_key = tls_fixture_key(2, KEY_ALG_EC_P256);
        pki->a_key = tls_fixture_key(3, KEY_ALG_EC_P256);
        pki->b_key = tls_fixture_key(4, KEY_ALG_EC_P256);
        pki->rsa_key = tls_fixture_key(5, KEY_ALG_RSA_2048);
        pki->ca = tls_fixture_issue(pki->ca_key, NULL, NULL, "smtrust test CA", NULL, true, 0, 0);
        pki->rsa_ca = tls_fixture_issue(pki->rsa_ca_key, NULL, NULL, "smtrust test RSA CA", NULL, true, 0, 0);
        pki->inter =
            tls_fixture_issue(pki->inter_key, pki->ca_key, pki->ca, "smtrust test intermediate", NULL, true, 0, 0);
        pki->a = tls_fixture_issue(pki->a_key, pki->ca_key, pki->ca, "localhost", "127.0.0.1", false, 0, 0);
        pki->b = tls_fixture_issue(pki->b_key, pki->ca_key, pki->ca, "b.example", NULL, false, 0, 0);
        pki->rsa = tls_fixture_issue(pki->rsa_key, pki->rsa_ca_key, pki->rsa_ca, "localhost", NULL, false, 0, 0);
        pki->inter_a = tls_fixture_issue(pki->a_key, pki->inter_key, pki->inter, "localhost", NULL, false, 0, 0);
        CHECK_OK(cert_chain_new(&pki->inter_chain, &err), &err);
        CHECK_OK(cert_dup(&copy, pki->inter, &err), &err);
        CHECK_OK(cert_chain_append(pki->inter_chain, copy, &err), &err);
        pki->cred_a = (struct net_tls_credentials){.ecc_cert = pki->a, .ecc_key = pki->a_key};
        pki->cred_b = (struct net_tls_credentials){.ecc_cert = pki->b, .ecc_key = pki->b_key};
        pki->cred_both = (struct net_tls_credentials){
            .ecc_cert = pki->a, .ecc_key = pki->a_key, .rsa_cert = pki->rsa, .rsa_key = pki->rsa_key};
        pki->cred_inter =
            (struct net_tls_credentials){.ecc_cert = pki->inter_a, .ecc_key = pki->a_key, .chain = pki->inter_chain};
}

void tls_fixture_pki_free(struct tls_fixture_pki *pki)
{
        net_tls_credentials_release(&pki->cred_a);
        net_tls_credentials_release(&pki->cred_b);
        net_tls_credentials_release(&pki->cred_both);
        net_tls_credentials_release(&pki->cred_inter);
        cert_chain_free(pki->inter_chain);
        struct cert *certs[] = {pki->ca, pki->rsa_ca, pki->inter, pki->a, pki->b, pki->rsa, pki->inter_a};
        for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
                cert_free(certs[i]);
}

int tls_fixture_select(void *arg, const char *name, const struct net_tls_credentials **out)
{
        const struct tls_fixture_pki *pki = arg;
        if (name == NULL || strcmp(name, "localhost") == 0)
                *out = &pki->cred_a;
        else if (strcmp(name, "b.example") == 0)
                *out = &pki->cred_b;
        else
                return TLCP_EUNSUPPORTED_SITE;
        return 0;
}

void tls_fixture_client_new(struct tls_fixture_client *c, const struct cert *root, int version, const char *sni)
{
        c->ctx = SSL_CTX_new(TLS_client_method());
        CHECK(c->ctx != NULL);
        CHECK(SSL_CTX_set_min_proto_version(c->ctx, version) == 1);
        CHECK(SSL_CTX_set_max_proto_version(c->ctx, version) == 1);
        CHECK(X509_STORE_add_cert(SSL_CTX_get_cert_store(c->ctx), cert_x509(root)) == 1);
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
        CHECK(SSL_CTX_set_alpn_protos(c->ctx, (const unsigned char *)"\x02h2\x08http/1.1", 12) == 0);
        c->ssl = SSL_new(c->ctx);
        c->in = BIO_new(BIO_s_mem());
        c->out = BIO_new(BIO_s_mem());
        CHECK(c->ssl != NULL && c->in != NULL && c->out != NULL);
        BIO_set_mem_eof_return(c->in, -1);
        SSL_set_bio(c->ssl, c->in, c->out);
        SSL_set_connect_state(c->ssl);
        if (sni != NULL) {
                CHECK(SSL_set_tlsext_host_name(c->ssl, sni) == 1);
                CHECK(SSL_set1_host(c->ssl, sni) == 1);
        }
}

void tls_fixture_client_trust(struct tls_fixture_client *c, const struct cert *root)
{
        CHECK(X509_STORE_add_cert(SSL_CTX_get_cert_store(c->ctx), cert_x509(root)) == 1);
}

void tls_fixture_client_free(struct tls_fixture_client *c)
{
        SSL_free(c->ssl);
        SSL_CTX_free(c->ctx);
}

void tls_fixture_pump(struct tls_fixture_client *c, struct net_tls_conn *s)
{
        struct err err = {0};
        const uint8_t *data = NULL;
        size_t n = net_tls_conn_peek_output(s, &data), consumed = 0;
        if (n > 0) {
                CHECK_EQ(BIO_write(c->in, data, (int)n), n);
                net_tls_conn_consume_output(s, n);
        }
        char *p = NULL;
        long m = BIO_get_mem_data(c->out, &p);
        if (m > 0) {
                CHECK_OK(net_tls_conn_put_input(s, (const uint8_t *)p, (size_t)m, &consumed, &err), &err);
                CHECK_EQ(consumed, m);
                CHECK(BIO_reset(c->out) == 1);
        }
}

int tls_fixture_handshake(struct tls_fixture_client *c, struct net_tls_conn *s, bool *client_ok,
                          bool *unrecognized_name_seen)
{
        struct err err = {0};
        int status = SMT_EAGAIN, client = 0;
        for (int round = 0; round < 20 && (status == SMT_EAGAIN || client != 1); round++) {
                client = SSL_do_handshake(c->ssl);
                tls_fixture_pump(c, s);
                if (status == SMT_EAGAIN)
                        status = net_tls_conn_handshake(s, &err);
                tls_fixture_pump(c, s);
                if (status != 0 && status != SMT_EAGAIN)
                        break;
        }
        client = SSL_do_handshake(c->ssl);
        *client_ok = client == 1;
        bool seen = false;
        for (unsigned long e; (e = ERR_get_error()) != 0;)
                seen |= ERR_GET_REASON(e) == SSL_R_TLSV1_UNRECOGNIZED_NAME;
        if (unrecognized_name_seen != NULL)
                *unrecognized_name_seen = seen;
        return status;
}

void tls_fixture_exchange(struct tls_fixture_client *c, struct net_tls_conn *s, size_t total)
{
        struct err err = {0};
        size_t got = 0, len = 0;
        uint8_t *sent = calloc(1, total), *recv = calloc(1, total);
        CHECK(sent != NULL && recv != NULL);
        for (size_t i = 0; i < total; i++)
                sent[i] = (uint8_t)(i * 7 + 3);
        CHECK_OK(net_tls_conn_write(s, sent, total, &err), &err);
        tls_fixture_pump(c, s);
        for (size_t r; got < total && SSL_read_ex(c->ssl, recv + got, total - got, &r) == 1;)
                got += r;
        CHECK_EQ(got, total);
        CHECK_MEM(sent, recv, total);
        size_t w = 0;
        CHECK(SSL_write_ex(c->ssl, sent, total, &w) == 1);
        tls_fixture_pump(c, s);
        memset(recv, 0, total);
        for (got = 0; got < total && net_tls_conn_read(s, recv + got, total - got, &len, &err) == 0;)
                got += len;
        CHECK_EQ(got, total);
        CHECK_MEM(sent, recv, total);
        CHECK_STATUS(net_tls_conn_read(s, recv, total, &len, &err), SMT_EAGAIN);
        free(sent);
        free(recv);
}

void tls_fixture_close(struct tls_fixture_client *c, struct net_tls_conn *s)
{
        struct err err = {0};
        uint8_t byte;
        size_t len = 0;
        CHECK_OK(net_tls_conn_close(s, &err), &err);
        tls_fixture_pump(c, s);
        CHECK(SSL_read_ex(c->ssl, &byte, 1, &len) == 0);
        CHECK_EQ(SSL_get_error(c->ssl, 0), SSL_ERROR_ZERO_RETURN);
        SSL_shutdown(c->ssl);
        tls_fixture_pump(c, s);
        CHECK_STATUS(net_tls_conn_read(s, &byte, 1, &len, &err), TLCP_ECLOSED);
}

bool tls_fixture_peer_is(const struct tls_fixture_client *c, const struct cert *want)
{
        X509 *peer = SSL_get1_peer_certificate(c->ssl);
        bool same = peer != NULL && X509_cmp(peer, cert_x509(want)) == 0;
        X509_free(peer);
        return same;
}
