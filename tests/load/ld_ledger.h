/* ld_ledger.h - what happened to every message of a run, pure logic.
 *
 * Each send gets an index (encoded in its client_msg_id). The ledger notes
 * its ack (seq), each push to each recipient slot, and whether the sync
 * after the run found it in the history. From that it tells lost (acked,
 * but neither pushed to every recipient nor found by the sync), not in the
 * history (acked, but not found by the sync, pushed or not), duplicated
 * (pushed twice to one recipient, or two acks with one seq) and gaps (the
 * history of a conversation skips a seq). Memory: 40 bytes per message plus
 * one bit per message and recipient slot. */
#ifndef PIGEON_LD_LEDGER_H
#define PIGEON_LD_LEDGER_H

#include "ld_hist.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t t_send; /* when it was (meant to be) sent, us */
    int64_t seq;     /* from the ack; 0 before */
    uint32_t conv;   /* conversation index */
    uint32_t sender; /* sending socket */
    uint16_t pushes; /* pushes received (all recipients) */
    uint8_t acked;   /* ack received */
    uint8_t failed;  /* error frame received */
    uint8_t synced;  /* found in the history after the run */
    uint32_t slowest; /* slowest push so far (send -> push), us, saturating */
} ld_msg_t;

typedef struct {
    int64_t first_seq; /* lowest acked seq: the sync starts after first_seq - 1 */
    int64_t last_seen; /* last seq read back from the history */
    uint64_t gaps;     /* seqs the history skipped */
} ld_conv_t;

typedef struct {
    ld_msg_t *m;     /* messages */
    size_t n;        /* used */
    size_t cap;      /* allocated: the run stops sending at cap */
    size_t slots;    /* recipients per message (1 for pairs, members for a group) */
    size_t fanout;   /* pushes expected per message */
    uint8_t *seen;   /* bit (slot * cap + idx): pushed to that recipient */
    ld_conv_t *conv; /* conversations */
    size_t nconv;
    ld_hist_t ack;        /* send -> ack, us */
    ld_hist_t deliver;    /* send -> push, us */
    uint64_t dup_pushes;  /* a recipient got a message twice */
    uint64_t dup_acks;    /* an ack for an already acked message */
    uint64_t dup_history; /* a message twice in a history */
    uint64_t foreign;     /* frames naming an index we never sent */
    bool frozen;          /* the sync began: later acks and pushes count only as duplicates */
    uint64_t late;        /* first acks and pushes after the freeze (not counted) */
} ld_ledger_t;

typedef struct {
    uint64_t sent, acked, failed, unacked; /* unacked: neither ack nor error */
    uint64_t pushes;                       /* pushes received */
    uint64_t push_missed;                  /* acked messages with fewer pushes than recipients */
    uint64_t lost;                         /* acked and missed by push and sync */
    uint64_t not_in_history;               /* acked and missed by the sync (lost included) */
    uint64_t duplicated; /* duplicate pushes + acks + history rows + reused seqs */
    uint64_t gaps;       /* seqs missing from histories */
} ld_summary_t;

ld_ledger_t *ld_ledger_new(size_t cap, size_t slots, size_t fanout, size_t nconv);
void ld_ledger_destroy(ld_ledger_t **l_p);
/* A new send; its index, or SIZE_MAX when the ledger is full. */
size_t ld_ledger_add(ld_ledger_t *l, uint32_t conv, uint32_t sender, uint64_t t_send);
void ld_ledger_ack(ld_ledger_t *l, size_t idx, int64_t seq, uint64_t now);
void ld_ledger_fail(ld_ledger_t *l, size_t idx);
void ld_ledger_push(ld_ledger_t *l, size_t idx, size_t slot, uint64_t now);
/* Called before the sync: every message acked so far was committed before
 * the sync reads the history, so the sync must find it; an ack that comes
 * later may be for a row the sync already passed, so it no longer counts
 * (the message stays unacked, which is not a loss), and neither does a
 * first push. A second ack or a second push to one recipient still counts
 * as a duplicate. */
void ld_ledger_freeze(ld_ledger_t *l);
/* A row of conversation conv's history read after the run: idx is SIZE_MAX
 * for a message that is not ours. Rows must come in ascending seq. */
void ld_ledger_history(ld_ledger_t *l, uint32_t conv, int64_t seq, size_t idx);
/* True when every acked message has all its pushes (the run may stop draining). */
bool ld_ledger_settled(const ld_ledger_t *l);
ld_summary_t ld_ledger_summary(const ld_ledger_t *l);

/* "<run>-<idx>" parsing: idx, or SIZE_MAX when id is not of this run. */
size_t ld_ledger_parse_id(const char *id, size_t len, const char *run);

#endif
