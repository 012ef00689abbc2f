/* backend.c - per-thread RPC clients from one shared registry. */
#include "backend.h"

#include <pthread.h>
#include <stdlib.h>

#include "log.h"

static const char *const s_names[GW_SVC_COUNT] = {"auth", "relationship", "router", "group",
                                                   "media"};

struct gw_backend {
    pc_registry_t *registry; /* borrowed: outlives the backend */
    int deadline_ms;         /* default budget of a call */
    pthread_key_t key;       /* -> gw_thread_clients_t of the calling thread */
};

typedef struct {
    pc_rpc_client_t *clients[GW_SVC_COUNT]; /* made lazily */
} gw_thread_clients_t;

/* Runs on the exiting thread, which owns the sockets. */
static void s_thread_exit(void *arg)
{
    gw_thread_clients_t *tc = arg;
    for (int i = 0; i < GW_SVC_COUNT; i++)
        pc_rpc_client_destroy(&tc->clients[i]);
    free(tc);
}

gw_backend_t *gw_backend_new(pc_registry_t *reg, int deadline_ms)
{
    gw_backend_t *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->registry = reg;
    b->deadline_ms = deadline_ms;
    if (pthread_key_create(&b->key, s_thread_exit) != 0) {
        free(b);
        return NULL;
    }
    return b;
}

void gw_backend_destroy(gw_backend_t **bp)
{
    if (!bp || !*bp)
        return;
    gw_backend_t *b = *bp;
    /* The caller's own clients (if any) go now; worker threads cleaned up
     * theirs when they exited. */
    gw_thread_clients_t *tc = pthread_getspecific(b->key);
    if (tc) {
        pthread_setspecific(b->key, NULL);
        s_thread_exit(tc);
    }
    pthread_key_delete(b->key);
    free(b);
    *bp = NULL;
}

pc_rpc_client_t *gw_backend_client(gw_backend_t *b, gw_service_t svc)
{
    gw_thread_clients_t *tc = pthread_getspecific(b->key);
    if (!tc) {
        tc = calloc(1, sizeof *tc);
        if (!tc || pthread_setspecific(b->key, tc) != 0) {
            free(tc);
            return NULL;
        }
    }
    if (!tc->clients[svc]) {
        tc->clients[svc] = pc_rpc_client_new(b->registry, s_names[svc], b->deadline_ms);
        if (!tc->clients[svc])
            pc_error("could not create RPC client for service \"%s\"", s_names[svc]);
    }
    return tc->clients[svc];
}

int gw_backend_deadline_ms(const gw_backend_t *b)
{
    return b->deadline_ms;
}

const char *gw_service_name(gw_service_t svc)
{
    return svc < GW_SVC_COUNT ? s_names[svc] : "unknown";
}
