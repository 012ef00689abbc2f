/* ld_ledger.c - loss, duplicate and gap accounting (see ld_ledger.h). */
#include "ld_ledger.h"

#include <stdlib.h>
#include <string.h>

ld_ledger_t *ld_ledger_new(size_t cap, size_t slots, size_t fanout, size_t nconv)
{
    ld_ledger_t *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->cap = cap;
    l->slots = slots ? slots : 1;
    l->fanout = fanout;
    l->nconv = nconv;
    l->m = calloc(cap ? cap : 1, sizeof *l->m);
    l->seen = calloc((l->slots * cap + 7) / 8 + 1, 1);
    l->conv = calloc(nconv ? nconv : 1, sizeof *l->conv);
    if (!l->m || !l->seen || !l->conv) {
        ld_ledger_destroy(&l);
        return NULL;
    }
    ld_hist_init(&l->ack);
    ld_hist_init(&l->deliver);
    return l;
}

void ld_ledger_destroy(ld_ledger_t **l_p)
{
    ld_ledger_t *l = l_p ? *l_p : NULL;
    if (!l)
        return;
    free(l->m);
    free(l->seen);
    free(l->conv);
    free(l);
    *l_p = NULL;
}

size_t ld_ledger_add(ld_ledger_t *l, uint32_t conv, uint32_t sender, uint64_t t_send)
{
    if (l->n >= l->cap || conv >= l->nconv)
        return SIZE_MAX;
    ld_msg_t *m = &l->m[l->n];
    memset(m, 0, sizeof *m);
    m->t_send = t_send;
    m->conv = conv;
    m->sender = sender;
    return l->n++;
}

void ld_ledger_freeze(ld_ledger_t *l)
{
    l->frozen = true;
}

void ld_ledger_ack(ld_ledger_t *l, size_t idx, int64_t seq, uint64_t now)
{
    if (idx >= l->n) {
        l->foreign++;
        return;
    }
    ld_msg_t *m = &l->m[idx];
    if (m->acked) {
        l->dup_acks++;
        return;
    }
    if (l->frozen) {
        l->late++;
        return;
    }
    m->acked = 1;
    m->seq = seq;
    ld_hist_record(&l->ack, now > m->t_send ? now - m->t_send : 0);
    ld_conv_t *c = &l->conv[m->conv];
    if (c->first_seq == 0 || seq < c->first_seq)
        c->first_seq = seq;
}

void ld_ledger_fail(ld_ledger_t *l, size_t idx)
{
    if (idx >= l->n) {
        l->foreign++;
        return;
    }
    l->m[idx].failed = 1;
}

void ld_ledger_push(ld_ledger_t *l, size_t idx, size_t slot, uint64_t now)
{
    if (idx >= l->n || slot >= l->slots) {
        l->foreign++;
        return;
    }
    size_t bit = slot * l->cap + idx;
    if (l->seen[bit / 8] & (1u << (bit % 8))) {
        l->dup_pushes++;
        return;
    }
    l->seen[bit / 8] |= (uint8_t)(1u << (bit % 8));
    if (l->frozen) { /* the sync, not this push, decides whether it was lost */
        l->late++;
        return;
    }
    ld_msg_t *m = &l->m[idx];
    m->pushes++;
    uint64_t took = now > m->t_send ? now - m->t_send : 0;
    ld_hist_record(&l->deliver, took);
    if (took > m->slowest)
        m->slowest = took > UINT32_MAX ? UINT32_MAX : (uint32_t)took;
}

void ld_ledger_history(ld_ledger_t *l, uint32_t conv, int64_t seq, size_t idx)
{
    if (conv >= l->nconv)
        return;
    ld_conv_t *c = &l->conv[conv];
    if (c->last_seen != 0 && seq > c->last_seen + 1)
        c->gaps += (uint64_t)(seq - c->last_seen - 1);
    if (c->last_seen == 0 && c->first_seq != 0 && seq > c->first_seq)
        c->gaps += (uint64_t)(seq - c->first_seq);
    if (seq > c->last_seen)
        c->last_seen = seq;
    if (idx == SIZE_MAX)
        return;
    if (idx >= l->n) {
        l->foreign++;
        return;
    }
    if (l->m[idx].synced)
        l->dup_history++;
    l->m[idx].synced = 1;
}

bool ld_ledger_settled(const ld_ledger_t *l)
{
    for (size_t i = 0; i < l->n; i++) {
        const ld_msg_t *m = &l->m[i];
        if (!m->failed && (!m->acked || m->pushes < l->fanout))
            return false;
    }
    return true;
}

static int s_cmp_seq(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Two acked messages of one conversation with the same seq. O(n log n). */
static uint64_t s_reused_seqs(const ld_ledger_t *l)
{
    uint64_t dups = 0;
    int64_t *keys = malloc((l->n ? l->n : 1) * sizeof *keys);
    size_t k = 0;
    if (!keys)
        return 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->m[i].acked) /* conv in the high bits: one sort covers every conversation */
            keys[k++] = (int64_t)((uint64_t)l->m[i].conv << 40 | (uint64_t)l->m[i].seq);
    qsort(keys, k, sizeof *keys, s_cmp_seq);
    for (size_t i = 1; i < k; i++)
        dups += keys[i] == keys[i - 1];
    free(keys);
    return dups;
}

ld_summary_t ld_ledger_summary(const ld_ledger_t *l)
{
    ld_summary_t s = {.sent = l->n};
    for (size_t i = 0; i < l->n; i++) {
        const ld_msg_t *m = &l->m[i];
        s.pushes += m->pushes;
        if (m->acked) {
            s.acked++;
            if (!m->synced)
                s.not_in_history++;
            if (m->pushes < l->fanout) {
                s.push_missed++;
                if (!m->synced)
                    s.lost++;
            }
        } else if (m->failed) {
            s.failed++;
        } else {
            s.unacked++;
        }
    }
    for (size_t c = 0; c < l->nconv; c++)
        s.gaps += l->conv[c].gaps;
    s.duplicated = l->dup_pushes + l->dup_acks + l->dup_history + s_reused_seqs(l);
    return s;
}

size_t ld_ledger_parse_id(const char *id, size_t len, const char *run)
{
    size_t rl = strlen(run);
    if (len <= rl + 1 || memcmp(id, run, rl) != 0 || id[rl] != '-')
        return SIZE_MAX;
    size_t v = 0;
    for (size_t i = rl + 1; i < len; i++) {
        if (id[i] < '0' || id[i] > '9' || v > SIZE_MAX / 10 - 10)
            return SIZE_MAX;
        v = v * 10 + (size_t)(id[i] - '0');
    }
    return v;
}
