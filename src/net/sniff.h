/* src/net/sniff.h: tells, from the first bytes a client sends on a shared port, which protocol it speaks:
 * a TLCP ClientHello (GB/T 38636-2020 §6.3.3.1: record type 22, version 0x0101), a TLS ClientHello (RFC 8446
 * §5.1 / RFC 5246 §6.2.1: record type 22, record version 0x0301..0x0303), a plain HTTP request (RFC 9112
 * §3: a method token then one space, for the redirect listener), or none of them. The bytes are only looked
 * at, never consumed: the caller hands them on to the chosen back end. */
#ifndef SMT_NET_SNIFF_H
#define SMT_NET_SNIFF_H

#include <stddef.h>
#include <stdint.h>

/* Bytes a record header needs before TLS and TLCP can be told apart: type and version. */
#define NET_SNIFF_RECORD_LEN 3
/* The longest HTTP method accepted, space included; a longer token is NET_SNIFF_UNKNOWN. No registered
 * method (IANA HTTP Method Registry) is longer than 17 characters (VERSION-CONTROL is 15). */
#define NET_SNIFF_METHOD_MAX 24

enum net_sniff_kind {
        NET_SNIFF_NEED_MORE, /* the bytes so far fit more than one kind, or none yet: read more */
        NET_SNIFF_TLCP,
        NET_SNIFF_TLS,
        NET_SNIFF_HTTP,
        NET_SNIFF_UNKNOWN, /* nothing this port speaks: close the connection */
};

/* net_sniff_classify looks at the first len bytes a client sent. It answers NET_SNIFF_NEED_MORE only while
 * more bytes could still change the answer, so a caller reading at most NET_SNIFF_METHOD_MAX bytes always
 * gets a final answer. */
enum net_sniff_kind net_sniff_classify(const uint8_t *data, size_t len);

/* net_sniff_kind_name returns a fixed lowercase name ("tlcp", "tls", "http", "unknown", "need-more"). */
const char *net_sniff_kind_name(enum net_sniff_kind kind);

#endif
