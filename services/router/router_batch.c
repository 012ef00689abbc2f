/* router_batch.c - the committer thread (see router_batch.h). */
#include "router_batch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* One queued send, on the submitting worker's stack. */
typedef struct s_item {
    const router_send_row_t *send; /* what to store (borrowed) */
    size_t arrival;                /* position in the batch, for a stable sort */
    int status;                    /* result: PC_OK or the store's status */
    bool inserted;                 /* false: a duplicate client id */
    int64_t seq;                   /* the message's seq */
    int64_t created_us;            /* its created_at */
    bool done;                     /* result is final */
    struct s_item *next;           /* queue link */
} s_item_t;

struct router_batch {
    pthread_mutex_t lock;    /* guards the queue, done flags and stop */
    pthread_cond_t work;     /* the committer waits for sends */
    pthread_cond_t finished; /* workers wait for their results */
    s_item_t *head, *tail;   /* the queue */
    bool stop;               /* set by destroy: drain, then return */
    int max_batch;           /* sends per transaction at most */
    pc_db_t *db;             /* the committer's own connection */
    pc_metrics_t *metrics;   /* batch counters (borrowed) */
    pthread_t thread;        /* the committer */
};

static int s_cmp_item(const void *x, const void *y)
{
    const s_item_t *a = *(s_item_t *const *)x, *b = *(s_item_t *const *)y;
    int c = strcmp(a->send->cid, b->send->cid);
    if (c != 0)
        return c;
    return (a->arrival > b->arrival) - (a->arrival < b->arrival);
}

/* One attempt at the whole batch in one transaction. */
static int s_commit(router_batch_t *b, s_item_t **items, size_t n)
{
    int st = pc_db_begin(b->db);
    for (size_t i = 0; st == PC_OK && i < n; i++)
        st = router_store_insert_send(b->db, items[i]->send, &items[i]->inserted, &items[i]->seq,
                                      &items[i]->created_us);
    if (st == PC_OK)
        st = pc_db_commit(b->db);
    if (st != PC_OK)
        pc_db_rollback(b->db);
    return st;
}

static void s_run_batch(router_batch_t *b, s_item_t **items, size_t n)
{
    qsort(items, n, sizeof *items, s_cmp_item);
    int st = PC_UNAVAILABLE;
    for (int attempt = 0; attempt < ROUTER_BATCH_ATTEMPTS; attempt++) {
        st = s_commit(b, items, n);
        if (st != PC_UNAVAILABLE)
            break;
        pc_warn("could not commit a batch of %zu messages (attempt %d); retrying", n, attempt + 1);
    }
    pc_debug("committed a batch of %zu sends (status %d)", n, st);
    if (b->metrics && st == PC_OK) {
        pc_metrics_count(b->metrics, "pigeon_router_batches_total",
                         "Transactions the committer made", NULL, 1);
        pc_metrics_count(b->metrics, "pigeon_router_batched_sends_total",
                         "Sends committed (their ratio to batches is the mean batch size)", NULL,
                         n);
    }
    pthread_mutex_lock(&b->lock);
    for (size_t i = 0; i < n; i++) {
        items[i]->status = st;
        items[i]->done = true;
    }
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
        pthread_mutex_unlock(&b->lock);
        s_run_batch(b, items, n);
    }
    free(items);
    return NULL;
}

router_batch_t *router_batch_new(const char *db_url, int db_timeout_ms, int max_batch,
                                 pc_metrics_t *metrics)
{
    router_batch_t *b = calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->work, NULL);
    pthread_cond_init(&b->finished, NULL);
    b->max_batch = max_batch > 0 ? max_batch : 1;
    b->metrics = metrics;
    b->db = pc_db_new(db_url, "router-committer", db_timeout_ms);
    if (b->db == NULL || pthread_create(&b->thread, NULL, s_committer, b) != 0) {
        pc_db_destroy(&b->db);
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
    pc_db_destroy(&b->db);
    pthread_cond_destroy(&b->finished);
    pthread_cond_destroy(&b->work);
    pthread_mutex_destroy(&b->lock);
    free(b);
    *bp = NULL;
}

int router_batch_submit(router_batch_t *b, const router_send_row_t *s, bool *inserted, int64_t *seq,
                        int64_t *created_us)
{
    s_item_t it = {.send = s};
    pthread_mutex_lock(&b->lock);
    if (b->tail)
        b->tail->next = &it;
    else
        b->head = &it;
    b->tail = &it;
    pthread_cond_signal(&b->work);
    /* No deadline here: the committer always finishes a batch, bounded by
     * the statement timeout of each statement and ROUTER_BATCH_ATTEMPTS. */
    while (!it.done)
        pthread_cond_wait(&b->finished, &b->lock);
    pthread_mutex_unlock(&b->lock);
    *inserted = it.inserted;
    *seq = it.seq;
    *created_us = it.created_us;
    return it.status;
}
