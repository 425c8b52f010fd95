/* src/cmd/ca_serve.c: `smtrust ca -c ca.yaml`: load, serve, print the ACME directory URL once listening,
 * stop cleanly on SIGTERM or SIGINT. */
#include <signal.h>
#include <stdio.h>

#include "ca/config.h"
#include "ca/server.h"
#include "cmd/cmd.h"

static void cmd_ca_print_config_errors(const struct config_errors *errors)
{
        for (size_t i = 0; i < errors->num; i++)
                fprintf(stderr, "%s\n", errors->list[i].text);
        if (errors->num_more > 0)
                fprintf(stderr, "... and %zu more problems\n", errors->num_more);
}

int cmd_ca_serve(const char *config_path)
{
        static struct config_errors errors;
        struct ca_config config = {0};
        if (ca_config_load(&config, config_path, &errors) < 0) {
                cmd_ca_print_config_errors(&errors);
                return CMD_EXIT_FAILURE;
        }
        /* Block the stop signals before any thread starts, so every thread inherits the mask and only
         * sigwait below sees them. */
        sigset_t stop_signals;
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGINT);
        sigaddset(&stop_signals, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
        signal(SIGPIPE, SIG_IGN);
        struct ca_server *server = NULL;
        struct err err = {0};
        if (ca_server_start(&server, &config, &err) < 0) {
                ca_config_free(&config);
                return cmd_report(&err, "ca");
        }
        printf("ACME directory: %s\n", ca_server_directory_url(server));
        fflush(stdout);
        int signal_number = 0;
        sigwait(&stop_signals, &signal_number);
        fprintf(stderr, "smtrust ca: %s, stopping\n", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
        ca_server_stop(server);
        ca_config_free(&config);
        return CMD_EXIT_OK;
}
