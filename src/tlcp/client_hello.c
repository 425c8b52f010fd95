/* src/tlcp/client_hello.c: ClientHello (GB/T 38636 §6.4.5.2.1), with the extensions real peers send:
 * server_name (RFC 6066 §3), session_ticket (RFC 5077 §3.2) and renegotiation_info (RFC 5746 §3.2).
 * Unknown extensions are skipped: GmSSL's server aborts on them, which is exactly what we must not do. */
#include "tlcp/messages.h"

#include <string.h>

#include "tlcp/field.h"

static const char tlcp_client_hello_name[] = "client_hello";

/* tlcp_client_hello_set_host_name keeps the host_name entry; RFC 6066 §3 allows one name per name_type
 * and a HostName<1..2^16-1>, and a NUL inside would cut the C string the engine looks the site up by. */
static int tlcp_client_hello_set_host_name(struct tlcp_client_hello *hello, struct buf_reader name, struct err *err)
{
        if (hello->has_server_name)
                return SMT_ERR(err, TLCP_EDECODE_ERROR, "client_hello: server_name lists two host_name entries");
        if (name.len == 0)
                return SMT_ERR(err, TLCP_EDECODE_ERROR, "client_hello: server_name host_name is empty");
        if (name.len > TLCP_SERVER_NAME_MAX)
                return SMT_ERR(err, TLCP_EILLEGAL_PARAMETER,
                               "client_hello: server_name host_name of %zu bytes exceeds %d", name.len,
                               TLCP_SERVER_NAME_MAX);
        if (memchr(name.data, 0, name.len) != NULL)
                return SMT_ERR(err, TLCP_EILLEGAL_PARAMETER, "client_hello: server_name host_name contains a NUL byte");
        hello->server_name_len = name.len;
        hello->server_name[name.len] = '\0';
        hello->has_server_name = true;
        return buf_read_bytes(&name, (uint8_t *)hello->server_name, name.len);
}

/* ServerNameList: server_name_list<1..2^16-1> of { NameType name_type; HostName name } (RFC 6066 §3).
 * Every name type known today has a uint16-prefixed name; entries of other types are skipped. */
static int tlcp_client_hello_read_server_name(struct tlcp_client_hello *hello, struct buf_reader data, struct err *err)
{
        const char *m = tlcp_client_hello_name;
        struct buf_reader list;
        TRY(tlcp_field_read_u16_vector(&data, &list, m, "server_name_list", err));
        TRY(tlcp_field_expect_end(&data, m, "server_name_list", err));
        if (buf_reader_is_empty(&list))
                return SMT_ERR(err, TLCP_EDECODE_ERROR, "client_hello: server_name_list is empty");
        while (!buf_reader_is_empty(&list)) {
                uint8_t name_type;
                struct buf_reader name;
                TRY(tlcp_field_read_u8(&list, &name_type, m, "server_name name_type", err));
                TRY(tlcp_field_read_u16_vector(&list, &name, m, "server_name name", err));
                if (name_type == 0)
                        TRY(tlcp_client_hello_set_host_name(hello, name, err));
        }
        return SMT_OK;
}

/* tlcp_client_hello_read_extensions records the three extensions the engine asks about. */
static int tlcp_client_hello_read_extensions(struct tlcp_client_hello *hello, struct err *err)
{
        const char *m = tlcp_client_hello_name;
        struct buf_reader data;
        if (tlcp_extensions_lookup(&hello->extensions, TLCP_EXTENSION_SERVER_NAME, &data))
                TRY(tlcp_client_hello_read_server_name(hello, data, err));
        hello->has_session_ticket =
            tlcp_extensions_lookup(&hello->extensions, TLCP_EXTENSION_SESSION_TICKET, &hello->session_ticket);
        hello->has_renegotiation_info =
            tlcp_extensions_lookup(&hello->extensions, TLCP_EXTENSION_RENEGOTIATION_INFO, &data);
        if (hello->has_renegotiation_info) {
                TRY(tlcp_field_read_u8_vector(&data, &hello->renegotiated_connection, m, "renegotiation_info", err));
                TRY(tlcp_field_expect_end(&data, m, "renegotiation_info", err));
        }
        return SMT_OK;
}

/* CipherSuite cipher_suites<2..2^16-2>; CompressionMethod compression_methods<1..2^8-1>, and TLS 1.1
 * §7.4.1.2 requires null (0) among them. */
static int tlcp_client_hello_check_lists(struct tlcp_client_hello *hello, struct err *err)
{
        if (hello->cipher_suites.len == 0)
                return SMT_ERR(err, TLCP_EDECODE_ERROR, "client_hello: cipher_suites is empty");
        if (hello->cipher_suites.len % 2 != 0)
                return SMT_ERR(err, TLCP_EDECODE_ERROR, "client_hello: cipher_suites length %zu is odd",
                               hello->cipher_suites.len);
        hello->num_cipher_suites = hello->cipher_suites.len / 2;
        if (hello->compression_methods.len == 0)
                return SMT_ERR(err, TLCP_EDECODE_ERROR, "client_hello: compression_methods is empty");
        if (memchr(hello->compression_methods.data, 0, hello->compression_methods.len) == NULL)
                return SMT_ERR(err, TLCP_EILLEGAL_PARAMETER, "client_hello: compression_methods (%zu) lacks null (0)",
                               hello->compression_methods.len);
        return SMT_OK;
}

int tlcp_client_hello_parse(struct tlcp_client_hello *out, struct buf_reader *in, struct err *err)
{
        const char *m = tlcp_client_hello_name;
        *out = (struct tlcp_client_hello){.client_version = 0};
        TRY(tlcp_field_read_u16(in, &out->client_version, m, "client_version", err));
        TRY(tlcp_field_read_bytes(in, out->random, sizeof out->random, m, "random", err));
        TRY(tlcp_field_read_session_id(in, out->session_id, &out->session_id_len, m, err));
        TRY(tlcp_field_read_u16_vector(in, &out->cipher_suites, m, "cipher_suites", err));
        TRY(tlcp_field_read_u8_vector(in, &out->compression_methods, m, "compression_methods", err));
        TRY(tlcp_client_hello_check_lists(out, err));
        TRY(tlcp_extensions_parse(&out->extensions, in, m, err));
        return tlcp_client_hello_read_extensions(out, err);
}

uint16_t tlcp_client_hello_suite_get(const struct tlcp_client_hello *hello, size_t index)
{
        struct buf_reader suites = hello->cipher_suites;
        uint16_t id = 0;
        if (buf_skip(&suites, 2 * index) < 0 || buf_read_u16(&suites, &id) < 0)
                return 0;
        return id;
}

bool tlcp_client_hello_offers_suite(const struct tlcp_client_hello *hello, uint16_t id)
{
        for (size_t i = 0; i < hello->num_cipher_suites; i++)
                if (tlcp_client_hello_suite_get(hello, i) == id)
                        return true;
        return false;
}

static const uint8_t tlcp_client_hello_null_compression[] = {0};

/* server_name extension_data for one host_name: list length || 0 || name length || name. */
static int tlcp_client_hello_write_server_name(struct buf_writer *out, const char *server_name)
{
        size_t extension_mark, list_mark, name_mark;
        TRY(buf_write_u16(out, TLCP_EXTENSION_SERVER_NAME));
        TRY(buf_write_vector_begin(out, 2, &extension_mark));
        TRY(buf_write_vector_begin(out, 2, &list_mark));
        TRY(buf_write_u8(out, 0));
        TRY(buf_write_vector_begin(out, 2, &name_mark));
        TRY(buf_write_bytes(out, (const uint8_t *)server_name, strlen(server_name)));
        TRY(buf_write_vector_end(out, 2, name_mark));
        TRY(buf_write_vector_end(out, 2, list_mark));
        return buf_write_vector_end(out, 2, extension_mark);
}

static int tlcp_client_hello_write_extensions(struct buf_writer *out, const struct tlcp_client_hello_params *params)
{
        size_t mark;
        if (params->server_name == NULL && !params->send_session_ticket && params->extra_extensions.len == 0)
                return SMT_OK;
        TRY(buf_write_vector_begin(out, 2, &mark));
        if (params->server_name != NULL)
                TRY(tlcp_client_hello_write_server_name(out, params->server_name));
        if (params->send_session_ticket) {
                TRY(buf_write_u16(out, TLCP_EXTENSION_SESSION_TICKET));
                TRY(buf_write_u16(out, 0));
        }
        TRY(buf_write_bytes(out, params->extra_extensions.data, params->extra_extensions.len));
        return buf_write_vector_end(out, 2, mark);
}

static int tlcp_client_hello_write_body(struct buf_writer *out, const struct tlcp_client_hello_params *params)
{
        size_t mark;
        TRY(buf_write_u16(out, params->client_version));
        TRY(buf_write_bytes(out, params->random, TLCP_RANDOM_LEN));
        TRY(buf_write_u8(out, (uint8_t)params->session_id_len));
        TRY(buf_write_bytes(out, params->session_id, params->session_id_len));
        TRY(buf_write_vector_begin(out, 2, &mark));
        for (size_t i = 0; i < params->num_suites; i++)
                TRY(buf_write_u16(out, params->suites[i]));
        TRY(buf_write_vector_end(out, 2, mark));
        if (params->compression_methods == NULL) {
                TRY(buf_write_u8(out, sizeof tlcp_client_hello_null_compression));
                TRY(buf_write_bytes(out, tlcp_client_hello_null_compression,
                                    sizeof tlcp_client_hello_null_compression));
        } else {
                TRY(buf_write_u8(out, (uint8_t)params->num_compression_methods));
                TRY(buf_write_bytes(out, params->compression_methods, params->num_compression_methods));
        }
        return tlcp_client_hello_write_extensions(out, params);
}

/* tlcp_client_hello_check_params refuses what the ClientHello grammar cannot carry, before writing. */
static int tlcp_client_hello_check_params(const struct tlcp_client_hello_params *params, struct err *err)
{
        size_t name_len = params->server_name != NULL ? strlen(params->server_name) : 0;
        if (params->random == NULL)
                return SMT_ERR(err, SMT_EINVAL, "client_hello: no random");
        if (params->session_id_len > TLCP_SESSION_ID_MAX || (params->session_id == NULL && params->session_id_len > 0))
                return SMT_ERR(err, SMT_EINVAL, "client_hello: session_id of %zu bytes (0..32)",
                               params->session_id_len);
        if (params->num_suites == 0 || params->num_suites > UINT16_MAX / 2 || params->suites == NULL)
                return SMT_ERR(err, SMT_EINVAL, "client_hello: %zu cipher suites (1..32767)", params->num_suites);
        if (params->compression_methods != NULL &&
            (params->num_compression_methods == 0 || params->num_compression_methods > UINT8_MAX))
                return SMT_ERR(err, SMT_EINVAL, "client_hello: %zu compression methods (1..255)",
                               params->num_compression_methods);
        if (params->server_name != NULL && (name_len == 0 || name_len > TLCP_SERVER_NAME_MAX))
                return SMT_ERR(err, SMT_EINVAL, "client_hello: server_name of %zu bytes (1..%d)", name_len,
                               TLCP_SERVER_NAME_MAX);
        /* server_name costs 9 bytes beside the name, an empty session_ticket 4. */
        size_t block_len = (params->server_name != NULL ? 9 + name_len : 0) + (params->send_session_ticket ? 4 : 0) +
                           params->extra_extensions.len;
        if (block_len > UINT16_MAX)
                return SMT_ERR(err, SMT_EINVAL, "client_hello: extensions of %zu bytes exceed 65535", block_len);
        return SMT_OK;
}

int tlcp_client_hello_write(struct buf_writer *out, const struct tlcp_client_hello_params *params, struct err *err)
{
        TRY(tlcp_client_hello_check_params(params, err));
        return tlcp_field_wrote(tlcp_client_hello_write_body(out, params), tlcp_client_hello_name, err);
}
