/* rel_service.c - pigeon-relationship's method table and per-worker state. */
#include "rel_service.h"

#include <stdlib.h>

#include "log.h"
#include "rel_handlers.h"

static const pc_method_t s_methods[] = {
    {"rel.add", rel_h_add, PC_METHOD_WRITE, NULL},
    {"rel.list_contacts", rel_h_list_contacts, PC_METHOD_READ, NULL},
    {"rel.remove", rel_h_remove, PC_METHOD_WRITE, NULL},
    {"rel.list_requests", rel_h_list_requests, PC_METHOD_READ, NULL},
    {"rel.accept", rel_h_accept, PC_METHOD_WRITE, NULL},
    {"rel.decline", rel_h_decline, PC_METHOD_WRITE, NULL},
    {"rel.cancel", rel_h_cancel, PC_METHOD_WRITE, NULL},
    {"rel.block", rel_h_block, PC_METHOD_WRITE, NULL},
    {"rel.unblock", rel_h_unblock, PC_METHOD_WRITE, NULL},
    {"rel.list_blocks", rel_h_list_blocks, PC_METHOD_READ, NULL},
    {"rel.may_message", rel_h_may_message, PC_METHOD_READ, NULL},
    {"rel.is_contact", rel_h_is_contact, PC_METHOD_READ, NULL},
};

/* Each worker thread gets its own client to pigeon-auth: a client owns
 * ZeroMQ sockets and so belongs to one thread. */
static void *s_worker_init(const pc_service_ctx_t *ctx)
{
    rel_worker_t *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->auth = pc_rpc_client_new(ctx->registry, "auth", ctx->config->rpc_deadline_ms);
    if (w->auth == NULL) {
        pc_error("could not create the pigeon-auth client");
        free(w);
        return NULL;
    }
    return w;
}

static void s_worker_fini(void *state)
{
    rel_worker_t *w = state;
    if (w == NULL)
        return;
    pc_rpc_client_destroy(&w->auth);
    free(w);
}

void rel_service_describe(pc_service_def_t *def)
{
    /* Filled at run time: the migration count is a link-time constant, not
     * one a static initializer may use. */
    *def = (pc_service_def_t){
        .name = "relationship",
        .schema = "rel",
        .migrations = relationship_migrations,
        .migration_count = relationship_migration_count,
        .methods = s_methods,
        .method_count = sizeof s_methods / sizeof s_methods[0],
        .worker_init = s_worker_init,
        .worker_fini = s_worker_fini,
    };
}
