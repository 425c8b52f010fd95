/* src/base/config_lines.c: lines of keys and items in a configuration text (see config_lines.h). */
#include "base/config_lines.h"

#include <string.h>

void config_lines_init(struct config_lines *lines, const char *text, size_t len)
{
        memset(lines, 0, sizeof(*lines));
        lines->text = text;
        lines->len = len;
}

void config_lines_free(struct config_lines *lines)
{
        if (lines->state == 1)
                yaml_document_delete(&lines->document);
        lines->state = 0;
}

yaml_node_t *config_lines_root(struct config_lines *lines)
{
        if (lines->state == 0) {
                yaml_parser_t parser;
                lines->state = -1;
                if (yaml_parser_initialize(&parser) == 1) {
                        yaml_parser_set_input_string(&parser, (const unsigned char *)lines->text, lines->len);
                        if (yaml_parser_load(&parser, &lines->document) == 1)
                                lines->state = 1;
                        yaml_parser_delete(&parser);
                }
        }
        return lines->state == 1 ? yaml_document_get_root_node(&lines->document) : NULL;
}

yaml_node_pair_t *config_lines_pair(struct config_lines *lines, yaml_node_t *mapping, const char *key)
{
        if (mapping == NULL || mapping->type != YAML_MAPPING_NODE)
                return NULL;
        size_t key_len = strlen(key);
        for (yaml_node_pair_t *pair = mapping->data.mapping.pairs.start; pair < mapping->data.mapping.pairs.top;
             pair++) {
                yaml_node_t *node = yaml_document_get_node(&lines->document, pair->key);
                if (node != NULL && node->type == YAML_SCALAR_NODE && node->data.scalar.length == key_len &&
                    memcmp(node->data.scalar.value, key, key_len) == 0)
                        return pair;
        }
        return NULL;
}

yaml_node_t *config_lines_value(struct config_lines *lines, yaml_node_t *mapping, const char *key)
{
        yaml_node_pair_t *pair = config_lines_pair(lines, mapping, key);
        return pair != NULL ? yaml_document_get_node(&lines->document, pair->value) : NULL;
}

yaml_node_t *config_lines_key_node(struct config_lines *lines, yaml_node_t *mapping, const char *key)
{
        yaml_node_pair_t *pair = config_lines_pair(lines, mapping, key);
        return pair != NULL ? yaml_document_get_node(&lines->document, pair->key) : NULL;
}

yaml_node_t *config_lines_item(struct config_lines *lines, yaml_node_t *sequence, size_t index)
{
        if (sequence != NULL && sequence->type == YAML_SCALAR_NODE && index == 0)
                return sequence;
        if (sequence == NULL || sequence->type != YAML_SEQUENCE_NODE)
                return NULL;
        size_t num = (size_t)(sequence->data.sequence.items.top - sequence->data.sequence.items.start);
        return index < num ? yaml_document_get_node(&lines->document, sequence->data.sequence.items.start[index])
                           : NULL;
}

size_t config_lines_line(const yaml_node_t *node, size_t fallback)
{
        return node != NULL ? node->start_mark.line + 1 : fallback;
}
