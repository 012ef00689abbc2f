/* pubsub.h - events from services to gateways.
 *
 * Wire: every message is two frames, [topic][payload]. Topics end with '/'
 * ("u:42/", "revoked/") so "u:42/" never matches "u:421/". Payloads of events
 * are the final JSON text the gateway forwards (encoded once, by the
 * publisher's caller). A payload starting with a 0x00 byte is a subscription
 * marker: 0x00 followed by the publisher's instance id.
 *
 * Publisher: a thread owns an XPUB (ZMQ_XPUB_VERBOSE=1, so a second gateway
 * subscribing to the same topic is still answered; ZMQ_XPUB_NODROP=1, so an
 * event that a subscriber's full queue cannot take is counted as dropped,
 * for every subscriber of its topic, instead of vanishing unseen) and an
 * inproc PULL. Any thread sends through its own pc_pub_sender_t (an inproc
 * PUSH). For every subscribe message the publisher sends a marker on that topic; a subscriber
 * that sees markers from every live publisher knows that everything
 * published from then on reaches it.
 *
 * A payload starting with 0x01 carries an origin tag: 0x01, the tag, 0x00,
 * then the event. Gateways deliver such an event to every socket of the
 * topic except the one the tag names (the WebSocket that sent a message gets
 * its `ack` instead of the `message` frame).
 *
 * Subscriber: one SUB socket owned by one thread, connected to every
 * publisher. Read it with the drain rule: after each wake-up keep receiving
 * while ZMQ_EVENTS has ZMQ_POLLIN. */
#ifndef PIGEON_PUBSUB_H
#define PIGEON_PUBSUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

typedef struct pc_publisher pc_publisher_t;
typedef struct pc_pub_sender pc_pub_sender_t;
typedef struct pc_subscriber pc_subscriber_t;

/* Binds the XPUB to `bind_endpoint` ("tcp://127.0.0.1:*" allowed) and writes
 * the real endpoint into bound_out. instance_id goes into markers. */
pc_publisher_t *pc_publisher_new(const char *bind_endpoint, const char *instance_id,
                                 pc_metrics_t *metrics, char *bound_out, size_t bound_size);
/* Sends what is queued (bounded wait), then closes. */
void pc_publisher_destroy(pc_publisher_t **pub);

/* One per sending thread. */
pc_pub_sender_t *pc_pub_sender_new(pc_publisher_t *pub);
void pc_pub_sender_destroy(pc_pub_sender_t **s);
/* Never blocks: a full queue drops the event and counts it (events are hints;
 * clients catch up through history). Returns 0 when queued, -1 when dropped. */
int pc_pub_send(pc_pub_sender_t *s, const char *topic, const void *payload, size_t len);
/* Like pc_pub_send, with an origin tag (see above); origin NULL or "" is a
 * plain pc_pub_send. */
int pc_pub_send_except(pc_pub_sender_t *s, const char *topic, const void *payload, size_t len,
                       const char *origin);
/* pc_pub_send of one payload to "u:<id>/" of every user in users but skip
 * (0: none): the payload is copied once and shared by reference between the
 * messages (a group message to 500 members costs one allocation, not 500).
 * Returns how many were dropped. */
size_t pc_pub_send_users(pc_pub_sender_t *s, const int64_t *users, size_t n, int64_t skip,
                         const void *payload, size_t len);
/* The payload pc_pub_send_except sends: malloc'd, its length in *out_len. */
char *pc_pub_payload_except(const void *payload, size_t len, const char *origin, size_t *out_len);

pc_subscriber_t *pc_subscriber_new(void);
void pc_subscriber_destroy(pc_subscriber_t **sub);
int pc_subscriber_connect(pc_subscriber_t *sub, const char *endpoint);
int pc_subscriber_disconnect(pc_subscriber_t *sub, const char *endpoint);
int pc_subscriber_subscribe(pc_subscriber_t *sub, const char *topic);
int pc_subscriber_unsubscribe(pc_subscriber_t *sub, const char *topic);
/* The underlying ZeroMQ socket, for zmq_poll / ZMQ_FD integration. */
void *pc_subscriber_socket(pc_subscriber_t *sub);

/* One received message; the buffers are valid until the next receive. */
typedef struct {
    const char *topic;      /* NUL-terminated */
    const char *payload;    /* not NUL-terminated for markers */
    size_t payload_len;
    bool is_marker;
    const char *marker_from; /* publisher instance id, for markers */
    const char *except;      /* origin tag not to deliver to, or NULL */
} pc_event_t;

/* Non-blocking: 1 and *ev filled when a message was waiting, 0 when none, -1 on error. */
int pc_subscriber_recv(pc_subscriber_t *sub, pc_event_t *ev);

#endif
