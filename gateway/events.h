/* events.h - the gateway's events thread: one SUB socket to every publisher.
 *
 * The thread owns a pc_subscriber_t connected to the XPUB of every live
 * instance of every service that publishes (from the registry; it
 * reconnects whenever pc_registry_version changes) and hands each event to
 * the handler registered for its topic prefix. Handlers run on the events
 * thread and must be quick and thread-safe (the token cache is).
 *
 * It carries "revoked/" for the token cache and, for the WebSocket layer,
 * the per-user "u:<id>/" topics and their markers (ws_hub.c runs on this
 * thread: only it touches the SUB socket; loops ask for subscriptions
 * through its mailbox, whose eventfd joins the zmq_poll). */
#ifndef PIGEON_GW_EVENTS_H
#define PIGEON_GW_EVENTS_H

#include "metrics.h"
#include "pubsub.h"
#include "registry.h"

typedef struct gw_events gw_events_t;

typedef void (*gw_event_fn)(const pc_event_t *ev, void *arg);

gw_events_t *gw_events_new(pc_registry_t *reg, pc_metrics_t *metrics);
/* Stops and joins the thread, closes the socket. */
void gw_events_destroy(gw_events_t **ev);

/* Before start: topic prefix ("revoked/") and its handler. Returns 0 or -1 when full. */
int gw_events_on(gw_events_t *ev, const char *topic, gw_event_fn fn, void *arg);

/* Before start: the WebSocket sessions whose user topics this thread serves. */
typedef struct gw_ws gw_ws_t;
void gw_events_set_ws(gw_events_t *ev, gw_ws_t *ws);

/* Starts the thread. Returns 0 or -1. */
int gw_events_start(gw_events_t *ev);

#endif
