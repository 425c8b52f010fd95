/* tests/unit/tlcp/message_vectors.h: helpers for the handshake message tests (test_messages*.c): one
 * recorded message's body, facts about a recording, and OpenSSL used directly as the independent
 * reference for certificates, SM2 signatures and SM2 decryption. Failures fail the running test. */
#ifndef SMT_TESTS_TLCP_MESSAGE_VECTORS_H
#define SMT_TESTS_TLCP_MESSAGE_VECTORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "base/buf.h"
#include "vectors.h"

/* message_vectors_load_cert reads the PEM certificate at path with OpenSSL (X509_free it). */
X509 *message_vectors_load_cert(const char *path);

/* message_vectors_cert_equals says whether der is exactly the certificate at path, as OpenSSL encodes it. */
bool message_vectors_cert_equals(const char *path, struct buf_reader der);

/* message_vectors_sm2_verifies checks an SM2-with-SM3 signature with ID 1234567812345678 by the key of the
 * certificate at cert_path, with OpenSSL. */
bool message_vectors_sm2_verifies(const char *cert_path, const uint8_t *msg, size_t msg_len, struct buf_reader sig);

/* message_vectors_sm2_decrypts_to says whether OpenSSL decrypts the DER SM2Ciphertext with the PEM key at
 * key_path to exactly expected. */
bool message_vectors_sm2_decrypts_to(const char *key_path, struct buf_reader ciphertext, const uint8_t *expected,
                                     size_t expected_len);

/* message_vectors_body splits a recorded message with tlcp_handshake_header_split and returns its body. */
struct buf_reader message_vectors_body(const struct tlcp_vector_message *msg);

/* message_vectors_find_body is message_vectors_body of the first message of type from that side. */
struct buf_reader message_vectors_find_body(const struct tlcp_vector *v, uint8_t type, bool is_from_client);

/* message_vectors_is_gmssl says whether side ("client" or "server") of the recording ran GmSSL. */
bool message_vectors_is_gmssl(const struct tlcp_vector *v, const char *side);

/* message_vectors_equals_hex says whether got equals the hex string at the dotted path of the file. */
bool message_vectors_equals_hex(struct buf_reader got, const struct tlcp_vector *v, const char *path);

#endif
