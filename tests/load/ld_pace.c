/* ld_pace.c - the open-loop schedule (see ld_pace.h). */
#include "ld_pace.h"

uint64_t ld_pace_due(uint64_t elapsed_us, double rate)
{
    if (rate <= 0)
        return 0;
    return (uint64_t)((double)elapsed_us * rate / 1e6) + 1;
}

uint64_t ld_pace_at(uint64_t i, double rate)
{
    return rate > 0 ? (uint64_t)((double)i * 1e6 / rate) : 0;
}
