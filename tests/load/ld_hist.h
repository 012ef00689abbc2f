/* ld_hist.h - log-linear latency histogram (HdrHistogram-like), pure.
 *
 * Values (microseconds in pigeon-load, but any unit) below 128 have a
 * bucket each; above, every power of two is cut into 64 equal buckets, so a
 * reported percentile is within 1/64 (1.6 %) of the true value. The whole
 * 64-bit range fits in LD_HIST_BUCKETS counters (30 KiB); recording is
 * O(1), a percentile O(buckets). min, max, count and sum are exact. */
#ifndef PIGEON_LD_HIST_H
#define PIGEON_LD_HIST_H

#include <stdint.h>

#define LD_HIST_SUB 64 /* buckets per power of two */
#define LD_HIST_BUCKETS (2 * LD_HIST_SUB + 57 * LD_HIST_SUB)

typedef struct {
    uint64_t counts[LD_HIST_BUCKETS]; /* recorded values per bucket */
    uint64_t count;                   /* values recorded */
    uint64_t min;                     /* smallest value (UINT64_MAX when empty) */
    uint64_t max;                     /* largest value */
    double sum;                       /* for the mean */
} ld_hist_t;

void ld_hist_init(ld_hist_t *h);
void ld_hist_record(ld_hist_t *h, uint64_t v);
/* Adds every value of src to dst. */
void ld_hist_merge(ld_hist_t *dst, const ld_hist_t *src);
/* The value at percentile p (0..100): the upper end of the bucket that holds
 * it, clamped to [min, max]. 0 when empty. */
uint64_t ld_hist_percentile(const ld_hist_t *h, double p);
double ld_hist_mean(const ld_hist_t *h);

/* Bucket index of v, and the smallest / largest value of a bucket (exposed
 * for the unit test). */
int ld_hist_index(uint64_t v);
uint64_t ld_hist_lowest(int idx);
uint64_t ld_hist_highest(int idx);

#endif
