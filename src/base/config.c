/* src/base/config.c: the walk of a YAML node tree against a schema (tables of struct config_key, as
 * nginx's ngx_command_t), collecting every problem with its line and key path, then freeing.
 *
 * A load fills a fresh zeroed struct and copies it to the caller's only when no problem was found, so a
 * bad file changes nothing (DESIGN.md: "a config error names the file, line and key"). */
#include "base/config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config_internal.h"
#include "base/file.h"

/* "sites[2].upstreams[0].weight"; a deeper path is cut (the line still points at the place). */
#define CONFIG_PATH_MAX 200

struct config_walk {
        const char *name;
        struct config_errors *errors;
        char path[CONFIG_PATH_MAX];
        size_t path_len;
        int status; /* SMT_ENOMEM or SMT_EINTERNAL, which are not the file's fault */
};

/* Reports a problem as "name:line: path: message" (no path at the top level). */
static void config_walk_error(struct config_walk *w, size_t line, const char *fmt, ...) SMT_PRINTF(3, 4);
static void config_walk_error(struct config_walk *w, size_t line, const char *fmt, ...)
{
        char message[CONFIG_ERROR_LEN];
        va_list args;
        va_start(args, fmt);
        vsnprintf(message, sizeof message, fmt, args);
        va_end(args);
        if (w->path_len > 0)
                config_errors_add(w->errors, line, "%s:%zu: %s: %s", w->name, line, w->path, message);
        else
                config_errors_add(w->errors, line, "%s:%zu: %s", w->name, line, message);
}

/* Reports a failed parse or check; a failure that is not the file's fault also fails the load as such. */
static void config_walk_fail(struct config_walk *w, size_t line, int status, const struct err *err)
{
        if (status == SMT_ENOMEM || status == SMT_EINTERNAL)
                w->status = status;
        config_walk_error(w, line, "%s", err->msg[0] != 0 ? err->msg : "invalid value");
}

static size_t config_walk_count(const struct config_walk *w)
{
        return w->errors->num + w->errors->num_more;
}

/* Appends ".key" or "[index]" to the path and returns the length to restore with config_path_pop. */
static size_t config_path_push(struct config_walk *w, const char *fmt, ...) SMT_PRINTF(2, 3);
static size_t config_path_push(struct config_walk *w, const char *fmt, ...)
{
        size_t mark = w->path_len;
        va_list args;
        va_start(args, fmt);
        int n = vsnprintf(w->path + mark, sizeof w->path - mark, fmt, args);
        va_end(args);
        w->path_len = n < 0 ? mark : mark + (size_t)n;
        if (w->path_len >= sizeof w->path)
                w->path_len = sizeof w->path - 1;
        return mark;
}

static size_t config_path_push_key(struct config_walk *w, const char *key, size_t key_len)
{
        char shown[CONFIG_QUOTE_MAX * 4 + 8];
        config_quote(shown, sizeof shown, key, key_len, false);
        return config_path_push(w, "%s%s", w->path_len > 0 ? "." : "", shown);
}

static void config_path_pop(struct config_walk *w, size_t mark)
{
        w->path_len = mark;
        w->path[mark] = 0;
}

static void config_kind_error(struct config_walk *w, const struct config_key *key, const struct config_node *node)
{
        char expected[200], got[CONFIG_QUOTE_MAX * 4 + 8];
        config_expected(expected, sizeof expected, key);
        config_got(got, sizeof got, node);
        config_walk_error(w, node->line, "expected %s, got %s", expected, got);
}

static void config_section_fill(struct config_walk *w, const struct config_section_schema *schema, void *section,
                                const struct config_node *mapping, size_t line);

/* Parses a scalar into dest (type is key's, or CONFIG_STRING for a string list's item), then checks it. */
static void config_scalar_fill(struct config_walk *w, const struct config_key *key, enum config_type type,
                               void *dest, const struct config_node *node)
{
        struct err err = { 0 };
        int status = config_scalar_parse(dest, key, type, node, &err);
        if (status == 0 && key->check != NULL)
                status = key->check(dest, &err);
        if (status < 0)
                config_walk_fail(w, node->line, status, &err);
}

static bool config_allocate(struct config_walk *w, void **out, size_t num, size_t size)
{
        *out = NULL;
        if (num == 0)
                return true;
        *out = calloc(num, size);
        if (*out != NULL)
                return true;
        w->status = SMT_ENOMEM;
        config_errors_add(w->errors, 0, "%s: out of memory", w->name);
        return false;
}

/* A list of strings, or one string as a list of one. */
static void config_strings_fill(struct config_walk *w, const struct config_key *key, struct config_strings *list,
                                const struct config_node *node)
{
        bool is_one = node->kind == CONFIG_NODE_SCALAR;
        if (!is_one && node->kind != CONFIG_NODE_SEQUENCE) {
                config_kind_error(w, key, node);
                return;
        }
        size_t num = is_one ? 1 : node->num_items;
        void *items;
        if (!config_allocate(w, &items, num, sizeof(char *)))
                return;
        list->items = items;
        list->num = num;
        if (is_one) {
                config_scalar_fill(w, key, CONFIG_STRING, &list->items[0], node);
                return;
        }
        for (size_t i = 0; i < num; i++) {
                size_t mark = config_path_push(w, "[%zu]", i);
                if (node->items[i].kind != CONFIG_NODE_REFUSED)
                        config_scalar_fill(w, key, CONFIG_STRING, &list->items[i], &node->items[i]);
                config_path_pop(w, mark);
        }
}

/* A sequence of mappings, each filling one element of a heap array sized once from the sequence. */
static void config_list_fill(struct config_walk *w, const struct config_key *key, struct config_list *list,
                             const struct config_node *node)
{
        if (node->kind != CONFIG_NODE_SEQUENCE) {
                config_kind_error(w, key, node);
                return;
        }
        size_t size = key->section->struct_size;
        if (!config_allocate(w, &list->items, node->num_items, size))
                return;
        list->num = node->num_items;
        for (size_t i = 0; i < list->num; i++) {
                const struct config_node *item = &node->items[i];
                size_t mark = config_path_push(w, "[%zu]", i);
                struct config_key as_element = { .type = CONFIG_SECTION };
                if (item->kind == CONFIG_NODE_MAPPING)
                        config_section_fill(w, key->section, (char *)list->items + i * size, item, item->line);
                else if (item->kind != CONFIG_NODE_REFUSED)
                        config_kind_error(w, &as_element, item);
                config_path_pop(w, mark);
        }
}

static void config_value_fill(struct config_walk *w, const struct config_key *key, void *dest,
                              const struct config_node *node)
{
        if (node->kind == CONFIG_NODE_REFUSED)
                return;
        switch (key->type) {
        case CONFIG_STRING:
        case CONFIG_INT:
        case CONFIG_BOOL:
        case CONFIG_DURATION:
        case CONFIG_SIZE:
        case CONFIG_ENUM:
                config_scalar_fill(w, key, key->type, dest, node);
                return;
        case CONFIG_STRING_LIST:
                config_strings_fill(w, key, dest, node);
                return;
        case CONFIG_SECTION:
                if (node->kind == CONFIG_NODE_MAPPING)
                        config_section_fill(w, key->section, dest, node, node->line);
                else
                        config_kind_error(w, key, node);
                return;
        case CONFIG_SECTION_LIST:
                config_list_fill(w, key, dest, node);
                return;
        }
        w->status = SMT_EINTERNAL;
        config_walk_error(w, node->line, "key of unknown type %d in the schema", (int)key->type);
}

static bool config_key_is(const struct config_node *key_node, const char *name)
{
        return key_node->kind == CONFIG_NODE_SCALAR && strlen(name) == key_node->text_len &&
               memcmp(name, key_node->text, key_node->text_len) == 0;
}

/* An absent key: an error if required, else its default (as if written, at the mapping's line), and an
 * absent section gets its own keys' defaults. */
static void config_key_absent(struct config_walk *w, const struct config_key *key, void *dest, size_t line)
{
        if (key->is_required) {
                config_walk_error(w, line, "missing required key \"%s\"", key->name);
                return;
        }
        size_t mark = config_path_push_key(w, key->name, strlen(key->name));
        if (key->default_text != NULL) {
                struct config_node node = { .kind = CONFIG_NODE_SCALAR, .line = line, .is_plain = true,
                                            .text = (char *)key->default_text,
                                            .text_len = strlen(key->default_text) };
                config_value_fill(w, key, dest, &node);
        } else if (key->type == CONFIG_SECTION) {
                config_section_fill(w, key->section, dest, NULL, line);
        }
        config_path_pop(w, mark);
}

static void config_unknown_key(struct config_walk *w, const struct config_section_schema *schema,
                               const struct config_node *key_node)
{
        const char *closest = NULL;
        size_t closest_distance = SIZE_MAX;
        for (size_t k = 0; k < schema->num_keys; k++) {
                const char *name = schema->keys[k].name;
                size_t distance = config_distance(key_node->text, key_node->text_len, name, strlen(name));
                if (distance < closest_distance && config_is_close(distance, name)) {
                        closest = name;
                        closest_distance = distance;
                }
        }
        if (closest != NULL)
                config_walk_error(w, key_node->line, "unknown key; did you mean \"%s\"?", closest);
        else
                config_walk_error(w, key_node->line, "unknown key");
}

/* One key-value pair of a mapping; first[k] is the first occurrence of schema key k in this mapping. */
static void config_entry_fill(struct config_walk *w, const struct config_section_schema *schema, void *section,
                              const struct config_node *key_node, const struct config_node *value,
                              const struct config_node *const *first)
{
        if (key_node->kind == CONFIG_NODE_REFUSED)
                return;
        if (key_node->kind != CONFIG_NODE_SCALAR) {
                char got[CONFIG_QUOTE_MAX * 4 + 8];
                config_got(got, sizeof got, key_node);
                config_walk_error(w, key_node->line, "expected a key name, got %s", got);
                return;
        }
        if (key_node->is_plain && key_node->text_len == 2 && memcmp(key_node->text, "<<", 2) == 0) {
                config_walk_error(w, key_node->line, "merge keys (<<) are not supported; write the keys out");
                return;
        }
        size_t mark = config_path_push_key(w, key_node->text, key_node->text_len);
        size_t k = 0;
        while (k < schema->num_keys && !config_key_is(key_node, schema->keys[k].name))
                k++;
        if (k == schema->num_keys)
                config_unknown_key(w, schema, key_node);
        else if (first[k] != key_node)
                config_walk_error(w, key_node->line, "duplicate key (first at line %zu)", first[k]->line);
        else
                config_value_fill(w, &schema->keys[k], (char *)section + schema->keys[k].offset, value);
        config_path_pop(w, mark);
}

/* Fills section from mapping (NULL: the section is absent, only defaults apply), reporting at line what
 * concerns the whole mapping. Missing keys come first, then the entries in file order. */
static void config_section_fill(struct config_walk *w, const struct config_section_schema *schema, void *section,
                                const struct config_node *mapping, size_t line)
{
        size_t count_before = config_walk_count(w);
        const struct config_node **first = calloc(schema->num_keys + 1, sizeof *first);
        if (first == NULL) {
                w->status = SMT_ENOMEM;
                config_errors_add(w->errors, 0, "%s: out of memory", w->name);
                return;
        }
        size_t num_items = mapping != NULL ? mapping->num_items : 0;
        for (size_t i = 0; i + 1 < num_items; i += 2)
                for (size_t k = 0; k < schema->num_keys; k++)
                        if (first[k] == NULL && config_key_is(&mapping->items[i], schema->keys[k].name))
                                first[k] = &mapping->items[i];
        for (size_t k = 0; k < schema->num_keys; k++)
                if (first[k] == NULL)
                        config_key_absent(w, &schema->keys[k], (char *)section + schema->keys[k].offset, line);
        for (size_t i = 0; i + 1 < num_items; i += 2)
                config_entry_fill(w, schema, section, &mapping->items[i], &mapping->items[i + 1], first);
        free(first);
        if (schema->check == NULL || config_walk_count(w) != count_before)
                return;
        struct err err = { 0 };
        int status = schema->check(section, &err);
        if (status < 0)
                config_walk_fail(w, line, status, &err);
}

static int config_load_tree(void **out, const struct config_section_schema *root, const char *name,
                            const struct config_node *tree, struct config_errors *errors)
{
        struct config_walk w = { .name = name, .errors = errors };
        *out = calloc(1, root->struct_size);
        if (*out == NULL) {
                config_errors_add(errors, 0, "%s: out of memory", name);
                return SMT_ENOMEM;
        }
        if (tree == NULL || tree->kind == CONFIG_NODE_NULL) {
                config_errors_add(errors, 1, "%s:1: the file has no settings (expected a mapping of keys)", name);
        } else if (tree->kind == CONFIG_NODE_MAPPING) {
                config_section_fill(&w, root, *out, tree, tree->line);
        } else if (tree->kind != CONFIG_NODE_REFUSED) {
                char got[CONFIG_QUOTE_MAX * 4 + 8];
                config_got(got, sizeof got, tree);
                config_walk_error(&w, tree->line, "expected a mapping of keys at the top level, got %s", got);
        }
        if (w.status < 0)
                return w.status;
        return errors->num + errors->num_more > 0 ? SMT_ECONFIG : 0;
}

int config_load_string(void *out, const struct config_section_schema *root, const char *name, const char *text,
                       size_t len, struct config_errors *errors)
{
        errors->num = 0;
        errors->num_more = 0;
        struct config_node *tree = NULL;
        void *fresh = NULL;
        int status = config_yaml_parse(&tree, name, text, len, errors);
        if (status == 0)
                status = config_load_tree(&fresh, root, name, tree, errors);
        config_node_free(tree);
        if (status == 0)
                memcpy(out, fresh, root->struct_size);
        else if (fresh != NULL)
                config_free(fresh, root);
        free(fresh);
        config_errors_sort(errors);
        return status;
}

int config_load_file(void *out, const struct config_section_schema *root, const char *path,
                     struct config_errors *errors)
{
        errors->num = 0;
        errors->num_more = 0;
        uint8_t *data;
        size_t len;
        struct err err = { 0 };
        int status = file_read_all(&data, &len, path, CONFIG_FILE_MAX, &err);
        if (status < 0) {
                config_errors_add(errors, 0, "%s", err.msg);
                return status;
        }
        status = config_load_string(out, root, path, (const char *)data, len, errors);
        file_free_contents(data, len);
        return status;
}

int config_folder_absolute(char **out, const char *dir)
{
        if (dir != NULL && dir[0] == '/') {
                *out = strdup(dir);
                return *out != NULL ? SMT_OK : SMT_ENOMEM;
        }
        char *cwd = getcwd(NULL, 0);
        if (cwd == NULL)
                return SMT_EIO;
        int n = dir == NULL || strcmp(dir, ".") == 0 ? asprintf(out, "%s", cwd) : asprintf(out, "%s/%s", cwd, dir);
        free(cwd);
        return n < 0 ? SMT_ENOMEM : SMT_OK;
}

/* The folder of path ("." when it has none). */
static char *config_folder_of(const char *path)
{
        const char *slash = strrchr(path, '/');
        if (slash == NULL)
                return strdup(".");
        if (slash == path)
                return strdup("/");
        return strndup(path, (size_t)(slash - path));
}

int config_load_file_in_folder(void *out, const char *path, config_text_loader *load, struct config_errors *errors)
{
        errors->num = 0;
        errors->num_more = 0;
        uint8_t *data = NULL;
        size_t len = 0;
        struct err err = { 0 };
        int status = file_read_all(&data, &len, path, CONFIG_FILE_MAX, &err);
        if (status < 0) {
                config_errors_add(errors, 0, "%s", err.msg);
                return status;
        }
        char *folder = config_folder_of(path);
        if (folder != NULL) {
                status = load(out, path, (const char *)data, len, folder, errors);
        } else {
                status = SMT_ENOMEM;
                config_errors_add(errors, 0, "%s: out of memory", path);
        }
        free(folder);
        file_free_contents(data, len);
        return status;
}

static void config_section_free(const struct config_section_schema *schema, void *section)
{
        for (size_t k = 0; k < schema->num_keys; k++) {
                const struct config_key *key = &schema->keys[k];
                void *dest = (char *)section + key->offset;
                struct config_strings *strings = dest;
                struct config_list *list = dest;
                switch (key->type) {
                case CONFIG_STRING:
                        free(*(char **)dest);
                        break;
                case CONFIG_STRING_LIST:
                        for (size_t i = 0; i < strings->num; i++)
                                free(strings->items[i]);
                        free(strings->items);
                        break;
                case CONFIG_SECTION:
                        config_section_free(key->section, dest);
                        break;
                case CONFIG_SECTION_LIST:
                        for (size_t i = 0; i < list->num; i++)
                                config_section_free(key->section, (char *)list->items + i * key->section->struct_size);
                        free(list->items);
                        break;
                case CONFIG_INT:
                case CONFIG_BOOL:
                case CONFIG_DURATION:
                case CONFIG_SIZE:
                case CONFIG_ENUM:
                        break;
                }
        }
}

void config_free(void *out, const struct config_section_schema *root)
{
        if (out == NULL)
                return;
        config_section_free(root, out);
        memset(out, 0, root->struct_size);
}
