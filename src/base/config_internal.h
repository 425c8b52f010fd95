/* src/base/config_internal.h: the node tree and helpers shared by config.c (the schema walk),
 * config_yaml.c (libyaml events to nodes), config_value.c (scalar parsers) and config_errors.c.
 * Not an API: other modules use base/config.h. */
#ifndef SMT_BASE_CONFIG_INTERNAL_H
#define SMT_BASE_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/config.h"

/* Nesting deeper than this is refused (the walk recurses once per level). */
#define CONFIG_DEPTH_MAX 64
/* Values and keys quoted in messages are cut after this many bytes. */
#define CONFIG_QUOTE_MAX 60

enum config_node_kind {
        CONFIG_NODE_SCALAR = 1,
        CONFIG_NODE_NULL,     /* a key written without a value, "~" or "null" */
        CONFIG_NODE_SEQUENCE, /* items */
        CONFIG_NODE_MAPPING,  /* items hold key, value, key, value, ... */
        CONFIG_NODE_REFUSED,  /* an alias: already reported, skipped by the walk */
};

/* One YAML node with the 1-based line and column where it starts. */
struct config_node {
        enum config_node_kind kind;
        size_t line;
        size_t column;
        char *text; /* CONFIG_NODE_SCALAR: heap, NUL-terminated, may hold NUL bytes before text_len */
        size_t text_len;
        bool is_plain; /* written without quotes */
        struct config_node *items;
        size_t num_items;
};

/* config_yaml_parse builds *out from len bytes of YAML. It returns 0 with *out NULL for a stream without
 * a document; anchors, aliases and tags are reported in errors but the tree is still returned. A syntax
 * error is reported and returns SMT_ECONFIG (no tree); SMT_ENOMEM when memory runs out. */
int config_yaml_parse(struct config_node **out, const char *name, const char *text, size_t len,
                      struct config_errors *errors);

/* config_node_free frees a tree from config_yaml_parse (NULL is fine). */
void config_node_free(struct config_node *node);

/* config_scalar_parse parses a scalar node for a key of a scalar type (string, int, bool, duration, size,
 * enum; and a string list's item as a string) into dest. Failure: a message without position or path. */
int config_scalar_parse(void *dest, const struct config_key *key, enum config_type type,
                        const struct config_node *node, struct err *err);

/* config_expected writes what a value of key must be ("an integer 1..1000", "a mapping") into out. */
void config_expected(char *out, size_t out_size, const struct config_key *key);

/* config_got writes what node is, for "expected X, got Y": "\"heavy\"", "a mapping", "nothing". */
void config_got(char *out, size_t out_size, const struct config_node *node);

/* config_quote writes text as a one-line C-like string: control bytes escaped, cut after
 * CONFIG_QUOTE_MAX bytes with "...", in double quotes when is_quoted. */
void config_quote(char *out, size_t out_size, const char *text, size_t len, bool is_quoted);

/* config_distance is the edit distance (insertions, deletions, substitutions, adjacent swaps) between
 * a and b, or SIZE_MAX when either is longer than 64 bytes. */
size_t config_distance(const char *a, size_t a_len, const char *b, size_t b_len);

/* config_is_close says whether a word at distance from candidate is a likely typo of it. */
bool config_is_close(size_t distance, const char *candidate);


#endif
