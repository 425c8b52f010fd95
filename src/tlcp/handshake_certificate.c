/* src/tlcp/handshake_certificate.c: the Certificate message in both directions (GB/T 38636-2020 §6.4.5.3,
 * §6.4.5.7): signing certificate, encryption certificate, then the chain; and the checks on the peer's
 * pair — trust, validity, key usage of each position, and the host name on the client side. */
#include "tlcp/handshake.h"

#include <stdio.h>
#include <string.h>

static const char *tlcp_handshake_certificate_whose(const struct tlcp_conn *conn, bool is_own)
{
        return (conn->role == TLCP_ROLE_CLIENT) == is_own ? "client" : "server";
}

void tlcp_handshake_certificate_subject(const struct cert *cert, char out[CERT_NAME_TEXT_MAX])
{
        if (cert == NULL || cert_subject_text(cert, out, CERT_NAME_TEXT_MAX, NULL) < 0)
                snprintf(out, CERT_NAME_TEXT_MAX, "?");
}

void tlcp_handshake_peer_cleanup(struct tlcp_peer *peer)
{
        cert_free(peer->sign_cert);
        cert_free(peer->enc_cert);
        cert_chain_free(peer->chain);
        key_free(peer->sign_key);
        key_free(peer->enc_key);
        *peer = (struct tlcp_peer){0};
}

/* tlcp_handshake_certificate_list fills the message from our credentials (none: an empty list, §6.4.5.7).
 * Without is_pair it leaves the encryption certificate out: the signing certificate and its chain. */
static int tlcp_handshake_certificate_list(const struct tlcp_credentials *credentials, bool is_pair,
                                           struct tlcp_certificate *list, struct err *err)
{
        *list = (struct tlcp_certificate){0};
        if (credentials == NULL)
                return SMT_OK;
        const struct cert *own[2] = {credentials->sign_cert, credentials->enc_cert};
        size_t num_own = is_pair ? 2 : 1;
        size_t num_chain = credentials->chain != NULL ? cert_chain_count(credentials->chain) : 0;
        if (num_own + num_chain > TLCP_CERTIFICATE_LIST_MAX)
                return SMT_ERR(err, SMT_EINVAL, "certificate: a chain of %zu certificates exceeds %zu", num_chain,
                               TLCP_CERTIFICATE_LIST_MAX - num_own);
        for (size_t i = 0; i < num_own + num_chain; i++) {
                const struct cert *cert = i < num_own ? own[i] : cert_chain_get(credentials->chain, i - num_own);
                cert_der(cert, &list->certificates[i].data, &list->certificates[i].len);
        }
        list->num_certificates = num_own + num_chain;
        return SMT_OK;
}

/* tlcp_handshake_certificate_is_pair_sent: a GmSSL server reads a client's list under an ECC suite as one
 * chain, signing certificate first, and refuses the encryption certificate in second place as an invalid CA
 * certificate (bad_certificate). ECC uses only the client's signing key, so a client in GmSSL's form sends
 * that chain; ECDHE needs the client's encryption certificate, and Tongsuo's form sends the pair always. */
static bool tlcp_handshake_certificate_is_pair_sent(const struct tlcp_conn *conn)
{
        return conn->role == TLCP_ROLE_SERVER || conn->suite->key_exchange == TLCP_KEY_EXCHANGE_ECDHE ||
               conn->config->ecdhe_form == TLCP_ECDHE_FORM_TONGSUO;
}

int tlcp_handshake_certificate_send(struct tlcp_conn *conn, struct err *err)
{
        struct tlcp_certificate list;
        TRY(tlcp_handshake_certificate_list(conn->credentials, tlcp_handshake_certificate_is_pair_sent(conn), &list,
                                            err));
        if (conn->role == TLCP_ROLE_CLIENT)
                conn->has_client_certificate = list.num_certificates > 0;
        struct buf_writer body;
        buf_writer_init_heap(&body, TLCP_MAX_HANDSHAKE_MESSAGE);
        int status = tlcp_certificate_write(&body, &list, err);
        if (status == SMT_OK)
                status = tlcp_handshake_send_message(conn, TLCP_HANDSHAKE_CERTIFICATE, &body, err);
        buf_writer_cleanup(&body);
        return status;
}

/* tlcp_handshake_certificate_is_sign_only says whether second, the second certificate a client sent, begins
 * its chain rather than being its encryption certificate. GmSSL's client, asked for certificates under an ECC
 * suite, sends its signing certificate and its chain only ([sign, CA], seen against tlcp-server), and its
 * server reads the second entry as the encryption certificate only for ECDHE. An ECC suite uses nothing but
 * the client's signing key (CertificateVerify), so the server takes such a list; a CA certificate can never
 * be the encryption certificate, which tells the two lists apart. */
static bool tlcp_handshake_certificate_may_be_sign_only(const struct tlcp_conn *conn)
{
        return conn->role == TLCP_ROLE_SERVER && conn->suite->key_exchange == TLCP_KEY_EXCHANGE_ECC;
}

static bool tlcp_handshake_certificate_is_sign_only(const struct tlcp_conn *conn, const struct cert *second)
{
        return tlcp_handshake_certificate_may_be_sign_only(conn) && cert_is_ca(second);
}

/* tlcp_handshake_certificate_parse_all makes the peer's certificates and public keys; peer->enc_cert stays
 * NULL for a client that sent only its signing certificate and chain. */
static int tlcp_handshake_certificate_parse_all(const struct tlcp_conn *conn, struct tlcp_peer *peer,
                                                const struct tlcp_certificate *list, struct err *err)
{
        TRY(cert_parse_der(&peer->sign_cert, list->certificates[0].data, list->certificates[0].len, err));
        TRY(cert_chain_new(&peer->chain, err));
        for (size_t i = 1; i < list->num_certificates; i++) {
                struct cert *cert;
                TRY(cert_parse_der(&cert, list->certificates[i].data, list->certificates[i].len, err));
                if (i == 1 && !tlcp_handshake_certificate_is_sign_only(conn, cert))
                        peer->enc_cert = cert;
                else
                        TRY(cert_chain_append(peer->chain, cert, err));
        }
        TRY(cert_public_key(peer->sign_cert, &peer->sign_key, err));
        if (peer->enc_cert != NULL)
                TRY(cert_public_key(peer->enc_cert, &peer->enc_key, err));
        if (key_get_alg(peer->sign_key) != KEY_ALG_SM2 ||
            (peer->enc_key != NULL && key_get_alg(peer->enc_key) != KEY_ALG_SM2))
                return SMT_ERR(err, TLCP_EUNSUPPORTED_CERTIFICATE, "the certificates do not carry SM2 keys");
        return SMT_OK;
}

/* tlcp_handshake_certificate_fail keeps the message of a failed check (which names the certificate), says
 * whose and which one it is, and gives it the TLCP status whose alert fits (alert.c). */
static int tlcp_handshake_certificate_fail(const struct tlcp_conn *conn, const char *position, int status,
                                           struct err *err)
{
        err_prefix(err, "certificate: %s %s certificate", tlcp_handshake_certificate_whose(conn, false), position);
        if (err != NULL)
                err->code = status;
        return status;
}

/* tlcp_handshake_certificate_trust verifies one certificate's chain to the trusted roots. unknown_ca only
 * when no trusted issuer was found; a signature that does not verify or an invalid path is bad_certificate
 * (RFC 5246 §7.2.2: "contained signatures that did not verify correctly"), so a tampered chain is not
 * reported as a missing root. */
static int tlcp_handshake_certificate_trust(const struct tlcp_conn *conn, const struct cert *cert, const char *position,
                                            struct err *err)
{
        struct cert_verify_result result;
        int status =
            cert_verify_chain(conn->config->trust, cert, conn->peer.chain, conn->config->verify_time, &result, err);
        if (status == CRYPTO_ECERT_UNTRUSTED)
                status = result.failure == CERT_VERIFY_UNKNOWN_ISSUER ? TLCP_EUNKNOWN_CA : TLCP_EBAD_CERTIFICATE;
        else if (status == CRYPTO_ECERT_EXPIRED)
                status = TLCP_ECERTIFICATE_EXPIRED;
        else if (status == CRYPTO_ECERT)
                status = TLCP_EBAD_CERTIFICATE;
        return status < 0 ? tlcp_handshake_certificate_fail(conn, position, status, err) : SMT_OK;
}

/* tlcp_handshake_certificate_check_usage: each certificate must be fit for its place (§6.4.5.3), so a
 * signing certificate where the encryption one belongs is refused rather than encrypted to. */
static int tlcp_handshake_certificate_check_usage(const struct tlcp_conn *conn, struct err *err)
{
        const struct tlcp_peer *peer = &conn->peer;
        if (cert_check_key_usage(peer->sign_cert, CERT_KEY_USAGE_DIGITAL_SIGNATURE, err) < 0)
                return tlcp_handshake_certificate_fail(conn, "signing", TLCP_EUNSUPPORTED_CERTIFICATE, err);
        if (peer->enc_cert != NULL &&
            cert_check_key_usage_any(peer->enc_cert, CERT_KEY_USAGE_KEY_ENCIPHERMENT | CERT_KEY_USAGE_DATA_ENCIPHERMENT,
                                     err) < 0)
                return tlcp_handshake_certificate_fail(conn, "encryption", TLCP_EUNSUPPORTED_CERTIFICATE, err);
        return SMT_OK;
}

/* tlcp_handshake_certificate_check runs every check on the peer's pair. */
static int tlcp_handshake_certificate_check(struct tlcp_conn *conn, struct err *err)
{
        bool is_verifying = conn->role == TLCP_ROLE_CLIENT ? conn->config->verify_peer : conn->config->trust != NULL;
        if (is_verifying) {
                TRY(tlcp_handshake_certificate_trust(conn, conn->peer.sign_cert, "signing", err));
                if (conn->peer.enc_cert != NULL)
                        TRY(tlcp_handshake_certificate_trust(conn, conn->peer.enc_cert, "encryption", err));
        }
        TRY(tlcp_handshake_certificate_check_usage(conn, err));
        const char *host = conn->config->server_name;
        if (conn->role == TLCP_ROLE_CLIENT && is_verifying && host != NULL &&
            cert_check_host(conn->peer.sign_cert, host, err) < 0)
                return tlcp_handshake_certificate_fail(conn, "signing", TLCP_EBAD_CERTIFICATE, err);
        return SMT_OK;
}

/* tlcp_handshake_certificate_none decides about a client that sent no certificates (§6.4.5.7). */
static int tlcp_handshake_certificate_none(const struct tlcp_conn *conn, struct err *err)
{
        if (conn->suite->key_exchange == TLCP_KEY_EXCHANGE_ECDHE)
                return SMT_ERR(err, TLCP_EHANDSHAKE_FAILURE, "certificate: the client sent none, and %s needs them",
                               conn->suite->name);
        if (conn->config->client_auth == TLCP_CLIENT_AUTH_REQUIRED)
                return SMT_ERR(err, TLCP_EHANDSHAKE_FAILURE,
                               "certificate: the client sent none, and they are required");
        return SMT_OK;
}

int tlcp_handshake_certificate_recv(struct tlcp_conn *conn, struct buf_reader *body, struct err *err)
{
        const char *whose = tlcp_handshake_certificate_whose(conn, false);
        struct tlcp_certificate list;
        TRY(tlcp_certificate_parse(&list, body, err));
        if (list.num_certificates == 0 && conn->role == TLCP_ROLE_SERVER)
                return tlcp_handshake_certificate_none(conn, err);
        if (list.num_certificates < (tlcp_handshake_certificate_may_be_sign_only(conn) ? 1u : 2u))
                return SMT_ERR(
                    err, TLCP_EBAD_CERTIFICATE,
                    "certificate: the %s sent %zu certificate(s), TLCP needs the signing and the encryption one", whose,
                    list.num_certificates);
        tlcp_handshake_peer_cleanup(&conn->peer);
        int status = tlcp_handshake_certificate_parse_all(conn, &conn->peer, &list, err);
        if (status < 0) {
                err_prefix(err, "certificate: from the %s", whose);
                if (status == CRYPTO_ECERT && err != NULL)
                        status = err->code = TLCP_EBAD_CERTIFICATE;
                return status;
        }
        TRY(tlcp_handshake_certificate_check(conn, err));
        conn->has_client_certificate = conn->role == TLCP_ROLE_SERVER;
        return SMT_OK;
}
