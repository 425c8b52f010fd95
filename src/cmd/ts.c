/* src/cmd/ts.c: `smtrust ts` (being written: issue 9). */
#include <stdio.h>

#include "cmd/cmd.h"

int cmd_ts_main(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        fprintf(stderr, "smtrust ts: not available in this build yet\n");
        return 2;
}
