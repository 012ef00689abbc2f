/* main.c - pigeon-auth: accounts, sessions and profiles.
 *
 * Reads pigeon-auth's own settings, then hands over to pc_service_main, which
 * runs the process until SIGTERM (or applies migrations with --migrate). */
#include <stdlib.h>

#include "auth_service.h"
#include "log.h"

int main(int argc, char **argv)
{
    char err[256];
    auth_config_t cfg;
    auth_service_t *svc = NULL;
    pc_service_def_t def;

    pc_log_init("auth", NULL, PC_LOG_INFO);
    if (auth_config_load(&cfg, err, sizeof err) != 0 ||
        (svc = auth_service_new(&cfg, err, sizeof err)) == NULL) {
        pc_error("%s", err);
        return EXIT_FAILURE;
    }
    auth_service_def(svc, &def);
    int rc = pc_service_main(&def, argc, argv);
    auth_service_destroy(&svc);
    return rc;
}
