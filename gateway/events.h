/* events.h - the gateway's events thread: one SUB socket to every publisher.
 *
 * The thread owns a pc_subscriber_t connected to the XPUB of every live
 * instance of every service that publishes (from the registry; it
 * reconnects whenever pc_registry_version changes) and hands each event to
 * the handler registered for its topic prefix. Handlers run on the events
 * thread and must be quick and thread-safe (the token cache is).
 *
 * Today it carries "revoked/" for the token cache. The WebSocket layer adds
 * per-user "u:<id>/" topics on the same socket and loop: subscriptions will
 * reach this thread over an inproc socket it owns, since only it may touch
 * the SUB socket. */
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

/* Starts the thread. Returns 0 or -1. */
int gw_events_start(gw_events_t *ev);

#endif
