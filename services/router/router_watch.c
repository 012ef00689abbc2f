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
#include "pubsub_follow.h"
#include "relationship_client.h"

#define S_POLL_MS 200 /* how soon a stop or a registry change is noticed */

struct router_watch {
    pc_registry_t *registry; /* borrowed */
    router_perm_t *perm;     /* borrowed */
    atomic_bool stop;        /* asks the thread to return */
    pthread_t thread;        /* the watcher */
};

/* Whose events it follows. */
static const char *const s_publishers[] = {"relationship"};

/* The drain rule: read until nothing is waiting. */
static void s_drain(router_watch_t *w, pc_subscriber_t *sub)
{
    pc_event_t ev;
    while (pc_subscriber_recv(sub, &ev) == 1) {
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
    pc_subscriber_t *sub = pc_subscriber_new();
    pc_sub_follow_t *follow = sub ? pc_sub_follow_new(sub, w->registry, s_publishers, 1) : NULL;
    if (follow == NULL || pc_subscriber_subscribe(sub, RELATIONSHIP_CHANGED_TOPIC) < 0) {
        pc_error("could not create the relationship events socket; "
                 "permissions are cached for their TTL only");
        pc_sub_follow_destroy(&follow);
        pc_subscriber_destroy(&sub);
        return NULL;
    }
    pc_sub_follow_set_log(follow, "watching relationship changes from", NULL);
    while (!atomic_load(&w->stop)) {
        pc_sub_follow_update(follow);
        zmq_pollitem_t item = {pc_subscriber_socket(sub), 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, S_POLL_MS) > 0)
            s_drain(w, sub);
    }
    pc_sub_follow_destroy(&follow);
    pc_subscriber_destroy(&sub);
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
