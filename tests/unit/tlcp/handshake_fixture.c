/* tests/unit/tlcp/handshake_fixture.c: two connections and the bytes between them (handshake_fixture.h). */
#include "handshake_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "check.h"

static const char *handshake_fixture_pki_path(const char *name)
{
        char relative[256];
        snprintf(relative, sizeof relative, "vectors/tlcp/pki/sm2/%s", name);
        const char *path = check_shared_path(relative);
        if (path == NULL)
                check_skip_all("the shared test PKI (vectors/tlcp/pki/sm2) is not there");
        return path;
}

static struct cert *handshake_fixture_load_cert(const char *name)
{
        struct err err = {0};
        struct cert_chain *chain = NULL;
        struct cert *cert = NULL;
        CHECK_OK(cert_chain_load_pem(&chain, handshake_fixture_pki_path(name), &err), &err);
        CHECK_OK(cert_dup(&cert, cert_chain_get(chain, 0), &err), &err);
        cert_chain_free(chain);
        return cert;
}

/* The key files are mode 0444 in the shared folder, which key_load refuses; parsing their bytes is the same. */
static struct key *handshake_fixture_load_key(const char *name)
{
        struct err err = {0};
        uint8_t *pem = NULL;
        size_t pem_len = 0;
        struct key *key = NULL;
        CHECK_OK(file_read_all(&pem, &pem_len, handshake_fixture_pki_path(name), KEY_FILE_MAX, &err), &err);
        CHECK_OK(key_parse(&key, pem, pem_len, NULL, &err), &err);
        file_free_contents(pem, pem_len);
        return key;
}

void handshake_fixture_pki_load(struct handshake_fixture_pki *pki)
{
        struct err err = {0};
        *pki = (struct handshake_fixture_pki){0};
        pki->ca = handshake_fixture_load_cert("ca.crt");
        pki->server_sign = handshake_fixture_load_cert("server_sign.crt");
        pki->server_enc = handshake_fixture_load_cert("server_enc.crt");
        pki->client_sign = handshake_fixture_load_cert("client_sign.crt");
        pki->client_enc = handshake_fixture_load_cert("client_enc.crt");
        pki->server_sign_key = handshake_fixture_load_key("server_sign.key");
        pki->server_enc_key = handshake_fixture_load_key("server_enc.key");
        pki->client_sign_key = handshake_fixture_load_key("client_sign.key");
        pki->client_enc_key = handshake_fixture_load_key("client_enc.key");
        CHECK_OK(cert_store_new(&pki->trust, &err), &err);
        CHECK_OK(cert_store_add(pki->trust, pki->ca, &err), &err);
        pki->server = (struct tlcp_credentials){pki->server_sign, pki->server_enc, NULL, pki->server_sign_key,
                                                pki->server_enc_key};
        pki->client = (struct tlcp_credentials){pki->client_sign, pki->client_enc, NULL, pki->client_sign_key,
                                                pki->client_enc_key};
}

void handshake_fixture_pki_free(struct handshake_fixture_pki *pki)
{
        cert_free(pki->ca);
        cert_free(pki->server_sign);
        cert_free(pki->server_enc);
        cert_free(pki->client_sign);
        cert_free(pki->client_enc);
        key_free(pki->server_sign_key);
        key_free(pki->server_enc_key);
        key_free(pki->client_sign_key);
        key_free(pki->client_enc_key);
        cert_store_free(pki->trust);
        *pki = (struct handshake_fixture_pki){0};
}

struct cert *handshake_fixture_issue(const struct key *subject_key, const struct cert *issuer_cert,
                                     const struct key *issuer_key, const char *cn, bool is_ca, unsigned key_usage,
                                     time_t not_before, time_t not_after)
{
        struct err err = {0};
        const char *const names[] = {cn};
        struct cert_issue_params params = {
            .subject_key = subject_key,
            .issuer_key = issuer_key,
            .issuer_cert = issuer_cert,
            .common_name = cn,
            .dns_names = is_ca ? NULL : names,
            .num_dns_names = is_ca ? 0 : 1,
            .not_before = not_before,
            .not_after = not_after,
            .is_ca = is_ca,
            .key_usage = key_usage,
        };
        struct cert *cert = NULL;
        CHECK_OK(cert_issue(&cert, &params, &err), &err);
        return cert;
}

void handshake_fixture_init(struct handshake_fixture *f, const struct handshake_fixture_pki *pki)
{
        *f = (struct handshake_fixture){.client_status = SMT_EAGAIN, .server_status = SMT_EAGAIN};
        tlcp_config_init(&f->client_config, TLCP_ROLE_CLIENT);
        f->client_config.trust = pki->trust;
        f->client_config.server_name = "localhost";
        f->client_config.verify_time = HANDSHAKE_FIXTURE_TIME;
        tlcp_config_init(&f->server_config, TLCP_ROLE_SERVER);
        f->server_config.credentials = &pki->server;
        f->server_config.verify_time = HANDSHAKE_FIXTURE_TIME;
}

void handshake_fixture_start(struct handshake_fixture *f)
{
        struct err err = {0};
        CHECK_OK(tlcp_conn_new(&f->client, &f->client_config, &err), &err);
        CHECK_OK(tlcp_conn_new(&f->server, &f->server_config, &err), &err);
}

/* handshake_fixture_collect moves everything from has queued onto wire. */
static bool handshake_fixture_collect(struct handshake_fixture_wire *wire, struct tlcp_conn *from)
{
        const uint8_t *data;
        size_t len = tlcp_conn_peek_output(from, &data);
        if (len == 0)
                return false;
        if (wire->len + len > wire->cap) {
                wire->cap = 2 * (wire->len + len);
                wire->data = realloc(wire->data, wire->cap);
                CHECK(wire->data != NULL);
        }
        memcpy(wire->data + wire->len, data, len);
        wire->len += len;
        tlcp_conn_consume_output(from, len);
        return true;
}

/* handshake_fixture_deliver puts what the receiver takes (at most wire->chunk bytes) into to. */
static bool handshake_fixture_deliver(struct handshake_fixture_wire *wire, struct tlcp_conn *to)
{
        struct err err = {0};
        size_t len = wire->chunk != 0 && wire->chunk < wire->len ? wire->chunk : wire->len, consumed = 0;
        if (len == 0 || tlcp_conn_put_input(to, wire->data, len, &consumed, &err) < 0 || consumed == 0)
                return false;
        memmove(wire->data, wire->data + consumed, wire->len - consumed);
        wire->len -= consumed;
        return true;
}

bool handshake_fixture_transfer(struct handshake_fixture *f)
{
        bool moved = handshake_fixture_collect(&f->to_server, f->client);
        return handshake_fixture_collect(&f->to_client, f->server) || moved;
}

void handshake_fixture_run(struct handshake_fixture *f)
{
        for (int round = 0; round < 10000000; round++) {
                bool progress = false;
                if (f->client_status == SMT_EAGAIN)
                        f->client_status = tlcp_conn_handshake(f->client, &f->client_err);
                if (f->server_status == SMT_EAGAIN)
                        f->server_status = tlcp_conn_handshake(f->server, &f->server_err);
                progress = handshake_fixture_transfer(f);
                progress = handshake_fixture_deliver(&f->to_server, f->server) || progress;
                progress = handshake_fixture_deliver(&f->to_client, f->client) || progress;
                if (!progress)
                        return;
        }
        check_fail(__FILE__, __LINE__, "the handshake did not settle");
}

int handshake_fixture_read(struct handshake_fixture *f, struct tlcp_conn *conn, uint8_t *buf, size_t len,
                           struct err *err)
{
        struct handshake_fixture_wire *wire = conn == f->server ? &f->to_server : &f->to_client;
        size_t got = 0;
        int status = SMT_OK;
        while (got < len) {
                size_t n = 0;
                status = tlcp_conn_read(conn, buf + got, len - got, &n, err);
                got += n;
                if (status == SMT_EAGAIN && handshake_fixture_deliver(wire, conn))
                        continue;
                if (status < 0)
                        return status;
        }
        return status;
}

void handshake_fixture_cleanup(struct handshake_fixture *f)
{
        tlcp_conn_free(f->client);
        tlcp_conn_free(f->server);
        free(f->to_server.data);
        free(f->to_client.data);
        f->client = f->server = NULL;
        f->to_server = f->to_client = (struct handshake_fixture_wire){0};
}
