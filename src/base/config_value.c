/* src/base/config_value.c: scalar text to typed values (integers, booleans, durations, sizes, enums,
 * strings), and the "expected X, got Y" words every message uses. Messages here carry no position: the
 * walk in config.c adds file, line and key path. */
#include "base/config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct config_unit {
        const char *suffix;
        int64_t scale;
};

/* Longest suffix first where one is a prefix of another ("ms" before "m"). */
static const struct config_unit config_duration_units[] = {
        { "ms", 1 }, { "s", 1000 }, { "m", 60 * 1000 }, { "h", 3600 * 1000 }, { "d", 24 * 3600 * 1000 },
};

/* Powers of 1024, as nginx and HAProxy read "16k"; "kb" and "KiB" mean the same. */
static const struct config_unit config_size_units[] = {
        { "", 1 },          { "b", 1 },          { "k", 1 << 10 },         { "kb", 1 << 10 },
        { "kib", 1 << 10 }, { "m", 1 << 20 },    { "mb", 1 << 20 },        { "mib", 1 << 20 },
        { "g", 1 << 30 },   { "gb", 1 << 30 },   { "gib", 1 << 30 },       { "t", (int64_t)1 << 40 },
        { "tb", (int64_t)1 << 40 }, { "tib", (int64_t)1 << 40 },
};

/* Reads decimal digits at text[*pos] (at least one; no leading zero unless alone, so "0600" is not
 * mistaken for octal) into *value. */
static bool config_read_digits(const char *text, size_t len, size_t *pos, int64_t *value)
{
        size_t start = *pos;
        int64_t v = 0;
        while (*pos < len && text[*pos] >= '0' && text[*pos] <= '9') {
                if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, text[*pos] - '0', &v))
                        return false;
                (*pos)++;
        }
        if (*pos == start || (text[start] == '0' && *pos - start > 1))
                return false;
        *value = v;
        return true;
}

static bool config_is_bounded(const struct config_key *key)
{
        return key->min != 0 || key->max != 0;
}

static bool config_in_bounds(const struct config_key *key, int64_t value)
{
        return !config_is_bounded(key) || (value >= key->min && value <= key->max);
}

static bool config_parse_int(const char *text, size_t len, int64_t *value)
{
        size_t pos = text[0] == '-' ? 1 : 0;
        int64_t magnitude;
        if (!config_read_digits(text, len, &pos, &magnitude) || pos != len)
                return false;
        *value = text[0] == '-' ? -magnitude : magnitude;
        return true;
}

/* One or more number-unit pairs: "90s", "1h30m", "250ms"; "0" alone needs no unit. */
static bool config_parse_duration(const char *text, size_t len, int64_t *value)
{
        if (len == 1 && text[0] == '0') {
                *value = 0;
                return true;
        }
        int64_t total = 0;
        size_t pos = 0;
        while (pos < len) {
                int64_t number;
                if (!config_read_digits(text, len, &pos, &number))
                        return false;
                const struct config_unit *unit = NULL;
                for (size_t i = 0; i < sizeof config_duration_units / sizeof config_duration_units[0] && !unit; i++) {
                        size_t n = strlen(config_duration_units[i].suffix);
                        if (len - pos >= n && memcmp(text + pos, config_duration_units[i].suffix, n) == 0 &&
                            (pos + n == len || text[pos + n] < 'a' || text[pos + n] > 'z'))
                                unit = &config_duration_units[i];
                }
                if (unit == NULL || __builtin_mul_overflow(number, unit->scale, &number) ||
                    __builtin_add_overflow(total, number, &total))
                        return false;
                pos += strlen(unit->suffix);
        }
        *value = total;
        return true;
}

static bool config_parse_size(const char *text, size_t len, int64_t *value)
{
        size_t pos = 0;
        int64_t number;
        if (!config_read_digits(text, len, &pos, &number))
                return false;
        for (size_t i = 0; i < sizeof config_size_units / sizeof config_size_units[0]; i++) {
                const struct config_unit *unit = &config_size_units[i];
                if (strlen(unit->suffix) == len - pos && strncasecmp(text + pos, unit->suffix, len - pos) == 0)
                        return !__builtin_mul_overflow(number, unit->scale, value);
        }
        return false;
}

static bool config_parse_bool(const char *text, bool *value)
{
        static const char *const yes[] = { "true", "yes", "on" }, *const no[] = { "false", "no", "off" };
        for (size_t i = 0; i < 3; i++) {
                if (strcasecmp(text, yes[i]) == 0 || strcasecmp(text, no[i]) == 0) {
                        *value = strcasecmp(text, yes[i]) == 0;
                        return true;
                }
        }
        return false;
}

/* Writes value in the largest unit that divides it exactly, as a user would write it: "90s", "16k". */
static void config_format_scaled(char *out, size_t out_size, int64_t value, const struct config_unit *units,
                                 size_t num_units)
{
        const struct config_unit *best = &units[0];
        for (size_t i = 0; i < num_units; i++)
                if (value != 0 && units[i].scale > best->scale && value % units[i].scale == 0)
                        best = &units[i];
        snprintf(out, out_size, "%lld%s", (long long)(value / best->scale), best->suffix);
}

static void config_format_bound(char *out, size_t out_size, enum config_type type, int64_t value)
{
        static const struct config_unit sizes[] = { { "", 1 }, { "k", 1 << 10 }, { "m", 1 << 20 }, { "g", 1 << 30 },
                                                    { "t", (int64_t)1 << 40 } };
        if (type == CONFIG_DURATION)
                config_format_scaled(out, out_size, value, config_duration_units,
                                     sizeof config_duration_units / sizeof config_duration_units[0]);
        else if (type == CONFIG_SIZE)
                config_format_scaled(out, out_size, value, sizes, sizeof sizes / sizeof sizes[0]);
        else
                snprintf(out, out_size, "%lld", (long long)value);
}

static void config_expected_number(char *out, size_t out_size, const struct config_key *key, const char *what,
                                   const char *examples)
{
        if (!config_is_bounded(key)) {
                snprintf(out, out_size, "%s%s", what, examples);
                return;
        }
        char min[32], max[32];
        config_format_bound(min, sizeof min, key->type, key->min);
        config_format_bound(max, sizeof max, key->type, key->max);
        snprintf(out, out_size, "%s %s..%s", what, min, max);
}

static void config_expected_enum(char *out, size_t out_size, const struct config_enum_name *names)
{
        size_t used = (size_t)snprintf(out, out_size, "one of ");
        for (size_t i = 0; names != NULL && names[i].name != NULL && used < out_size; i++)
                used += (size_t)snprintf(out + used, out_size - used, "%s%s", i > 0 ? ", " : "", names[i].name);
}

void config_expected(char *out, size_t out_size, const struct config_key *key)
{
        switch (key->type) {
        case CONFIG_STRING:
                snprintf(out, out_size, "a string");
                return;
        case CONFIG_INT:
                config_expected_number(out, out_size, key, "an integer", "");
                return;
        case CONFIG_BOOL:
                snprintf(out, out_size, "true or false");
                return;
        case CONFIG_DURATION:
                config_expected_number(out, out_size, key, "a duration", " such as 250ms, 30s, 5m or 1h");
                return;
        case CONFIG_SIZE:
                config_expected_number(out, out_size, key, "a size", " such as 512, 16k or 1m");
                return;
        case CONFIG_ENUM:
                config_expected_enum(out, out_size, key->names);
                return;
        case CONFIG_STRING_LIST:
                snprintf(out, out_size, "a string or a list of strings");
                return;
        case CONFIG_SECTION:
                snprintf(out, out_size, "a mapping");
                return;
        case CONFIG_SECTION_LIST:
                snprintf(out, out_size, "a list of mappings");
                return;
        }
        snprintf(out, out_size, "a value of unknown type %d", (int)key->type);
}

void config_got(char *out, size_t out_size, const struct config_node *node)
{
        switch (node->kind) {
        case CONFIG_NODE_SCALAR:
                config_quote(out, out_size, node->text, node->text_len, true);
                return;
        case CONFIG_NODE_NULL:
                snprintf(out, out_size, "nothing");
                return;
        case CONFIG_NODE_SEQUENCE:
                snprintf(out, out_size, "a list");
                return;
        case CONFIG_NODE_MAPPING:
                snprintf(out, out_size, "a mapping");
                return;
        case CONFIG_NODE_REFUSED:
                snprintf(out, out_size, "an alias");
                return;
        }
        snprintf(out, out_size, "a node of unknown kind");
}

/* "expected X, got Y", with a suggestion when one is known. */
static int config_expected_error(const struct config_key *key, enum config_type type, const struct config_node *node,
                                 const char *closest, struct err *err)
{
        char expected[200], got[CONFIG_QUOTE_MAX * 4 + 8];
        struct config_key as_read = *key;
        as_read.type = type; /* a string list's item reads as a string */
        config_expected(expected, sizeof expected, &as_read);
        config_got(got, sizeof got, node);
        if (closest != NULL)
                return SMT_ERR(err, SMT_ECONFIG, "expected %s, got %s; did you mean \"%s\"?", expected, got, closest);
        return SMT_ERR(err, SMT_ECONFIG, "expected %s, got %s", expected, got);
}

static int config_parse_enum(int *dest, const struct config_key *key, const struct config_node *node,
                             struct err *err)
{
        for (size_t i = 0; key->names != NULL && key->names[i].name != NULL; i++) {
                const char *name = key->names[i].name;
                if (strlen(name) == node->text_len && memcmp(name, node->text, node->text_len) == 0) {
                        *dest = key->names[i].value;
                        return 0;
                }
        }
        const char *closest = NULL;
        size_t closest_distance = SIZE_MAX;
        for (size_t i = 0; key->names != NULL && key->names[i].name != NULL; i++) {
                const char *name = key->names[i].name;
                size_t distance = config_distance(node->text, node->text_len, name, strlen(name));
                if (distance < closest_distance && config_is_close(distance, name)) {
                        closest = name;
                        closest_distance = distance;
                }
        }
        return config_expected_error(key, CONFIG_ENUM, node, closest, err);
}

static int config_parse_string(char **dest, const struct config_node *node, struct err *err)
{
        if (memchr(node->text, 0, node->text_len) != NULL)
                return SMT_ERR(err, SMT_ECONFIG, "expected a string, got one with a NUL byte");
        char *copy = strdup(node->text);
        if (copy == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        free(*dest);
        *dest = copy;
        return 0;
}

static bool config_parse_number(int64_t *dest, const struct config_key *key, enum config_type type,
                                const struct config_node *node)
{
        int64_t value;
        bool is_parsed = false;
        if (type == CONFIG_INT)
                is_parsed = config_parse_int(node->text, node->text_len, &value);
        else if (type == CONFIG_DURATION)
                is_parsed = config_parse_duration(node->text, node->text_len, &value);
        else
                is_parsed = config_parse_size(node->text, node->text_len, &value);
        if (!is_parsed || !config_in_bounds(key, value))
                return false;
        *dest = value;
        return true;
}

int config_scalar_parse(void *dest, const struct config_key *key, enum config_type type,
                        const struct config_node *node, struct err *err)
{
        if (node->kind != CONFIG_NODE_SCALAR)
                return config_expected_error(key, type, node, NULL, err);
        switch (type) {
        case CONFIG_STRING:
                return config_parse_string(dest, node, err);
        case CONFIG_INT:
        case CONFIG_DURATION:
        case CONFIG_SIZE:
                if (memchr(node->text, 0, node->text_len) != NULL || !config_parse_number(dest, key, type, node))
                        return config_expected_error(key, type, node, NULL, err);
                return 0;
        case CONFIG_BOOL:
                if (memchr(node->text, 0, node->text_len) != NULL || !config_parse_bool(node->text, dest))
                        return config_expected_error(key, type, node, NULL, err);
                return 0;
        case CONFIG_ENUM:
                return config_parse_enum(dest, key, node, err);
        case CONFIG_STRING_LIST:
        case CONFIG_SECTION:
        case CONFIG_SECTION_LIST:
                break;
        }
        return SMT_ERR(err, SMT_EINTERNAL, "key type %d is not a scalar type", (int)type);
}
