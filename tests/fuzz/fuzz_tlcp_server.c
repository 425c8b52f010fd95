/* tests/fuzz/fuzz_tlcp_server.c: targets the whole server side of tlcp/conn.h: record input, handshake
 * message reassembly, the step table and every server receive handler (ClientHello, client Certificate with
 * chain verification, ClientKeyExchange in all three forms, CertificateVerify, ChangeCipherSpec, Finished),
 * alerts and application data.
 *
 * Input: one control byte, then the bytes a client sends, fed to a fresh server connection as they come.
 * The control byte's low two bits pick client authentication (0 none, 1 optional, 2 required, 3 optional),
 * bit 2 turns the session cache off. The server offers every suite and trusts the root of the shared test
 * PKI (vectors/tlcp/pki/sm2/ca.crt, below), so the seeds — the client-to-server streams of the recorded
 * Tongsuo and GmSSL connections, with 0 before the ECC ones and 1 before the ECDHE ones — get through the
 * client Certificate to ClientKeyExchange and CertificateVerify. The server's own keys come from fixed
 * scalars and its certificates are self-signed at start-up. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlcp/conn.h"
#include "tlcp/session_cache.h"

static const char fuzz_trusted_root[] = "-----BEGIN CERTIFICATE-----\n"
                                        "MIIB5jCCAY2gAwIBAgIUOtRXXNj/W3IMEQZds9oUkER29rUwCgYIKoEcz1UBg3Uw\n"
                                        "QTELMAkGA1UEBhMCQ04xFzAVBgNVBAoMDlNNMiBUZXN0IEJlbmNoMRkwFwYDVQQD\n"
                                        "DBBTTTIgVGVzdCBSb290IENBMB4XDTI2MTEyMjExNTAzMloXDTM2MTExOTExNTAz\n"
                                        "MlowQTELMAkGA1UEBhMCQ04xFzAVBgNVBAoMDlNNMiBUZXN0IEJlbmNoMRkwFwYD\n"
                                        "VQQDDBBTTTIgVGVzdCBSb290IENBMFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAE\n"
                                        "RnGYSLPSckD6xu3BQDoHxdxcic6sGP16UKuqcjtOYWzZ/HzdRyFky3VANE0td7/o\n"
                                        "Sns8hFEkLpUsHllqUf4ok6NjMGEwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8E\n"
                                        "BAMCAYYwHQYDVR0OBBYEFNJx+ZKgvNs1XwUAc5TVSrECEMSXMB8GA1UdIwQYMBaA\n"
                                        "FNJx+ZKgvNs1XwUAc5TVSrECEMSXMAoGCCqBHM9VAYN1A0cAMEQCIDgxMfJMsQTL\n"
                                        "x0fniXY9T8JGQu1JLaHyp5L4XvPhBO1MAiB2QVsvGXb3dVU4502USPlqLWtRnLLh\n"
                                        "Pf3/nYasrEhMSQ==\n"
                                        "-----END CERTIFICATE-----\n";

/* 2027-06-01 00:00:00 UTC, inside the shared PKI's validity. */
#define FUZZ_TIME ((time_t)1811808000)

static struct tlcp_credentials fuzz_credentials;
static struct cert_chain *fuzz_trusted;
static struct cert_store *fuzz_trust;

static struct key *fuzz_key(uint8_t tag)
{
        uint8_t scalar[32];
        struct key *key = NULL;
        struct err err = {0};
        memset(scalar, tag, sizeof scalar);
        if (key_new_sm2_from_scalar(&key, scalar, &err) != 0)
                abort();
        return key;
}

static struct cert *fuzz_self_signed(const struct key *key, unsigned key_usage)
{
        const char *const names[] = {"localhost"};
        struct cert_issue_params params = {
            .subject_key = key,
            .common_name = "localhost",
            .dns_names = names,
            .num_dns_names = 1,
            .not_before = FUZZ_TIME - 86400,
            .not_after = FUZZ_TIME + 86400,
            .key_usage = key_usage,
        };
        struct cert *cert = NULL;
        struct err err = {0};
        if (cert_issue(&cert, &params, &err) != 0)
                abort();
        return cert;
}

static void fuzz_init(void)
{
        struct err err = {0};
        struct key *sign_key = fuzz_key(0x11), *enc_key = fuzz_key(0x22);
        fuzz_credentials = (struct tlcp_credentials){
            .sign_cert = fuzz_self_signed(sign_key, CERT_KEY_USAGE_DIGITAL_SIGNATURE),
            .enc_cert = fuzz_self_signed(enc_key, CERT_KEY_USAGE_KEY_ENCIPHERMENT | CERT_KEY_USAGE_DATA_ENCIPHERMENT),
            .sign_key = sign_key,
            .enc_key = enc_key,
        };
        if (cert_chain_parse_pem(&fuzz_trusted, (const uint8_t *)fuzz_trusted_root, strlen(fuzz_trusted_root), &err) !=
                0 ||
            cert_store_new(&fuzz_trust, &err) != 0 ||
            cert_store_add(fuzz_trust, cert_chain_get(fuzz_trusted, 0), &err) != 0)
                abort();
}

/* fuzz_drain reads application data and drops output, as a server loop would. */
static void fuzz_drain(struct tlcp_conn *conn)
{
        uint8_t buf[4096];
        size_t len;
        struct err err = {0};
        while (tlcp_conn_read(conn, buf, sizeof buf, &len, &err) == 0)
                if (tlcp_conn_write(conn, buf, len, &err) != 0)
                        break;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        static bool is_ready;
        if (!is_ready) {
                fuzz_init();
                is_ready = true;
        }
        if (len == 0)
                return 0;
        static const enum tlcp_client_auth client_auth[] = {TLCP_CLIENT_AUTH_NONE, TLCP_CLIENT_AUTH_OPTIONAL,
                                                            TLCP_CLIENT_AUTH_REQUIRED, TLCP_CLIENT_AUTH_OPTIONAL};
        uint8_t control = data[0];
        data++;
        len--;
        struct err err = {0};
        struct tlcp_session_cache *cache = NULL;
        if ((control & 4) == 0 && tlcp_session_cache_new(&cache, 4, 3600, &err) != 0)
                abort();
        struct tlcp_config config;
        tlcp_config_init(&config, TLCP_ROLE_SERVER);
        config.credentials = &fuzz_credentials;
        config.client_auth = client_auth[control & 3];
        config.trust = fuzz_trust;
        config.verify_time = FUZZ_TIME;
        config.session_cache = cache;
        struct tlcp_conn *conn = NULL;
        if (tlcp_conn_new(&conn, &config, &err) != 0)
                abort();
        size_t at = 0;
        int status = SMT_EAGAIN;
        while (at < len && (status == SMT_EAGAIN || status == 0)) {
                size_t consumed = 0;
                if (tlcp_conn_put_input(conn, data + at, len - at, &consumed, &err) != 0)
                        break;
                at += consumed;
                status = tlcp_conn_handshake(conn, &err);
                if (status == 0)
                        fuzz_drain(conn);
                else if (consumed == 0 && status == SMT_EAGAIN)
                        abort(); /* the connection neither took input nor asked for none: it would hang */
                const uint8_t *out;
                tlcp_conn_consume_output(conn, tlcp_conn_peek_output(conn, &out));
        }
        tlcp_conn_free(conn);
        tlcp_session_cache_free(cache);
        return 0;
}
