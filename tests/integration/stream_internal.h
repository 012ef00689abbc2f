/* stream_internal.h - what stream_driver.c (the threads) and
 * stream_results.c (their records read back) share; tests use
 * stream_driver.h only. */
#ifndef PIGEON_TEST_STREAM_INTERNAL_H
#define PIGEON_TEST_STREAM_INTERNAL_H

#include <pthread.h>

#include "contacts_calls.h"
#include "stream_driver.h"

/* One send of a sender; the n-th send's body follows from (sender, n). */
typedef struct {
    int64_t first_ms;  /* first try began */
    int64_t done_ms;   /* acknowledged at; 0 when it failed for good */
    int64_t seq;       /* seq its acknowledgement named */
    int64_t found_seq; /* seq where sd_stream_verify found it; 0 before */
    int attempts;      /* tries made */
    int phase;         /* phase in which it ended */
} sd_send_t;

/* Failed attempts of one thread, and the first ones to show. */
typedef struct {
    int by_status[7];        /* as sd_totals_t.by_status */
    int resend_on_first;     /* first tries answered 200 */
    int64_t failure_ms;      /* when first_failure happened */
    char first_failure[256]; /* first failed attempt */
    int64_t fatal_ms;        /* when first_fatal happened */
    char first_fatal[256];   /* first op failed for good */
} sd_faults_t;

/* One thread of the stream. */
typedef struct {
    sd_stream_t *st;                  /* the stream it belongs to */
    int index;                        /* sender: its user; reader: its number */
    bool reader;                      /* a reader thread, else a sender */
    bool running;                     /* thread created, not yet joined */
    pthread_t thread;                 /* valid while running */
    sd_send_t *sends;                 /* sender: its sends in order (cap of them) */
    int nsends;                       /* sender: sends started */
    sd_phase_t phases[SD_MAX_PHASES]; /* reader: its reads by phase */
    sd_faults_t faults;               /* its failed attempts */
} sd_worker_t;

/* One user of the stream: sender `i` writes to member i ^ 1. */
typedef struct {
    ct_user_t user;      /* name, token, id */
    int64_t media_id;    /* an image this user uploaded */
    char direct_cid[48]; /* the conversation with its partner */
} sd_member_t;

struct sd_stream {
    h_system_t *sys;                  /* borrowed: the system under the stream */
    sd_config_t cfg;                  /* as given to sd_stream_new */
    sd_member_t *members;             /* cfg.senders of them */
    int64_t group_id;                 /* the group that holds every member */
    char group_cid[32];               /* "g:<group_id>" */
    int cap;                          /* sends per sender at most */
    sd_worker_t *workers;             /* senders, then readers */
    int nworkers;                     /* cfg.senders + cfg.readers */
    int stop;                         /* atomic: threads finish their op and leave */
    int phase;                        /* atomic: index of the current phase */
    int acked;                        /* atomic: sends acknowledged so far */
    int phase_acked[SD_MAX_PHASES];   /* `acked` when each phase began */
    sd_phase_t phases[SD_MAX_PHASES]; /* names and times; counts once stopped */
    int nphases;                      /* phases begun so far */
    bool stopped;                     /* joined and gathered */
};

/* The n-th send of a sender: an image message (else text)? */
bool sd_is_image(const sd_config_t *cfg, int n);
/* Its client_msg_id, "sd-<sender>-<n>". */
void sd_cmid(int sender, int n, char *out, size_t size);
/* The conversation it goes to. */
const char *sd_send_cid(const sd_stream_t *st, int sender, int n);
/* Its POST /v1/messages body, the same bytes on every try. */
void sd_send_body(const sd_stream_t *st, int sender, int n, char *out, size_t size);
/* Why `msg` (an answer to it) does not describe it, or NULL; its seq to *seq. */
const char *sd_ack_mismatch(const sd_stream_t *st, int sender, int n, json_t *msg, int64_t *seq);
/* After the threads are joined: sums their records into st->phases. */
void sd_gather(sd_stream_t *st);

#endif
