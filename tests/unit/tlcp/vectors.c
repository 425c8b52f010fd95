/* tests/unit/tlcp/vectors.c: loading the recorded TLCP connections (see vectors.h). Every field is
 * checked as it is read, and the handshake messages cut from the records are compared with the file's own
 * "handshake_messages" list, so a test never runs on a silently misread vector. */
#include "vectors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static const char *const tlcp_vector_names[] = {
    "01-tongsuo-tongsuo-ecc-sm4-cbc-sm3.json",   "02-tongsuo-tongsuo-ecc-sm4-gcm-sm3.json",
    "03-tongsuo-tongsuo-ecdhe-sm4-cbc-sm3.json", "04-tongsuo-tongsuo-ecdhe-sm4-gcm-sm3.json",
    "05-gmssl-gmssl-ecdhe-sm4-gcm-sm3.json",     "06-gmssl-tongsuo-ecc-sm4-gcm-sm3.json",
    "07-tongsuo-gmssl-ecc-sm4-cbc-sm3.json",
};

size_t tlcp_vector_count(void)
{
        return sizeof tlcp_vector_names / sizeof tlcp_vector_names[0];
}

const char *tlcp_vector_name(size_t index)
{
        CHECK(index < tlcp_vector_count());
        return tlcp_vector_names[index];
}

static void *tlcp_vector_alloc(size_t len)
{
        void *p = calloc(1, len > 0 ? len : 1);
        CHECK(p != NULL);
        return p;
}

uint8_t *tlcp_vector_hex_decode(const char *hex, size_t *len)
{
        size_t digits = strlen(hex);
        if (digits % 2 != 0)
                check_fail(__FILE__, __LINE__, "hex string of odd length %zu", digits);
        uint8_t *out = tlcp_vector_alloc(digits / 2);
        *len = check_hex(out, digits / 2, hex);
        return out;
}

/* tlcp_vector_lookup follows a dotted path from root; NULL when a member is missing. */
static json_t *tlcp_vector_lookup(json_t *root, const char *path)
{
        char copy[256];
        snprintf(copy, sizeof copy, "%s", path);
        json_t *node = root;
        char *save = NULL;
        for (char *key = strtok_r(copy, ".", &save); key != NULL && node != NULL; key = strtok_r(NULL, ".", &save))
                node = json_object_get(node, key);
        return node;
}

bool tlcp_vector_has_field(const struct tlcp_vector *v, const char *path)
{
        json_t *node = tlcp_vector_lookup(v->root, path);
        return node != NULL && !json_is_null(node);
}

static const char *tlcp_vector_get_string(json_t *root, const char *path, const char *file)
{
        const char *s = json_string_value(tlcp_vector_lookup(root, path));
        if (s == NULL)
                check_fail(__FILE__, __LINE__, "%s: no string at %s", file, path);
        return s;
}

size_t tlcp_vector_get_hex(const struct tlcp_vector *v, const char *path, uint8_t *out, size_t cap)
{
        return check_hex(out, cap, tlcp_vector_get_string(v->root, path, v->name));
}

/* tlcp_vector_get_exact decodes a hex field that must be exactly len bytes long. */
static void tlcp_vector_get_exact(const struct tlcp_vector *v, const char *path, uint8_t *out, size_t len)
{
        size_t got = tlcp_vector_get_hex(v, path, out, len);
        if (got != len)
                check_fail(__FILE__, __LINE__, "%s: %s has %zu bytes, expected %zu", v->name, path, got, len);
}

static void tlcp_vector_read_record(const struct tlcp_vector *v, json_t *item, struct tlcp_vector_record *record)
{
        const char *dir = tlcp_vector_get_string(item, "dir", v->name);
        CHECK(strcmp(dir, "c2s") == 0 || strcmp(dir, "s2c") == 0);
        record->is_from_client = strcmp(dir, "c2s") == 0;
        json_int_t type = json_integer_value(json_object_get(item, "type"));
        CHECK(type >= 20 && type <= 23);
        record->type = (uint8_t)type;
        uint8_t version[2];
        CHECK_EQ(check_hex(version, sizeof version, tlcp_vector_get_string(item, "version", v->name)), 2);
        record->version = (uint16_t)(version[0] << 8 | version[1]);
        record->fragment =
            tlcp_vector_hex_decode(tlcp_vector_get_string(item, "fragment_hex", v->name), &record->fragment_len);
        json_t *seq = json_object_get(item, "seq");
        record->is_protected = seq != NULL;
        if (!record->is_protected) {
                record->plaintext = record->fragment;
                record->plaintext_len = record->fragment_len;
                return;
        }
        CHECK(json_is_integer(seq) && json_integer_value(seq) >= 0);
        record->seq = (uint64_t)json_integer_value(seq);
        record->plaintext =
            tlcp_vector_hex_decode(tlcp_vector_get_string(item, "plaintext_hex", v->name), &record->plaintext_len);
}

/* Handshake bytes of one direction not yet cut into messages. */
struct tlcp_vector_pending {
        uint8_t *data;
        size_t len;
        bool is_encrypted;
};

/* tlcp_vector_cut_messages moves every complete message at the front of pending to v's message list. */
static void tlcp_vector_cut_messages(struct tlcp_vector *v, struct tlcp_vector_pending *pending, bool is_from_client,
                                     size_t *used)
{
        while (pending->len >= TLCP_HANDSHAKE_HEADER_LEN) {
                size_t body_len = (size_t)pending->data[1] << 16 | (size_t)pending->data[2] << 8 | pending->data[3];
                size_t len = TLCP_HANDSHAKE_HEADER_LEN + body_len;
                if (pending->len < len)
                        return;
                memcpy(v->message_bytes + *used, pending->data, len);
                v->messages[v->num_messages++] = (struct tlcp_vector_message){
                    .is_from_client = is_from_client,
                    .msg_type = pending->data[0],
                    .data = v->message_bytes + *used,
                    .len = len,
                    .is_encrypted = pending->is_encrypted,
                };
                *used += len;
                memmove(pending->data, pending->data + len, pending->len - len);
                pending->len -= len;
        }
}

/* tlcp_vector_split_messages cuts each direction's handshake content into messages, ordered by the record
 * that completes each one (the relay's wire order, which is the transcript order). */
static void tlcp_vector_split_messages(struct tlcp_vector *v)
{
        size_t total = 0;
        for (size_t i = 0; i < v->num_records; i++)
                if (v->records[i].type == TLCP_CONTENT_HANDSHAKE)
                        total += v->records[i].plaintext_len;
        v->message_bytes = tlcp_vector_alloc(total);
        v->messages = tlcp_vector_alloc(sizeof *v->messages * (total / TLCP_HANDSHAKE_HEADER_LEN + 1));
        struct tlcp_vector_pending pending[2] = {{tlcp_vector_alloc(total), 0, false},
                                                 {tlcp_vector_alloc(total), 0, false}};
        size_t used = 0;
        for (size_t i = 0; i < v->num_records; i++) {
                const struct tlcp_vector_record *r = &v->records[i];
                if (r->type != TLCP_CONTENT_HANDSHAKE)
                        continue;
                struct tlcp_vector_pending *p = &pending[r->is_from_client];
                memcpy(p->data + p->len, r->plaintext, r->plaintext_len);
                p->len += r->plaintext_len;
                p->is_encrypted = r->is_protected;
                tlcp_vector_cut_messages(v, p, r->is_from_client, &used);
        }
        CHECK_EQ(pending[0].len, 0);
        CHECK_EQ(pending[1].len, 0);
        free(pending[0].data);
        free(pending[1].data);
}

/* tlcp_vector_check_messages compares the cut messages with the file's "handshake_messages" list. */
static void tlcp_vector_check_messages(const struct tlcp_vector *v)
{
        json_t *list = json_object_get(v->root, "handshake_messages");
        CHECK(json_is_array(list));
        CHECK_EQ(json_array_size(list), v->num_messages);
        for (size_t i = 0; i < v->num_messages; i++) {
                json_t *item = json_array_get(list, i);
                const struct tlcp_vector_message *m = &v->messages[i];
                CHECK_EQ(strcmp(tlcp_vector_get_string(item, "dir", v->name), m->is_from_client ? "c2s" : "s2c"), 0);
                CHECK_EQ(json_integer_value(json_object_get(item, "msg_type")), m->msg_type);
                CHECK_EQ(json_integer_value(json_object_get(item, "length")), m->len - TLCP_HANDSHAKE_HEADER_LEN);
                CHECK_EQ(json_is_true(json_object_get(item, "encrypted")), m->is_encrypted);
        }
}

static void tlcp_vector_read_records(struct tlcp_vector *v)
{
        json_t *records = json_object_get(v->root, "records");
        CHECK(json_is_array(records) && json_array_size(records) > 0);
        v->num_records = json_array_size(records);
        v->records = tlcp_vector_alloc(sizeof *v->records * v->num_records);
        for (size_t i = 0; i < v->num_records; i++)
                tlcp_vector_read_record(v, json_array_get(records, i), &v->records[i]);
}

static void tlcp_vector_read_secrets(struct tlcp_vector *v)
{
        tlcp_vector_get_exact(v, "master_secret_hex", v->master_secret, sizeof v->master_secret);
        tlcp_vector_get_exact(v, "client_random_hex", v->client_random, sizeof v->client_random);
        tlcp_vector_get_exact(v, "server_random_hex", v->server_random, sizeof v->server_random);
        v->has_pre_master = tlcp_vector_has_field(v, "premaster_hex");
        if (v->has_pre_master)
                tlcp_vector_get_exact(v, "premaster_hex", v->pre_master, sizeof v->pre_master);
        tlcp_vector_get_exact(v, "derived.client_finished_verify_data_hex", v->client_verify_data,
                              sizeof v->client_verify_data);
        tlcp_vector_get_exact(v, "derived.server_finished_verify_data_hex", v->server_verify_data,
                              sizeof v->server_verify_data);
}

void tlcp_vector_load(struct tlcp_vector *v, const char *name)
{
        *v = (struct tlcp_vector){.name = name};
        if (check_shared_path("vectors/tlcp") == NULL)
                check_skip_all("no recorded TLCP connections (SMT_SHARED_DIR/vectors/tlcp)");
        char relative[256];
        snprintf(relative, sizeof relative, "vectors/tlcp/%s", name);
        const char *path = check_shared_path(relative);
        if (path == NULL)
                check_fail(__FILE__, __LINE__, "%s is missing from the shared vectors", name);
        json_error_t error;
        v->root = json_load_file(path, 0, &error);
        if (v->root == NULL)
                check_fail(__FILE__, __LINE__, "%s:%d: %s", name, error.line, error.text);
        const char *suite_name = tlcp_vector_get_string(v->root, "cipher_suite.name", name);
        v->suite = tlcp_suite_lookup_name(suite_name);
        if (v->suite == NULL)
                check_fail(__FILE__, __LINE__, "%s: unknown suite %s", name, suite_name);
        tlcp_vector_read_records(v);
        tlcp_vector_read_secrets(v);
        tlcp_vector_split_messages(v);
        tlcp_vector_check_messages(v);
}

void tlcp_vector_free(struct tlcp_vector *v)
{
        for (size_t i = 0; i < v->num_records; i++) {
                if (v->records[i].is_protected)
                        free(v->records[i].plaintext);
                free(v->records[i].fragment);
        }
        free(v->records);
        free(v->messages);
        free(v->message_bytes);
        json_decref(v->root);
        *v = (struct tlcp_vector){.name = NULL};
}

const char *tlcp_vector_pki_path(const struct tlcp_vector *v, const char *role)
{
        const char *file = json_string_value(json_object_get(json_object_get(v->root, "pki"), role));
        if (file == NULL)
                return NULL;
        char relative[256];
        snprintf(relative, sizeof relative, "vectors/tlcp/%s", file);
        const char *path = check_shared_path(relative);
        if (path == NULL)
                check_fail(__FILE__, __LINE__, "%s: pki file %s is missing", v->name, file);
        return path;
}

const struct tlcp_vector_message *tlcp_vector_find_message(const struct tlcp_vector *v, uint8_t msg_type,
                                                           bool is_from_client)
{
        for (size_t i = 0; i < v->num_messages; i++)
                if (v->messages[i].msg_type == msg_type && v->messages[i].is_from_client == is_from_client)
                        return &v->messages[i];
        return NULL;
}

uint8_t *tlcp_vector_transcript(const struct tlcp_vector *v, uint8_t msg_type, bool is_from_client, size_t *len)
{
        const struct tlcp_vector_message *end = tlcp_vector_find_message(v, msg_type, is_from_client);
        if (end == NULL)
                check_fail(__FILE__, __LINE__, "%s: no %s from the %s", v->name, tlcp_handshake_type_name(msg_type),
                           is_from_client ? "client" : "server");
        /* message_bytes holds the messages back to back in transcript order. */
        *len = (size_t)(end->data - v->message_bytes);
        uint8_t *out = tlcp_vector_alloc(*len);
        memcpy(out, v->message_bytes, *len);
        return out;
}

uint8_t *tlcp_vector_stream(const struct tlcp_vector *v, bool is_from_client, size_t *len)
{
        size_t total = 0;
        for (size_t i = 0; i < v->num_records; i++)
                if (v->records[i].is_from_client == is_from_client)
                        total += TLCP_RECORD_HEADER_LEN + v->records[i].fragment_len;
        uint8_t *out = tlcp_vector_alloc(total);
        size_t used = 0;
        for (size_t i = 0; i < v->num_records; i++) {
                const struct tlcp_vector_record *r = &v->records[i];
                if (r->is_from_client != is_from_client)
                        continue;
                const uint8_t header[TLCP_RECORD_HEADER_LEN] = {r->type, (uint8_t)(r->version >> 8),
                                                                (uint8_t)r->version, (uint8_t)(r->fragment_len >> 8),
                                                                (uint8_t)r->fragment_len};
                memcpy(out + used, header, sizeof header);
                memcpy(out + used + sizeof header, r->fragment, r->fragment_len);
                used += sizeof header + r->fragment_len;
        }
        *len = total;
        return out;
}
