/* src/cmd/tlcp_tool.c: what `smtrust tlcp-client` and `smtrust tlcp-server` share: loading a TLCP
 * certificate pair from files, parsing --cipher lists, and printing certificates and connection facts. */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "cmd/cmd.h"
#include "crypto/cert.h"
#include "crypto/key.h"

/* A description from cert_describe is a few hundred bytes; this bounds a hostile one. */
#define CMD_TLCP_DESCRIPTION_MAX (64 * 1024)

/* cmd_tlcp_check_key_matches refuses a key whose public half is not the certificate's. */
static int cmd_tlcp_check_key_matches(const struct cert *cert, const struct key *key, const char *cert_path,
                                      const char *key_path, struct err *err)
{
        struct key *cert_key = NULL;
        uint8_t cert_print[32], key_print[32];
        int status = cert_public_key(cert, &cert_key, err);
        if (status == SMT_OK)
                status = key_public_fingerprint(cert_key, cert_print, err);
        if (status == SMT_OK)
                status = key_public_fingerprint(key, key_print, err);
        key_free(cert_key);
        if (status == SMT_OK && memcmp(cert_print, key_print, sizeof cert_print) != 0)
                status = SMT_ERR(err, SMT_EINVAL, "%s is not the private key of %s", key_path, cert_path);
        return status;
}

/* cmd_tlcp_chain_copy_rest makes out a chain of the certificates of from after the first (the leaf), or
 * leaves it NULL when there are none: intermediates given in the signing certificate's file. */
static int cmd_tlcp_chain_copy_rest(struct cert_chain **out, const struct cert_chain *from, struct err *err)
{
        if (cert_chain_count(from) < 2)
                return SMT_OK;
        TRY(cert_chain_new(out, err));
        for (size_t i = 1; i < cert_chain_count(from); i++) {
                struct cert *copy = NULL;
                TRY(cert_dup(&copy, cert_chain_get(from, i), err));
                TRY(cert_chain_append(*out, copy, err));
        }
        return SMT_OK;
}

static int cmd_tlcp_pair_load_one(struct cert_chain **chain, struct key **key, const char *cert_path,
                                  const char *key_path, const char *passphrase_file, struct err *err)
{
        TRY(cert_chain_load_pem(chain, cert_path, err));
        TRY(key_load(key, key_path, passphrase_file, err));
        if (key_get_alg(*key) != KEY_ALG_SM2 || !key_is_private(*key))
                return SMT_ERR(err, CRYPTO_EWRONGALG, "%s: expected an SM2 private key, got %s%s", key_path,
                               key_is_private(*key) ? "" : "a public ", key_alg_name(key_get_alg(*key)));
        return cmd_tlcp_check_key_matches(cert_chain_get(*chain, 0), *key, cert_path, key_path, err);
}

bool cmd_tlcp_pair_option(struct cmd_tlcp_pair_files *files, int opt, const char *value)
{
        const char **slot = opt == 'S'   ? &files->sign_cert
                            : opt == 'K' ? &files->sign_key
                            : opt == 'E' ? &files->enc_cert
                            : opt == 'N' ? &files->enc_key
                            : opt == 'C' ? &files->chain
                            : opt == 'p' ? &files->passphrase_file
                                         : NULL;
        if (slot != NULL)
                *slot = value;
        return slot != NULL;
}

int cmd_tlcp_pair_load(struct cmd_tlcp_pair *pair, const struct cmd_tlcp_pair_files *files, struct err *err)
{
        memset(pair, 0, sizeof *pair);
        TRY(cmd_tlcp_pair_load_one(&pair->sign_chain, &pair->sign_key, files->sign_cert, files->sign_key,
                                   files->passphrase_file, err));
        TRY(cmd_tlcp_pair_load_one(&pair->enc_chain, &pair->enc_key, files->enc_cert, files->enc_key,
                                   files->passphrase_file, err));
        if (files->chain != NULL)
                TRY(cert_chain_load_pem(&pair->intermediates, files->chain, err));
        else
                TRY(cmd_tlcp_chain_copy_rest(&pair->intermediates, pair->sign_chain, err));
        pair->credentials.sign_cert = cert_chain_get(pair->sign_chain, 0);
        pair->credentials.enc_cert = cert_chain_get(pair->enc_chain, 0);
        pair->credentials.chain = pair->intermediates;
        pair->credentials.sign_key = pair->sign_key;
        pair->credentials.enc_key = pair->enc_key;
        return SMT_OK;
}

void cmd_tlcp_pair_cleanup(struct cmd_tlcp_pair *pair)
{
        cert_chain_free(pair->sign_chain);
        cert_chain_free(pair->enc_chain);
        cert_chain_free(pair->intermediates);
        key_free(pair->sign_key);
        key_free(pair->enc_key);
        memset(pair, 0, sizeof *pair);
}

int cmd_tlcp_suites_parse(uint16_t out[CMD_TLCP_SUITES_MAX], size_t *num_suites, const char *list, struct err *err)
{
        char name[64];
        *num_suites = 0;
        const char *start = list;
        for (;;) {
                size_t len = strcspn(start, ",");
                if (len == 0 || len >= sizeof name)
                        return SMT_ERR(err, SMT_EINVAL,
                                       "--cipher '%s': expected GB/T suite names separated by commas "
                                       "(ECC_SM4_GCM_SM3, ECC_SM4_CBC_SM3, ECDHE_SM4_GCM_SM3, ECDHE_SM4_CBC_SM3)",
                                       list);
                memcpy(name, start, len);
                name[len] = '\0';
                const struct tlcp_suite *suite = tlcp_suite_lookup_name(name);
                if (suite == NULL)
                        return SMT_ERR(err, SMT_EINVAL,
                                       "--cipher: unknown suite '%s' (expected ECC_SM4_GCM_SM3, "
                                       "ECC_SM4_CBC_SM3, ECDHE_SM4_GCM_SM3 or ECDHE_SM4_CBC_SM3)",
                                       name);
                if (*num_suites == CMD_TLCP_SUITES_MAX)
                        return SMT_ERR(err, SMT_EINVAL, "--cipher '%s': more than %d suites", list,
                                       CMD_TLCP_SUITES_MAX);
                out[(*num_suites)++] = (uint16_t)suite->id;
                if (start[len] == '\0')
                        return SMT_OK;
                start += len + 1;
        }
}

bool cmd_tlcp_suites_have_ecdhe(const uint16_t *suites, size_t num_suites)
{
        size_t num_all = 0;
        const struct tlcp_suite *all = tlcp_suite_all(&num_all);
        size_t count = suites != NULL ? num_suites : num_all;
        for (size_t i = 0; i < count; i++) {
                const struct tlcp_suite *suite = suites != NULL ? tlcp_suite_lookup(suites[i]) : &all[i];
                if (suite != NULL && suite->key_exchange == TLCP_KEY_EXCHANGE_ECDHE)
                        return true;
        }
        return false;
}

int cmd_tlcp_print_cert(FILE *out, const char *title, const struct cert *cert)
{
        struct buf_writer text;
        struct err err = {0};
        buf_writer_init_heap(&text, CMD_TLCP_DESCRIPTION_MAX);
        int status = cert_describe(cert, &text, &err);
        if (status == SMT_OK)
                status = buf_write_u8(&text, '\0');
        fprintf(out, "* %s:\n", title);
        if (status < 0) {
                fprintf(out, "*   (cannot describe it: %s)\n", err.msg);
        } else {
                /* Indent every line of the description under its title. */
                char *line = (char *)text.data;
                for (char *end; line != NULL && *line != '\0'; line = end != NULL ? end + 1 : NULL) {
                        end = strchr(line, '\n');
                        fprintf(out, "*   %.*s\n", end != NULL ? (int)(end - line) : (int)strlen(line), line);
                }
        }
        buf_writer_cleanup(&text);
        return status;
}

void cmd_tlcp_subject(const struct cert *cert, char out[CERT_NAME_TEXT_MAX])
{
        struct err err = {0};
        if (cert == NULL)
                snprintf(out, CERT_NAME_TEXT_MAX, "none");
        else if (cert_subject_text(cert, out, CERT_NAME_TEXT_MAX, &err) < 0)
                snprintf(out, CERT_NAME_TEXT_MAX, "(unreadable subject)");
}
