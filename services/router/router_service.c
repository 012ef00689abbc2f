/* router_service.c - pigeon-router's method table, settings and threads. */
#include "router_service.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "router_handlers.h"

/* msg.send is READ from the framework's point of view: its idempotency is
 * (sender, client_msg_id) - stronger than a request id, since a client
 * retrying on a new connection uses a new request id - and its writes are
 * committed by the group-commit thread in transactions shared with other
 * sends, which a per-request transaction around the handler (where
 * rpc_replies would be written) cannot be. A retried request simply takes
 * the resend path and gets 200 with the stored message. Being a read also
 * lets a direct send defer its answer to the committer (pc_call_defer),
 * and lets the broker thread run the common case itself (its fast handler:
 * no worker turn for a direct text send with a cached permission). */
static const pc_method_t s_methods[] = {
    {"msg.send", router_h_send, PC_METHOD_READ, router_h_send_fast},
    {"msg.conversations", router_h_conversations, PC_METHOD_READ, NULL},
    {"msg.history", router_h_history, PC_METHOD_READ, NULL},
    {"msg.read", router_h_read, PC_METHOD_WRITE, NULL},
    {"msg.recall", router_h_recall, PC_METHOD_WRITE, NULL},
    {"msg.media_access", router_h_media_access, PC_METHOD_READ, NULL},
};

int router_init(router_t *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    if (pc_env_int("PIGEON_RECALL_WINDOW_S", ROUTER_RECALL_WINDOW_DEFAULT_S, 0, 86400,
                   &r->recall_window_s, err, errlen) != 0 ||
        pc_env_int("PIGEON_ROUTER_PERMISSION_TTL_MS", 3000, 0, 60000, &r->perm_ttl_ms, err,
                   errlen) != 0 ||
        pc_env_int("PIGEON_ROUTER_BATCH_MAX", 256, 1, 10000, &r->batch_max, err, errlen) != 0)
        return -1;
    r->perm = router_perm_new((int)r->perm_ttl_ms);
    r->groups = router_groups_new(ROUTER_GROUPS_TTL_MS);
    if (r->perm == NULL || r->groups == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void router_fini(router_t *r)
{
    router_outbox_destroy(&r->outbox);
    router_watch_destroy(&r->watch);
    router_batch_destroy(&r->batch);
    router_perm_destroy(&r->perm);
    router_groups_destroy(&r->groups);
    pthread_mutex_destroy(&r->lock);
}

/* The first worker starts the committer and the watcher. */
static int s_start_threads(router_t *r, const pc_service_ctx_t *ctx)
{
    int rc = 0;
    pthread_mutex_lock(&r->lock);
    if (r->workers++ == 0) {
        r->batch = router_batch_new(ctx->config->db_url, ctx->config->db_timeout_ms,
                                    (int)r->batch_max, ctx->metrics, ctx->publisher);
        r->watch = router_watch_new(ctx->registry, r->perm);
        r->outbox = router_outbox_new(ctx->config->db_url, ctx->config->db_timeout_ms,
                                      ctx->registry, ctx->config->rpc_deadline_ms, r->groups,
                                      ctx->publisher);
        if (r->batch == NULL || r->watch == NULL || r->outbox == NULL) {
            pc_error("could not start the committer, the relationship watcher and the group "
                     "outbox consumer");
            rc = -1;
        }
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* The last worker out stops them: no send can be queued any more. */
static void s_stop_threads(router_t *r)
{
    pthread_mutex_lock(&r->lock);
    if (--r->workers == 0) {
        router_batch_destroy(&r->batch);
        router_watch_destroy(&r->watch);
        router_outbox_destroy(&r->outbox);
    }
    pthread_mutex_unlock(&r->lock);
}

static void *s_worker_init(const pc_service_ctx_t *ctx)
{
    router_t *r = ctx->arg;
    router_worker_t *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    if (s_start_threads(r, ctx) != 0) {
        s_stop_threads(r);
        free(w);
        return NULL;
    }
    w->router = r;
    w->auth = pc_rpc_client_new(ctx->registry, "auth", ctx->config->rpc_deadline_ms);
    w->rel = pc_rpc_client_new(ctx->registry, "relationship", ctx->config->rpc_deadline_ms);
    w->media = pc_rpc_client_new(ctx->registry, "media", ctx->config->rpc_deadline_ms);
    w->grp = pc_rpc_client_new(ctx->registry, "group", ctx->config->rpc_deadline_ms);
    if (w->auth == NULL || w->rel == NULL || w->media == NULL || w->grp == NULL) {
        pc_error("could not create the pigeon-auth, pigeon-relationship, pigeon-media and "
                 "pigeon-group clients");
        pc_rpc_client_destroy(&w->auth);
        pc_rpc_client_destroy(&w->rel);
        pc_rpc_client_destroy(&w->media);
        pc_rpc_client_destroy(&w->grp);
        s_stop_threads(r);
        free(w);
        return NULL;
    }
    return w;
}

static void s_worker_fini(void *state)
{
    router_worker_t *w = state;
    if (w == NULL)
        return;
    pc_rpc_client_destroy(&w->auth);
    pc_rpc_client_destroy(&w->rel);
    pc_rpc_client_destroy(&w->media);
    pc_rpc_client_destroy(&w->grp);
    s_stop_threads(w->router);
    free(w);
}

void router_service_describe(pc_service_def_t *def, router_t *r)
{
    *def = (pc_service_def_t){
        .name = "router",
        .schema = "msg",
        .migrations = router_migrations,
        .migration_count = router_migration_count,
        .methods = s_methods,
        .method_count = sizeof s_methods / sizeof s_methods[0],
        .worker_init = s_worker_init,
        .worker_fini = s_worker_fini,
        .arg = r,
    };
}
