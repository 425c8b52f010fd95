/* src/cmd/key.c: placeholder until this session's work on it lands. */
#include <stdio.h>
#include "cmd/cmd.h"

int cmd_key_main(int argc, char **argv)
{
        (void)argc;
        fprintf(stderr, "smtrust: %s: not built yet\n", argv[0]);
        return CMD_EXIT_FAILURE;
}
