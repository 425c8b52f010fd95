/* src/cmd/demo_pki.c: placeholder while the command is being built (replaced in this session). */
#include <stdio.h>

#include "cmd/cmd.h"

int cmd_demo_pki_main(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        fprintf(stderr, "smtrust: demo_pki: not built yet\n");
        return CMD_EXIT_FAILURE;
}
