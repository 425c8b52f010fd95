/* src/tlcp/messages.h: codecs for every TLCP handshake message (GB/T 38636-2020 §6.4.5), pure byte work.
 *
 * No crypto, no state, no decisions the handshake engine must make: a parser checks the grammar and the
 * few values the grammar fixes (null compression, curve SM2), a writer appends exactly what it is given.
 *
 * Parsers take a reader over one message BODY (after the 4-byte handshake header), consume all of it and
 * fail with TLCP_EDECODE_ERROR (TLCP_EILLEGAL_PARAMETER for a well-formed but forbidden value) and a message
 * naming the message and field ("client_hello: cipher_suites length 3 is odd"). On failure the output
 * struct is unspecified. Parsed structs borrow their input: every struct buf_reader member points into
 * `in` and is valid while `in`'s bytes live; small fixed fields (random, session_id, verify_data, server
 * name) are copied.
 *
 * Writers append the BODY to a buf_writer. Frame it with tlcp_handshake_header_begin/_end (which patch the
 * uint24 length after the body is written), or write the header first with tlcp_handshake_header_write
 * when the body length is known. A writer fails with SMT_ENOSPACE/SMT_ENOMEM when out is full, with
 * SMT_EINVAL when its input cannot be encoded (a vector longer than its length prefix allows). */
#ifndef SMT_TLCP_MESSAGES_H
#define SMT_TLCP_MESSAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "tlcp/protocol.h"

/* ---- handshake_header.c: msg_type (1) || length (uint24) || body ---- */

struct tlcp_handshake_header {
        uint8_t type;    /* enum tlcp_handshake_type; unknown values are the engine's to reject */
        uint32_t length; /* body length, at most TLCP_MAX_HANDSHAKE_MESSAGE */
};

/* tlcp_handshake_header_parse reads the 4-byte header from in: SMT_EAGAIN (in unchanged) when fewer than 4
 * bytes are there, TLCP_EDECODE_ERROR when length exceeds TLCP_MAX_HANDSHAKE_MESSAGE. */
int tlcp_handshake_header_parse(struct tlcp_handshake_header *out, struct buf_reader *in, struct err *err) SMT_MUST_USE;

/* tlcp_handshake_header_split takes one whole message from in: *header and *body (borrowing in). SMT_EAGAIN
 * with in unchanged when the header or body is incomplete; TLCP_EDECODE_ERROR as for _parse. */
int tlcp_handshake_header_split(struct tlcp_handshake_header *header, struct buf_reader *body, struct buf_reader *in,
                                struct err *err) SMT_MUST_USE;

/* tlcp_handshake_header_write appends the header for a body of body_len bytes. */
int tlcp_handshake_header_write(struct buf_writer *out, uint8_t type, size_t body_len, struct err *err) SMT_MUST_USE;

/* tlcp_handshake_header_begin appends type and a placeholder length, remembering its place in *mark;
 * tlcp_handshake_header_end patches the length with the number of body bytes written since. */
int tlcp_handshake_header_begin(struct buf_writer *out, uint8_t type, size_t *mark, struct err *err) SMT_MUST_USE;
int tlcp_handshake_header_end(struct buf_writer *out, size_t mark, struct err *err) SMT_MUST_USE;

/* ---- extensions.c: the optional extensions block of both hellos (RFC 5246 §7.4.1.4) ---- */

/* struct tlcp_extensions: an extensions block whose every entry is well formed and whose types are all
 * different. Unknown extensions stay in block for tlcp_extensions_lookup; they are never an error. */
struct tlcp_extensions {
        bool is_present;         /* the block exists (it may be empty); absent in Tongsuo -no_ticket hellos */
        struct buf_reader block; /* the entries, after the block's uint16 length; valid while `in` lives */
        size_t num_extensions;
};

/* tlcp_extensions_parse reads the rest of in as an optional extensions block (nothing left: absent).
 * message names the hello in errors. Duplicate types and trailing bytes: TLCP_EDECODE_ERROR. */
int tlcp_extensions_parse(struct tlcp_extensions *out, struct buf_reader *in, const char *message,
                          struct err *err) SMT_MUST_USE;

/* tlcp_extensions_lookup finds the extension of type and points *data at its extension_data (borrowed);
 * false when the block has none (or is absent). */
bool tlcp_extensions_lookup(const struct tlcp_extensions *extensions, uint16_t type, struct buf_reader *data);

/* tlcp_extensions_next walks a block: *cursor starts as a copy of extensions->block; each call yields the
 * next entry's type and data and returns false at the end. */
bool tlcp_extensions_next(struct buf_reader *cursor, uint16_t *type, struct buf_reader *data);

/* tlcp_extensions_write_one appends one extension: type || uint16 length || data. */
int tlcp_extensions_write_one(struct buf_writer *out, uint16_t type, const uint8_t *data, size_t data_len,
                              struct err *err) SMT_MUST_USE;

/* ---- client_hello.c (GB/T 38636 §6.4.5.2.1; extensions as in TLS 1.2) ---- */

/* Longest SNI host name we accept (RFC 1035 §2.3.4: 255 octets). */
#define TLCP_SERVER_NAME_MAX 255

struct tlcp_client_hello {
        uint16_t client_version; /* read, not checked: the engine decides */
        uint8_t random[TLCP_RANDOM_LEN];
        uint8_t session_id[TLCP_SESSION_ID_MAX];
        size_t session_id_len;
        struct buf_reader cipher_suites; /* non-empty, even length: uint16 ids; valid while `in` lives */
        size_t num_cipher_suites;
        struct buf_reader compression_methods; /* contains null (0); valid while `in` lives */
        struct tlcp_extensions extensions;
        /* server_name (RFC 6066 §3): the host_name entry, NUL-terminated, without NUL bytes inside. */
        bool has_server_name;
        char server_name[TLCP_SERVER_NAME_MAX + 1];
        size_t server_name_len;
        /* session_ticket (RFC 5077 §3.2): empty asks for a ticket; Tongsuo always sends it empty. */
        bool has_session_ticket;
        struct buf_reader session_ticket;
        /* renegotiation_info (RFC 5746 §3.2): renegotiated_connection, empty in an initial handshake. */
        bool has_renegotiation_info;
        struct buf_reader renegotiated_connection;
};

/* tlcp_client_hello_parse parses a ClientHello body; see the file comment for errors and lifetime. */
int tlcp_client_hello_parse(struct tlcp_client_hello *out, struct buf_reader *in, struct err *err) SMT_MUST_USE;

/* tlcp_client_hello_offers_suite says whether hello lists the suite id (TLCP_SCSV_EMPTY_RENEGOTIATION_INFO too). */
bool tlcp_client_hello_offers_suite(const struct tlcp_client_hello *hello, uint16_t id);

/* tlcp_client_hello_suite_get returns the index-th suite offered, in the client's order (index < num_cipher_suites). */
uint16_t tlcp_client_hello_suite_get(const struct tlcp_client_hello *hello, size_t index);

/* What a client sends. Extensions are written in this order: server_name, session_ticket, extra_extensions;
 * with none of them the block is left out entirely. All pointers are borrowed for the call. */
struct tlcp_client_hello_params {
        uint16_t client_version;   /* TLCP_VERSION */
        const uint8_t *random;     /* TLCP_RANDOM_LEN bytes */
        const uint8_t *session_id; /* session_id_len bytes (<= 32), NULL when 0 */
        size_t session_id_len;
        const uint16_t *suites; /* num_suites >= 1 */
        size_t num_suites;
        const uint8_t *compression_methods; /* NULL: the single null method (what everyone sends) */
        size_t num_compression_methods;
        const char *server_name;            /* NULL: no server_name extension */
        bool send_session_ticket;           /* an empty session_ticket (off by default: GmSSL servers abort) */
        struct buf_reader extra_extensions; /* raw, already encoded extensions to append; empty for none */
};

/* tlcp_client_hello_write appends a ClientHello body built from params. */
int tlcp_client_hello_write(struct buf_writer *out, const struct tlcp_client_hello_params *params,
                            struct err *err) SMT_MUST_USE;

/* ---- server_hello.c (GB/T 38636 §6.4.5.2.2) ---- */

struct tlcp_server_hello {
        uint16_t server_version; /* read, not checked */
        uint8_t random[TLCP_RANDOM_LEN];
        uint8_t session_id[TLCP_SESSION_ID_MAX];
        size_t session_id_len;
        uint16_t cipher_suite;             /* any value: the engine checks it was offered */
        struct tlcp_extensions extensions; /* unknown ones are ignored */
        bool has_server_name;              /* the empty acknowledgement (RFC 6066 §3); GmSSL sends it */
        bool has_session_ticket;           /* the empty acknowledgement (RFC 5077 §3.2); Tongsuo sends it */
        bool has_renegotiation_info;
        struct buf_reader renegotiated_connection; /* valid while `in` lives */
};

/* tlcp_server_hello_parse parses a ServerHello body; compression_method must be null (0). */
int tlcp_server_hello_parse(struct tlcp_server_hello *out, struct buf_reader *in, struct err *err) SMT_MUST_USE;

/* What a server sends. Extensions in this order: server_name, session_ticket, renegotiation_info,
 * extra_extensions; with none of them the block is left out. */
struct tlcp_server_hello_params {
        uint16_t server_version;
        const uint8_t *random;     /* TLCP_RANDOM_LEN bytes */
        const uint8_t *session_id; /* session_id_len bytes (<= 32), NULL when 0 */
        size_t session_id_len;
        uint16_t cipher_suite;
        bool send_server_name;              /* empty server_name: "I used your SNI" */
        bool send_session_ticket;           /* empty session_ticket: "a NewSessionTicket follows" */
        bool send_renegotiation_info;       /* empty renegotiation_info (RFC 5746 §3.6, initial handshake) */
        struct buf_reader extra_extensions; /* raw, already encoded extensions to append; empty for none */
};

/* tlcp_server_hello_write appends a ServerHello body (null compression) built from params. */
int tlcp_server_hello_write(struct buf_writer *out, const struct tlcp_server_hello_params *params,
                            struct err *err) SMT_MUST_USE;

/* ---- certificate.c (GB/T 38636 §6.4.5.3): uint24 list of uint24-prefixed DER certificates ---- */

/* The most certificates one message may carry: sign, enc and a chain of up to 14. */
#define TLCP_CERTIFICATE_LIST_MAX 16

/* struct tlcp_certificate: [0] the signing certificate, [1] the encryption certificate, then the chain.
 * Parsing checks framing only (no DER, no count): an empty list is legal (a client without certificates). */
struct tlcp_certificate {
        size_t num_certificates;
        struct buf_reader certificates[TLCP_CERTIFICATE_LIST_MAX]; /* non-empty DER; valid while `in` lives */
};

/* tlcp_certificate_parse parses a Certificate body; an empty entry or more than TLCP_CERTIFICATE_LIST_MAX
 * entries is TLCP_EDECODE_ERROR. */
int tlcp_certificate_parse(struct tlcp_certificate *out, struct buf_reader *in, struct err *err) SMT_MUST_USE;

/* tlcp_certificate_write appends a Certificate body listing certificate->certificates in order. */
int tlcp_certificate_write(struct buf_writer *out, const struct tlcp_certificate *certificate,
                           struct err *err) SMT_MUST_USE;

/* ---- server_key_exchange.c (GB/T 38636 §6.4.5.4) ---- */

/* ECC:   uint16 length || DER SM2 signature (over client_random || server_random || uint24 || enc cert DER).
 * ECDHE: ECParameters (03 00 29: named_curve SM2) || uint8 length || point || uint16 length || signature
 *        (over client_random || server_random || ECParameters || uint8 length || point). */
struct tlcp_server_key_exchange {
        enum tlcp_key_exchange key_exchange;
        struct buf_reader point;         /* ECDHE: the ephemeral point as sent (not validated here) */
        struct buf_reader signed_params; /* ECDHE: 03 00 29 || uint8 length || point, exactly as signed */
        struct buf_reader signature;     /* DER SM2 signature, 1..SM2_SIGNATURE_MAX (72) bytes */
};

/* tlcp_server_key_exchange_parse parses the form that key_exchange (from the chosen suite) implies; a curve
 * other than SM2 (41) or a curve type other than named_curve (3) is TLCP_EILLEGAL_PARAMETER. */
int tlcp_server_key_exchange_parse(struct tlcp_server_key_exchange *out, enum tlcp_key_exchange key_exchange,
                                   struct buf_reader *in, struct err *err) SMT_MUST_USE;

/* tlcp_server_key_exchange_write appends the body of skx->key_exchange's form from point and signature
 * (signed_params is ignored). */
int tlcp_server_key_exchange_write(struct buf_writer *out, const struct tlcp_server_key_exchange *skx,
                                   struct err *err) SMT_MUST_USE;

/* tlcp_server_key_exchange_write_params appends ECParameters || uint8 length || point: the ECDHE bytes
 * that are both sent and signed (so the signer and the writer cannot disagree). */
int tlcp_server_key_exchange_write_params(struct buf_writer *out, const uint8_t *point, size_t point_len,
                                          struct err *err) SMT_MUST_USE;

/* ---- certificate_request.c (GB/T 38636 §6.4.5.5): no signature_algorithms in TLCP ---- */

struct tlcp_certificate_request {
        struct buf_reader certificate_types;       /* 1..255 bytes, enum tlcp_certificate_type values */
        struct buf_reader certificate_authorities; /* the list body: uint16-prefixed non-empty DER names */
        size_t num_certificate_authorities;
};

/* tlcp_certificate_request_parse parses a CertificateRequest body; members valid while `in` lives. */
int tlcp_certificate_request_parse(struct tlcp_certificate_request *out, struct buf_reader *in,
                                   struct err *err) SMT_MUST_USE;

/* tlcp_certificate_request_has_type says whether request lists certificate type. */
bool tlcp_certificate_request_has_type(const struct tlcp_certificate_request *request, uint8_t type);

/* tlcp_certificate_request_next_authority walks the names: *cursor starts as a copy of
 * request->certificate_authorities; each call yields one DER name and returns false at the end. */
bool tlcp_certificate_request_next_authority(struct buf_reader *cursor, struct buf_reader *name);

/* tlcp_certificate_request_write appends a body with num_types (1..255) types and num_authorities names. */
int tlcp_certificate_request_write(struct buf_writer *out, const uint8_t *types, size_t num_types,
                                   const struct buf_reader *authorities, size_t num_authorities,
                                   struct err *err) SMT_MUST_USE;

/* ---- server_hello_done.c: an empty body ---- */

/* tlcp_server_hello_done_parse fails unless in is empty. */
int tlcp_server_hello_done_parse(struct buf_reader *in, struct err *err) SMT_MUST_USE;

/* tlcp_server_hello_done_write appends nothing (the body is empty); for symmetry with the other writers. */
int tlcp_server_hello_done_write(struct buf_writer *out, struct err *err) SMT_MUST_USE;

/* ---- client_key_exchange.c (GB/T 38636 §6.4.5.8) ---- */

enum tlcp_client_key_exchange_form {
        TLCP_CLIENT_KEY_EXCHANGE_FORM_ECC = 1,            /* uint16 length || DER SM2Ciphertext (both libraries) */
        TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_BARE = 2,     /* Tongsuo: 03 00 29 || uint8 length || point (69 bytes) */
        TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_PREFIXED = 3, /* GmSSL: uint16 length || the bare form (71 bytes) */
};

struct tlcp_client_key_exchange {
        enum tlcp_client_key_exchange_form form;
        struct buf_reader encrypted_pre_master; /* ECC: DER SM2Ciphertext (not decoded here) */
        struct buf_reader point;                /* ECDHE: the client's ephemeral point as sent */
};

/* tlcp_client_key_exchange_parse parses the key_exchange's form; for ECDHE it accepts both forms and sets
 * out->form to the one it saw (a bare body starts with curve type 03, a prefixed one with a length < 0x0300). */
int tlcp_client_key_exchange_parse(struct tlcp_client_key_exchange *out, enum tlcp_key_exchange key_exchange,
                                   struct buf_reader *in, struct err *err) SMT_MUST_USE;

/* tlcp_client_key_exchange_write appends the body in cke->form from encrypted_pre_master or point. */
int tlcp_client_key_exchange_write(struct buf_writer *out, const struct tlcp_client_key_exchange *cke,
                                   struct err *err) SMT_MUST_USE;

/* ---- certificate_verify.c (GB/T 38636 §6.4.5.9): uint16 length || DER SM2 signature ---- */

struct tlcp_certificate_verify {
        struct buf_reader signature; /* 1..SM2_SIGNATURE_MAX bytes; valid while `in` lives */
};

int tlcp_certificate_verify_parse(struct tlcp_certificate_verify *out, struct buf_reader *in,
                                  struct err *err) SMT_MUST_USE;
int tlcp_certificate_verify_write(struct buf_writer *out, const struct tlcp_certificate_verify *verify,
                                  struct err *err) SMT_MUST_USE;

/* ---- finished.c (GB/T 38636 §6.4.5.10): 12 bytes of verify_data ---- */

struct tlcp_finished {
        uint8_t verify_data[TLCP_VERIFY_DATA_LEN];
};

int tlcp_finished_parse(struct tlcp_finished *out, struct buf_reader *in, struct err *err) SMT_MUST_USE;
int tlcp_finished_write(struct buf_writer *out, const struct tlcp_finished *finished, struct err *err) SMT_MUST_USE;

/* ---- new_session_ticket.c (RFC 5077 §3.3; Tongsuo servers send it, smtrust only skips it) ---- */

struct tlcp_new_session_ticket {
        uint32_t lifetime_hint;   /* seconds */
        struct buf_reader ticket; /* opaque; valid while `in` lives */
};

int tlcp_new_session_ticket_parse(struct tlcp_new_session_ticket *out, struct buf_reader *in,
                                  struct err *err) SMT_MUST_USE;
int tlcp_new_session_ticket_write(struct buf_writer *out, const struct tlcp_new_session_ticket *ticket,
                                  struct err *err) SMT_MUST_USE;

#endif
