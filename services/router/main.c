/* pigeon-router: one-to-one messages, conversations, history, read state
 * and recall (proto/router.proto, docs/messaging.md).
 *
 * Configuration is the common PIGEON_* set (services/common/config.h) plus
 * PIGEON_RECALL_WINDOW_S, PIGEON_ROUTER_PERMISSION_TTL_MS and
 * PIGEON_ROUTER_BATCH_MAX (README.md). pigeon-auth and pigeon-relationship
 * are found through the registry or PIGEON_<SERVICE>_ENDPOINTS.
 * `pigeon-router --migrate` applies the schema and exits. */
#include <stdio.h>

#include "router_service.h"

int main(int argc, char **argv)
{
    router_t router;
    char err[256];
    if (router_init(&router, err, sizeof err) != 0) {
        fprintf(stderr, "pigeon-router: %s\n", err);
        return 1;
    }
    pc_service_def_t def;
    router_service_describe(&def, &router);
    int rc = pc_service_main(&def, argc, argv);
    router_fini(&router);
    return rc;
}
