/* src/tlcp/session_cache.h: resumable TLCP sessions (GB/T 38636-2020 §6.4.5.2, session ID resumption) and
 * the server's cache of them.
 *
 * A session is plain data: copy it by assignment, wipe it with tlcp_session_wipe when done. The cache is a
 * ring of max_entries slots indexed by session ID: a new session takes the slot of the oldest one, and a
 * session older than lifetime seconds is never found again. Every entry that leaves the cache is wiped, and
 * the client certificates kept with it are freed.
 * Time is passed in by the caller (the connection uses config->verify_time when set, so tests control
 * the clock). A cache is thread-safe (one mutex): the gateway's worker threads share one, so a client resumes
 * whichever thread takes its next connection. */
#ifndef SMT_TLCP_SESSION_CACHE_H
#define SMT_TLCP_SESSION_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/err.h"
#include "crypto/cert.h"
#include "tlcp/messages.h"
#include "tlcp/protocol.h"

struct tlcp_session {
        uint8_t id[TLCP_SESSION_ID_MAX];
        size_t id_len; /* 0: not resumable */
        uint8_t master_secret[TLCP_MASTER_SECRET_LEN];
        uint16_t suite_id;                          /* enum tlcp_suite_id */
        time_t created;                             /* when the full handshake completed */
        char server_name[TLCP_SERVER_NAME_MAX + 1]; /* SNI of the full handshake, "" when none */
};

/* tlcp_session_wipe zeroes session, secret included. */
void tlcp_session_wipe(struct tlcp_session *session);

/* The client's certificates a server keeps with a session, so that a connection resuming it still knows
 * who authenticated (an abbreviated handshake carries no Certificate). NULL members: none (the client did
 * not authenticate, or sent its signing certificate alone). */
struct tlcp_session_certificates {
        struct cert *sign_cert;
        struct cert *enc_cert;
};

/* tlcp_session_certificates_cleanup frees both certificates and sets them to NULL. */
void tlcp_session_certificates_cleanup(struct tlcp_session_certificates *certificates);

struct tlcp_session_cache;

/* tlcp_session_cache_new makes a cache of max_entries (1..1,000,000) sessions that each live lifetime
 * seconds (> 0); SMT_EINVAL otherwise. Free with tlcp_session_cache_free. */
int tlcp_session_cache_new(struct tlcp_session_cache **out, size_t max_entries, time_t lifetime,
                           struct err *err) SMT_MUST_USE;

/* tlcp_session_cache_free wipes every session and releases cache (NULL is fine). */
void tlcp_session_cache_free(struct tlcp_session_cache *cache);

/* tlcp_session_cache_store copies session (id_len 1..32, else SMT_EINVAL) into the cache, with copies of the
 * client's certificates (certificates or its members may be NULL): over the session with the same ID (in its
 * slot), else into the oldest slot (evicting its session when full). On failure the cache is unchanged. */
int tlcp_session_cache_store(struct tlcp_session_cache *cache, const struct tlcp_session *session,
                             const struct tlcp_session_certificates *certificates, struct err *err) SMT_MUST_USE;

/* tlcp_session_cache_lookup copies the session with id into *out and returns 1; 0 when there is none or it
 * is older than the lifetime at now (then it is removed and wiped). With certificates not NULL it also gets
 * new copies of the stored client certificates (free them with tlcp_session_certificates_cleanup); a
 * failure to copy returns SMT_ENOMEM and nothing. */
int tlcp_session_cache_lookup(struct tlcp_session_cache *cache, struct tlcp_session *out,
                              struct tlcp_session_certificates *certificates, const uint8_t *id, size_t id_len,
                              time_t now, struct err *err) SMT_MUST_USE;

/* tlcp_session_cache_remove forgets the session with id, if any (a fatal alert ends a session, RFC 5246 §7.2). */
void tlcp_session_cache_remove(struct tlcp_session_cache *cache, const uint8_t *id, size_t id_len);

/* tlcp_session_cache_count returns the number of sessions held (expired ones included until looked up). */
size_t tlcp_session_cache_count(const struct tlcp_session_cache *cache);

#endif
