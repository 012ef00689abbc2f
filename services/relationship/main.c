/* pigeon-relationship: one-way contacts, two-way friend requests, blocks.
 *
 * Configuration is the common PIGEON_* set (services/common/config.h);
 * pigeon-auth is found through the registry or PIGEON_AUTH_ENDPOINTS.
 * `pigeon-relationship --migrate` applies the schema and exits. */
#include "rel_service.h"

int main(int argc, char **argv)
{
    pc_service_def_t def;
    rel_service_describe(&def);
    return pc_service_main(&def, argc, argv);
}
