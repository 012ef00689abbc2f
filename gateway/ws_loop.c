/* ws_loop.c - one epoll loop thread serving upgraded WebSocket sockets.
 *
 * The loop owns its sockets and everything about them: read buffer and
 * frame reader, output queue (at most GW_WS_OUT_MAX bytes, then close 1013),
 * ping/idle timers, the queue of `send`/`read` jobs (one at a worker at a
 * time, so a socket's sends keep their order). Others talk to it through
 * its mailbox only. Sessions are found by socket id and by user through two
 * chained hash tables, so an event costs O(sockets of that user). A
 * socket's own bytes are ws_io.c's. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "ws_sess.h"

#define S_TICK_MS 1000 /* timer resolution (pings, idle, close deadlines) */
#define S_TICK_MIN_MS 10

/* The timer scan period: S_TICK_MS, or a quarter of the ping or idle time
 * when that is shorter. With short timers a fixed 1 s scan would ping late
 * and find a socket silent before its first ping (idle 600 ms dropped
 * clients that answered every ping). */
static int s_tick_ms(const gw_ws_t *ws)
{
    int t = S_TICK_MS;
    if (ws->ping_ms / 4 < t)
        t = ws->ping_ms / 4;
    if (ws->idle_ms / 4 < t)
        t = ws->idle_ms / 4;
    return t < S_TICK_MIN_MS ? S_TICK_MIN_MS : t;
}

static size_t s_bucket(uint64_t k)
{
    return (size_t)(k * 0x9E3779B97F4A7C15u >> 54);
}

static gw_ws_sess_t *s_find(gw_ws_loop_t *l, uint64_t id)
{
    gw_ws_sess_t *s = l->by_id[s_bucket(id)];
    while (s && s->id != id)
        s = s->next_id;
    return s;
}
/* --- sessions -------------------------------------------------------------- */

static void s_unlink(gw_ws_sess_t **head, gw_ws_sess_t *s, bool by_user)
{
    for (gw_ws_sess_t **p = head; *p; p = by_user ? &(*p)->next_user : &(*p)->next_id)
        if (*p == s) {
            *p = by_user ? s->next_user : s->next_id;
            return;
        }
}

/* Drops the socket now: libmicrohttpd closes it, the hub forgets it. The
 * memory stays until the end of the loop turn (s_bury), so a pointer held by
 * a caller or by an epoll entry of the same batch stays readable. */
void gw_ws_sess_teardown(gw_ws_loop_t *l, gw_ws_sess_t *s)
{
    if (s->dead)
        return;
    s->dead = true;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, s->fd, NULL);
    MHD_upgrade_action(s->urh, MHD_UPGRADE_ACTION_CLOSE);
    s_unlink(&l->by_id[s_bucket(s->id)], s, false);
    s_unlink(&l->by_user[s_bucket((uint64_t)s->user)], s, true);
    if (s->prev)
        s->prev->next = s->next;
    else
        l->all = s->next;
    if (s->next)
        s->next->prev = s->prev;
    gw_ws_msg_t *m = gw_ws_msg_new(GW_WS_M_UNSUB);
    if (m) {
        m->sock = s->id;
        m->user = s->user;
        m->loop = l->index;
        gw_ws_mbox_post(gw_ws_hub_mbox(l->ws->hub), m);
    }
    while (s->jobs_head) {
        gw_ws_msg_t *j = s->jobs_head;
        s->jobs_head = j->next;
        gw_ws_msg_free(j);
    }
    s->next_dead = l->dead;
    l->dead = s;
    atomic_fetch_sub(&l->ws->open, 1);
    gw_ws_update_gauge(l->ws);
}

static void s_bury(gw_ws_loop_t *l)
{
    while (l->dead) {
        gw_ws_sess_t *s = l->dead;
        l->dead = s->next_dead;
        ws_reader_clear(&s->rd);
        ws_buf_clear(&s->in);
        ws_buf_clear(&s->out);
        free(s);
    }
}


static void s_open(gw_ws_loop_t *l, gw_ws_msg_t *m)
{
    gw_ws_sess_t *s = calloc(1, sizeof *s);
    if (!s) {
        MHD_upgrade_action(m->urh, MHD_UPGRADE_ACTION_CLOSE);
        return;
    }
    s->id = m->sock;
    snprintf(s->tag, sizeof s->tag, "%s/%" PRIu64, l->ws->instance, s->id);
    s->fd = m->fd;
    s->urh = m->urh;
    s->user = m->user;
    memcpy(s->hash, m->hash, sizeof s->hash);
    ws_reader_init(&s->rd, GW_WS_MSG_MAX);
    s->last_rx_ms = s->last_ping_ms = pc_mono_ms();
    int one = 1;
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int fl = fcntl(s->fd, F_GETFL);
    if (fl >= 0)
        fcntl(s->fd, F_SETFL, fl | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = s};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0) {
        pc_warn("could not watch a WebSocket: %s", strerror(errno));
        MHD_upgrade_action(s->urh, MHD_UPGRADE_ACTION_CLOSE);
        free(s);
        return;
    }
    size_t b = s_bucket(s->id);
    s->next_id = l->by_id[b];
    l->by_id[b] = s;
    b = s_bucket((uint64_t)s->user);
    s->next_user = l->by_user[b];
    l->by_user[b] = s;
    s->next = l->all;
    if (l->all)
        l->all->prev = s;
    l->all = s;
    atomic_fetch_add(&l->ws->open, 1);
    gw_ws_update_gauge(l->ws);
    gw_ws_msg_t *sub = gw_ws_msg_new(GW_WS_M_SUB);
    if (sub) {
        sub->sock = s->id;
        sub->user = s->user;
        sub->loop = l->index;
        gw_ws_mbox_post(gw_ws_hub_mbox(l->ws->hub), sub);
    }
    if (atomic_load(&l->ws->stopping)) {
        gw_ws_io_close(l, s, WS_CLOSE_GOING_AWAY, "gateway is stopping");
        return;
    }
    if (m->text_len > 0) { /* bytes the client sent right after its request */
        uint8_t *extra = (uint8_t *)m->text;
        m->text = NULL;
        ws_buf_adopt(&s->in, &extra, m->text_len);
        gw_ws_io_input(l, s);
    }
}
/* --- mailbox --------------------------------------------------------------- */

static void s_event(gw_ws_loop_t *l, gw_ws_msg_t *m)
{
    uint64_t pushed = 0, dropped = 0;
    gw_ws_sess_t *s = l->by_user[s_bucket((uint64_t)m->user)];
    while (s) {
        gw_ws_sess_t *next = s->next_user; /* s may go (1013) */
        if (s->user == m->user && s->ready && s->state == GW_WS_OPEN &&
            !(m->text && strcmp(m->text, s->tag) == 0)) {
            if (ws_buf_used(&s->out) + m->blob->len > GW_WS_OUT_MAX)
                dropped++; /* counted, then closed with 1013 by s_send_raw */
            else
                pushed++;
            gw_ws_io_send_raw(l, s, m->blob->data, m->blob->len);
        }
        s = next;
    }
    gw_ws_count_event(l->ws, true, pushed);
    gw_ws_count_event(l->ws, false, dropped);
}

static void s_done(gw_ws_loop_t *l, gw_ws_msg_t *m)
{
    gw_ws_sess_t *s = s_find(l, m->sock);
    if (!s)
        return; /* the socket went while its job ran */
    s->busy = false;
    if (m->text && gw_ws_io_send_text(l, s, m->text) < 0)
        return;
    gw_ws_io_dispatch_job(l, s);
    if (s->paused) { /* room for a job again: read on */
        s->paused = false;
        gw_ws_io_watch(l, s);
    }
    if (ws_buf_used(&s->in) > 0) /* frames parsed no further while the queue was full */
        gw_ws_io_input(l, s);
}

static void s_mail(gw_ws_loop_t *l)
{
    gw_ws_msg_t *m = gw_ws_mbox_take(&l->mbox);
    while (m) {
        gw_ws_msg_t *next = m->next;
        gw_ws_sess_t *s;
        switch (m->kind) {
        case GW_WS_M_NEW:
            s_open(l, m);
            break;
        case GW_WS_M_READY:
            s = s_find(l, m->sock);
            if (s && s->state == GW_WS_OPEN && !s->ready) {
                s->ready = true;
                gw_ws_io_send_text(l, s, "{\"type\":\"ready\"}");
            }
            break;
        case GW_WS_M_EVENT:
            s_event(l, m);
            break;
        case GW_WS_M_DONE:
            s_done(l, m);
            break;
        case GW_WS_M_REVOKE:
            for (s = l->all; s;) {
                gw_ws_sess_t *n = s->next;
                if (memcmp(s->hash, m->hash, sizeof s->hash) == 0)
                    gw_ws_io_close(l, s, WS_CLOSE_REVOKED, "token revoked");
                s = n;
            }
            break;
        case GW_WS_M_STOP:
            for (s = l->all; s;) {
                gw_ws_sess_t *n = s->next;
                gw_ws_io_close(l, s, WS_CLOSE_GOING_AWAY, "gateway is stopping");
                s = n;
            }
            break;
        default:
            break;
        }
        gw_ws_msg_free(m);
        m = next;
    }
}

/* Pings, silence, close deadlines: O(sockets of the loop) once a tick
 * (a second with the default timers). */
static void s_tick(gw_ws_loop_t *l, int64_t now)
{
    static const uint8_t ping[2] = {0x80 | WS_OP_PING, 0};
    l->last_tick_ms = now;
    for (gw_ws_sess_t *s = l->all; s;) {
        gw_ws_sess_t *next = s->next;
        if (s->state != GW_WS_OPEN) {
            if (now >= s->close_deadline_ms)
                gw_ws_sess_teardown(l, s);
        } else if (now - s->last_rx_ms >= l->ws->idle_ms) {
            pc_debug("dropping a WebSocket silent for %" PRId64 " ms", now - s->last_rx_ms);
            gw_ws_sess_teardown(l, s); /* a dead peer reads no close frame */
        } else if (now - s->last_ping_ms >= l->ws->ping_ms) {
            s->last_ping_ms = now;
            gw_ws_io_send_raw(l, s, ping, sizeof ping);
        }
        s = next;
    }
}

static void *s_run(void *arg)
{
    gw_ws_loop_t *l = arg;
    struct epoll_event evs[64];
    while (!atomic_load(&l->quit)) {
        int n = epoll_wait(l->epfd, evs, 64, l->tick_ms);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL) {
                s_mail(l);
                continue;
            }
            gw_ws_sess_t *s = evs[i].data.ptr;
            if (s->dead) /* torn down by an earlier entry of this batch */
                continue;
            if (evs[i].events & EPOLLOUT) {
                if (gw_ws_io_flush(l, s) < 0)
                    continue;
            }
            if (s->paused && (evs[i].events & (EPOLLHUP | EPOLLERR)))
                gw_ws_sess_teardown(l, s); /* not reading, so this would fire again and again */
            else if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
                gw_ws_io_readable(l, s);
        }
        int64_t now = pc_mono_ms();
        if (now - l->last_tick_ms >= l->tick_ms)
            s_tick(l, now);
        /* Frames were only queued: one send(2) per socket for all of its
         * frames of this turn (acks, pushes, several group messages). */
        gw_ws_io_flush_dirty(l);
        s_bury(l);
    }
    while (l->all)
        gw_ws_sess_teardown(l, l->all);
    s_bury(l);
    return NULL;
}

gw_ws_loop_t *gw_ws_loop_new(gw_ws_t *ws, int index)
{
    gw_ws_loop_t *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->ws = ws;
    l->index = index;
    l->tick_ms = s_tick_ms(ws);
    l->mbox.efd = -1;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    atomic_init(&l->quit, false);
    if (l->epfd < 0 || gw_ws_mbox_init(&l->mbox) < 0)
        goto fail;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->mbox.efd, &ev) < 0)
        goto fail;
    return l;
fail:
    gw_ws_loop_destroy(&l);
    return NULL;
}

int gw_ws_loop_start(gw_ws_loop_t *l)
{
    if (pthread_create(&l->thread, NULL, s_run, l) != 0)
        return -1;
    l->started = true;
    return 0;
}

void gw_ws_loop_join(gw_ws_loop_t *l)
{
    if (!l || !l->started)
        return;
    atomic_store(&l->quit, true);
    uint64_t one = 1;
    ssize_t n = write(l->mbox.efd, &one, sizeof one);
    (void)n;
    pthread_join(l->thread, NULL);
    l->started = false;
    /* Sockets that arrived after the loop ended still hold libmicrohttpd handles. */
    gw_ws_msg_t *m = gw_ws_mbox_take(&l->mbox);
    while (m) {
        gw_ws_msg_t *next = m->next;
        if (m->kind == GW_WS_M_NEW && m->urh)
            MHD_upgrade_action(m->urh, MHD_UPGRADE_ACTION_CLOSE);
        gw_ws_msg_free(m);
        m = next;
    }
}

void gw_ws_loop_destroy(gw_ws_loop_t **lp)
{
    if (!lp || !*lp)
        return;
    gw_ws_loop_t *l = *lp;
    gw_ws_loop_join(l);
    gw_ws_mbox_clear(&l->mbox);
    if (l->epfd >= 0)
        close(l->epfd);
    free(l);
    *lp = NULL;
}

gw_ws_mbox_t *gw_ws_loop_mbox(gw_ws_loop_t *l)
{
    return &l->mbox;
}
