/* stream_results.c - what the stream's threads recorded, once they are
 * joined: per-phase sums, totals, the report, and the read-back of every
 * conversation against the acknowledgements (see stream_driver.h). Costs:
 * one pass over the records per question; the read-back is one history page
 * per 200 messages, and one resend per sampled send. */
#include "stream_internal.h"

#include "messages_calls.h"

#define S_RESEND_SAMPLE 64 /* retried sends resent by sd_stream_verify at most */
#define S_PAGE 200         /* history page size (API.md's largest) */

/* ------------------------------------------------------------------ phases */

/* Sums the threads' records into the phases. */
void sd_gather(sd_stream_t *st)
{
    for (int i = 0; i < st->nworkers; i++) {
        const sd_worker_t *w = &st->workers[i];
        for (int n = 0; n < w->nsends; n++) {
            const sd_send_t *rec = &w->sends[n];
            sd_phase_t *p = &st->phases[rec->phase];
            int64_t took = rec->done_ms - rec->first_ms;
            p->send_retries += rec->attempts - 1;
            if (rec->done_ms == 0) {
                p->failed++;
                continue;
            }
            p->sends++;
            if (took > p->send_stall_ms) {
                p->send_stall_ms = took;
                sd_cmid(w->index, n, p->send_stall_of, sizeof p->send_stall_of);
            }
        }
        for (int k = 0; w->reader && k < st->nphases; k++) {
            sd_phase_t *p = &st->phases[k];
            const sd_phase_t *q = &w->phases[k];
            p->reads += q->reads;
            p->read_retries += q->read_retries;
            p->failed += q->failed;
            p->read_stall_ms =
                q->read_stall_ms > p->read_stall_ms ? q->read_stall_ms : p->read_stall_ms;
        }
    }
}

/* ------------------------------------------------------------------ results */

const sd_phase_t *sd_stream_phases(const sd_stream_t *st, int *n)
{
    *n = st->nphases;
    return st->phases;
}

/* Keeps the earlier of two noted texts. */
static void s_keep_first(char *dst, size_t size, int64_t *dst_ms, const char *src, int64_t src_ms)
{
    if (src[0] && (!dst[0] || src_ms < *dst_ms)) {
        snprintf(dst, size, "%s", src);
        *dst_ms = src_ms;
    }
}

sd_totals_t sd_stream_totals(const sd_stream_t *st)
{
    sd_totals_t t;
    memset(&t, 0, sizeof t);
    snprintf(t.all.name, sizeof t.all.name, "whole run");
    int64_t failure_ms = 0, fatal_ms = 0;
    for (int k = 0; st->stopped && k < st->nphases; k++) {
        const sd_phase_t *p = &st->phases[k];
        t.all.sends += p->sends;
        t.all.send_retries += p->send_retries;
        t.all.reads += p->reads;
        t.all.read_retries += p->read_retries;
        t.all.failed += p->failed;
        if (p->send_stall_ms > t.all.send_stall_ms) {
            t.all.send_stall_ms = p->send_stall_ms;
            snprintf(t.all.send_stall_of, sizeof t.all.send_stall_of, "%s", p->send_stall_of);
        }
        t.all.read_stall_ms =
            p->read_stall_ms > t.all.read_stall_ms ? p->read_stall_ms : t.all.read_stall_ms;
    }
    if (st->nphases > 0) {
        t.all.started_ms = st->phases[0].started_ms;
        t.all.ended_ms = st->phases[st->nphases - 1].ended_ms;
        t.ran_ms = t.all.ended_ms - t.all.started_ms;
    }
    for (int i = 0; i < st->nworkers; i++) {
        const sd_faults_t *f = &st->workers[i].faults;
        for (int s = 0; s < 7; s++)
            t.by_status[s] += f->by_status[s];
        t.resend_on_first += f->resend_on_first;
        s_keep_first(t.first_failure, sizeof t.first_failure, &failure_ms, f->first_failure,
                     f->failure_ms);
        s_keep_first(t.first_fatal, sizeof t.first_fatal, &fatal_ms, f->first_fatal, f->fatal_ms);
    }
    return t;
}

int64_t sd_stream_first_ack_after(const sd_stream_t *st, int64_t t_ms)
{
    int64_t first = -1;
    for (int i = 0; i < st->nworkers; i++) {
        const sd_worker_t *w = &st->workers[i];
        for (int n = 0; n < w->nsends; n++) {
            int64_t done = w->sends[n].done_ms;
            if (done >= t_ms && (first < 0 || done < first))
                first = done;
        }
    }
    return first;
}

int sd_stream_acks_between(const sd_stream_t *st, int64_t from_ms, int64_t to_ms)
{
    int count = 0;
    for (int i = 0; i < st->nworkers; i++) {
        const sd_worker_t *w = &st->workers[i];
        for (int n = 0; n < w->nsends; n++)
            count += w->sends[n].done_ms >= from_ms && w->sends[n].done_ms < to_ms;
    }
    return count;
}

void sd_stream_report(const sd_stream_t *st, const char *label)
{
    for (int k = 0; k < st->nphases; k++) {
        const sd_phase_t *p = &st->phases[k];
        print_message("%s: %-24s %4.1f s: %4d sends (%3d retries, longest %4lld ms %-9s), %3d "
                      "reads (%2d retries, longest %4lld ms), %d failed\n",
                      label, p->name, (double)(p->ended_ms - p->started_ms) / 1000.0, p->sends,
                      p->send_retries, (long long)p->send_stall_ms, p->send_stall_of, p->reads,
                      p->read_retries, (long long)p->read_stall_ms, p->failed);
    }
    sd_totals_t t = sd_stream_totals(st);
    double secs = (double)(t.ran_ms > 0 ? t.ran_ms : 1) / 1000.0;
    print_message("%s: %d sends in %.1f s (%.0f/s), %d retries, longest send %lld ms (%s); %d "
                  "reads, %d retries, longest read %lld ms; %d failed for good\n",
                  label, t.all.sends, secs, t.all.sends / secs, t.all.send_retries,
                  (long long)t.all.send_stall_ms, t.all.send_stall_of, t.all.reads,
                  t.all.read_retries, (long long)t.all.read_stall_ms, t.all.failed);
    print_message("%s: failed attempts: %d without answer, %d x 429, %d x 500, %d x 502, %d x 503, "
                  "%d x 504, %d other; first: %s\n",
                  label, t.by_status[0], t.by_status[1], t.by_status[2], t.by_status[3],
                  t.by_status[4], t.by_status[5], t.by_status[6],
                  t.first_failure[0] ? t.first_failure : "none");
}

/* ------------------------------------------------------------------ read-back */

/* Fails the test unless the history entry m (`cid` at `seq`) is a system
 * message of the group or a send of the stream acknowledged at this very
 * place and not seen before; marks that send found. */
static void s_check_stored(sd_stream_t *st, const char *cid, json_t *m, int64_t seq)
{
    const char *cmid = json_string_value(json_object_get(m, "client_msg_id"));
    const char *kind = json_string_value(json_object_get(m, "kind"));
    if (!cmid && kind && strcmp(kind, "system") == 0 && strcmp(cid, st->group_cid) == 0)
        return;
    int sender = -1, n = -1, used = 0;
    if (!cmid || sscanf(cmid, "sd-%d-%d%n", &sender, &n, &used) != 2 || cmid[used] != '\0' ||
        sender < 0 || sender >= st->cfg.senders || n < 0 || n >= st->workers[sender].nsends)
        fail_msg("%s seq %lld: client_msg_id %s is no send of the stream", cid, (long long)seq,
                 cmid ? cmid : "null");
    sd_send_t *rec = &st->workers[sender].sends[n];
    if (rec->found_seq)
        fail_msg("%s is stored twice: %s seq %lld and seq %lld", cmid, cid,
                 (long long)rec->found_seq, (long long)seq);
    if (rec->done_ms == 0)
        fail_msg("%s is stored (%s seq %lld) but was never acknowledged", cmid, cid,
                 (long long)seq);
    if (rec->seq != seq || strcmp(cid, sd_send_cid(st, sender, n)) != 0)
        fail_msg("%s was acknowledged as %s seq %lld but is stored in %s at seq %lld", cmid,
                 sd_send_cid(st, sender, n), (long long)rec->seq, cid, (long long)seq);
    if (json_integer_value(json_object_get(m, "sender_id")) != st->members[sender].user.id ||
        !kind || strcmp(kind, sd_is_image(&st->cfg, n) ? "image" : "text") != 0)
        fail_msg("%s at %s seq %lld has another sender or kind (%s)", cmid, cid, (long long)seq,
                 kind ? kind : "null");
    rec->found_seq = seq;
}

/* Pages through cid as `reader`; returns its last seq. */
static int64_t s_read_back(sd_stream_t *st, const char *cid, const ct_user_t *reader)
{
    int64_t after = 0;
    int pages = __atomic_load_n(&st->acked, __ATOMIC_SEQ_CST) / S_PAGE + 10;
    for (int page = 0; page < pages; page++) {
        char query[64];
        snprintf(query, sizeof query, "?after_seq=%lld&limit=%d", (long long)after, S_PAGE);
        h_resp_t r = mc_history(st->sys, reader, cid, query, 200, NULL);
        json_t *list = json_object_get(r.json, "messages"), *m;
        assert_true(json_is_array(list));
        size_t i;
        json_array_foreach(list, i, m)
        {
            int64_t seq = json_integer_value(json_object_get(m, "seq"));
            if (seq != after + 1)
                fail_msg("%s: seq %lld follows seq %lld (a gap or a disorder)", cid, (long long)seq,
                         (long long)after);
            s_check_stored(st, cid, m, seq);
            after = seq;
        }
        bool more = json_is_true(json_object_get(r.json, "has_more"));
        h_resp_free(&r);
        if (!more)
            return after;
    }
    fail_msg("%s: still has_more after %d pages", cid, pages);
    return after;
}

/* Resends the n-th send of `sender`: 200 with the stored message. */
static void s_resend(sd_stream_t *st, int sender, int n)
{
    char body[256];
    sd_send_body(st, sender, n, body, sizeof body);
    h_resp_t r =
        h_http(st->sys, "POST", "/v1/messages", st->members[sender].user.token, body, NULL);
    h_expect_status(&r, 200);
    int64_t seq = 0;
    const char *bad = sd_ack_mismatch(st, sender, n, r.json, &seq);
    if (bad || seq != st->workers[sender].sends[n].seq)
        fail_msg("a resend of sd-%d-%d answered seq %lld, stored at %lld: %s", sender, n,
                 (long long)seq, (long long)st->workers[sender].sends[n].seq,
                 bad ? bad : "another message");
    h_resp_free(&r);
}

int sd_stream_verify(sd_stream_t *st)
{
    assert_true(st->stopped);
    int64_t total = 0;
    for (int i = 0; i < st->cfg.senders; i += 2)
        total += s_read_back(st, st->members[i].direct_cid, &st->members[i].user);
    total += s_read_back(st, st->group_cid, &st->members[0].user);
    int resent = 0;
    for (int i = 0; i < st->cfg.senders; i++) {
        const sd_worker_t *w = &st->workers[i];
        for (int n = 0; n < w->nsends; n++) {
            const sd_send_t *rec = &w->sends[n];
            if (rec->done_ms && !rec->found_seq)
                fail_msg("sd-%d-%d was acknowledged (%s seq %lld) but is not stored", i, n,
                         sd_send_cid(st, i, n), (long long)rec->seq);
            bool sample = n == 0 || (rec->attempts > 1 && resent < S_RESEND_SAMPLE);
            if (rec->done_ms && sample) {
                s_resend(st, i, n);
                resent++;
            }
        }
    }
    return (int)total;
}
