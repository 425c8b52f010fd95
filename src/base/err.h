/* src/base/err.h: status codes and an error context that carries a human message.
 *
 * Every function that can fail returns int: 0 on success, a negative status on
 * failure, and fills a caller-provided struct err with what went wrong. Library
 * code never prints; src/cmd/ decides what the user sees.
 *
 * Each module owns one range of codes, all listed here so that err_name() can
 * name any of them: base -1..-49, crypto -50..-99, tlcp -100..-199, http -200..-249, gateway -250..-299, ca -300..-349. */
#ifndef SMT_BASE_ERR_H
#define SMT_BASE_ERR_H

#include <stddef.h>

#define SMT_MUST_USE __attribute__((warn_unused_result))
/* SMT_IGNORE drops a status on purpose (a best-effort write of a last response to a peer that may be
 * gone, say); the call site says why. (void) does not silence warn_unused_result in GCC. */
#define SMT_IGNORE(expr)                                                                           \
        do {                                                                                       \
                int smt_ignored_ = (expr);                                                         \
                (void)smt_ignored_;                                                                \
        } while (0)
#define SMT_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))

/* ERR_STATUS_MAP lists every status: symbol, value, short description. */
#define ERR_STATUS_MAP(X)                                                                          \
        X(SMT_OK, 0, "success")                                                                    \
        X(SMT_EAGAIN, -1, "need more input or room")                                               \
        X(SMT_ETRUNCATED, -2, "input truncated")                                                   \
        X(SMT_ECONFIG, -3, "configuration error")                                                  \
        X(SMT_ENOMEM, -4, "out of memory")                                                         \
        X(SMT_EIO, -5, "input/output error")                                                       \
        X(SMT_EINTERNAL, -6, "internal error")                                                     \
        X(SMT_EINVAL, -7, "invalid argument")                                                      \
        X(SMT_EDECODE, -8, "malformed input")                                                      \
        X(SMT_ENOSPACE, -9, "output buffer too small")                                             \
        X(SMT_EEXIST, -10, "already exists")                                                       \
        X(SMT_EPERM, -11, "permission denied")                                                     \
        X(CRYPTO_EKEY, -50, "unusable key")                                                        \
        X(CRYPTO_EWRONGALG, -51, "wrong key algorithm or curve")                                   \
        X(CRYPTO_EVERIFY, -52, "signature does not verify")                                        \
        X(CRYPTO_EDECRYPT, -53, "decryption failed")                                               \
        X(CRYPTO_ETAG, -54, "authentication tag mismatch")                                         \
        X(CRYPTO_EPASSPHRASE, -55, "wrong or missing passphrase")                                  \
        X(CRYPTO_EKEYEXCHANGE, -56, "key exchange failed")                                         \
        X(CRYPTO_EOPENSSL, -57, "OpenSSL failure")                                                 \
        X(CRYPTO_ERANDOM, -58, "random generator failure")                                         \
        X(CRYPTO_ECERT, -60, "malformed or unusable certificate")                                  \
        X(CRYPTO_ECERT_UNTRUSTED, -61, "certificate chain not trusted")                            \
        X(CRYPTO_ECERT_EXPIRED, -62, "certificate expired or not yet valid")                       \
        X(CRYPTO_ECERT_USAGE, -63, "certificate not allowed for this use")                         \
        X(CRYPTO_ECERT_NAME, -64, "certificate does not match the host name")                      \
        X(TLCP_EUNEXPECTED_MESSAGE, -100, "unexpected message")                                    \
        X(TLCP_EBAD_RECORD_MAC, -101, "bad record MAC")                                            \
        X(TLCP_ERECORD_OVERFLOW, -102, "record too long")                                          \
        X(TLCP_EHANDSHAKE_FAILURE, -103, "handshake failure")                                      \
        X(TLCP_EBAD_CERTIFICATE, -104, "bad certificate")                                          \
        X(TLCP_EUNSUPPORTED_CERTIFICATE, -105, "unsupported certificate")                          \
        X(TLCP_ECERTIFICATE_EXPIRED, -106, "certificate expired")                                  \
        X(TLCP_EUNKNOWN_CA, -107, "unknown CA")                                                    \
        X(TLCP_EILLEGAL_PARAMETER, -108, "illegal parameter")                                      \
        X(TLCP_EDECODE_ERROR, -109, "decode error")                                                \
        X(TLCP_EDECRYPT_ERROR, -110, "decrypt error")                                              \
        X(TLCP_EPROTOCOL_VERSION, -111, "protocol version")                                        \
        X(TLCP_ENO_RENEGOTIATION, -112, "renegotiation refused")                                   \
        X(TLCP_EINTERNAL, -113, "internal error")                                                  \
        X(TLCP_EPEER_ALERT, -114, "the peer sent a fatal alert")                                   \
        X(TLCP_ECLOSED, -115, "the peer closed the connection (close_notify)")                    \
        X(TLCP_EUNSUPPORTED_SITE, -116, "no certificate for the requested server name")            \
        X(HTTP_EBAD_REQUEST, -200, "malformed HTTP message")                                       \
        X(HTTP_ETOO_LARGE, -201, "header section too large")                                       \
        X(HTTP_ETARGET_TOO_LONG, -202, "request line too long")                                    \
        X(HTTP_EUNSUPPORTED, -203, "unsupported transfer coding")                                  \
        X(HTTP_EVERSION, -204, "HTTP version not supported")                                       \
        X(HTTP_EEXPECTATION, -205, "unsupported expectation")                                      \
        X(HTTP_EHTTP2_PREFACE, -206, "HTTP/2 connection preface on an HTTP/1.1 connection")       \
        X(GW_ENO_SERVER, -250, "no upstream server is available")                                 \
        X(GW_EACME, -251, "the ACME server answered with a problem")                              \
        X(CA_ENOT_FOUND, -300, "no such record")                                                   \
        X(CA_ECONFLICT, -301, "the record changed meanwhile")                                      \
        X(CA_ESTORE, -302, "certificate store failure")                                            \
        X(CA_EJOSE, -303, "malformed JWS or JWK")                                                  \
        X(CA_EJOSE_ALG, -307, "unsupported JWS algorithm")                                         \
        X(CA_ECSR, -304, "malformed or unacceptable CSR")                                          \
        X(CA_EVALIDATION, -305, "challenge validation failed")                                     \
        X(CA_EPOLICY, -306, "refused by the CA's policy")

enum smt_status {
#define ERR_STATUS_ENUM(name, value, text) name = (value),
        ERR_STATUS_MAP(ERR_STATUS_ENUM)
#undef ERR_STATUS_ENUM
};

/* struct err: the first failure's code, where it was raised, and its message. */
struct err {
        int code;
        const char *file;
        int line;
        char msg[256];
};

/* err_set_at records code and a printf-style message in e (if e is not NULL) and returns code. */
int err_set_at(struct err *e, int code, const char *file, int line, const char *fmt, ...) SMT_PRINTF(5, 6);

/* SMT_ERR fills e with code, the caller's position and a message, and evaluates to code. */
#define SMT_ERR(e, code, ...) err_set_at((e), (code), __FILE__, __LINE__, __VA_ARGS__)

/* TRY returns the status of expr from the enclosing function when it is negative. */
#define TRY(expr)                                                                                  \
        do {                                                                                       \
                int try_status_ = (expr);                                                          \
                if (try_status_ < 0)                                                               \
                        return try_status_;                                                        \
        } while (0)

/* err_prefix puts "context: " in front of e's message, for a caller that knows more; returns e->code. */
int err_prefix(struct err *e, const char *fmt, ...) SMT_PRINTF(2, 3);

/* err_clear resets e to "no error". */
void err_clear(struct err *e);

/* err_name returns the symbol of a status ("CRYPTO_ETAG"), or "UNKNOWN". */
const char *err_name(int code);

/* err_describe returns the short description of a status, or "unknown status". */
const char *err_describe(int code);

#endif
