/* grp_service.c - pigeon-group's method table and per-worker state. */
#include "grp_service.h"

#include <stdlib.h>

#include "grp_handlers.h"
#include "log.h"

static const pc_method_t s_methods[] = {
    {"grp.create", grp_h_create, PC_METHOD_WRITE, NULL},
    {"grp.get", grp_h_get, PC_METHOD_READ, NULL},
    {"grp.patch", grp_h_patch, PC_METHOD_WRITE, NULL},
    {"grp.dismiss", grp_h_dismiss, PC_METHOD_WRITE, NULL},
    {"grp.mine", grp_h_mine, PC_METHOD_READ, NULL},
    {"grp.search", grp_h_search, PC_METHOD_READ, NULL},
    {"grp.members", grp_h_members, PC_METHOD_READ, NULL},
    {"grp.add_members", grp_h_add_members, PC_METHOD_WRITE, NULL},
    {"grp.set_member", grp_h_set_member, PC_METHOD_WRITE, NULL},
    {"grp.remove_member", grp_h_remove_member, PC_METHOD_WRITE, NULL},
    {"grp.transfer", grp_h_transfer, PC_METHOD_WRITE, NULL},
    {"grp.join", grp_h_join, PC_METHOD_WRITE, NULL},
    {"grp.join_requests", grp_h_join_requests, PC_METHOD_READ, NULL},
    {"grp.approve", grp_h_approve, PC_METHOD_WRITE, NULL},
    {"grp.reject", grp_h_reject, PC_METHOD_WRITE, NULL},
    {"grp.membership", grp_h_membership, PC_METHOD_READ, NULL},
    {"grp.roster", grp_h_roster, PC_METHOD_READ, NULL},
    {"grp.changes", grp_h_changes, PC_METHOD_READ, NULL},
};

/* Each worker thread gets its own clients: a client owns ZeroMQ sockets and
 * so belongs to one thread. */
static void *s_worker_init(const pc_service_ctx_t *ctx)
{
    grp_worker_t *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->auth = pc_rpc_client_new(ctx->registry, "auth", ctx->config->rpc_deadline_ms);
    w->rel = pc_rpc_client_new(ctx->registry, "relationship", ctx->config->rpc_deadline_ms);
    if (w->auth == NULL || w->rel == NULL) {
        pc_error("could not create the pigeon-auth / pigeon-relationship clients");
        pc_rpc_client_destroy(&w->auth);
        pc_rpc_client_destroy(&w->rel);
        free(w);
        return NULL;
    }
    return w;
}

static void s_worker_fini(void *state)
{
    grp_worker_t *w = state;
    if (w == NULL)
        return;
    pc_rpc_client_destroy(&w->auth);
    pc_rpc_client_destroy(&w->rel);
    free(w);
}

void grp_service_describe(pc_service_def_t *def)
{
    /* Filled at run time: the migration count is a link-time constant, not
     * one a static initializer may use. */
    *def = (pc_service_def_t){
        .name = "group",
        .schema = "grp",
        .migrations = group_migrations,
        .migration_count = group_migration_count,
        .methods = s_methods,
        .method_count = sizeof s_methods / sizeof s_methods[0],
        .worker_init = s_worker_init,
        .worker_fini = s_worker_fini,
    };
}
