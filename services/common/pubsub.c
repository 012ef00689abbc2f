/* pubsub.c - XPUB publisher thread, per-thread senders, and the SUB side.
 *
 * The publisher thread is the only owner of the XPUB socket. Senders are
 * inproc PUSH sockets into its PULL, so any worker thread can publish without
 * touching the XPUB. Subscriptions arriving on the XPUB (ZMQ_XPUB_VERBOSE, so
 * duplicates from other gateways come through too) are answered with a marker
 * on the same topic. */
#include "pubsub.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "envelope.h"
#include "log.h"

/* Queue sizes in messages (HWMs count messages, not bytes). Events are small
 * JSON frames; a full queue drops and counts. A group message is one
 * message per member, so a sender's queue holds 200 messages to 500-member
 * groups in flight: 10,000 dropped events under 200,000 deliveries/s
 * (docs/BENCHMARKS.md). Memory is spent only while a backlog lasts. */
#define S_SENDER_HWM 100000
#define S_XPUB_HWM 100000
#define S_SUB_HWM 100000
/* Both places that drop an event count it under one name. */
#define S_DROPPED_HELP "Events dropped because a publisher queue was full"
/* How long destroy keeps forwarding what senders queued. */
#define S_FLUSH_MS 200

struct pc_publisher {
    void *xpub;            /* owned by the thread once started */
    void *pull;            /* inproc sink of every sender; owned by the thread */
    char inproc[64];       /* where senders connect */
    char instance[64];     /* goes into markers */
    pc_metrics_t *metrics; /* may be NULL */
    pthread_t thread;      /* the only user of xpub and pull */
    atomic_bool stop;      /* set by destroy */
};

struct pc_pub_sender {
    void *push;            /* connected to the publisher's inproc PULL */
    pc_metrics_t *metrics; /* for drop counts; may be NULL */
};

struct pc_subscriber {
    void *sub;         /* the SUB socket; owned by the caller's thread */
    zmq_msg_t payload; /* last payload, lent out through pc_event_t */
    char *topic;       /* last topic, NUL-terminated */
    size_t topic_cap;
    char *from; /* last marker's instance id */
    size_t from_cap;
};

static void s_count(pc_metrics_t *m, const char *name, const char *help, uint64_t n)
{
    if (m && n)
        pc_metrics_count(m, name, help, NULL, n);
}

/* Discards the remaining frames of a multi-frame message. */
static void s_skip_rest(void *sock)
{
    int more = 0;
    size_t sz = sizeof more;
    while (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        int rc = zmq_msg_recv(&m, sock, ZMQ_DONTWAIT);
        zmq_msg_close(&m);
        if (rc < 0)
            break;
    }
}

/* --- publisher ---------------------------------------------------------- */

/* A subscription arrived: byte 1 then the topic. Answer with the marker. */
static void s_on_subscription(pc_publisher_t *pub)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, pub->xpub, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&m);
        return;
    }
    const uint8_t *data = zmq_msg_data(&m);
    size_t len = zmq_msg_size(&m);
    if (len >= 1 && data[0] == 1) {
        char marker[1 + sizeof pub->instance];
        size_t ilen = strlen(pub->instance);
        marker[0] = '\0';
        memcpy(marker + 1, pub->instance, ilen);
        /* A subscriber over its HWM loses the marker (never wait for it:
         * ZMQ_XPUB_NODROP), and the gateway's ready deadline covers that. */
        if (zmq_send(pub->xpub, data + 1, len - 1, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
            zmq_send(pub->xpub, marker, 1 + ilen, ZMQ_DONTWAIT);
    }
    zmq_msg_close(&m);
    s_skip_rest(pub->xpub);
}

/* Events forwarded and dropped by one drain of the PULL: counted once per
 * drain instead of a metrics update (lock and name look-up) per event. */
typedef struct {
    uint64_t published;
    uint64_t dropped;
} s_tally_t;

static void s_tally_flush(pc_publisher_t *pub, s_tally_t *t)
{
    s_count(pub->metrics, "pigeon_events_published_total", "Events handed to the XPUB socket",
            t->published);
    s_count(pub->metrics, "pigeon_events_dropped_total", S_DROPPED_HELP, t->dropped);
    *t = (s_tally_t){0};
}

/* Moves one [topic][payload] from the PULL to the XPUB. 1 moved, 0 none. */
static int s_forward_one(pc_publisher_t *pub, s_tally_t *t)
{
    zmq_msg_t topic, payload;
    zmq_msg_init(&topic);
    if (zmq_msg_recv(&topic, pub->pull, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&topic);
        return 0;
    }
    if (!zmq_msg_more(&topic)) { /* not an event; senders always send two frames */
        zmq_msg_close(&topic);
        return 1;
    }
    zmq_msg_init(&payload);
    if (zmq_msg_recv(&payload, pub->pull, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&topic);
        zmq_msg_close(&payload);
        return 1;
    }
    if (zmq_msg_more(&payload)) {
        s_skip_rest(pub->pull);
    } else if (zmq_msg_send(&topic, pub->xpub, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0) {
        zmq_msg_send(&payload, pub->xpub, ZMQ_DONTWAIT); /* the rest of an accepted message */
        t->published++;
    } else if (errno == EAGAIN) { /* a subscriber of the topic is S_XPUB_HWM behind */
        t->dropped++;
    }
    zmq_msg_close(&topic);
    zmq_msg_close(&payload);
    return 1;
}

static void *s_publisher_main(void *arg)
{
    pc_publisher_t *pub = arg;
    while (!atomic_load(&pub->stop)) {
        zmq_pollitem_t items[] = {{pub->xpub, 0, ZMQ_POLLIN, 0}, {pub->pull, 0, ZMQ_POLLIN, 0}};
        /* The timeout only bounds how late a stop is noticed. */
        int rc = zmq_poll(items, 2, 100);
        if (rc < 0 && errno != EINTR)
            break;
        if (items[0].revents & ZMQ_POLLIN)
            s_on_subscription(pub);
        /* Bounded batch so subscriptions are not starved by a flood. */
        s_tally_t t = {0};
        for (int i = 0; i < 1000 && (items[1].revents & ZMQ_POLLIN); i++)
            if (!s_forward_one(pub, &t))
                break;
        s_tally_flush(pub, &t);
    }
    /* Flush what senders queued before the stop, within a bound. */
    int64_t until = pc_mono_ms() + S_FLUSH_MS;
    while (pc_mono_ms() < until) {
        zmq_pollitem_t item = {pub->pull, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 10) <= 0)
            break;
        s_tally_t t = {0};
        while (s_forward_one(pub, &t))
            ;
        s_tally_flush(pub, &t);
    }
    zmq_close(pub->pull);
    zmq_close(pub->xpub);
    return NULL;
}

static void *s_socket(int type)
{
    void *ctx = pc_zmq_context();
    return ctx ? zmq_socket(ctx, type) : NULL;
}

static void s_setint(void *sock, int opt, int value)
{
    zmq_setsockopt(sock, opt, &value, sizeof value);
}

pc_publisher_t *pc_publisher_new(const char *bind_endpoint, const char *instance_id,
                                 pc_metrics_t *metrics, char *bound_out, size_t bound_size)
{
    static atomic_uint s_seq;
    pc_publisher_t *pub = calloc(1, sizeof *pub);
    if (!pub)
        return NULL;
    snprintf(pub->instance, sizeof pub->instance, "%s", instance_id ? instance_id : "");
    snprintf(pub->inproc, sizeof pub->inproc, "inproc://pigeon-pub-%u-%p",
             atomic_fetch_add(&s_seq, 1), (void *)pub);
    pub->metrics = metrics;
    atomic_init(&pub->stop, false);
    pub->xpub = s_socket(ZMQ_XPUB);
    pub->pull = s_socket(ZMQ_PULL);
    if (!pub->xpub || !pub->pull)
        goto fail;
    s_setint(pub->xpub, ZMQ_XPUB_VERBOSE, 1);
    /* A full subscriber queue fails the send (EAGAIN) instead of dropping
     * the event silently, so every drop is counted. */
    s_setint(pub->xpub, ZMQ_XPUB_NODROP, 1);
    s_setint(pub->xpub, ZMQ_SNDHWM, S_XPUB_HWM);
    s_setint(pub->xpub, ZMQ_LINGER, S_FLUSH_MS);
    s_setint(pub->pull, ZMQ_RCVHWM, S_SENDER_HWM);
    s_setint(pub->pull, ZMQ_LINGER, 0);
    if (zmq_bind(pub->xpub, bind_endpoint) != 0) {
        pc_error("could not bind publisher to \"%s\": %s", bind_endpoint, zmq_strerror(errno));
        goto fail;
    }
    if (zmq_bind(pub->pull, pub->inproc) != 0)
        goto fail;
    if (bound_out && bound_size) {
        size_t sz = bound_size;
        if (zmq_getsockopt(pub->xpub, ZMQ_LAST_ENDPOINT, bound_out, &sz) != 0)
            bound_out[0] = '\0';
    }
    if (pthread_create(&pub->thread, NULL, s_publisher_main, pub) != 0)
        goto fail;
    return pub;
fail:
    if (pub->xpub)
        zmq_close(pub->xpub);
    if (pub->pull)
        zmq_close(pub->pull);
    free(pub);
    return NULL;
}

void pc_publisher_destroy(pc_publisher_t **pubp)
{
    if (!pubp || !*pubp)
        return;
    pc_publisher_t *pub = *pubp;
    atomic_store(&pub->stop, true);
    pthread_join(pub->thread, NULL);
    free(pub);
    *pubp = NULL;
}

pc_pub_sender_t *pc_pub_sender_new(pc_publisher_t *pub)
{
    if (!pub)
        return NULL;
    pc_pub_sender_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->metrics = pub->metrics;
    s->push = s_socket(ZMQ_PUSH);
    if (!s->push)
        goto fail;
    s_setint(s->push, ZMQ_SNDHWM, S_SENDER_HWM);
    /* Lets queued events reach the publisher after the sender closes. */
    s_setint(s->push, ZMQ_LINGER, S_FLUSH_MS);
    if (zmq_connect(s->push, pub->inproc) != 0)
        goto fail;
    return s;
fail:
    if (s->push)
        zmq_close(s->push);
    free(s);
    return NULL;
}

void pc_pub_sender_destroy(pc_pub_sender_t **sp)
{
    if (!sp || !*sp)
        return;
    zmq_close((*sp)->push);
    free(*sp);
    *sp = NULL;
}

int pc_pub_send(pc_pub_sender_t *s, const char *topic, const void *payload, size_t len)
{
    if (!s || !topic)
        return -1;
    /* Only the first frame can fail with EAGAIN; ZeroMQ delivers multi-frame
     * messages whole once that one is accepted. */
    if (zmq_send(s->push, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(s->push, payload, len, ZMQ_DONTWAIT) < 0) {
        s_count(s->metrics, "pigeon_events_dropped_total", S_DROPPED_HELP, 1);
        return -1;
    }
    return 0;
}

/* "u:<id>/" into buf (at least 24 bytes); returns its length. */
static size_t s_user_topic(char *buf, int64_t id)
{
    char digits[20];
    size_t n = 0;
    uint64_t v = id < 0 ? 0 : (uint64_t)id;
    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    buf[0] = 'u';
    buf[1] = ':';
    for (size_t i = 0; i < n; i++)
        buf[2 + i] = digits[n - 1 - i];
    buf[2 + n] = '/';
    buf[3 + n] = '\0';
    return 3 + n;
}

size_t pc_pub_send_users(pc_pub_sender_t *s, const int64_t *users, size_t n, int64_t skip,
                         const void *payload, size_t len)
{
    zmq_msg_t base;
    if (!s || zmq_msg_init_size(&base, len) != 0)
        return n;
    memcpy(zmq_msg_data(&base), payload, len);
    size_t dropped = 0;
    char topic[32];
    for (size_t i = 0; i < n; i++) {
        if (users[i] == skip && skip != 0)
            continue;
        size_t tlen = s_user_topic(topic, users[i]);
        zmq_msg_t m;
        zmq_msg_init(&m);
        zmq_msg_copy(&m, &base); /* a reference, not a copy of the bytes */
        if (zmq_send(s->push, topic, tlen, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            dropped++;
            continue;
        }
        if (zmq_msg_send(&m, s->push, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            dropped++;
        }
    }
    zmq_msg_close(&base);
    if (dropped > 0)
        s_count(s->metrics, "pigeon_events_dropped_total", S_DROPPED_HELP, (uint64_t)dropped);
    return dropped;
}

char *pc_pub_payload_except(const void *payload, size_t len, const char *origin, size_t *out_len)
{
    size_t olen = strlen(origin);
    char *buf = malloc(olen + len + 2);
    if (!buf)
        return NULL;
    buf[0] = '\x01';
    memcpy(buf + 1, origin, olen);
    buf[olen + 1] = '\0';
    memcpy(buf + olen + 2, payload, len);
    *out_len = olen + len + 2;
    return buf;
}

int pc_pub_send_except(pc_pub_sender_t *s, const char *topic, const void *payload, size_t len,
                       const char *origin)
{
    if (!origin || !*origin)
        return pc_pub_send(s, topic, payload, len);
    size_t n;
    char *buf = pc_pub_payload_except(payload, len, origin, &n);
    if (!buf)
        return -1;
    int rc = pc_pub_send(s, topic, buf, n);
    free(buf);
    return rc;
}

/* --- subscriber --------------------------------------------------------- */

pc_subscriber_t *pc_subscriber_new(void)
{
    pc_subscriber_t *sub = calloc(1, sizeof *sub);
    if (!sub)
        return NULL;
    sub->sub = s_socket(ZMQ_SUB);
    if (!sub->sub) {
        free(sub);
        return NULL;
    }
    s_setint(sub->sub, ZMQ_RCVHWM, S_SUB_HWM);
    s_setint(sub->sub, ZMQ_LINGER, 0);
    /* Reconnect quickly to a restarted publisher. */
    s_setint(sub->sub, ZMQ_RECONNECT_IVL, 100);
    s_setint(sub->sub, ZMQ_RECONNECT_IVL_MAX, 1000);
    zmq_msg_init(&sub->payload);
    return sub;
}

void pc_subscriber_destroy(pc_subscriber_t **subp)
{
    if (!subp || !*subp)
        return;
    pc_subscriber_t *sub = *subp;
    zmq_msg_close(&sub->payload);
    zmq_close(sub->sub);
    free(sub->topic);
    free(sub->from);
    free(sub);
    *subp = NULL;
}

int pc_subscriber_connect(pc_subscriber_t *sub, const char *endpoint)
{
    return zmq_connect(sub->sub, endpoint) == 0 ? 0 : -1;
}

int pc_subscriber_disconnect(pc_subscriber_t *sub, const char *endpoint)
{
    return zmq_disconnect(sub->sub, endpoint) == 0 ? 0 : -1;
}

int pc_subscriber_subscribe(pc_subscriber_t *sub, const char *topic)
{
    return zmq_setsockopt(sub->sub, ZMQ_SUBSCRIBE, topic, strlen(topic)) == 0 ? 0 : -1;
}

int pc_subscriber_unsubscribe(pc_subscriber_t *sub, const char *topic)
{
    return zmq_setsockopt(sub->sub, ZMQ_UNSUBSCRIBE, topic, strlen(topic)) == 0 ? 0 : -1;
}

void *pc_subscriber_socket(pc_subscriber_t *sub)
{
    return sub->sub;
}

/* Copies len bytes plus a NUL into a growing buffer. */
static int s_copy_str(char **buf, size_t *cap, const void *data, size_t len)
{
    if (len + 1 > *cap) {
        char *p = realloc(*buf, len + 1);
        if (!p)
            return -1;
        *buf = p;
        *cap = len + 1;
    }
    memcpy(*buf, data, len);
    (*buf)[len] = '\0';
    return 0;
}

int pc_subscriber_recv(pc_subscriber_t *sub, pc_event_t *ev)
{
    for (;;) {
        zmq_msg_t topic;
        zmq_msg_init(&topic);
        if (zmq_msg_recv(&topic, sub->sub, ZMQ_DONTWAIT) < 0) {
            int err = errno;
            zmq_msg_close(&topic);
            return err == EAGAIN || err == EINTR ? 0 : -1;
        }
        int more = zmq_msg_more(&topic);
        int rc =
            s_copy_str(&sub->topic, &sub->topic_cap, zmq_msg_data(&topic), zmq_msg_size(&topic));
        zmq_msg_close(&topic);
        if (!more) /* malformed: not [topic][payload]; skip it */
            continue;
        zmq_msg_close(&sub->payload);
        zmq_msg_init(&sub->payload);
        if (zmq_msg_recv(&sub->payload, sub->sub, ZMQ_DONTWAIT) < 0)
            continue;
        if (zmq_msg_more(&sub->payload)) {
            s_skip_rest(sub->sub);
            continue;
        }
        if (rc != 0)
            return -1;
        const char *data = zmq_msg_data(&sub->payload);
        size_t len = zmq_msg_size(&sub->payload);
        memset(ev, 0, sizeof *ev);
        ev->topic = sub->topic;
        ev->payload = data;
        ev->payload_len = len;
        if (len >= 1 && data[0] == '\0') {
            if (s_copy_str(&sub->from, &sub->from_cap, data + 1, len - 1) != 0)
                return -1;
            ev->is_marker = true;
            ev->marker_from = sub->from;
        } else if (len >= 1 && data[0] == '\x01') {
            const char *end = memchr(data + 1, '\0', len - 1);
            if (!end) /* malformed origin prefix; skip it */
                continue;
            ev->except = data + 1;
            ev->payload = end + 1;
            ev->payload_len = len - (size_t)(end + 1 - data);
        }
        return 1;
    }
}
