/* ws_sess.h - a WebSocket loop and its sessions, shared by ws_loop.c (the
 * thread: session tables, mailbox, timers) and ws_io.c (one socket's bytes:
 * output queue, close handshake, client frames). Only those two include it;
 * everything here runs on the loop's own thread. */
#ifndef PIGEON_GW_WS_SESS_H
#define PIGEON_GW_WS_SESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_buf.h"
#include "ws_frame.h"
#include "ws_internal.h"

#define GW_WS_BUCKETS 1024
#define GW_WS_CLOSE_WAIT_MS 2000 /* a closing socket is dropped after this */

struct MHD_UpgradeResponseHandle;

typedef enum {
    GW_WS_OPEN = 0, /* serving */
    GW_WS_CLOSING,  /* close frame queued: flush, then shut down writing */
    GW_WS_DRAINING, /* written side shut: read until EOF or the deadline */
} gw_ws_state_t;

typedef struct gw_ws_sess {
    struct gw_ws_sess *next_id;      /* chain of the id table */
    struct gw_ws_sess *next_user;    /* chain of the user table */
    struct gw_ws_sess *prev, *next;  /* list of all sessions of the loop */
    uint64_t id;                 /* socket id */
    char tag[96];                /* "<instance>/<id>": origin of this socket's sends */
    int fd;                      /* the socket (libmicrohttpd's; never close(2)d here) */
    struct MHD_UpgradeResponseHandle *urh; /* closes fd through libmicrohttpd */
    int64_t user;                /* authenticated user */
    uint8_t hash[32];            /* SHA-256 of its token */
    ws_reader_t rd;              /* frame reader */
    ws_buf_t in;                 /* bytes read, not yet parsed (no memory while empty) */
    ws_buf_t out;                /* bytes the kernel did not take yet (no memory while empty) */
    bool pollout;                /* EPOLLOUT is armed */
    bool ready;                  /* `ready` sent: events flow */
    gw_ws_state_t state;             /* see gw_ws_state_t */
    int64_t last_rx_ms;          /* last byte from the client */
    int64_t last_ping_ms;        /* last server ping (or open time) */
    int64_t close_deadline_ms;   /* CLOSING/DRAINING: drop after this */
    gw_ws_msg_t *jobs_head;      /* queued jobs, oldest first */
    gw_ws_msg_t *jobs_tail;      /* newest queued job */
    int njobs;                   /* entries in the job queue */
    bool busy;                   /* a job of this socket is at a worker */
    bool paused;                 /* not reading: GW_WS_JOBS_MAX jobs wait (TCP pushes back) */
    bool dead;                   /* torn down; freed at the end of the loop turn */
    struct gw_ws_sess *next_dead;    /* list of torn-down sessions */
    bool dirty;                  /* on the loop's dirty list: frames queued, not written */
    struct gw_ws_sess *next_dirty;   /* link of that list */
} gw_ws_sess_t;

struct gw_ws_loop {
    gw_ws_t *ws;                     /* owner (borrowed) */
    int index;                       /* position in ws->loops */
    int epfd;                        /* the epoll set */
    gw_ws_mbox_t mbox;               /* what others post here */
    pthread_t thread;                /* the loop thread */
    bool started;                    /* thread is running */
    atomic_bool quit;                /* return from the loop */
    gw_ws_sess_t *by_id[GW_WS_BUCKETS];      /* sessions by socket id */
    gw_ws_sess_t *by_user[GW_WS_BUCKETS];    /* sessions by user id */
    gw_ws_sess_t *all;                   /* every session */
    gw_ws_sess_t *dead;                  /* torn down this turn: epoll may still name them */
    gw_ws_sess_t *dirty;                 /* sessions with frames queued in this turn */
    int64_t last_tick_ms;            /* last timer scan */
    int tick_ms;                     /* between timer scans (see s_tick_ms) */
    /* Reads of a socket with nothing buffered land here (ws_io.c), so a
     * socket needs no buffer of its own unless a frame is split. */
    uint8_t scratch[GW_WS_MSG_MAX + WS_HEADER_MAX];
};

/* ws_loop.c: drops the socket now (libmicrohttpd closes it, the hub forgets
 * it); the memory stays until the end of the loop turn. */
void gw_ws_sess_teardown(gw_ws_loop_t *l, gw_ws_sess_t *s);

/* ws_io.c. Functions returning int answer -1 when the socket is gone (torn down). */
/* Sets the epoll interest from s->pollout and s->paused. */
void gw_ws_io_watch(gw_ws_loop_t *l, gw_ws_sess_t *s);
int gw_ws_io_flush(gw_ws_loop_t *l, gw_ws_sess_t *s);
/* Sending only queues: a frame goes into the socket's output queue and the
 * socket onto the loop's dirty list, and gw_ws_io_flush_dirty writes each
 * socket's frames of a loop turn with one send(2).
 * Queues an encoded frame; beyond GW_WS_OUT_MAX queued bytes: close 1013. */
int gw_ws_io_send_raw(gw_ws_loop_t *l, gw_ws_sess_t *s, const uint8_t *frame, size_t n);
/* Writes the queues of the dirty sessions and empties the list (at the end
 * of every loop turn, before torn-down sessions are freed). */
void gw_ws_io_flush_dirty(gw_ws_loop_t *l);
int gw_ws_io_send(gw_ws_loop_t *l, gw_ws_sess_t *s, uint8_t opcode, const void *p, size_t n);
int gw_ws_io_send_text(gw_ws_loop_t *l, gw_ws_sess_t *s, const char *text);
/* Starts the close handshake with code. */
int gw_ws_io_close(gw_ws_loop_t *l, gw_ws_sess_t *s, uint16_t code, const char *reason);
/* Serves the buffered client bytes (stops while GW_WS_JOBS_MAX jobs wait). */
void gw_ws_io_input(gw_ws_loop_t *l, gw_ws_sess_t *s);
/* The socket is readable. */
void gw_ws_io_readable(gw_ws_loop_t *l, gw_ws_sess_t *s);
/* Hands the next queued job to the workers unless one is there already. */
void gw_ws_io_dispatch_job(gw_ws_loop_t *l, gw_ws_sess_t *s);

#endif
