/* src/cmd/ocsp.c: `smtrust ocsp` (being written: issue 9). */
#include <stdio.h>

#include "cmd/cmd.h"

int cmd_ocsp_main(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        fprintf(stderr, "smtrust ocsp: not available in this build yet\n");
        return 2;
}
