/* router_batch.c - the committer thread (see router_batch.h). */
#include "router_batch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"

/* One queued send: on the submitting worker's stack (submit) or on the heap
 * (enqueue, freed by the committer after done). */
typedef struct s_item {
    const router_send_row_t *send; /* what to store (borrowed) */
    size_t arrival;                /* position in the batch, for a stable sort */
    int64_t deadline;              /* pc_mono_ms(); 0: none */
    router_batch_done_fn done;     /* NULL: a waiting worker (submit) */
    void *arg;                     /* done's argument */
    int status;                    /* result: PC_OK or the store's status */
    bool inserted;                 /* false: a duplicate client id */
    int64_t seq;                   /* the message's seq */
    int64_t created_us;            /* its created_at */
    bool finished;                 /* result is final (submit) */
    struct s_item *next;           /* queue link */
} s_item_t;

struct router_batch {
    pthread_mutex_t lock;           /* guards the queue, finished flags and stop */
    pthread_cond_t work;            /* the committer waits for sends */
    pthread_cond_t finished;        /* submitters wait for their results */
    pthread_cond_t room;            /* workers wait for room in the queue */
    s_item_t *head, *tail;          /* the queue */
    size_t queued;                  /* items in it */
    size_t max_queued;              /* ROUTER_BATCH_QUEUE_FACTOR * max_batch */
    bool stop;                      /* set by destroy: drain, then return */
    int max_batch;                  /* sends per transaction at most */
    pc_db_t *db;                    /* the committer's own connection (its thread's) */
    pc_db_t *fresh;                 /* its second one, generic plans: batches of new direct sends */
    pc_publisher_t *publisher;      /* borrowed; NULL: no events */
    pc_pub_sender_t *pub;           /* the committer's sender (its thread's) */
    pc_metrics_t *metrics;          /* batch counters (borrowed) */
    const router_send_row_t **rows; /* max_batch: the direct sends of a batch */
    router_send_result_t *results;  /* max_batch: what the statement said of them */
    pthread_t thread;               /* the committer */
};

static int s_cmp_item(const void *x, const void *y)
{
    const s_item_t *a = *(s_item_t *const *)x, *b = *(s_item_t *const *)y;
    int c = strcmp(a->send->cid, b->send->cid);
    if (c != 0)
        return c;
    return (a->arrival > b->arrival) - (a->arrival < b->arrival);
}

/* One attempt at the whole batch. The direct sends (a prefix: "d:" sorts
 * before "g:") are one statement, which is a transaction of its own when
 * the batch holds nothing else; group sends add their per-send statements
 * (router_store_insert_send) in one transaction with it. *statements counts
 * what was sent, BEGIN and COMMIT included.
 *
 * first: the batch's first attempt. A first attempt at direct sends alone
 * takes them all to be new and runs on the generic-plan connection, which
 * saves planning the statement (about 0.3 ms a batch, close to what running
 * it costs for a few sends); a resend among them fails it with PC_CONFLICT,
 * and the next attempt looks for stored client ids. */
static int s_commit(router_batch_t *b, s_item_t **items, size_t n, bool first,
                    size_t *statements)
{
    size_t ndirect = 0;
    while (ndirect < n && !items[ndirect]->send->is_group)
        ndirect++;
    bool tx = ndirect < n;
    bool fresh = first && !tx;
    int st = PC_OK;
    if (tx) {
        st = pc_db_begin(b->db);
        (*statements)++;
    }
    if (st == PC_OK && ndirect > 0) {
        for (size_t i = 0; i < ndirect; i++)
            b->rows[i] = items[i]->send;
        st = router_store_insert_direct(fresh ? b->fresh : b->db, b->rows, ndirect, fresh,
                                        b->results);
        (*statements)++;
        for (size_t i = 0; st == PC_OK && i < ndirect; i++) {
            items[i]->inserted = b->results[i].inserted;
            items[i]->seq = b->results[i].seq;
            items[i]->created_us = b->results[i].created_us;
        }
    }
    for (size_t i = ndirect; st == PC_OK && i < n; i++) {
        st = router_store_insert_send(b->db, items[i]->send, &items[i]->inserted, &items[i]->seq,
                                      &items[i]->created_us);
        *statements += items[i]->send->has_media ? 6 : 5;
    }
    if (tx && st == PC_OK) {
        st = pc_db_commit(b->db);
        (*statements)++;
    }
    if (tx && st != PC_OK)
        pc_db_rollback(b->db);
    return st;
}

/* Moves the sends whose deadline passed to the end; returns how many are left. */
static size_t s_drop_expired(s_item_t **items, size_t n)
{
    int64_t now = pc_mono_ms();
    size_t keep = 0;
    for (size_t i = 0; i < n; i++) {
        if (items[i]->deadline != 0 && now >= items[i]->deadline) {
            items[i]->status = PC_DEADLINE_EXCEEDED;
            continue;
        }
        s_item_t *t = items[keep];
        items[keep++] = items[i];
        items[i] = t;
    }
    return keep;
}

static void s_count(router_batch_t *b, size_t sends, size_t statements)
{
    if (!b->metrics)
        return;
    pc_metrics_count(b->metrics, "pigeon_router_batches_total", "Transactions the committer made",
                     NULL, 1);
    pc_metrics_count(b->metrics, "pigeon_router_batched_sends_total",
                     "Sends committed (their ratio to batches is the mean batch size)", NULL,
                     (double)sends);
    pc_metrics_count(b->metrics, "pigeon_router_batch_statements_total",
                     "Statements the committer sent, BEGIN and COMMIT included", NULL,
                     (double)statements);
}

static void s_run_batch(router_batch_t *b, s_item_t **items, size_t n)
{
    size_t live = s_drop_expired(items, n);
    qsort(items, live, sizeof *items, s_cmp_item);
    int st = PC_OK;
    size_t statements = 0;
    for (int attempt = 0; live > 0 && attempt < ROUTER_BATCH_ATTEMPTS; attempt++) {
        st = s_commit(b, items, live, attempt == 0, &statements);
        if (st != PC_UNAVAILABLE && st != PC_CONFLICT)
            break;
        /* A conflict at the first attempt is most often a resend (s_commit). */
        pc_log(attempt == 0 && st == PC_CONFLICT ? PC_LOG_DEBUG : PC_LOG_WARN, NULL,
               "could not commit a batch of %zu messages (attempt %d); retrying", live,
               attempt + 1);
    }
    if (st == PC_CONFLICT) /* kept losing to concurrent duplicates: worth a retry later */
        st = PC_UNAVAILABLE;
    pc_debug("committed a batch of %zu sends (status %d)", live, st);
    if (live > 0 && st == PC_OK)
        s_count(b, live, statements);
    for (size_t i = 0; i < live; i++)
        items[i]->status = st;
    /* Deferred sends first, then wake the waiting workers. */
    router_batch_result_t r = {.db = b->db, .pub = b->pub};
    bool waiting = false;
    for (size_t i = 0; i < n; i++) {
        s_item_t *it = items[i];
        if (it->done == NULL) {
            waiting = true;
            continue;
        }
        r.status = it->status;
        r.inserted = it->status == PC_OK && it->inserted;
        r.seq = it->seq;
        r.created_us = it->created_us;
        it->done(it->arg, &r);
        free(it);
        items[i] = NULL;
    }
    if (!waiting)
        return;
    pthread_mutex_lock(&b->lock);
    for (size_t i = 0; i < n; i++)
        if (items[i] != NULL)
            items[i]->finished = true;
    pthread_cond_broadcast(&b->finished);
    pthread_mutex_unlock(&b->lock);
}

static void *s_committer(void *arg)
{
    router_batch_t *b = arg;
    s_item_t **items = calloc((size_t)b->max_batch, sizeof *items);
    if (items == NULL)
        abort(); /* at start, before any send: nothing to lose */
    for (;;) {
        pthread_mutex_lock(&b->lock);
        while (b->head == NULL && !b->stop)
            pthread_cond_wait(&b->work, &b->lock);
        if (b->head == NULL && b->stop) {
            pthread_mutex_unlock(&b->lock);
            break;
        }
        size_t n = 0;
        while (b->head != NULL && n < (size_t)b->max_batch) {
            s_item_t *it = b->head;
            b->head = it->next;
            it->arrival = n;
            items[n++] = it;
        }
        if (b->head == NULL)
            b->tail = NULL;
        b->queued -= n;
        pthread_cond_broadcast(&b->room);
        pthread_mutex_unlock(&b->lock);
        s_run_batch(b, items, n);
    }
    free(items);
    pc_pub_sender_destroy(&b->pub);
    pc_db_destroy(&b->fresh);
    pc_db_destroy(&b->db);
    return NULL;
}

router_batch_t *router_batch_new(const char *db_url, int db_timeout_ms, int max_batch,
                                 pc_metrics_t *metrics, pc_publisher_t *publisher)
{
    router_batch_t *b = calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->work, NULL);
    pthread_cond_init(&b->finished, NULL);
    pthread_cond_init(&b->room, NULL);
    b->max_batch = max_batch > 0 ? max_batch : 1;
    b->max_queued = (size_t)b->max_batch * ROUTER_BATCH_QUEUE_FACTOR;
    b->metrics = metrics;
    b->publisher = publisher;
    /* Made here, used only by the committer thread from its start on. */
    b->db = pc_db_new(db_url, "router-committer", db_timeout_ms);
    b->fresh = pc_db_new(db_url, "router-committer-new", db_timeout_ms);
    if (b->fresh != NULL)
        pc_db_use_generic_plans(b->fresh);
    if (b->db != NULL && publisher != NULL)
        b->pub = pc_pub_sender_new(publisher);
    b->rows = calloc((size_t)b->max_batch, sizeof *b->rows);
    b->results = calloc((size_t)b->max_batch, sizeof *b->results);
    if (b->db == NULL || b->fresh == NULL || (publisher != NULL && b->pub == NULL) ||
        b->rows == NULL ||
        b->results == NULL || pthread_create(&b->thread, NULL, s_committer, b) != 0) {
        free(b->rows);
        free(b->results);
        pc_pub_sender_destroy(&b->pub);
        pc_db_destroy(&b->fresh);
        pc_db_destroy(&b->db);
        pthread_cond_destroy(&b->room);
        pthread_cond_destroy(&b->finished);
        pthread_cond_destroy(&b->work);
        pthread_mutex_destroy(&b->lock);
        free(b);
        return NULL;
    }
    return b;
}

void router_batch_destroy(router_batch_t **bp)
{
    if (bp == NULL || *bp == NULL)
        return;
    router_batch_t *b = *bp;
    pthread_mutex_lock(&b->lock);
    b->stop = true;
    pthread_cond_signal(&b->work);
    pthread_mutex_unlock(&b->lock);
    pthread_join(b->thread, NULL);
    free(b->rows);
    free(b->results);
    pthread_cond_destroy(&b->room);
    pthread_cond_destroy(&b->finished);
    pthread_cond_destroy(&b->work);
    pthread_mutex_destroy(&b->lock);
    free(b);
    *bp = NULL;
}

/* Appends it, waiting for room when `wait`; with the lock held. */
static void s_append(router_batch_t *b, s_item_t *it, bool wait)
{
    while (wait && b->queued >= b->max_queued && !b->stop)
        pthread_cond_wait(&b->room, &b->lock);
    if (b->tail)
        b->tail->next = it;
    else
        b->head = it;
    b->tail = it;
    b->queued++;
    pthread_cond_signal(&b->work);
}

static void s_enqueue(router_batch_t *b, const router_send_row_t *s, int64_t deadline_ms,
                      router_batch_done_fn done, void *arg, bool wait)
{
    s_item_t *it = calloc(1, sizeof *it);
    if (it == NULL) {
        router_batch_result_t r = {.status = PC_UNAVAILABLE};
        done(arg, &r);
        return;
    }
    it->send = s;
    it->deadline = deadline_ms;
    it->done = done;
    it->arg = arg;
    pthread_mutex_lock(&b->lock);
    s_append(b, it, wait);
    pthread_mutex_unlock(&b->lock);
}

void router_batch_enqueue(router_batch_t *b, const router_send_row_t *s, int64_t deadline_ms,
                          router_batch_done_fn done, void *arg)
{
    s_enqueue(b, s, deadline_ms, done, arg, true);
}

bool router_batch_has_room(router_batch_t *b)
{
    pthread_mutex_lock(&b->lock);
    bool room = b->queued < b->max_queued && !b->stop;
    pthread_mutex_unlock(&b->lock);
    return room;
}

void router_batch_enqueue_nowait(router_batch_t *b, const router_send_row_t *s, int64_t deadline_ms,
                                 router_batch_done_fn done, void *arg)
{
    s_enqueue(b, s, deadline_ms, done, arg, false);
}

int router_batch_submit(router_batch_t *b, const router_send_row_t *s, bool *inserted, int64_t *seq,
                        int64_t *created_us)
{
    s_item_t it = {.send = s};
    pthread_mutex_lock(&b->lock);
    s_append(b, &it, true);
    /* No deadline here: the committer always finishes a batch, bounded by
     * the statement timeout of each statement and ROUTER_BATCH_ATTEMPTS. */
    while (!it.finished)
        pthread_cond_wait(&b->finished, &b->lock);
    pthread_mutex_unlock(&b->lock);
    *inserted = it.inserted;
    *seq = it.seq;
    *created_us = it.created_us;
    return it.status;
}
