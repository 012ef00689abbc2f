/* ws_hub.c - per-user subscriptions and `ready`, on the events thread.
 *
 * The events thread owns the SUB socket, so it alone changes
 * subscriptions. Loops post SUB/UNSUB per socket; the first socket of a user
 * subscribes "u:<id>/", the last one gone unsubscribes. A new subscription
 * waits for a marker from every publisher that was live when it was made
 * (markers from others, or for topics not waited on, are ignored; a
 * publisher that leaves the registry is no longer waited for) or for the
 * ready deadline, then every socket waiting on it gets READY. A socket of a
 * user whose subscription is already confirmed gets READY at once. Events
 * are encoded into a WebSocket frame once and posted to each loop that holds
 * sockets of the user. Users are in a chained hash table: O(1) per event.
 *
 * A group message arrives as one event per member with the same payload:
 * the frame of the previous event is kept and shared by reference when the
 * next payload is the same bytes (one memcmp instead of a UTF-8 check, an
 * allocation and a copy per member). Event messages are gathered per loop
 * and posted when the drain ends (gw_ws_events_flush) or GW_WS_BATCH_MAX
 * are waiting: one lock and one wake-up per loop and drain, not per event. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ws_frame.h"
#include "ws_internal.h"

#define S_BUCKETS 4096
#define S_MAX_PUBS 64
/* Event messages gathered before a post at most: bounds the wait of the
 * first one while a long drain goes on. */
#define GW_WS_BATCH_MAX 512

typedef struct {
    uint64_t sock; /* socket id */
    int loop;      /* its loop */
} s_waiter_t;

/* One per user with sockets here: about 80 bytes plus 4 per loop once
 * confirmed (the lists of the wait are freed then). */
typedef struct s_user {
    struct s_user *next;          /* bucket chain */
    int64_t id;                   /* user id */
    int total;                    /* sum of refs */
    bool pending;                 /* waiting for markers */
    int64_t deadline_ms;          /* ready at the latest, while pending */
    char (*waiting)[64];          /* publisher ids not heard from (malloc'd), while pending */
    size_t nwaiting;              /* entries in waiting */
    s_waiter_t *waiters;          /* sockets to tell once ready (malloc'd), while pending */
    size_t nwaiters;              /* entries in waiters */
    size_t capwaiters;            /* allocated entries */
    int refs[];                   /* open sockets per loop (ws->nloops entries) */
} s_user_t;

struct gw_ws_hub {
    gw_ws_t *ws;                  /* the owner (borrowed) */
    gw_ws_mbox_t mbox;            /* SUB/UNSUB from the loops */
    s_user_t *buckets[S_BUCKETS]; /* users with sockets here */
    size_t npending;              /* users waiting for markers */
    char pubs[S_MAX_PUBS][64];    /* live publisher instance ids */
    size_t npubs;                 /* entries in pubs */
    gw_ws_batch_t *batches;       /* per loop: event messages not posted yet */
    size_t nbatched;              /* messages in all batches */
    gw_ws_blob_t *last;           /* frame of the last event (one reference), or NULL */
    size_t last_hdr;              /* bytes of last's WebSocket header */
};

gw_ws_hub_t *gw_ws_hub_new(gw_ws_t *ws)
{
    gw_ws_hub_t *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->ws = ws;
    h->batches = calloc((size_t)ws->nloops, sizeof *h->batches);
    if (!h->batches || gw_ws_mbox_init(&h->mbox) < 0) {
        free(h->batches);
        free(h);
        return NULL;
    }
    return h;
}

static void s_user_free(s_user_t *u)
{
    free(u->waiting);
    free(u->waiters);
    free(u);
}

void gw_ws_hub_destroy(gw_ws_hub_t **hp)
{
    if (!hp || !*hp)
        return;
    gw_ws_hub_t *h = *hp;
    for (size_t b = 0; b < S_BUCKETS; b++)
        while (h->buckets[b]) {
            s_user_t *u = h->buckets[b];
            h->buckets[b] = u->next;
            s_user_free(u);
        }
    gw_ws_mbox_clear(&h->mbox);
    for (int l = 0; l < h->ws->nloops; l++)
        gw_ws_batch_clear(&h->batches[l]);
    free(h->batches);
    gw_ws_blob_unref(h->last);
    free(h);
    *hp = NULL;
}

gw_ws_mbox_t *gw_ws_hub_mbox(gw_ws_hub_t *h)
{
    return &h->mbox;
}

static s_user_t **s_slot(gw_ws_hub_t *h, int64_t id)
{
    s_user_t **p = &h->buckets[(uint64_t)id * 0x9E3779B97F4A7C15u >> 52];
    while (*p && (*p)->id != id)
        p = &(*p)->next;
    return p;
}

static void s_topic(int64_t id, char *out, size_t size)
{
    snprintf(out, size, "u:%" PRId64 "/", id);
}

static void s_post_ready(gw_ws_hub_t *h, uint64_t sock, int loop)
{
    gw_ws_msg_t *m = gw_ws_msg_new(GW_WS_M_READY);
    if (!m)
        return;
    if (h->nbatched > 0) /* events gathered before it stay before it */
        gw_ws_events_flush(h->ws);
    m->sock = sock;
    gw_ws_mbox_post(gw_ws_loop_mbox(h->ws->loops[loop]), m);
}

static void s_confirm(gw_ws_hub_t *h, s_user_t *u)
{
    for (size_t i = 0; i < u->nwaiters; i++)
        s_post_ready(h, u->waiters[i].sock, u->waiters[i].loop);
    free(u->waiters); /* a confirmed user keeps no lists: 10,000 idle users, 10,000 x 0 */
    u->waiters = NULL;
    u->nwaiters = u->capwaiters = 0;
    free(u->waiting);
    u->waiting = NULL;
    u->nwaiting = 0;
    if (u->pending)
        h->npending--;
    u->pending = false;
}

static void s_sub(gw_ws_hub_t *h, pc_subscriber_t *sub, const gw_ws_msg_t *m, int64_t now)
{
    s_user_t **slot = s_slot(h, m->user);
    s_user_t *u = *slot;
    if (!u) {
        u = calloc(1, sizeof *u + (size_t)h->ws->nloops * sizeof u->refs[0]);
        if (!u)
            return; /* the socket simply never gets events; its deadline-less wait is moot */
        u->id = m->user;
        *slot = u;
    }
    u->refs[m->loop]++;
    if (u->total++ == 0) {
        char topic[32];
        s_topic(u->id, topic, sizeof topic);
        pc_subscriber_subscribe(sub, topic);
        if (h->npubs > 0) {
            u->waiting = realloc(u->waiting, h->npubs * sizeof *u->waiting);
            if (u->waiting) {
                memcpy(u->waiting, h->pubs, h->npubs * sizeof *u->waiting);
                u->nwaiting = h->npubs;
                u->pending = true;
                u->deadline_ms = now + h->ws->ready_ms;
                h->npending++;
            }
        }
    }
    if (!u->pending) {
        s_post_ready(h, m->sock, m->loop);
        return;
    }
    if (u->nwaiters == u->capwaiters) {
        size_t cap = u->capwaiters ? u->capwaiters * 2 : 4;
        s_waiter_t *w = realloc(u->waiters, cap * sizeof *w);
        if (!w) {
            s_post_ready(h, m->sock, m->loop);
            return;
        }
        u->waiters = w;
        u->capwaiters = cap;
    }
    u->waiters[u->nwaiters++] = (s_waiter_t){m->sock, m->loop};
}

static void s_unsub(gw_ws_hub_t *h, pc_subscriber_t *sub, const gw_ws_msg_t *m)
{
    s_user_t **slot = s_slot(h, m->user);
    s_user_t *u = *slot;
    if (!u || u->refs[m->loop] == 0)
        return;
    u->refs[m->loop]--;
    for (size_t i = 0; i < u->nwaiters; i++)
        if (u->waiters[i].sock == m->sock) {
            u->waiters[i] = u->waiters[--u->nwaiters];
            break;
        }
    if (--u->total > 0)
        return;
    char topic[32];
    s_topic(u->id, topic, sizeof topic);
    pc_subscriber_unsubscribe(sub, topic);
    if (u->pending)
        h->npending--;
    *slot = u->next;
    s_user_free(u);
}

static void s_expire(gw_ws_hub_t *h, int64_t now)
{
    if (h->npending == 0)
        return; /* O(users) scan only while someone waits */
    for (size_t b = 0; b < S_BUCKETS; b++)
        for (s_user_t *u = h->buckets[b]; u; u = u->next)
            if (u->pending && (u->nwaiting == 0 || now >= u->deadline_ms)) {
                if (u->nwaiting > 0)
                    pc_debug("ready for user %" PRId64 " without %zu publisher markers", u->id,
                             u->nwaiting);
                s_confirm(h, u);
            }
}

void gw_ws_events_pump(gw_ws_t *ws, pc_subscriber_t *sub, int64_t now_ms)
{
    gw_ws_hub_t *h = ws->hub;
    gw_ws_msg_t *m = gw_ws_mbox_take(&h->mbox);
    while (m) {
        gw_ws_msg_t *next = m->next;
        if (m->kind == GW_WS_M_SUB)
            s_sub(h, sub, m, now_ms);
        else if (m->kind == GW_WS_M_UNSUB)
            s_unsub(h, sub, m);
        gw_ws_msg_free(m);
        m = next;
    }
    s_expire(h, now_ms);
}

void gw_ws_events_publishers(gw_ws_t *ws, char (*ids)[64], size_t n, int64_t now_ms)
{
    gw_ws_hub_t *h = ws->hub;
    h->npubs = n < S_MAX_PUBS ? n : S_MAX_PUBS;
    memcpy(h->pubs, ids, h->npubs * sizeof h->pubs[0]);
    if (h->npending == 0)
        return;
    /* A publisher that left will never answer: stop waiting for it. */
    for (size_t b = 0; b < S_BUCKETS; b++)
        for (s_user_t *u = h->buckets[b]; u; u = u->next)
            for (size_t i = 0; u->pending && i < u->nwaiting;) {
                bool live = false;
                for (size_t k = 0; k < h->npubs && !live; k++)
                    live = strcmp(h->pubs[k], u->waiting[i]) == 0;
                if (live)
                    i++;
                else
                    memcpy(u->waiting[i], u->waiting[--u->nwaiting], sizeof u->waiting[0]);
            }
    s_expire(h, now_ms);
}

static bool s_topic_user(const char *topic, int64_t *id)
{
    if (strncmp(topic, "u:", 2) != 0)
        return false;
    char *end = NULL;
    long long v = strtoll(topic + 2, &end, 10);
    if (end == topic + 2 || strcmp(end, "/") != 0 || v <= 0)
        return false;
    *id = v;
    return true;
}

static void s_marker(gw_ws_hub_t *h, s_user_t *u, const char *from, int64_t now)
{
    if (!u->pending || !from)
        return; /* someone else's subscription, or one confirmed already */
    for (size_t i = 0; i < u->nwaiting; i++)
        if (strcmp(u->waiting[i], from) == 0) {
            memcpy(u->waiting[i], u->waiting[--u->nwaiting], sizeof u->waiting[0]);
            break;
        }
    if (u->nwaiting == 0)
        s_confirm(h, u);
    (void)now;
}

/* The frame of event e, shared with the previous event when its payload is
 * the same bytes (then already known to be UTF-8). NULL when e is not
 * UTF-8 text (dropped, with a warning) or memory ran out. */
static gw_ws_blob_t *s_frame(gw_ws_hub_t *h, const pc_event_t *e)
{
    gw_ws_blob_t *b = h->last;
    if (b && b->len == h->last_hdr + e->payload_len &&
        memcmp(b->data + h->last_hdr, e->payload, e->payload_len) == 0)
        return b;
    ws_utf8_t check = {0};
    if (!ws_utf8_feed(&check, (const uint8_t *)e->payload, e->payload_len) || !ws_utf8_done(&check)) {
        pc_warn("dropped an event for a user that is not UTF-8 text");
        return NULL;
    }
    b = gw_ws_blob_new(WS_OP_TEXT, e->payload, e->payload_len);
    if (!b)
        return NULL;
    gw_ws_blob_unref(h->last);
    h->last = b; /* the hub's reference; each message takes one more */
    h->last_hdr = b->len - e->payload_len;
    return b;
}

void gw_ws_events_deliver(gw_ws_t *ws, const pc_event_t *e, int64_t now_ms)
{
    gw_ws_hub_t *h = ws->hub;
    int64_t id;
    if (!s_topic_user(e->topic, &id))
        return;
    s_user_t *u = *s_slot(h, id);
    if (!u)
        return; /* unsubscribed a moment ago */
    if (e->is_marker) {
        s_marker(h, u, e->marker_from, now_ms);
        return;
    }
    gw_ws_blob_t *blob = s_frame(h, e);
    if (!blob) {
        gw_ws_count_event(ws, false, 1);
        return;
    }
    for (int l = 0; l < ws->nloops; l++) {
        if (u->refs[l] == 0)
            continue;
        gw_ws_msg_t *m = gw_ws_msg_new(GW_WS_M_EVENT);
        if (!m) {
            gw_ws_count_event(ws, false, 1);
            continue;
        }
        m->user = id;
        m->blob = blob;
        atomic_fetch_add(&blob->refs, 1);
        if (e->except)
            m->text = strdup(e->except);
        gw_ws_batch_add(&h->batches[l], m);
        h->nbatched++;
    }
    if (h->nbatched >= GW_WS_BATCH_MAX)
        gw_ws_events_flush(ws);
}

void gw_ws_events_flush(gw_ws_t *ws)
{
    gw_ws_hub_t *h = ws->hub;
    for (int l = 0; l < ws->nloops; l++)
        gw_ws_batch_post(&h->batches[l], gw_ws_loop_mbox(ws->loops[l]));
    h->nbatched = 0;
    gw_ws_blob_unref(h->last); /* the loops hold their own references */
    h->last = NULL;
}

int gw_ws_events_timeout(gw_ws_t *ws, int64_t now_ms, int max_ms)
{
    gw_ws_hub_t *h = ws->hub;
    if (h->npending == 0)
        return max_ms;
    int64_t best = now_ms + max_ms;
    for (size_t b = 0; b < S_BUCKETS; b++)
        for (s_user_t *u = h->buckets[b]; u; u = u->next)
            if (u->pending && u->deadline_ms < best)
                best = u->deadline_ms;
    return best <= now_ms ? 0 : (int)(best - now_ms);
}
