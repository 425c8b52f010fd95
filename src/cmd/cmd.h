/* src/cmd/cmd.h: the sub-commands of the smtrust executable. Each takes the arguments after its name
 * (argv[0] is the sub-command) and returns the process exit status: 0 success, 1 failure, 2 usage error. */
#ifndef SMT_CMD_CMD_H
#define SMT_CMD_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"

enum cmd_exit {
        CMD_EXIT_OK = 0,
        CMD_EXIT_FAILURE = 1,
        CMD_EXIT_USAGE = 2,
};

/* cmd_report prints "smtrust: <context>: <message>" for a failed status to stderr and returns CMD_EXIT_FAILURE. */
int cmd_report(const struct err *err, const char *context);

/* The most a command reads from --in (or standard input) into memory. */
#define CMD_IO_INPUT_MAX ((size_t)256 << 20)

/* cmd_io_is_standard says whether path means standard input/output: NULL (option not given) or "-". */
bool cmd_io_is_standard(const char *path);

/* cmd_io_read_input reads all of path (standard input for NULL or "-") into a new buffer, refusing more than
 * max_len bytes; release it with file_free_contents. */
int cmd_io_read_input(uint8_t **out, size_t *out_len, const char *path, size_t max_len,
                      struct err *err) SMT_MUST_USE;

/* cmd_io_write_output writes data to path atomically with permissions mode (file_write_atomic, replacing
 * an existing file), or to standard output for NULL or "-". */
int cmd_io_write_output(const char *path, const uint8_t *data, size_t len, mode_t mode,
                        struct err *err) SMT_MUST_USE;

int cmd_key_main(int argc, char **argv);
int cmd_bench_main(int argc, char **argv);
int cmd_sign_main(int argc, char **argv);
int cmd_verify_main(int argc, char **argv);
int cmd_encrypt_main(int argc, char **argv);
int cmd_decrypt_main(int argc, char **argv);

#endif
