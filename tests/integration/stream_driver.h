/* stream_driver.h - a steady stream of REST sends and reads against a running
 * Pigeon, and the exactly-once check of what it stored.
 *
 * The scale-out tests break something under load (kill a copy of a service,
 * restart PostgreSQL) and need the same three things around it: clients that
 * keep sending at a steady rate and retry failures the way API.md tells a
 * real client to (the same client_msg_id until it is stored), timings of how
 * long any one send had to wait, and a read-back of every conversation that
 * proves each acknowledged send is stored exactly once with gap-free seqs.
 *
 * The population: `senders` users paired as friends (0-1, 2-3, ...), each
 * sending text to its partner; every group_every-th send goes to one group
 * that holds them all, and every image_every-th carries an image the sender
 * uploaded. Reader threads cycle through user search, group reads, contacts,
 * a media download and the conversation list, so every service answers some
 * of the stream. Each thread paces itself to its share of the rate and
 * waits for every answer: a slow system gets fewer ops, not a growing
 * queue. Retried: connection errors and timeouts (status 0), 429 and every
 * 5xx, with a short backoff, until op_deadline_ms after the first try; any
 * other answer, or the deadline, fails the op for good.
 *
 * Threads record and never assert (cmocka's asserts longjmp and belong to
 * the test's thread); every function here runs on the test's thread and
 * fails the test (cmocka) when the system answers something unexpected.
 * stream_driver.c runs the threads, stream_results.c reads their records. */
#ifndef PIGEON_TEST_STREAM_DRIVER_H
#define PIGEON_TEST_STREAM_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "harness.h"

#define SD_MAX_PHASES 12

typedef struct {
    int senders;        /* sender threads, one user each; even (users are paired) */
    int sends_per_s;    /* sends offered per second, all senders together */
    int group_every;    /* every n-th send of a sender goes to the group (0: none) */
    int image_every;    /* every n-th send is an image message (0: none) */
    int readers;        /* reader threads (0: none) */
    int reads_per_s;    /* reads offered per second, all readers together */
    int op_deadline_ms; /* an op not done this long after its first try fails for good */
    int max_seconds;    /* sizes the records: a sender stops after rate x this sends */
} sd_config_t;

/* What happened to the ops that ended (acknowledged, or failed for good) in
 * one phase: a send caught in flight by a kill started before it and ends
 * in the kill's phase. */
typedef struct {
    char name[48];          /* "auth copy killed" */
    int64_t started_ms;     /* sd_now_ms() when the phase began */
    int64_t ended_ms;       /* when the next one began, or the stream stopped */
    int sends;              /* sends acknowledged */
    int send_retries;       /* send attempts beyond each send's first */
    int64_t send_stall_ms;  /* longest first try -> acknowledgement of a send */
    char send_stall_of[24]; /* that send's client_msg_id */
    int reads;              /* reads answered 200 */
    int read_retries;       /* read attempts beyond each read's first */
    int64_t read_stall_ms;  /* longest first try -> 200 of a read */
    int failed;             /* ops, sends or reads, that failed for good */
} sd_phase_t;

/* The whole run, summed over the phases, with the failed attempts by answer. */
typedef struct {
    sd_phase_t all;          /* sums; the stalls are the longest of any phase */
    int64_t ran_ms;          /* first phase's start -> stop */
    int by_status[7];        /* failed attempts: 0 (no answer), 429, 500, 502, 503, 504, other */
    int resend_on_first;     /* sends whose first try answered 200 (a resend): must be 0 */
    char first_failure[256]; /* the first attempt that failed, for the messages */
    char first_fatal[256];   /* the first op that failed for good */
} sd_totals_t;

typedef struct sd_stream sd_stream_t;

int64_t sd_now_ms(void);

/* Registers the users, makes the friendships, the group and the uploads on
 * sys (which must run auth, relationship, router, group and media and keep
 * running at least as long as the stream). */
sd_stream_t *sd_stream_new(h_system_t *sys, const sd_config_t *cfg);
/* Starts the threads; the first phase is named `phase`. */
void sd_stream_start(sd_stream_t *st, const char *phase);
/* Ends the current phase and begins the next one (at most SD_MAX_PHASES). */
void sd_stream_phase(sd_stream_t *st, const char *name);
/* Lets the stream run until the current phase is at least ms old and at
 * least min_sends sends were acknowledged in it (failing the test when that
 * takes more than ms + 30 s). Returns how many were acknowledged. */
int sd_stream_run_for(sd_stream_t *st, int ms, int min_sends);
/* Stops the threads after their current op (each ends within its deadline
 * plus one HTTP timeout) and gathers their records. */
void sd_stream_stop(sd_stream_t *st);

/* After stop: the phases (count in *n) and the totals. */
const sd_phase_t *sd_stream_phases(const sd_stream_t *st, int *n);
sd_totals_t sd_stream_totals(const sd_stream_t *st);
/* After stop: the first acknowledgement at or after t_ms (-1: none), and the
 * acknowledgements received in [from_ms, to_ms). */
int64_t sd_stream_first_ack_after(const sd_stream_t *st, int64_t t_ms);
int sd_stream_acks_between(const sd_stream_t *st, int64_t from_ms, int64_t to_ms);
/* After stop: prints every phase and the totals (cmocka print_message). */
void sd_stream_report(const sd_stream_t *st, const char *label);

/* After stop: pages through every conversation of the stream (API.md
 * history, after_seq, limit 200) and fails the test unless seqs run 1, 2, 3
 * ... without a gap, every acknowledged send is there once at the seq its
 * acknowledgement named, and nothing else of the stream is. Then resends a
 * sample (every retried send, up to 64, and each sender's first) and expects
 * 200 with the stored message. Returns the messages read back. */
int sd_stream_verify(sd_stream_t *st);

void sd_stream_destroy(sd_stream_t **st_p);

#endif
