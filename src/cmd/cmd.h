/* src/cmd/cmd.h: the sub-commands of the smtrust executable. Each takes the arguments after its name
 * (argv[0] is the sub-command) and returns the process exit status: 0 success, 1 failure, 2 usage error. */
#ifndef SMT_CMD_CMD_H
#define SMT_CMD_CMD_H

#include "base/err.h"

enum cmd_exit {
        CMD_EXIT_OK = 0,
        CMD_EXIT_FAILURE = 1,
        CMD_EXIT_USAGE = 2,
};

/* cmd_report prints "smtrust: <context>: <message>" for a failed status to stderr and returns CMD_EXIT_FAILURE. */
int cmd_report(const struct err *err, const char *context);

int cmd_key_main(int argc, char **argv);
int cmd_bench_main(int argc, char **argv);

#endif
