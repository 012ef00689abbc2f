/* ws_io.c - one WebSocket's bytes, on its loop's thread: the output queue
 * (at most GW_WS_OUT_MAX bytes, then close 1013), the close handshake, and
 * the client's frames turned into pongs, error frames and jobs for the
 * workers. Frames are queued and each socket's queue is written once at the
 * end of its loop's turn, and both buffers hold memory only while bytes
 * wait (ws_buf.h): an idle socket has none. A socket with GW_WS_JOBS_MAX
 * jobs waiting is not read until one ends, so a fast sender is slowed by
 * TCP instead of refused. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "clock.h"
#include "random.h"
#include "status.h"
#include "ws_cmd.h"
#include "ws_send_scan.h"
#include "ws_sess.h"

#define S_IN_MAX (GW_WS_MSG_MAX + WS_HEADER_MAX)

/* --- output ---------------------------------------------------------------- */

void gw_ws_io_watch(gw_ws_loop_t *l, gw_ws_sess_t *s)
{
    uint32_t events = (s->paused ? 0 : EPOLLIN | EPOLLRDHUP) | (s->pollout ? EPOLLOUT : 0);
    struct epoll_event ev = {.events = events, .data.ptr = s};
    epoll_ctl(l->epfd, EPOLL_CTL_MOD, s->fd, &ev);
}

static void s_arm(gw_ws_loop_t *l, gw_ws_sess_t *s, bool out)
{
    if (s->pollout == out)
        return;
    s->pollout = out;
    gw_ws_io_watch(l, s);
}

/* Writes what it can of the queue; an emptied queue frees its memory. */
int gw_ws_io_flush(gw_ws_loop_t *l, gw_ws_sess_t *s)
{
    while (ws_buf_used(&s->out) > 0) {
        ssize_t n =
            send(s->fd, ws_buf_head(&s->out), ws_buf_used(&s->out), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            ws_buf_consume(&s->out, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            s_arm(l, s, true);
            return 0;
        }
        gw_ws_sess_teardown(l, s);
        return -1;
    }
    s_arm(l, s, false);
    if (s->state == GW_WS_CLOSING) {
        shutdown(s->fd, SHUT_WR); /* the close frame is out; wait for the client's EOF */
        s->state = GW_WS_DRAINING;
    }
    return 0;
}

static void s_mark_dirty(gw_ws_loop_t *l, gw_ws_sess_t *s)
{
    if (!s->dirty) {
        s->dirty = true;
        s->next_dirty = l->dirty;
        l->dirty = s;
    }
}

/* Queues the pieces of a frame; the loop writes every socket's queue once
 * at the end of its turn (gw_ws_io_flush_dirty), so an ack and the pushes
 * a socket gets in one turn leave in one send(2) and wake the client once.
 * Returns 1 when they would take the queue past limit (nothing queued),
 * -1 when the socket is gone, else 0. */
static int s_write(gw_ws_loop_t *l, gw_ws_sess_t *s, struct iovec *iov, int niov, size_t limit)
{
    size_t total = 0;
    for (int i = 0; i < niov; i++)
        total += iov[i].iov_len;
    if (ws_buf_used(&s->out) + total > limit)
        return 1;
    for (int i = 0; i < niov; i++) {
        if (!ws_buf_append(&s->out, iov[i].iov_base, iov[i].iov_len, limit)) {
            gw_ws_sess_teardown(l, s); /* out of memory: within the limit by the check above */
            return -1;
        }
    }
    s_mark_dirty(l, s);
    return 0;
}

/* Queues a frame (already encoded), written at the end of the loop's turn. A
 * client that lets more than GW_WS_OUT_MAX bytes pile up is closed with 1013.
 * Returns -1 when gone. */
int gw_ws_io_send_raw(gw_ws_loop_t *l, gw_ws_sess_t *s, const uint8_t *frame, size_t n)
{
    if (s->state != GW_WS_OPEN)
        return 0;
    struct iovec iov[1] = {{.iov_base = (void *)frame, .iov_len = n}};
    int rc = s_write(l, s, iov, 1, GW_WS_OUT_MAX);
    if (rc > 0)
        return gw_ws_io_close(l, s, WS_CLOSE_TRY_AGAIN, "client reads too slowly");
    return rc;
}

void gw_ws_io_flush_dirty(gw_ws_loop_t *l)
{
    gw_ws_sess_t *s = l->dirty;
    l->dirty = NULL;
    while (s) { /* torn-down sessions stay in memory until the end of the turn */
        gw_ws_sess_t *next = s->next_dirty;
        s->dirty = false;
        s->next_dirty = NULL;
        if (!s->dead)
            gw_ws_io_flush(l, s);
        s = next;
    }
}

int gw_ws_io_send(gw_ws_loop_t *l, gw_ws_sess_t *s, uint8_t opcode, const void *p, size_t n)
{
    uint8_t hdr[10];
    size_t h = ws_frame_header(hdr, opcode, n);
    if (s->state != GW_WS_OPEN)
        return 0;
    struct iovec iov[2] = {{.iov_base = hdr, .iov_len = h}, {.iov_base = (void *)p, .iov_len = n}};
    int rc = s_write(l, s, iov, 2, GW_WS_OUT_MAX);
    if (rc > 0)
        return gw_ws_io_close(l, s, WS_CLOSE_TRY_AGAIN, "client reads too slowly");
    return rc;
}

int gw_ws_io_send_text(gw_ws_loop_t *l, gw_ws_sess_t *s, const char *text)
{
    return gw_ws_io_send(l, s, WS_OP_TEXT, text, strlen(text));
}

/* Queues a close frame (beyond the output limit: it is small) and moves to
 * CLOSING; the socket goes once it is written and the client hung up, or
 * after GW_WS_CLOSE_WAIT_MS. */
int gw_ws_io_close(gw_ws_loop_t *l, gw_ws_sess_t *s, uint16_t code, const char *reason)
{
    if (s->state != GW_WS_OPEN)
        return 0;
    uint8_t payload[WS_CONTROL_MAX], frame[WS_CONTROL_MAX + 2];
    size_t n = ws_close_payload(payload, code, reason);
    size_t h = ws_frame_header(frame, WS_OP_CLOSE, n);
    memcpy(frame + h, payload, n);
    s->state = GW_WS_CLOSING;
    s->close_deadline_ms = pc_mono_ms() + GW_WS_CLOSE_WAIT_MS;
    struct iovec iov[1] = {{.iov_base = frame, .iov_len = h + n}};
    int rc = s_write(l, s, iov, 1, GW_WS_OUT_MAX + sizeof frame);
    if (rc > 0) { /* cannot happen: the queue is at most GW_WS_OUT_MAX */
        gw_ws_sess_teardown(l, s);
        return -1;
    }
    return rc;
}

/* --- client frames ------------------------------------------------------- */

void gw_ws_io_dispatch_job(gw_ws_loop_t *l, gw_ws_sess_t *s)
{
    if (s->busy || !s->jobs_head)
        return;
    gw_ws_msg_t *j = s->jobs_head;
    s->jobs_head = j->next;
    if (!s->jobs_head)
        s->jobs_tail = NULL;
    s->njobs--;
    s->busy = true;
    if (j->job_kind == GW_WS_CMD_SEND && l->ws->sends)
        gw_ws_sends_post(l->ws->sends, j); /* no thread blocks on it (ws_sends.c) */
    else
        gw_ws_jobs_post(l->ws, j);
}

static int s_error_frame(gw_ws_loop_t *l, gw_ws_sess_t *s, const char *cmid, int status,
                         const char *message)
{
    char *f = gw_ws_error_frame(cmid, status, NULL, 0, message);
    int rc = f ? gw_ws_io_send_text(l, s, f) : 0;
    free(f);
    return rc;
}

/* A job for socket s with fresh trace and request ids; client_msg_id is
 * taken (may be NULL). NULL when out of memory (client_msg_id freed). */
static gw_ws_msg_t *s_job_new(gw_ws_loop_t *l, gw_ws_sess_t *s, gw_ws_cmd_kind_t kind,
                              char *client_msg_id)
{
    gw_ws_msg_t *j = gw_ws_msg_new(GW_WS_M_JOB);
    if (!j) {
        free(client_msg_id);
        return NULL;
    }
    j->sock = s->id;
    j->user = s->user;
    j->loop = l->index;
    j->job_kind = (int)kind;
    j->client_msg_id = client_msg_id;
    memcpy(j->tag, s->tag, sizeof j->tag); /* same size, NUL-terminated */
    char ids[65];                          /* trace id and request id from one draw */
    pc_random_hex(ids, 32);
    memcpy(j->trace_id, ids, 32);
    memcpy(j->request_id, ids + 32, 33);
    return j;
}

/* Queues job j behind the socket's others and hands the first one on. */
static void s_job_queue(gw_ws_loop_t *l, gw_ws_sess_t *s, gw_ws_msg_t *j)
{
    if (s->jobs_tail)
        s->jobs_tail->next = j;
    else
        s->jobs_head = j;
    s->jobs_tail = j;
    s->njobs++;
    gw_ws_io_dispatch_job(l, s);
}

static void s_span_copy(gw_span_t *span, char *buf, size_t *off)
{
    memcpy(buf + *off, span->p, span->len);
    buf[*off + span->len] = '\0';
    span->p = buf + *off;
    *off += span->len + 1;
}

/* A send frame in the plain shape (ws_send_scan.h), for the sends thread:
 * its strings copied once into one buffer, "<client_msg_id>\0<kind>\0<text>\0",
 * owned as the job's client_msg_id (which comes first), and job->send
 * pointing there. NULL when out of memory. */
static gw_ws_msg_t *s_plain_send_job(gw_ws_loop_t *l, gw_ws_sess_t *s, const gw_ws_send_t *f)
{
    size_t size = f->client_msg_id.len + f->kind.len + (f->text.p ? f->text.len : 0) + 3;
    char *buf = malloc(size);
    gw_ws_msg_t *j = buf ? s_job_new(l, s, GW_WS_CMD_SEND, buf) : NULL;
    if (!j)
        return NULL;
    size_t off = 0;
    j->send = *f;
    s_span_copy(&j->send.client_msg_id, buf, &off);
    s_span_copy(&j->send.kind, buf, &off);
    if (j->send.text.p)
        s_span_copy(&j->send.text, buf, &off);
    return j;
}

/* A whole text message from the client. Returns -1 when the socket is gone. */
static int s_text(gw_ws_loop_t *l, gw_ws_sess_t *s, const uint8_t *p, size_t n)
{
    gw_ws_send_t plain;
    if (l->ws->sends && gw_ws_send_scan((const char *)p, n, &plain)) {
        gw_ws_msg_t *j = s_plain_send_job(l, s, &plain);
        if (j) {
            s_job_queue(l, s, j);
            return 0;
        } /* out of memory: the general reader below answers */
    }
    gw_ws_cmd_t cmd;
    char err[256] = "";
    int rc = 0;
    if (gw_ws_cmd_decode((const char *)p, n, &cmd, err, sizeof err) < 0) {
        rc = s_error_frame(l, s, cmd.kind == GW_WS_CMD_SEND ? cmd.client_msg_id : NULL,
                           PC_INVALID_ARGUMENT, err[0] ? err : "invalid frame");
        goto done;
    }
    if (cmd.kind == GW_WS_CMD_PING) {
        rc = gw_ws_io_send_text(l, s, "{\"type\":\"pong\"}");
        goto done;
    }
    char *cmid = cmd.client_msg_id ? strdup(cmd.client_msg_id) : NULL;
    gw_ws_msg_t *j = cmid || !cmd.client_msg_id ? s_job_new(l, s, cmd.kind, cmid) : NULL;
    if (!j) {
        rc = s_error_frame(l, s, cmd.client_msg_id, PC_INTERNAL, "out of memory");
        goto done;
    }
    bool ok;
    if (cmd.kind == GW_WS_CMD_SEND) {
        /* The parsed frame itself is handed on: no encoding, no second parse. */
        j->json = gw_ws_cmd_take_send_body(&cmd);
        ok = j->json != NULL; /* never NULL for a decoded send */
    } else {
        char path[256], body[64];
        gw_ws_read_path(cmd.conversation_id, path, sizeof path);
        snprintf(body, sizeof body, "{\"seq\":%" PRId64 "}", cmd.seq);
        /* text = "<path>\0<body>": the worker needs both */
        size_t pl = strlen(path), bl = strlen(body);
        j->text = malloc(pl + bl + 2);
        if (j->text) {
            memcpy(j->text, path, pl + 1);
            memcpy(j->text + pl + 1, body, bl + 1);
            j->text_len = pl + bl + 1;
        }
        ok = j->text != NULL;
    }
    if (!ok) {
        gw_ws_msg_free(j);
        rc = s_error_frame(l, s, cmd.client_msg_id, PC_INTERNAL, "out of memory");
        goto done;
    }
    s_job_queue(l, s, j);
done:
    gw_ws_cmd_clear(&cmd);
    return rc;
}

/* One event of the reader. Returns -1 when the socket is gone. */
static int s_frame(gw_ws_loop_t *l, gw_ws_sess_t *s, const ws_event_t *ev)
{
    switch (ev->kind) {
    case WS_EV_TEXT:
        return s_text(l, s, ev->data, ev->len);
    case WS_EV_BINARY:
        return s_error_frame(l, s, NULL, PC_INVALID_ARGUMENT, "frames must be JSON text");
    case WS_EV_PING:
        return gw_ws_io_send(l, s, WS_OP_PONG, ev->data, ev->len);
    case WS_EV_CLOSE: {
        uint16_t code = ev->code == WS_CLOSE_NO_STATUS ? WS_CLOSE_NORMAL : ev->code;
        return gw_ws_io_close(l, s, code, ""); /* echo the code: the close handshake */
    }
    case WS_EV_ERROR: {
        char reason[WS_CONTROL_MAX];
        snprintf(reason, sizeof reason, "%.*s", (int)ev->len, (const char *)ev->data);
        return gw_ws_io_close(l, s, ev->code, reason);
    }
    default:
        return 0;
    }
}

/* Serves the frames in in[0..len). Returns the bytes consumed, or -1 when
 * the socket is gone. Stops early while GW_WS_JOBS_MAX jobs wait. */
static long s_parse(gw_ws_loop_t *l, gw_ws_sess_t *s, uint8_t *in, size_t len)
{
    size_t off = 0;
    while (s->state == GW_WS_OPEN && s->njobs < GW_WS_JOBS_MAX) {
        ws_event_t ev;
        size_t n = ws_reader_next(&s->rd, in + off, len - off, &ev);
        if (ev.kind == WS_EV_ERROR) {
            if (s_frame(l, s, &ev) < 0)
                return -1;
            break;
        }
        if (n == 0)
            break;
        off += n;
        if (s_frame(l, s, &ev) < 0 || s->dead)
            return -1;
    }
    return (long)off;
}

/* Parses what is buffered; the buffer is freed once every byte is served. */
void gw_ws_io_input(gw_ws_loop_t *l, gw_ws_sess_t *s)
{
    long off = s_parse(l, s, ws_buf_head(&s->in), ws_buf_used(&s->in));
    if (off > 0)
        ws_buf_consume(&s->in, (size_t)off);
}

/* The common case: nothing of this socket is buffered, so its bytes are read
 * into the loop's scratch buffer and served from there; only an incomplete
 * frame (or frames left while the job queue is full) is copied to s->in.
 * Saves a buffer allocation per read. Returns -1 when the socket is gone,
 * 1 when the caller should read again (the read filled the buffer), else 0. */
static int s_read_scratch(gw_ws_loop_t *l, gw_ws_sess_t *s)
{
    ssize_t n = recv(s->fd, l->scratch, sizeof l->scratch, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        gw_ws_sess_teardown(l, s); /* EOF or reset */
        return -1;
    }
    if (n < 0)
        return errno == EINTR ? 1 : 0;
    s->last_rx_ms = pc_mono_ms();
    long off = s_parse(l, s, l->scratch, (size_t)n);
    if (off < 0 || s->dead)
        return -1;
    if (s->state == GW_WS_OPEN && (size_t)off < (size_t)n &&
        !ws_buf_append(&s->in, l->scratch + off, (size_t)n - (size_t)off, S_IN_MAX)) {
        gw_ws_sess_teardown(l, s); /* out of memory (the rest is below S_IN_MAX) */
        return -1;
    }
    /* A short read emptied the socket: epoll (level-triggered) reports the
     * next bytes, so no recv(2) just to hear EAGAIN. */
    return (size_t)n == sizeof l->scratch ? 1 : 0;
}

void gw_ws_io_readable(gw_ws_loop_t *l, gw_ws_sess_t *s)
{
    for (;;) {
        if (s->state == GW_WS_OPEN && s->njobs >= GW_WS_JOBS_MAX) {
            s->paused = true; /* the kernel's buffers push back on the client */
            gw_ws_io_watch(l, s);
            return;
        }
        if (s->state == GW_WS_OPEN && ws_buf_used(&s->in) == 0) {
            int rc = s_read_scratch(l, s);
            if (rc <= 0)
                return;
            continue;
        }
        if (s->state != GW_WS_OPEN)
            ws_buf_clear(&s->in); /* closing: nothing more is served */
        size_t room = ws_buf_reserve(&s->in, S_IN_MAX);
        if (room == 0) {
            if (ws_buf_used(&s->in) >= S_IN_MAX) /* the reader refuses such frames first */
                gw_ws_io_close(l, s, WS_CLOSE_TOO_BIG, "message too big");
            else
                gw_ws_sess_teardown(l, s); /* out of memory */
            return;
        }
        ssize_t n = recv(s->fd, ws_buf_tail(&s->in), room, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            gw_ws_sess_teardown(l, s); /* EOF or reset */
            return;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (ws_buf_used(&s->in) == 0)
                ws_buf_clear(&s->in); /* nothing waits: an idle socket holds no buffer */
            return;
        }
        s->last_rx_ms = pc_mono_ms();
        if (s->state != GW_WS_OPEN) {
            ws_buf_clear(&s->in); /* closing: nothing more is served */
            continue;
        }
        ws_buf_commit(&s->in, (size_t)n);
        gw_ws_io_input(l, s);
        /* A short read emptied the socket: epoll (level-triggered) reports
         * the next bytes, so no recv(2) just to hear EAGAIN. */
        if (s->dead || (size_t)n < room)
            return;
    }
}
