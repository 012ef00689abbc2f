/* events.c - the events thread: SUB to every publisher, dispatch by topic. */
#include "events.h"

#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "pubsub_follow.h"
#include "ws.h"

#define GW_MAX_HANDLERS 8
#define GW_POLL_MS 250 /* how soon a stop or a registry change is noticed */

/* Services whose instances may publish events the gateway needs (an
 * instance without a pub endpoint is skipped). */
static const char *const s_publishers[] = {"auth", "relationship", "router", "group", "media"};

typedef struct {
    char topic[64];  /* prefix, ends with '/' */
    size_t len;      /* strlen(topic) */
    gw_event_fn fn;  /* called on the events thread */
    void *arg;       /* passed to fn */
} gw_topic_t;

struct gw_events {
    pc_registry_t *registry;               /* borrowed */
    pc_metrics_t *metrics;                 /* borrowed */
    gw_topic_t topics[GW_MAX_HANDLERS];    /* set before start, then read-only */
    size_t ntopics;                        /* entries in topics */
    pthread_t thread;                      /* the events thread */
    bool started;                          /* thread is running */
    atomic_bool stop;                      /* asks the thread to return */
    gw_ws_t *ws;                           /* per-user topics, or NULL (set before start) */
};

gw_events_t *gw_events_new(pc_registry_t *reg, pc_metrics_t *metrics)
{
    gw_events_t *ev = calloc(1, sizeof *ev);
    if (!ev)
        return NULL;
    ev->registry = reg;
    ev->metrics = metrics;
    atomic_init(&ev->stop, false);
    return ev;
}

int gw_events_on(gw_events_t *ev, const char *topic, gw_event_fn fn, void *arg)
{
    if (ev->started || ev->ntopics == GW_MAX_HANDLERS || strlen(topic) >= sizeof ev->topics[0].topic)
        return -1;
    gw_topic_t *t = &ev->topics[ev->ntopics++];
    snprintf(t->topic, sizeof t->topic, "%s", topic);
    t->len = strlen(t->topic);
    t->fn = fn;
    t->arg = arg;
    return 0;
}

/* After each sync: the ready tracking and the gauge. */
static void s_synced(gw_events_t *ev, const pc_sub_follow_t *follow)
{
    if (ev->ws) { /* ready waits for the live publishers only */
        char ids[PC_SUB_FOLLOW_MAX][64];
        size_t n = pc_sub_follow_instances(follow, ids, PC_SUB_FOLLOW_MAX);
        gw_ws_events_publishers(ev->ws, ids, n, pc_mono_ms());
    }
    pc_metrics_gauge(ev->metrics, "pigeon_gateway_publishers",
                     "Publishers the gateway's events socket is connected to", NULL,
                     (double)pc_sub_follow_count(follow));
}

static void s_deliver(gw_events_t *ev, const pc_event_t *e)
{
    if (ev->ws && strncmp(e->topic, "u:", 2) == 0) {
        if (!e->is_marker)
            pc_metrics_count(ev->metrics, "pigeon_gateway_events_total",
                             "Events received from publishers", "topic=\"u:\"", 1);
        gw_ws_events_deliver(ev->ws, e, pc_mono_ms());
        return;
    }
    if (e->is_marker) /* markers matter only for the WebSocket layer's topics */
        return;
    for (size_t i = 0; i < ev->ntopics; i++) {
        if (strncmp(e->topic, ev->topics[i].topic, ev->topics[i].len) == 0) {
            char labels[96];
            snprintf(labels, sizeof labels, "topic=\"%s\"", ev->topics[i].topic);
            pc_metrics_count(ev->metrics, "pigeon_gateway_events_total",
                             "Events received from publishers", labels, 1);
            ev->topics[i].fn(e, ev->topics[i].arg);
            return;
        }
    }
}

static void *s_run(void *arg)
{
    gw_events_t *ev = arg;
    pc_subscriber_t *sub = pc_subscriber_new();
    pc_sub_follow_t *follow =
        sub ? pc_sub_follow_new(sub, ev->registry, s_publishers,
                                sizeof s_publishers / sizeof s_publishers[0])
            : NULL;
    if (!follow) {
        pc_error("could not create the events socket");
        pc_subscriber_destroy(&sub);
        return NULL;
    }
    pc_sub_follow_set_log(follow, "connected to publisher", "disconnected from publisher");
    for (size_t i = 0; i < ev->ntopics; i++)
        pc_subscriber_subscribe(sub, ev->topics[i].topic);
    while (!atomic_load(&ev->stop)) {
        if (pc_sub_follow_update(follow))
            s_synced(ev, follow);
        zmq_pollitem_t items[2] = {
            {zsock_resolve(pc_subscriber_socket(sub)), 0, ZMQ_POLLIN, 0},
            {NULL, ev->ws ? gw_ws_events_fd(ev->ws) : -1, ZMQ_POLLIN, 0},
        };
        int wait = ev->ws ? gw_ws_events_timeout(ev->ws, pc_mono_ms(), GW_POLL_MS) : GW_POLL_MS;
        if (zmq_poll(items, ev->ws ? 2 : 1, wait) < 0)
            continue; /* EINTR: our own flag decides, not czmq's */
        if (ev->ws) /* subscriptions asked for by the loops, ready deadlines */
            gw_ws_events_pump(ev->ws, sub, pc_mono_ms());
        /* Drain rule: keep reading while messages wait; one per wake-up stalls. */
        pc_event_t e;
        while (pc_subscriber_recv(sub, &e) == 1)
            s_deliver(ev, &e);
        if (ev->ws) /* one post per loop for the whole drain */
            gw_ws_events_flush(ev->ws);
    }
    pc_sub_follow_destroy(&follow);
    pc_subscriber_destroy(&sub);
    return NULL;
}

void gw_events_set_ws(gw_events_t *ev, gw_ws_t *ws)
{
    if (!ev->started)
        ev->ws = ws;
}

int gw_events_start(gw_events_t *ev)
{
    if (ev->started)
        return -1;
    if (pthread_create(&ev->thread, NULL, s_run, ev) != 0)
        return -1;
    ev->started = true;
    return 0;
}

void gw_events_destroy(gw_events_t **evp)
{
    if (!evp || !*evp)
        return;
    gw_events_t *ev = *evp;
    if (ev->started) {
        atomic_store(&ev->stop, true);
        pthread_join(ev->thread, NULL);
    }
    free(ev);
    *evp = NULL;
}
