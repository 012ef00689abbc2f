/* router_batch.h - group commit of sends.
 *
 * Worker threads hand their sends to one committer thread over a queue
 * (mutex + condition variables). The committer takes everything queued, up
 * to max_batch, and stores it in ONE transaction on its own PostgreSQL
 * connection: one fsync for the lot instead of one per message. A send's
 * result is known only after COMMIT, so it is acknowledged only once it is
 * durable.
 *
 * Two ways to wait for it:
 *  - router_batch_enqueue (direct sends): the worker does not wait at all.
 *    The committer calls the send's `done` function after the batch ended,
 *    on its own thread, with its connection and publisher sender; that
 *    function publishes the events and answers the deferred RPC call
 *    (pc_deferred_reply). So a batch is as large as the sends in flight,
 *    not as the worker pool.
 *  - router_batch_submit (a group send whose membership the router has not
 *    applied yet, which may need the worker's connection and clients again
 *    after a refusal): blocks until done. Other group sends are enqueued.
 * The queue is bounded (ROUTER_BATCH_QUEUE_FACTOR batches): a worker that
 * finds it full waits, which pushes back through the RPC broker. The RPC
 * broker's own thread (msg.send's fast handler) must never wait: it checks
 * router_batch_has_room first and declines to a worker when it is full.
 *
 * Within a batch sends are applied sorted by conversation id (arrival order
 * kept within a conversation), so two router processes lock conversation
 * rows in the same order and cannot deadlock each other; a batch that still
 * fails with a retryable status (deadlock, serialization, lost connection,
 * or a unique violation from a concurrent duplicate in another process) is
 * retried whole, at most ROUTER_BATCH_ATTEMPTS times (the first attempt of
 * direct sends may be spent on finding a resend, below).
 *
 * A batch of direct sends alone is first tried on a second connection that
 * keeps a generic plan of its statement, as if none were a resend: planning
 * it at every execution cost about as much as running it for the five sends
 * a batch holds at 5,000 messages/s. A resend among them fails that attempt
 * with a unique violation, and the retry (on the first connection, planned
 * per execution) looks for stored client ids. A duplicate (sender,
 * client_msg_id) takes no seq and is reported as not inserted: its owner
 * then answers it as a resend. A send whose deadline passed while queued is
 * not stored and answered PC_DEADLINE_EXCEEDED: its caller has given up or
 * retried elsewhere with the same client_msg_id, which the unique key keeps
 * single. */
#ifndef PIGEON_ROUTER_BATCH_H
#define PIGEON_ROUTER_BATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "metrics.h"
#include "pubsub.h"
#include "router_store.h"

#define ROUTER_BATCH_ATTEMPTS 4
/* Sends queued at most, in batches of max_batch. */
#define ROUTER_BATCH_QUEUE_FACTOR 4

typedef struct router_batch router_batch_t;

/* What a deferred send learns after its batch, on the committer thread. */
typedef struct {
    int status;           /* PC_OK, PC_DEADLINE_EXCEEDED (not tried) or the store's status */
    bool inserted;        /* PC_OK and false: (sender, client_msg_id) was stored before */
    int64_t seq;          /* the message's seq, when inserted */
    int64_t created_us;   /* its created_at, when inserted */
    pc_db_t *db;          /* the committer's connection (autocommit), for a resend lookup */
    pc_pub_sender_t *pub; /* the committer's publisher sender; NULL: events are dropped */
} router_batch_result_t;

/* Called exactly once per enqueued send; must not block for long (it runs
 * between two batches). */
typedef void (*router_batch_done_fn)(void *arg, const router_batch_result_t *r);

/* Starts the committer thread with its own connection and, when publisher
 * is not NULL, its own publisher sender. NULL on failure. */
router_batch_t *router_batch_new(const char *db_url, int db_timeout_ms, int max_batch,
                                 pc_metrics_t *metrics, pc_publisher_t *publisher);
/* Commits what is queued (every done function runs), then stops the thread. */
void router_batch_destroy(router_batch_t **b);

/* Queues a send; done(arg, ...) runs after its batch. s must stay valid
 * until then (the usual owner is arg). deadline_ms: pc_mono_ms() after
 * which it is not stored, 0 for none. Waits while the queue is full. */
void router_batch_enqueue(router_batch_t *b, const router_send_row_t *s, int64_t deadline_ms,
                          router_batch_done_fn done, void *arg);

/* True when the queue has room now. Only a hint for other threads, which
 * may fill it meanwhile. */
bool router_batch_has_room(router_batch_t *b);
/* router_batch_enqueue without waiting: queued even when the queue is full.
 * For the one thread that must not wait (the RPC broker), after
 * router_batch_has_room said yes, so the queue exceeds its bound by one
 * send at most. */
void router_batch_enqueue_nowait(router_batch_t *b, const router_send_row_t *s, int64_t deadline_ms,
                                 router_batch_done_fn done, void *arg);

/* Blocks until the send is committed (PC_OK: *inserted, *seq, *created_us
 * set) or failed (the store's status; nothing was stored). */
int router_batch_submit(router_batch_t *b, const router_send_row_t *s, bool *inserted, int64_t *seq,
                        int64_t *created_us);

#endif
