/* tests/unit/tlcp/vectors.h: the recorded Tongsuo/GmSSL TLCP connections of $SMT_SHARED_DIR/vectors/tlcp/
 * (fields explained in its README.md) for the tlcp unit tests: records, handshake messages in transcript
 * order, secrets, derived keys and PKI paths. Malformed files fail the running test; a missing vectors
 * folder ends the program as skipped (check_skip_all). */
#ifndef SMT_TESTS_TLCP_VECTORS_H
#define SMT_TESTS_TLCP_VECTORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "tlcp/protocol.h"

/* One record as it crossed the wire. */
struct tlcp_vector_record {
        bool is_from_client; /* "dir": "c2s" */
        uint8_t type;
        uint16_t version;
        uint8_t *fragment; /* as sent: ciphertext for protected records */
        size_t fragment_len;
        bool is_protected; /* sent after the sender's ChangeCipherSpec; seq and plaintext are set */
        uint64_t seq;
        uint8_t *plaintext; /* protected: the decrypted content; otherwise the fragment itself */
        size_t plaintext_len;
};

/* One handshake message, 4-byte header included, cut from the sender's handshake content stream. */
struct tlcp_vector_message {
        bool is_from_client;
        uint8_t msg_type;
        const uint8_t *data; /* points into struct tlcp_vector */
        size_t len;
        bool is_encrypted; /* carried in a protected record (Finished) */
};

struct tlcp_vector {
        const char *name; /* file name, e.g. "01-tongsuo-tongsuo-ecc-sm4-cbc-sm3.json" */
        json_t *root;     /* the whole file, for fields without a member here */
        const struct tlcp_suite *suite;
        struct tlcp_vector_record *records; /* wire order */
        size_t num_records;
        struct tlcp_vector_message *messages; /* transcript order */
        size_t num_messages;
        uint8_t master_secret[TLCP_MASTER_SECRET_LEN];
        uint8_t client_random[TLCP_RANDOM_LEN];
        uint8_t server_random[TLCP_RANDOM_LEN];
        bool has_pre_master; /* ECC suites; ECDHE files have none */
        uint8_t pre_master[TLCP_PRE_MASTER_SECRET_LEN];
        uint8_t client_verify_data[TLCP_VERIFY_DATA_LEN];
        uint8_t server_verify_data[TLCP_VERIFY_DATA_LEN];
        uint8_t *message_bytes; /* storage behind messages[] */
};

/* tlcp_vector_count returns how many recorded connections there are; tlcp_vector_name(i) names each. */
size_t tlcp_vector_count(void);
const char *tlcp_vector_name(size_t index);

/* tlcp_vector_load reads vectors/tlcp/<name> into v (free with tlcp_vector_free); skips the whole program
 * when the shared vectors are absent and fails the test when the file is malformed. */
void tlcp_vector_load(struct tlcp_vector *v, const char *name);

/* tlcp_vector_free releases everything tlcp_vector_load allocated. */
void tlcp_vector_free(struct tlcp_vector *v);

/* tlcp_vector_get_hex decodes the hex string at a dotted path ("derived.client_write_key_hex") into out,
 * failing the test when it is missing, not hex or longer than cap; returns its length. */
size_t tlcp_vector_get_hex(const struct tlcp_vector *v, const char *path, uint8_t *out, size_t cap);

/* tlcp_vector_has_field says whether the dotted path exists and is not null. */
bool tlcp_vector_has_field(const struct tlcp_vector *v, const char *path);

/* tlcp_vector_pki_path returns the absolute path of the file the "pki" member names for role
 * ("server_enc_key", "client_sign_cert", ...), in a static buffer, or NULL when the file lists none. */
const char *tlcp_vector_pki_path(const struct tlcp_vector *v, const char *role);

/* tlcp_vector_transcript returns (malloc'ed, free it) the concatenation of every handshake message before
 * the first one of msg_type sent by that side, in *len: e.g. the input of SM3 for a Finished. */
uint8_t *tlcp_vector_transcript(const struct tlcp_vector *v, uint8_t msg_type, bool is_from_client, size_t *len);

/* tlcp_vector_find_message returns the first handshake message of msg_type from that side, or NULL. */
const struct tlcp_vector_message *tlcp_vector_find_message(const struct tlcp_vector *v, uint8_t msg_type,
                                                           bool is_from_client);

/* tlcp_vector_stream returns (malloc'ed, free it) one direction's bytes as sent: every record with its
 * header, in order, for replaying a peer; *len gets the size. */
uint8_t *tlcp_vector_stream(const struct tlcp_vector *v, bool is_from_client, size_t *len);

/* tlcp_vector_hex_decode decodes hex (no spaces) into a malloc'ed buffer (at least 1 byte, free it), failing
 * the test on bad input; *len gets the number of bytes. */
uint8_t *tlcp_vector_hex_decode(const char *hex, size_t *len);

#endif
