/* src/base/config_yaml.c: libyaml's event stream to a small node tree that remembers every node's line.
 *
 * The event API (not yaml_parser_load) is used because the document API resolves aliases silently: here
 * anchors, aliases and tags are seen, and refused, where they are written. */
#include "base/config_internal.h"

#include <stdlib.h>
#include <string.h>

#include <yaml.h>

struct config_yaml {
        yaml_parser_t parser;
        const char *name;
        const char *text;
        size_t len;
        struct config_errors *errors;
};

static size_t config_yaml_line_at(const struct config_yaml *y, size_t offset)
{
        size_t line = 1;
        for (size_t i = 0; i < offset && i < y->len; i++)
                if (y->text[i] == '\n')
                        line++;
        return line;
}

/* libyaml stops at its first syntax error: report it with libyaml's own words and position. */
static int config_yaml_syntax_error(struct config_yaml *y)
{
        const yaml_parser_t *p = &y->parser;
        const char *problem = p->problem != NULL ? p->problem : "malformed YAML";
        size_t line = p->problem_mark.line + 1, column = p->problem_mark.column + 1;
        switch (p->error) {
        case YAML_MEMORY_ERROR:
                config_errors_add(y->errors, 0, "%s: out of memory while parsing", y->name);
                return SMT_ENOMEM;
        case YAML_READER_ERROR:
                line = config_yaml_line_at(y, p->problem_offset);
                if (p->problem_value >= 0)
                        config_errors_add(y->errors, line, "%s:%zu: %s (byte 0x%02x at offset %zu)", y->name, line,
                                         problem, (unsigned)p->problem_value & 0xffffu, p->problem_offset);
                else
                        config_errors_add(y->errors, line, "%s:%zu: %s", y->name, line, problem);
                return SMT_ECONFIG;
        case YAML_SCANNER_ERROR:
        case YAML_PARSER_ERROR:
                if (p->context != NULL)
                        config_errors_add(y->errors, line, "%s:%zu:%zu: %s (%s at line %zu, column %zu)", y->name, line,
                                         column, problem, p->context, p->context_mark.line + 1,
                                         p->context_mark.column + 1);
                else
                        config_errors_add(y->errors, line, "%s:%zu:%zu: %s", y->name, line, column, problem);
                return SMT_ECONFIG;
        default:
                config_errors_add(y->errors, line, "%s:%zu: %s", y->name, line, problem);
                return SMT_ECONFIG;
        }
}

static int config_yaml_next(struct config_yaml *y, yaml_event_t *event)
{
        if (yaml_parser_parse(&y->parser, event))
                return 0;
        return config_yaml_syntax_error(y);
}

/* Anchors and aliases make one value appear in several places, tags change how a value reads: both
 * make a file mean something other than what it shows, so neither is accepted. Not fatal: the walk
 * still reports every other problem. */
static void config_yaml_refuse(struct config_yaml *y, const struct config_node *node, const yaml_char_t *anchor,
                               const yaml_char_t *tag)
{
        char shown[CONFIG_QUOTE_MAX * 4 + 8];
        if (anchor != NULL) {
                config_quote(shown, sizeof shown, (const char *)anchor, strlen((const char *)anchor), false);
                config_errors_add(y->errors, node->line, "%s:%zu: anchors (&%s) are not supported; write the value out",
                                 y->name, node->line, shown);
        }
        if (tag != NULL) {
                /* libyaml hands "!!str" over resolved; show it as written */
                const char *text = (const char *)tag, *standard = "tag:yaml.org,2002:";
                bool is_standard = strncmp(text, standard, strlen(standard)) == 0;
                if (is_standard)
                        text += strlen(standard);
                config_quote(shown, sizeof shown, text, strlen(text), false);
                config_errors_add(y->errors, node->line, "%s:%zu: tags (%s%s) are not supported", y->name, node->line,
                                 is_standard ? "!!" : "", shown);
        }
}

static bool config_yaml_is_null(const yaml_event_t *event)
{
        if (event->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
                return false;
        const char *text = (const char *)event->data.scalar.value;
        return text[0] == 0 || strcmp(text, "~") == 0 || strcmp(text, "null") == 0 || strcmp(text, "Null") == 0 ||
               strcmp(text, "NULL") == 0;
}

static int config_yaml_scalar(struct config_yaml *y, const yaml_event_t *event, struct config_node *node)
{
        config_yaml_refuse(y, node, event->data.scalar.anchor, event->data.scalar.tag);
        node->kind = config_yaml_is_null(event) ? CONFIG_NODE_NULL : CONFIG_NODE_SCALAR;
        node->is_plain = event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        node->text_len = event->data.scalar.length;
        node->text = malloc(node->text_len + 1);
        if (node->text == NULL) {
                config_errors_add(y->errors, 0, "%s: out of memory", y->name);
                return SMT_ENOMEM;
        }
        memcpy(node->text, event->data.scalar.value, node->text_len);
        node->text[node->text_len] = 0;
        return 0;
}

static int config_yaml_node(struct config_yaml *y, yaml_event_t *event, size_t depth, struct config_node *node);

/* Reads a sequence's items or a mapping's keys and values up to its end event. */
static int config_yaml_children(struct config_yaml *y, yaml_event_type_t end, size_t depth, struct config_node *node)
{
        if (depth >= CONFIG_DEPTH_MAX) {
                config_errors_add(y->errors, node->line, "%s:%zu: nested deeper than %d levels", y->name, node->line,
                                 CONFIG_DEPTH_MAX);
                return SMT_ECONFIG;
        }
        size_t cap = 0;
        for (;;) {
                yaml_event_t event;
                TRY(config_yaml_next(y, &event));
                if (event.type == end) {
                        yaml_event_delete(&event);
                        return 0;
                }
                if (node->num_items == cap) {
                        size_t new_cap = cap == 0 ? 8 : cap * 2;
                        struct config_node *items = reallocarray(node->items, new_cap, sizeof *items);
                        if (items == NULL) {
                                yaml_event_delete(&event);
                                config_errors_add(y->errors, 0, "%s: out of memory", y->name);
                                return SMT_ENOMEM;
                        }
                        node->items = items;
                        cap = new_cap;
                }
                struct config_node *child = &node->items[node->num_items++];
                memset(child, 0, sizeof *child);
                TRY(config_yaml_node(y, &event, depth + 1, child));
        }
}

/* Fills node from event (which it deletes) and, for a collection, the events up to its end. */
static int config_yaml_node(struct config_yaml *y, yaml_event_t *event, size_t depth, struct config_node *node)
{
        node->line = event->start_mark.line + 1;
        node->column = event->start_mark.column + 1;
        int status = 0;
        switch (event->type) {
        case YAML_SCALAR_EVENT:
                status = config_yaml_scalar(y, event, node);
                yaml_event_delete(event);
                return status;
        case YAML_ALIAS_EVENT: {
                char shown[CONFIG_QUOTE_MAX * 4 + 8];
                const char *anchor = (const char *)event->data.alias.anchor;
                config_quote(shown, sizeof shown, anchor, strlen(anchor), false);
                config_errors_add(y->errors, node->line, "%s:%zu: aliases (*%s) are not supported; write the value out",
                                 y->name, node->line, shown);
                node->kind = CONFIG_NODE_REFUSED;
                yaml_event_delete(event);
                return 0;
        }
        case YAML_SEQUENCE_START_EVENT:
                config_yaml_refuse(y, node, event->data.sequence_start.anchor, event->data.sequence_start.tag);
                node->kind = CONFIG_NODE_SEQUENCE;
                yaml_event_delete(event);
                return config_yaml_children(y, YAML_SEQUENCE_END_EVENT, depth, node);
        case YAML_MAPPING_START_EVENT:
                config_yaml_refuse(y, node, event->data.mapping_start.anchor, event->data.mapping_start.tag);
                node->kind = CONFIG_NODE_MAPPING;
                yaml_event_delete(event);
                return config_yaml_children(y, YAML_MAPPING_END_EVENT, depth, node);
        default:
                config_errors_add(y->errors, node->line, "%s:%zu: unexpected YAML event %d", y->name, node->line,
                                 (int)event->type);
                yaml_event_delete(event);
                return SMT_EINTERNAL;
        }
}

/* A stream holds no document (empty or comments only: *root stays NULL) or one. */
static int config_yaml_stream(struct config_yaml *y, struct config_node **root)
{
        yaml_event_t event;
        TRY(config_yaml_next(y, &event)); /* stream start */
        yaml_event_delete(&event);
        TRY(config_yaml_next(y, &event));
        yaml_event_type_t type = event.type; /* document start, or stream end */
        yaml_event_delete(&event);
        if (type == YAML_STREAM_END_EVENT)
                return 0;
        *root = calloc(1, sizeof **root);
        if (*root == NULL) {
                config_errors_add(y->errors, 0, "%s: out of memory", y->name);
                return SMT_ENOMEM;
        }
        TRY(config_yaml_next(y, &event));
        TRY(config_yaml_node(y, &event, 0, *root));
        TRY(config_yaml_next(y, &event)); /* document end */
        yaml_event_delete(&event);
        TRY(config_yaml_next(y, &event));
        if (event.type == YAML_DOCUMENT_START_EVENT) {
                size_t line = event.start_mark.line + 1;
                config_errors_add(y->errors, line, "%s:%zu: a second YAML document is not allowed (one file, one "
                                 "configuration)", y->name, line);
        }
        yaml_event_delete(&event);
        return 0;
}

int config_yaml_parse(struct config_node **out, const char *name, const char *text, size_t len,
                      struct config_errors *errors)
{
        struct config_yaml y = { .name = name, .text = text, .len = len, .errors = errors };
        *out = NULL;
        if (!yaml_parser_initialize(&y.parser)) {
                config_errors_add(errors, 0, "%s: out of memory", name);
                return SMT_ENOMEM;
        }
        yaml_parser_set_input_string(&y.parser, (const unsigned char *)text, len);
        struct config_node *root = NULL;
        int status = config_yaml_stream(&y, &root);
        yaml_parser_delete(&y.parser);
        if (status < 0) {
                config_node_free(root);
                return status;
        }
        *out = root;
        return 0;
}

static void config_node_cleanup(struct config_node *node)
{
        for (size_t i = 0; i < node->num_items; i++)
                config_node_cleanup(&node->items[i]);
        free(node->items);
        free(node->text);
}

void config_node_free(struct config_node *node)
{
        if (node == NULL)
                return;
        config_node_cleanup(node);
        free(node);
}
