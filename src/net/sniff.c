/* src/net/sniff.c: see sniff.h. */
#include "net/sniff.h"

#include <stdbool.h>

#include "tlcp/record.h"

/* A TLS or TLCP handshake record (RFC 5246 §6.2.1 ContentType handshake(22)). */
#define NET_SNIFF_HANDSHAKE 22

/* net_sniff_is_tchar: RFC 9110 §5.6.2 tchar, the characters of a method token. */
static bool net_sniff_is_tchar(uint8_t c)
{
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
                return true;
        switch (c) {
        case '!':
        case '#':
        case '$':
        case '%':
        case '&':
        case '\'':
        case '*':
        case '+':
        case '-':
        case '.':
        case '^':
        case '_':
        case '`':
        case '|':
        case '~':
                return true;
        default:
                return false;
        }
}

/* net_sniff_record classifies bytes starting with the handshake content type. TLS clients put 0x0301 in
 * the ClientHello record for compatibility (RFC 8446 §5.1) and TLS 1.2 ones may put 0x0303. */
static enum net_sniff_kind net_sniff_record(const uint8_t *data, size_t len)
{
        if (len < NET_SNIFF_RECORD_LEN)
                return (len < 2 || data[1] == 0x03 || data[1] == 0x01) ? NET_SNIFF_NEED_MORE : NET_SNIFF_UNKNOWN;
        if (tlcp_record_is_tlcp_client_hello(data, len))
                return NET_SNIFF_TLCP;
        if (data[1] == 0x03 && data[2] >= 0x01 && data[2] <= 0x03)
                return NET_SNIFF_TLS;
        return NET_SNIFF_UNKNOWN;
}

/* net_sniff_method: a non-empty token of tchar followed by one space (RFC 9112 §3 request-line). */
static enum net_sniff_kind net_sniff_method(const uint8_t *data, size_t len)
{
        for (size_t i = 0; i < len; i++) {
                if (i >= NET_SNIFF_METHOD_MAX)
                        return NET_SNIFF_UNKNOWN;
                if (data[i] == ' ')
                        return i > 0 ? NET_SNIFF_HTTP : NET_SNIFF_UNKNOWN;
                if (!net_sniff_is_tchar(data[i]))
                        return NET_SNIFF_UNKNOWN;
        }
        return len < NET_SNIFF_METHOD_MAX ? NET_SNIFF_NEED_MORE : NET_SNIFF_UNKNOWN;
}

enum net_sniff_kind net_sniff_classify(const uint8_t *data, size_t len)
{
        if (len == 0)
                return NET_SNIFF_NEED_MORE;
        if (data[0] == NET_SNIFF_HANDSHAKE)
                return net_sniff_record(data, len);
        return net_sniff_method(data, len);
}

const char *net_sniff_kind_name(enum net_sniff_kind kind)
{
        switch (kind) {
        case NET_SNIFF_NEED_MORE:
                return "need-more";
        case NET_SNIFF_TLCP:
                return "tlcp";
        case NET_SNIFF_TLS:
                return "tls";
        case NET_SNIFF_HTTP:
                return "http";
        case NET_SNIFF_UNKNOWN:
                return "unknown";
        }
        return "unknown";
}
