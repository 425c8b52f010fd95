/* src/cmd/cmd.h: the sub-commands of the smtrust executable. Each takes the arguments after its name
 * (argv[0] is the sub-command) and returns the process exit status: 0 success, 1 failure, 2 usage error. */
#ifndef SMT_CMD_CMD_H
#define SMT_CMD_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/cert.h"
#include "net/address.h"
#include "tlcp/conn.h"

enum cmd_exit {
        CMD_EXIT_OK = 0,
        CMD_EXIT_FAILURE = 1,
        CMD_EXIT_USAGE = 2,
};

/* cmd_report prints "smtrust: <context>: <message>" for a failed status to stderr and returns CMD_EXIT_FAILURE. */
int cmd_report(const struct err *err, const char *context);

/* cmd_usage_error prints "smtrust: <command>: <message>" and "usage: <usage>" to stderr and returns
 * CMD_EXIT_USAGE. */
int cmd_usage_error(const char *command, const char *usage, const char *fmt, ...) SMT_PRINTF(3, 4);

/* The most a command reads from --in (or standard input) into memory. */
#define CMD_IO_INPUT_MAX ((size_t)256 << 20)

/* cmd_io_is_standard says whether path means standard input/output: NULL (option not given) or "-". */
bool cmd_io_is_standard(const char *path);

/* cmd_io_read_input reads all of path (standard input for NULL or "-") into a new buffer, refusing more than
 * max_len bytes; release it with file_free_contents. */
int cmd_io_read_input(uint8_t **out, size_t *out_len, const char *path, size_t max_len,
                      struct err *err) SMT_MUST_USE;

/* cmd_io_write_output writes data to path atomically with permissions mode (file_write_atomic, replacing
 * an existing file), or to standard output for NULL or "-". */
int cmd_io_write_output(const char *path, const uint8_t *data, size_t len, mode_t mode,
                        struct err *err) SMT_MUST_USE;

int cmd_key_main(int argc, char **argv);
int cmd_cert_main(int argc, char **argv);
int cmd_bench_main(int argc, char **argv);
int cmd_sign_main(int argc, char **argv);
int cmd_verify_main(int argc, char **argv);
int cmd_encrypt_main(int argc, char **argv);
int cmd_decrypt_main(int argc, char **argv);
int cmd_tlcp_client_main(int argc, char **argv);
int cmd_tlcp_server_main(int argc, char **argv);
int cmd_gateway_main(int argc, char **argv);
int cmd_demo_pki_main(int argc, char **argv);
int cmd_ca_main(int argc, char **argv);
int cmd_acme_main(int argc, char **argv);
int cmd_crl_main(int argc, char **argv);
int cmd_ocsp_main(int argc, char **argv);
int cmd_ts_main(int argc, char **argv);
/* cmd_ca_serve runs `smtrust ca -c config_path` until SIGTERM/SIGINT (cmd/ca_serve.c). */
int cmd_ca_serve(const char *config_path);

/* --- `smtrust cert issue` (cmd/cert_issue.c), called by cmd/cert.c with the parsed arguments --- */

struct cmd_cert_issue_args {
        const char *csr, *ca_cert, *ca_key;
        const char *passphrase_file; /* of the CA key; NULL when none */
        const char *out;             /* NULL or "-": standard output */
        const char *days, *hours;    /* as given (at most one); NULL when not */
        const char *const *usages;   /* --usage values: server, client, email, code, ocsp, timestamp */
        size_t num_usages;
        bool is_ca;
};

/* cmd_cert_issue verifies the request, issues its certificate under the CA and writes it as PEM; nothing is
 * written when it fails (err says why, naming the file). */
int cmd_cert_issue(const struct cmd_cert_issue_args *args, struct err *err) SMT_MUST_USE;

/* --- shared by tlcp-client and tlcp-server (cmd/tlcp_tool.c) --- */

/* The files of a TLCP certificate pair (GB/T 38636 dual certificates); chain and passphrase_file may be NULL. */
struct cmd_tlcp_pair_files {
        const char *sign_cert;
        const char *sign_key;
        const char *enc_cert;
        const char *enc_key;
        const char *chain;
        const char *passphrase_file;
};

/* A loaded pair; credentials borrows from the rest. */
struct cmd_tlcp_pair {
        struct cert_chain *sign_chain; /* the signing certificate first, maybe intermediates after it */
        struct cert_chain *enc_chain;
        struct cert_chain *intermediates; /* --chain, else what followed the signing certificate; may be NULL */
        struct key *sign_key;
        struct key *enc_key;
        struct tlcp_credentials credentials;
};

/* cmd_tlcp_pair_load loads the four files (and the chain) and checks each key is the SM2 private key of its
 * certificate; release with cmd_tlcp_pair_cleanup, also after a failure. */
/* cmd_tlcp_pair_option stores the value of a pair option both TLCP commands take (getopt letters S, K, E,
 * N, C, p: --sign-cert, --sign-key, --enc-cert, --enc-key, --chain, --passphrase-file); false for another. */
bool cmd_tlcp_pair_option(struct cmd_tlcp_pair_files *files, int opt, const char *value);

int cmd_tlcp_pair_load(struct cmd_tlcp_pair *pair, const struct cmd_tlcp_pair_files *files,
                       struct err *err) SMT_MUST_USE;
void cmd_tlcp_pair_cleanup(struct cmd_tlcp_pair *pair);

#define CMD_TLCP_SUITES_MAX 16
/* cmd_tlcp_suites_parse reads a comma-separated list of suite names (tlcp_suite_lookup_name) into out. */
int cmd_tlcp_suites_parse(uint16_t out[CMD_TLCP_SUITES_MAX], size_t *num_suites, const char *list,
                          struct err *err) SMT_MUST_USE;
/* cmd_tlcp_suites_have_ecdhe says whether the list (NULL: every suite) has an ECDHE suite. */
bool cmd_tlcp_suites_have_ecdhe(const uint16_t *suites, size_t num_suites);

/* cmd_tlcp_print_cert writes "* title:" and cert_describe's lines, indented, to out (for -v). */
int cmd_tlcp_print_cert(FILE *out, const char *title, const struct cert *cert);
/* cmd_tlcp_subject writes cert's subject as one line to out, or "none" for NULL. */
void cmd_tlcp_subject(const struct cert *cert, char out[CERT_NAME_TEXT_MAX]);

/* --- the HTTP/1.1 of tlcp-client (cmd/tlcp_http.c) --- */

#define CMD_TLCP_PATH_MAX 4096

struct cmd_tlcp_url {
        struct net_address address; /* port 443 unless the URL says otherwise */
        char path[CMD_TLCP_PATH_MAX]; /* with the query, without the fragment; "/" when empty */
};

/* cmd_tlcp_url_parse reads https://host[:port][/path][?query] ([v6] hosts in brackets). */
int cmd_tlcp_url_parse(struct cmd_tlcp_url *out, const char *text, struct err *err) SMT_MUST_USE;

/* cmd_tlcp_http_request appends "GET path HTTP/1.1" with Host, User-Agent and Connection: close to out. */
int cmd_tlcp_http_request(struct buf_writer *out, const struct cmd_tlcp_url *url, const char *user_agent,
                          struct err *err) SMT_MUST_USE;

/* A response read piece by piece until is_complete (RFC 9112 §6.3 decides where the body ends). */
struct cmd_tlcp_http_response {
        struct buf_writer raw;     /* every byte received */
        struct buf_writer decoded; /* the body of a chunked response */
        size_t head_len;           /* status line, headers and blank line; 0 until they are complete */
        int status_code;
        bool is_chunked;
        bool has_transfer_encoding;
        bool has_content_length;
        bool has_no_body;
        uint64_t content_length;
        size_t chunk_offset; /* in raw: the next chunk to decode */
        bool is_complete;
};

/* cmd_tlcp_http_response_init prepares response to hold at most max_len bytes. */
void cmd_tlcp_http_response_init(struct cmd_tlcp_http_response *response, size_t max_len);
void cmd_tlcp_http_response_cleanup(struct cmd_tlcp_http_response *response);
/* cmd_tlcp_http_response_put adds received bytes; SMT_EDECODE for a malformed response. */
int cmd_tlcp_http_response_put(struct cmd_tlcp_http_response *response, const uint8_t *data, size_t len,
                               struct err *err) SMT_MUST_USE;
/* cmd_tlcp_http_response_end is called at the end of the connection: SMT_ETRUNCATED unless the response is
 * complete or its body runs to the end of the connection. */
int cmd_tlcp_http_response_end(struct cmd_tlcp_http_response *response, struct err *err) SMT_MUST_USE;
/* cmd_tlcp_http_response_body points at the (decoded) body, borrowed from response. */
void cmd_tlcp_http_response_body(const struct cmd_tlcp_http_response *response, const uint8_t **data,
                                 size_t *len);

#endif
