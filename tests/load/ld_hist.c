/* ld_hist.c - log-linear latency histogram (see ld_hist.h). */
#include "ld_hist.h"

#include <string.h>

void ld_hist_init(ld_hist_t *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

int ld_hist_index(uint64_t v)
{
    if (v < 2 * LD_HIST_SUB)
        return (int)v;
    int msb = 63 - __builtin_clzll(v); /* >= 7 */
    int shift = msb - 6;               /* keeps the top 7 bits: 64..127 */
    return 2 * LD_HIST_SUB + (shift - 1) * LD_HIST_SUB + (int)((v >> shift) - LD_HIST_SUB);
}

uint64_t ld_hist_lowest(int idx)
{
    if (idx < 2 * LD_HIST_SUB)
        return (uint64_t)idx;
    int k = idx - 2 * LD_HIST_SUB;
    int shift = k / LD_HIST_SUB + 1;
    return (uint64_t)(k % LD_HIST_SUB + LD_HIST_SUB) << shift;
}

uint64_t ld_hist_highest(int idx)
{
    if (idx < 2 * LD_HIST_SUB)
        return (uint64_t)idx;
    int shift = (idx - 2 * LD_HIST_SUB) / LD_HIST_SUB + 1;
    return ld_hist_lowest(idx) + (((uint64_t)1 << shift) - 1);
}

void ld_hist_record(ld_hist_t *h, uint64_t v)
{
    h->counts[ld_hist_index(v)]++;
    h->count++;
    h->sum += (double)v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

void ld_hist_merge(ld_hist_t *dst, const ld_hist_t *src)
{
    for (int i = 0; i < LD_HIST_BUCKETS; i++)
        dst->counts[i] += src->counts[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t ld_hist_percentile(const ld_hist_t *h, double p)
{
    if (h->count == 0)
        return 0;
    if (p <= 0)
        return h->min;
    if (p >= 100)
        return h->max;
    /* The rank of the value asked for, 1-based: ceil(p% of count). */
    uint64_t rank = (uint64_t)((p / 100.0) * (double)h->count + 0.9999999);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (int i = 0; i < LD_HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t v = ld_hist_highest(i);
            if (v > h->max)
                v = h->max;
            if (v < h->min)
                v = h->min;
            return v;
        }
    }
    return h->max;
}

double ld_hist_mean(const ld_hist_t *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}
