/* router_watch.c - "rel/" events into the permission cache (see router_watch.h). */
#include "router_watch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "log.h"
#include "pubsub.h"
#include "relationship_client.h"

#define S_MAX_PUBLISHERS 64 /* pigeon-relationship instances */
#define S_POLL_MS 200       /* how soon a stop or a registry change is noticed */

struct router_watch {
    pc_registry_t *registry; /* borrowed */
    router_perm_t *perm;     /* borrowed */
    atomic_bool stop;        /* asks the thread to return */
    pthread_t thread;        /* the watcher */
};

/* What the thread owns. */
typedef struct {
    pc_subscriber_t *sub;                  /* the SUB socket */
    char endpoints[S_MAX_PUBLISHERS][128]; /* connected publishers */
    size_t count;                          /* entries in endpoints */
} s_state_t;

static bool s_in(char (*list)[128], size_t n, const char *endpoint)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], endpoint) == 0)
            return true;
    return false;
}

/* Connections = live publishers. O(n^2) in a handful of instances. */
static void s_sync(router_watch_t *w, s_state_t *st)
{
    pc_instance_t inst[S_MAX_PUBLISHERS];
    char want[S_MAX_PUBLISHERS][128];
    size_t nwant = 0;
    size_t n = pc_registry_lookup(w->registry, "relationship", inst, S_MAX_PUBLISHERS);
    for (size_t i = 0; i < n && i < S_MAX_PUBLISHERS; i++)
        if (inst[i].pub[0] && !s_in(want, nwant, inst[i].pub))
            snprintf(want[nwant++], sizeof want[0], "%s", inst[i].pub);
    for (size_t i = 0; i < st->count;) {
        if (s_in(want, nwant, st->endpoints[i])) {
            i++;
            continue;
        }
        pc_subscriber_disconnect(st->sub, st->endpoints[i]);
        st->count--;
        if (i != st->count)
            memcpy(st->endpoints[i], st->endpoints[st->count], sizeof st->endpoints[0]);
    }
    for (size_t i = 0; i < nwant; i++) {
        if (s_in(st->endpoints, st->count, want[i]))
            continue;
        if (pc_subscriber_connect(st->sub, want[i]) < 0) {
            pc_warn("could not connect to publisher %s", want[i]);
            continue;
        }
        pc_info("watching relationship changes from %s", want[i]);
        memcpy(st->endpoints[st->count++], want[i], sizeof want[0]);
    }
}

/* The drain rule: read until nothing is waiting. */
static void s_drain(router_watch_t *w, s_state_t *st)
{
    pc_event_t ev;
    while (pc_subscriber_recv(st->sub, &ev) == 1) {
        int64_t a, b;
        if (ev.is_marker)
            continue;
        if (relationship_client_parse_changed(ev.payload, ev.payload_len, &a, &b))
            router_perm_invalidate(w->perm, a, b);
    }
}

static void *s_run(void *arg)
{
    router_watch_t *w = arg;
    s_state_t st = {.sub = pc_subscriber_new()};
    uint64_t version = 0;
    bool synced = false;
    if (st.sub == NULL || pc_subscriber_subscribe(st.sub, RELATIONSHIP_CHANGED_TOPIC) < 0) {
        pc_error("could not create the relationship events socket; "
                 "permissions are cached for their TTL only");
        pc_subscriber_destroy(&st.sub);
        return NULL;
    }
    while (!atomic_load(&w->stop)) {
        uint64_t v = pc_registry_version(w->registry);
        if (!synced || v != version) {
            s_sync(w, &st);
            version = v;
            synced = true;
        }
        zmq_pollitem_t item = {pc_subscriber_socket(st.sub), 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, S_POLL_MS) > 0)
            s_drain(w, &st);
    }
    pc_subscriber_destroy(&st.sub);
    return NULL;
}

router_watch_t *router_watch_new(pc_registry_t *reg, router_perm_t *perm)
{
    router_watch_t *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->registry = reg;
    w->perm = perm;
    atomic_init(&w->stop, false);
    if (pthread_create(&w->thread, NULL, s_run, w) != 0) {
        free(w);
        return NULL;
    }
    return w;
}

void router_watch_destroy(router_watch_t **wp)
{
    if (wp == NULL || *wp == NULL)
        return;
    atomic_store(&(*wp)->stop, true);
    pthread_join((*wp)->thread, NULL);
    free(*wp);
    *wp = NULL;
}
