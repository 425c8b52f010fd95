/* src/tlcp/handshake_client_hello.c: ClientHello (GB/T 38636-2020 §6.4.5.2.1): what the client offers and
 * what the server makes of it — the version, the suite by the server's preference, the SNI credentials
 * and session resumption. */
#include "tlcp/handshake.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "crypto/random.h"

#define TLCP_SUITES_MAX 16

/* tlcp_handshake_client_hello_suites lists the configured suites (default: tlcp_suite_all's order). */
static size_t tlcp_handshake_client_hello_suites(const struct tlcp_config *config, uint16_t out[TLCP_SUITES_MAX])
{
        size_t num_all, n = 0;
        const struct tlcp_suite *all = tlcp_suite_all(&num_all);
        size_t count = config->suites != NULL ? config->num_suites : num_all;
        for (size_t i = 0; i < count && n < TLCP_SUITES_MAX; i++)
                out[n++] = config->suites != NULL ? config->suites[i] : (uint16_t)all[i].id;
        return n;
}

/* tlcp_handshake_client_hello_offer keeps what this client can do: ECDHE needs its certificate pair. */
static size_t tlcp_handshake_client_hello_offer(const struct tlcp_conn *conn, uint16_t out[TLCP_SUITES_MAX])
{
        uint16_t configured[TLCP_SUITES_MAX];
        size_t num_configured = tlcp_handshake_client_hello_suites(conn->config, configured), n = 0;
        for (size_t i = 0; i < num_configured; i++) {
                const struct tlcp_suite *suite = tlcp_suite_lookup(configured[i]);
                if (suite->key_exchange == TLCP_KEY_EXCHANGE_ECDHE && conn->credentials == NULL)
                        continue;
                out[n++] = configured[i];
        }
        return n;
}

bool tlcp_handshake_client_hello_is_offered(const struct tlcp_conn *conn, uint16_t id)
{
        uint16_t offered[TLCP_SUITES_MAX];
        size_t n = tlcp_handshake_client_hello_offer(conn, offered);
        for (size_t i = 0; i < n; i++)
                if (offered[i] == id)
                        return true;
        return false;
}

/* tlcp_handshake_client_hello_pick_session offers config->resume when it fits this connection. */
static void tlcp_handshake_client_hello_pick_session(struct tlcp_conn *conn, const uint16_t *suites, size_t n)
{
        const struct tlcp_session *resume = conn->config->resume;
        const char *name = conn->config->server_name != NULL ? conn->config->server_name : "";
        if (resume == NULL || resume->id_len == 0 || resume->id_len > TLCP_SESSION_ID_MAX ||
            strcmp(resume->server_name, name) != 0)
                return;
        for (size_t i = 0; i < n; i++) {
                if (suites[i] == resume->suite_id) {
                        conn->session = *resume;
                        memcpy(conn->session_id, resume->id, resume->id_len);
                        conn->session_id_len = resume->id_len;
                        return;
                }
        }
}

int tlcp_handshake_client_hello_random(const struct tlcp_conn *conn, uint8_t out[TLCP_RANDOM_LEN], struct err *err)
{
        struct buf_writer w;
        buf_writer_init_fixed(&w, out, TLCP_RANDOM_LEN);
        uint8_t *rest;
        if (buf_write_u32(&w, (uint32_t)tlcp_handshake_now(conn)) < 0 ||
            buf_write_reserve(&w, &rest, TLCP_RANDOM_LEN - 4) < 0)
                return SMT_ERR(err, SMT_EINTERNAL, "random: no room");
        return random_bytes(rest, TLCP_RANDOM_LEN - 4, err);
}

/* RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted in HostName". */
static bool tlcp_handshake_client_hello_is_ip_literal(const char *name)
{
        uint8_t address[16];
        return inet_pton(AF_INET, name, address) == 1 || inet_pton(AF_INET6, name, address) == 1;
}

int tlcp_handshake_client_hello_send(struct tlcp_conn *conn, struct err *err)
{
        uint16_t suites[TLCP_SUITES_MAX];
        size_t num_suites = tlcp_handshake_client_hello_offer(conn, suites);
        if (num_suites == 0)
                return SMT_ERR(err, SMT_EINTERNAL, "client_hello: no suite to offer (ECDHE needs client certificates)");
        TRY(tlcp_handshake_client_hello_random(conn, conn->client_random, err));
        tlcp_handshake_client_hello_pick_session(conn, suites, num_suites);
        const char *name = conn->config->server_name;
        struct tlcp_client_hello_params params = {
            .client_version = TLCP_VERSION,
            .random = conn->client_random,
            .session_id = conn->session_id_len > 0 ? conn->session_id : NULL,
            .session_id_len = conn->session_id_len,
            .suites = suites,
            .num_suites = num_suites,
            .server_name = name != NULL && !tlcp_handshake_client_hello_is_ip_literal(name) ? name : NULL,
        };
        struct buf_writer body;
        buf_writer_init_heap(&body, TLCP_MAX_HANDSHAKE_MESSAGE);
        int status = tlcp_client_hello_write(&body, &params, err);
        if (status == SMT_OK)
                status = tlcp_handshake_send_message(conn, TLCP_HANDSHAKE_CLIENT_HELLO, &body, err);
        buf_writer_cleanup(&body);
        return status;
}

/* tlcp_handshake_client_hello_select takes the credentials for the name the client asked for. */
static int tlcp_handshake_client_hello_select(struct tlcp_conn *conn, const struct tlcp_client_hello *hello,
                                              struct err *err)
{
        const struct tlcp_config *config = conn->config;
        if (hello->has_server_name) {
                memcpy(conn->server_name, hello->server_name, hello->server_name_len + 1);
                conn->has_server_name = true;
        }
        conn->credentials = config->credentials;
        if (config->select != NULL) {
                const struct tlcp_credentials *selected = NULL;
                int status =
                    config->select(config->select_arg, conn->has_server_name ? conn->server_name : NULL, &selected);
                if (status < 0)
                        return SMT_ERR(err, status, "client_hello: no certificates for server name \"%s\"",
                                       conn->has_server_name ? conn->server_name : "(none)");
                conn->credentials = selected;
        }
        const struct tlcp_credentials *c = conn->credentials;
        if (c == NULL || c->sign_cert == NULL || c->enc_cert == NULL || c->sign_key == NULL || c->enc_key == NULL)
                return SMT_ERR(err, TLCP_EINTERNAL, "client_hello: incomplete credentials for server name \"%s\"",
                               conn->has_server_name ? conn->server_name : "(none)");
        return SMT_OK;
}

/* tlcp_handshake_client_hello_is_allowed says whether the server takes suite: configured, offered by the
 * client, and ECDHE only when client certificates are asked for (it needs them, §6.4.5.5). */
static bool tlcp_handshake_client_hello_is_allowed(const struct tlcp_conn *conn, const struct tlcp_client_hello *hello,
                                                   uint16_t id)
{
        uint16_t configured[TLCP_SUITES_MAX];
        size_t n = tlcp_handshake_client_hello_suites(conn->config, configured);
        const struct tlcp_suite *suite = tlcp_suite_lookup(id);
        bool is_configured = false;
        for (size_t i = 0; i < n; i++)
                is_configured = is_configured || configured[i] == id;
        if (!is_configured || suite == NULL || !tlcp_client_hello_offers_suite(hello, id))
                return false;
        return suite->key_exchange != TLCP_KEY_EXCHANGE_ECDHE || conn->config->client_auth != TLCP_CLIENT_AUTH_NONE;
}

/* tlcp_handshake_client_hello_list writes n suite ids as text ("0xe053 0xe013"). */
static void tlcp_handshake_client_hello_list(char *out, size_t cap, const uint16_t *ids, size_t n)
{
        out[0] = '\0';
        for (size_t i = 0; i < n && strlen(out) + 8 < cap; i++)
                snprintf(out + strlen(out), cap - strlen(out), "%s0x%04x", i > 0 ? " " : "", (unsigned)ids[i]);
}

/* tlcp_handshake_client_hello_pick_suite takes the server's first allowed suite. */
static int tlcp_handshake_client_hello_pick_suite(struct tlcp_conn *conn, const struct tlcp_client_hello *hello,
                                                  struct err *err)
{
        uint16_t configured[TLCP_SUITES_MAX], offered[TLCP_SUITES_MAX];
        size_t n = tlcp_handshake_client_hello_suites(conn->config, configured);
        for (size_t i = 0; i < n; i++) {
                if (tlcp_handshake_client_hello_is_allowed(conn, hello, configured[i])) {
                        conn->suite = tlcp_suite_lookup(configured[i]);
                        return SMT_OK;
                }
        }
        size_t num_offered = hello->num_cipher_suites < TLCP_SUITES_MAX ? hello->num_cipher_suites : TLCP_SUITES_MAX;
        for (size_t i = 0; i < num_offered; i++)
                offered[i] = tlcp_client_hello_suite_get(hello, i);
        char offered_text[TLCP_SUITES_MAX * 8], configured_text[TLCP_SUITES_MAX * 8];
        tlcp_handshake_client_hello_list(offered_text, sizeof offered_text, offered, num_offered);
        tlcp_handshake_client_hello_list(configured_text, sizeof configured_text, configured, n);
        return SMT_ERR(err, TLCP_EHANDSHAKE_FAILURE,
                       "client_hello: no common cipher suite: the client offers %s, the server takes %s%s",
                       offered_text, configured_text,
                       conn->config->client_auth == TLCP_CLIENT_AUTH_NONE ? " (ECDHE only with client authentication)"
                                                                          : "");
}

/* tlcp_handshake_client_hello_resume looks the client's session ID up; a hit resumes when its suite is
 * offered and allowed, the SNI name is the same (RFC 6066 §3), and a server that requires client
 * authentication got the client's certificates in the full handshake. The resumed connection gets the
 * client certificates kept with the session, so it reports the same client as the full handshake did. */
static int tlcp_handshake_client_hello_resume(struct tlcp_conn *conn, const struct tlcp_client_hello *hello,
                                              struct err *err)
{
        struct tlcp_session_cache *cache = conn->config->session_cache;
        struct tlcp_session session;
        struct tlcp_session_certificates client = {0};
        if (cache == NULL || hello->session_id_len == 0)
                return SMT_OK;
        int found = tlcp_session_cache_lookup(cache, &session, &client, hello->session_id, hello->session_id_len,
                                              tlcp_handshake_now(conn), err);
        if (found <= 0)
                return found;
        const char *name = conn->has_server_name ? conn->server_name : "";
        bool is_authenticated = client.sign_cert != NULL || conn->config->client_auth != TLCP_CLIENT_AUTH_REQUIRED;
        if (tlcp_handshake_client_hello_is_allowed(conn, hello, session.suite_id) &&
            strcmp(session.server_name, name) == 0 && is_authenticated) {
                conn->is_resumed = true;
                conn->suite = tlcp_suite_lookup(session.suite_id);
                memcpy(conn->master_secret, session.master_secret, sizeof conn->master_secret);
                memcpy(conn->session_id, session.id, session.id_len);
                conn->session_id_len = session.id_len;
                tlcp_handshake_peer_cleanup(&conn->peer);
                conn->peer.sign_cert = client.sign_cert;
                conn->peer.enc_cert = client.enc_cert;
                client = (struct tlcp_session_certificates){0};
        }
        tlcp_session_certificates_cleanup(&client);
        tlcp_session_wipe(&session);
        return SMT_OK;
}

int tlcp_handshake_client_hello_recv(struct tlcp_conn *conn, struct buf_reader *body, struct err *err)
{
        struct tlcp_client_hello hello;
        TRY(tlcp_client_hello_parse(&hello, body, err));
        /* §6.3.2: TLCP is version 1.1 (0x0101); anything else is another protocol. */
        if (hello.client_version != TLCP_VERSION)
                return SMT_ERR(err, TLCP_EPROTOCOL_VERSION, "client_hello: version 0x%04x, expected 0x%04x (TLCP)",
                               (unsigned)hello.client_version, (unsigned)TLCP_VERSION);
        memcpy(conn->client_random, hello.random, TLCP_RANDOM_LEN);
        TRY(tlcp_handshake_client_hello_select(conn, &hello, err));
        TRY(tlcp_handshake_client_hello_resume(conn, &hello, err));
        if (conn->is_resumed)
                return SMT_OK;
        TRY(tlcp_handshake_client_hello_pick_suite(conn, &hello, err));
        conn->has_certificate_request =
            conn->config->client_auth != TLCP_CLIENT_AUTH_NONE || conn->suite->key_exchange == TLCP_KEY_EXCHANGE_ECDHE;
        if (conn->config->session_cache == NULL)
                return SMT_OK;
        conn->session_id_len = TLCP_SESSION_ID_MAX;
        return random_bytes(conn->session_id, conn->session_id_len, err);
}
