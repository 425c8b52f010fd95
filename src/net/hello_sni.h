/* src/net/hello_sni.h: the server name a TLS or TLCP client asks for, read from its first record without
 * terminating anything: the gateway's pass-through listeners route the raw connection by it.
 *
 * The ClientHello must fit in the first record (RFC 8446 §5.1 allows a client to split it over several;
 * every browser and library sends one record, post-quantum key shares included, up to 2^14 bytes). The
 * bytes are only looked at: the caller forwards all of them to the chosen server. */
#ifndef SMT_NET_HELLO_SNI_H
#define SMT_NET_HELLO_SNI_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* A host_name is at most 255 bytes (RFC 6066 §3: HostName<1..2^16-1>, but DNS names stop at 253). */
#define NET_HELLO_SNI_MAX 255

/* net_hello_sni reads the first len bytes a client sent: SMT_EAGAIN when the first record is not whole yet
 * (*need says how many bytes it takes in all), 0 with the server name in out ("" when the client sent none),
 * SMT_EDECODE when the bytes are not a handshake record holding one whole ClientHello (the message names
 * what was wrong), or the ClientHello parser's status for a malformed one. */
int net_hello_sni(const uint8_t *data, size_t len, char out[NET_HELLO_SNI_MAX + 1], size_t *need,
                  struct err *err) SMT_MUST_USE;

#endif
