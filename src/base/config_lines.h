/* src/base/config_lines.h: where a key or list item sits in a configuration text, for the rules a role
 * checks across list items after a load (unique names, one default, ...) that must still say "file:line".
 * The text is parsed again with libyaml only when a line is first asked for, that is only when there is a
 * problem to report; every lookup tolerates a text it cannot parse (the caller's fallback line then). */
#ifndef SMT_BASE_CONFIG_LINES_H
#define SMT_BASE_CONFIG_LINES_H

#include <stddef.h>
#include <yaml.h>

struct config_lines {
        const char *text;
        size_t len;
        yaml_document_t document;
        int state; /* 0: not parsed yet, 1: parsed, -1: could not be parsed (lines unknown) */
};

/* config_lines_init points lines at len bytes of text (borrowed); nothing is parsed yet. */
void config_lines_init(struct config_lines *lines, const char *text, size_t len);

/* config_lines_free releases the parsed document, if any. */
void config_lines_free(struct config_lines *lines);

/* config_lines_root returns the document's root node, NULL when the text does not parse. */
yaml_node_t *config_lines_root(struct config_lines *lines);

/* config_lines_pair returns key's pair in mapping (NULL when mapping is NULL, not a mapping, or lacks key). */
yaml_node_pair_t *config_lines_pair(struct config_lines *lines, yaml_node_t *mapping, const char *key);

/* config_lines_value returns key's value node in mapping; config_lines_key_node the key's own node (its line:
 * a block value starts on the next one). NULL when absent. */
yaml_node_t *config_lines_value(struct config_lines *lines, yaml_node_t *mapping, const char *key);
yaml_node_t *config_lines_key_node(struct config_lines *lines, yaml_node_t *mapping, const char *key);

/* config_lines_item returns item index of a sequence; a scalar (a list written as one string) is its own
 * item 0. NULL when absent. */
yaml_node_t *config_lines_item(struct config_lines *lines, yaml_node_t *sequence, size_t index);

/* config_lines_line returns node's 1-based line, or fallback when node is NULL. */
size_t config_lines_line(const yaml_node_t *node, size_t fallback);

#endif
