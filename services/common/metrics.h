/* metrics.h - counters, gauges and latency histograms in Prometheus text format.
 *
 * One pc_metrics_t per process, shared by its threads (a mutex guards the
 * table; fine for the few hundred series a process has). Series are created
 * on first use: name plus a label string such as `method="auth.login",status="200"`. */
#ifndef PIGEON_METRICS_H
#define PIGEON_METRICS_H

#include <stdint.h>

typedef struct pc_metrics pc_metrics_t;

pc_metrics_t *pc_metrics_new(const char *service);
void pc_metrics_destroy(pc_metrics_t **m);

/* `help` is used the first time the name is seen; labels may be NULL or "". */
void pc_metrics_count(pc_metrics_t *m, const char *name, const char *help, const char *labels, uint64_t n);
void pc_metrics_gauge(pc_metrics_t *m, const char *name, const char *help, const char *labels, double value);
/* Latency histogram in seconds, fixed log buckets from 100 us to 10 s. */
void pc_metrics_observe(pc_metrics_t *m, const char *name, const char *help, const char *labels, double seconds);

/* The whole exposition text; the caller frees it. */
char *pc_metrics_render(pc_metrics_t *m);

#endif
