/* pigeon-group: groups, members, roles, join requests, group search.
 *
 * Configuration is the common PIGEON_* set (services/common/config.h);
 * pigeon-auth and pigeon-relationship are found through the registry or
 * PIGEON_AUTH_ENDPOINTS / PIGEON_RELATIONSHIP_ENDPOINTS.
 * `pigeon-group --migrate` applies the schema and exits. */
#include "grp_service.h"

int main(int argc, char **argv)
{
    pc_service_def_t def;
    grp_service_describe(&def);
    return pc_service_main(&def, argc, argv);
}
