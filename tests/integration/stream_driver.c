/* stream_driver.c - the stream's setup and threads (stream_driver.h); what
 * they recorded is summed and read back in stream_results.c.
 *
 * Each thread owns its records; the test's thread reads them only after
 * joining (sd_stream_stop). What the threads share while running is three
 * atomics: the stop flag, the current phase and the count of acknowledged
 * sends (for sd_stream_run_for). Costs: one HTTP connection per attempt
 * (h_http), a few hundred a second on loopback; one record of ~48 bytes per
 * send. */
#include "stream_internal.h"

#include "groups_calls.h"
#include "media_calls.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#define S_BACKOFF_MIN_MS 25  /* first pause before a retry */
#define S_BACKOFF_MAX_MS 250 /* pauses double up to this */

/* ------------------------------------------------------------------ time */

int64_t sd_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (ms > 0 && nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* Sleeps until *next, then moves it one interval on; when the op before
 * overran the interval the next op starts at once and the lost time is not
 * made up with a burst (closed loop under a slow system, e.g. ASan). */
static void s_pace(int64_t *next, int interval_ms)
{
    int64_t now = sd_now_ms();
    if (*next > now)
        s_sleep_ms(*next - now);
    else
        *next = now;
    *next += interval_ms;
}

static bool s_stopping(const sd_stream_t *st)
{
    return __atomic_load_n(&st->stop, __ATOMIC_SEQ_CST) != 0;
}

/* ------------------------------------------------------------------ answers */

typedef enum { S_DONE, S_RETRY, S_FATAL } s_outcome_t;

/* Slot of a failed answer in by_status. */
static int s_status_slot(long status)
{
    static const long slots[] = {0, 429, 500, 502, 503, 504};
    for (int i = 0; i < 6; i++) {
        if (status == slots[i])
            return i;
    }
    return 6;
}

/* What a client does with this answer: done (2xx), retry (no answer, 429,
 * 5xx) or give up (any other 4xx). */
static s_outcome_t s_classify(long status)
{
    if (status >= 200 && status < 300)
        return S_DONE;
    if (status == 0 || status == 429 || status >= 500)
        return S_RETRY;
    return S_FATAL;
}

static void s_note_failure(sd_faults_t *f, const char *what, const h_resp_t *r)
{
    f->by_status[s_status_slot(r->status)]++;
    if (f->first_failure[0])
        return;
    f->failure_ms = sd_now_ms();
    snprintf(f->first_failure, sizeof f->first_failure, "%s: %ld %.160s", what, r->status,
             r->body ? r->body : "");
}

static void s_note_fatal(sd_faults_t *f, const char *what, const char *why)
{
    if (f->first_fatal[0])
        return;
    f->fatal_ms = sd_now_ms();
    snprintf(f->first_fatal, sizeof f->first_fatal, "%s: %s", what, why);
}

/* ------------------------------------------------------------------ sends */

static bool s_to_group(const sd_config_t *cfg, int n)
{
    return cfg->group_every > 0 && n % cfg->group_every == 1 % cfg->group_every;
}

bool sd_is_image(const sd_config_t *cfg, int n)
{
    return cfg->image_every > 0 && n % cfg->image_every == 3 % cfg->image_every;
}

void sd_cmid(int sender, int n, char *out, size_t size)
{
    snprintf(out, size, "sd-%d-%d", sender, n);
}

/* The conversation the n-th send of `sender` goes to. */
const char *sd_send_cid(const sd_stream_t *st, int sender, int n)
{
    return s_to_group(&st->cfg, n) ? st->group_cid : st->members[sender].direct_cid;
}

/* POST /v1/messages body of the n-th send of `sender`: the same bytes on
 * every try, so a retry is a resend of the same message. */
void sd_send_body(const sd_stream_t *st, int sender, int n, char *out, size_t size)
{
    const sd_member_t *me = &st->members[sender];
    char to[64], what[96], cmid[32];
    if (s_to_group(&st->cfg, n))
        snprintf(to, sizeof to, "{\"group_id\":%" PRId64 "}", st->group_id);
    else
        snprintf(to, sizeof to, "{\"user_id\":%" PRId64 "}", st->members[sender ^ 1].user.id);
    if (sd_is_image(&st->cfg, n))
        snprintf(what, sizeof what, "\"kind\":\"image\",\"media_id\":%" PRId64, me->media_id);
    else
        snprintf(what, sizeof what, "\"kind\":\"text\",\"text\":\"stream %d %d\"", sender, n);
    sd_cmid(sender, n, cmid, sizeof cmid);
    snprintf(out, size, "{\"to\":%s,\"client_msg_id\":\"%s\",%s}", to, cmid, what);
}

/* Why an acknowledgement does not describe the n-th send of `sender`
 * (NULL when it does); its seq goes to *seq. */
const char *sd_ack_mismatch(const sd_stream_t *st, int sender, int n, json_t *msg, int64_t *seq)
{
    char cmid[32];
    sd_cmid(sender, n, cmid, sizeof cmid);
    const char *got_cmid = json_string_value(json_object_get(msg, "client_msg_id"));
    const char *got_cid = json_string_value(json_object_get(msg, "conversation_id"));
    json_t *got_seq = json_object_get(msg, "seq");
    if (!got_cmid || strcmp(got_cmid, cmid) != 0)
        return "the answer names another client_msg_id";
    if (!got_cid || strcmp(got_cid, sd_send_cid(st, sender, n)) != 0)
        return "the answer names another conversation";
    if (json_integer_value(json_object_get(msg, "sender_id")) != st->members[sender].user.id)
        return "the answer names another sender";
    if (!json_is_integer(got_seq) || json_integer_value(got_seq) < 1)
        return "the answer has no seq";
    *seq = json_integer_value(got_seq);
    return NULL;
}

/* One try of a send; true when it is over (acknowledged or failed for good). */
static bool s_send_try(sd_worker_t *w, int n, const char *body, sd_send_t *rec)
{
    sd_stream_t *st = w->st;
    char what[48];
    snprintf(what, sizeof what, "send sd-%d-%d try %d", w->index, n, rec->attempts + 1);
    h_resp_t r =
        h_http(st->sys, "POST", "/v1/messages", st->members[w->index].user.token, body, NULL);
    rec->attempts++;
    s_outcome_t outcome = s_classify(r.status);
    bool over = outcome != S_RETRY;
    if (outcome == S_DONE) {
        const char *bad = sd_ack_mismatch(st, w->index, n, r.json, &rec->seq);
        if (bad == NULL) {
            rec->done_ms = sd_now_ms();
            w->faults.resend_on_first += rec->attempts == 1 && r.status == 200;
            __atomic_add_fetch(&st->acked, 1, __ATOMIC_SEQ_CST);
        } else {
            s_note_fatal(&w->faults, what, bad);
        }
    } else {
        s_note_failure(&w->faults, what, &r);
        if (outcome == S_FATAL)
            s_note_fatal(&w->faults, what, r.body ? r.body : "");
    }
    h_resp_free(&r);
    return over;
}

/* The n-th send of this sender, retried with the same client_msg_id until
 * it is acknowledged, refused, or past its deadline. */
static void s_send(sd_worker_t *w, int n)
{
    sd_stream_t *st = w->st;
    sd_send_t *rec = &w->sends[n];
    char body[256];
    sd_send_body(st, w->index, n, body, sizeof body);
    rec->first_ms = sd_now_ms();
    int backoff = S_BACKOFF_MIN_MS;
    while (!s_send_try(w, n, body, rec)) {
        if (sd_now_ms() - rec->first_ms > st->cfg.op_deadline_ms) {
            s_note_fatal(&w->faults, "send", "not stored within the deadline");
            break;
        }
        s_sleep_ms(backoff);
        backoff = backoff * 2 > S_BACKOFF_MAX_MS ? S_BACKOFF_MAX_MS : backoff * 2;
    }
    rec->phase = __atomic_load_n(&st->phase, __ATOMIC_SEQ_CST);
}

static void *s_sender_main(void *arg)
{
    sd_worker_t *w = arg;
    const sd_config_t *cfg = &w->st->cfg;
    int interval = cfg->senders * 1000 / cfg->sends_per_s;
    int64_t next = sd_now_ms() + (int64_t)interval * w->index / cfg->senders;
    while (!s_stopping(w->st) && w->nsends < w->st->cap) {
        s_pace(&next, interval);
        s_send(w, w->nsends);
        w->nsends++;
    }
    return NULL;
}

/* ------------------------------------------------------------------ reads */

/* The k-th read of a reader: each service answers one of them at least
 * (the conversation list asks router, auth, group and media at once). */
static void s_read_path(const sd_stream_t *st, const sd_member_t *me, int k, char *out, size_t size)
{
    switch (k % 6) {
    case 0:
        snprintf(out, size, "/v1/users?q=sdu&limit=5");
        break;
    case 1:
        snprintf(out, size, "/v1/groups/%" PRId64, st->group_id);
        break;
    case 2:
        snprintf(out, size, "/v1/me/groups");
        break;
    case 3:
        snprintf(out, size, "/v1/contacts");
        break;
    case 4:
        snprintf(out, size, "/v1/media/%" PRId64, me->media_id);
        break;
    default:
        snprintf(out, size, "/v1/conversations");
        break;
    }
}

/* One read, retried like a send; counted in the phase in which it ends. */
static void s_read(sd_worker_t *w, int k)
{
    sd_stream_t *st = w->st;
    const sd_member_t *me = &st->members[w->index % st->cfg.senders];
    char path[96];
    s_read_path(st, me, k, path, sizeof path);
    int64_t first = sd_now_ms();
    int backoff = S_BACKOFF_MIN_MS;
    for (int attempt = 0;; attempt++) {
        h_resp_t r = h_http(st->sys, "GET", path, me->user.token, NULL, NULL);
        s_outcome_t outcome = s_classify(r.status);
        if (outcome != S_DONE)
            s_note_failure(&w->faults, path, &r);
        if (outcome == S_FATAL)
            s_note_fatal(&w->faults, path, r.body ? r.body : "");
        h_resp_free(&r);
        sd_phase_t *p = &w->phases[__atomic_load_n(&st->phase, __ATOMIC_SEQ_CST)];
        if (outcome == S_DONE) {
            int64_t took = sd_now_ms() - first;
            p->reads++;
            p->read_retries += attempt;
            p->read_stall_ms = took > p->read_stall_ms ? took : p->read_stall_ms;
            return;
        }
        bool late = sd_now_ms() - first > st->cfg.op_deadline_ms;
        if (outcome == S_FATAL || late) {
            if (late)
                s_note_fatal(&w->faults, path, "no 200 within the deadline");
            p->failed++;
            p->read_retries += attempt;
            return;
        }
        s_sleep_ms(backoff);
        backoff = backoff * 2 > S_BACKOFF_MAX_MS ? S_BACKOFF_MAX_MS : backoff * 2;
    }
}

static void *s_reader_main(void *arg)
{
    sd_worker_t *w = arg;
    const sd_config_t *cfg = &w->st->cfg;
    int interval = cfg->readers * 1000 / cfg->reads_per_s;
    int64_t next = sd_now_ms() + (int64_t)interval * w->index / cfg->readers;
    for (int k = w->index; !s_stopping(w->st); k++) {
        s_pace(&next, interval);
        s_read(w, k);
    }
    return NULL;
}

/* ------------------------------------------------------------------ setup */

/* Users paired as friends, the first of them one-way contact of all the
 * others (group members must be the creator's contacts), one group of all,
 * one uploaded image each. */
static void s_populate(sd_stream_t *st)
{
    h_system_t *sys = st->sys;
    int n = st->cfg.senders;
    for (int i = 0; i < n; i++)
        st->members[i].user = ct_user(sys, "sdu");
    for (int i = 0; i < n; i += 2) {
        ct_befriend(sys, &st->members[i].user, &st->members[i + 1].user);
        mc_cid(&st->members[i].user, &st->members[i + 1].user, st->members[i].direct_cid,
               sizeof st->members[i].direct_cid);
        memcpy(st->members[i + 1].direct_cid, st->members[i].direct_cid,
               sizeof st->members[i].direct_cid);
    }
    const ct_user_t *owner = &st->members[0].user;
    size_t count = n > 0 ? (size_t)n : 1; /* n >= 2 (sd_stream_new checks) */
    int64_t *ids = calloc(count, sizeof *ids);
    assert_non_null(ids);
    for (int i = 1; i < n; i++) {
        if (i > 1)
            ct_add_expect(sys, owner, st->members[i].user.id, "one_way", 201, NULL);
        ids[i - 1] = st->members[i].user.id;
    }
    st->group_id = gc_create(sys, owner, "stream", "approval", ids, (size_t)(n - 1));
    free(ids);
    snprintf(st->group_cid, sizeof st->group_cid, "g:%" PRId64, st->group_id);
    for (int i = 0; i < n; i++)
        st->members[i].media_id = md_upload_ok(sys, &st->members[i].user, "image.jpg");
}

sd_stream_t *sd_stream_new(h_system_t *sys, const sd_config_t *cfg)
{
    assert_true(cfg->senders >= 2 && cfg->senders % 2 == 0);
    assert_true(cfg->sends_per_s > 0 && cfg->max_seconds > 0 && cfg->op_deadline_ms > 0);
    assert_true(cfg->readers == 0 || cfg->reads_per_s > 0);
    sd_stream_t *st = calloc(1, sizeof *st);
    assert_non_null(st);
    st->sys = sys;
    st->cfg = *cfg;
    st->cap = cfg->sends_per_s * cfg->max_seconds / cfg->senders + 1;
    st->members = calloc((size_t)cfg->senders, sizeof *st->members);
    st->nworkers = cfg->senders + cfg->readers;
    st->workers = calloc((size_t)st->nworkers, sizeof *st->workers);
    assert_non_null(st->members);
    assert_non_null(st->workers);
    for (int i = 0; i < st->nworkers; i++) {
        sd_worker_t *w = &st->workers[i];
        w->st = st;
        w->reader = i >= cfg->senders;
        w->index = w->reader ? i - cfg->senders : i;
        if (!w->reader) {
            w->sends = calloc((size_t)st->cap, sizeof *w->sends);
            assert_non_null(w->sends);
        }
    }
    s_populate(st);
    return st;
}

void sd_stream_destroy(sd_stream_t **st_p)
{
    sd_stream_t *st = *st_p;
    *st_p = NULL;
    if (!st)
        return;
    sd_stream_stop(st);
    for (int i = 0; i < st->nworkers; i++)
        free(st->workers[i].sends);
    free(st->workers);
    free(st->members);
    free(st);
}

/* ------------------------------------------------------------------ running */

void sd_stream_phase(sd_stream_t *st, const char *name)
{
    assert_true(st->nphases < SD_MAX_PHASES);
    int64_t now = sd_now_ms();
    sd_phase_t *p = &st->phases[st->nphases];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->started_ms = now;
    if (st->nphases > 0)
        st->phases[st->nphases - 1].ended_ms = now;
    st->phase_acked[st->nphases] = __atomic_load_n(&st->acked, __ATOMIC_SEQ_CST);
    __atomic_store_n(&st->phase, st->nphases, __ATOMIC_SEQ_CST);
    st->nphases++;
}

void sd_stream_start(sd_stream_t *st, const char *phase)
{
    sd_stream_phase(st, phase);
    for (int i = 0; i < st->nworkers; i++) {
        sd_worker_t *w = &st->workers[i];
        if (pthread_create(&w->thread, NULL, w->reader ? s_reader_main : s_sender_main, w) != 0) {
            sd_stream_stop(st);
            fail_msg("could not start the stream's thread %d", i);
        }
        w->running = true;
    }
}

typedef struct {
    sd_stream_t *st;
    int64_t until_ms; /* the phase is this old */
    int acked;        /* and st->acked reached this */
} s_run_t;

static bool s_ran_enough(void *arg)
{
    s_run_t *r = arg;
    return sd_now_ms() >= r->until_ms &&
           __atomic_load_n(&r->st->acked, __ATOMIC_SEQ_CST) >= r->acked;
}

int sd_stream_run_for(sd_stream_t *st, int ms, int min_sends)
{
    int cur = st->nphases - 1;
    assert_true(cur >= 0);
    s_run_t r = {st, st->phases[cur].started_ms + ms, st->phase_acked[cur] + min_sends};
    int64_t left = r.until_ms - sd_now_ms();
    if (!h_wait_until(s_ran_enough, &r, (int)(left > 0 ? left : 0) + 30000)) {
        int got = __atomic_load_n(&st->acked, __ATOMIC_SEQ_CST) - st->phase_acked[cur];
        sd_stream_stop(st);
        sd_totals_t t = sd_stream_totals(st);
        fail_msg("phase \"%s\": %d sends acknowledged %lld ms in, not %d (first failure: %s)",
                 st->phases[cur].name, got, (long long)(sd_now_ms() - st->phases[cur].started_ms),
                 min_sends, t.first_failure);
    }
    return __atomic_load_n(&st->acked, __ATOMIC_SEQ_CST) - st->phase_acked[cur];
}

void sd_stream_stop(sd_stream_t *st)
{
    if (st->stopped)
        return;
    __atomic_store_n(&st->stop, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < st->nworkers; i++) {
        if (st->workers[i].running)
            pthread_join(st->workers[i].thread, NULL);
        st->workers[i].running = false;
    }
    if (st->nphases > 0)
        st->phases[st->nphases - 1].ended_ms = sd_now_ms();
    sd_gather(st);
    st->stopped = true;
}
