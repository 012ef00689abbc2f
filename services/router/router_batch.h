/* router_batch.h - group commit of sends.
 *
 * Worker threads hand their sends to one committer thread over a queue
 * (mutex + condition variables) and wait. The committer takes everything
 * queued, up to max_batch, and stores it in ONE transaction on its own
 * PostgreSQL connection: one fsync for the lot instead of one per message.
 * Each waiting worker is woken with its own result only after COMMIT, so a
 * send is acknowledged only once it is durable.
 *
 * Within a batch sends are applied sorted by conversation id (arrival order
 * kept within a conversation), so two router processes lock conversation
 * rows in the same order and cannot deadlock each other; a batch that still
 * fails with a retryable status (deadlock, serialization, lost connection)
 * is retried whole, at most ROUTER_BATCH_ATTEMPTS times. A duplicate
 * (sender, client_msg_id) takes no seq and is reported as not inserted: the
 * worker then answers it as a resend. */
#ifndef PIGEON_ROUTER_BATCH_H
#define PIGEON_ROUTER_BATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "metrics.h"
#include "router_store.h"

#define ROUTER_BATCH_ATTEMPTS 3

typedef struct router_batch router_batch_t;

/* Starts the committer thread with its own connection. NULL on failure. */
router_batch_t *router_batch_new(const char *db_url, int db_timeout_ms, int max_batch,
                                 pc_metrics_t *metrics);
/* Commits what is queued, then stops the thread. */
void router_batch_destroy(router_batch_t **b);

/* Blocks until the send is committed (PC_OK: *inserted, *seq, *created_us
 * set) or failed (the store's status; nothing was stored). */
int router_batch_submit(router_batch_t *b, const router_send_row_t *s, bool *inserted, int64_t *seq,
                        int64_t *created_us);

#endif
