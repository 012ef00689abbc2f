/* ld_pace.h - the open-loop schedule: message i is due at t0 + i / rate.
 * Its latencies count from that moment, so a server that stalls shows it
 * (no coordinated omission). Pure. */
#ifndef PIGEON_LD_PACE_H
#define PIGEON_LD_PACE_H

#include <stdint.h>

/* How many messages are due `elapsed_us` after t0 at `rate` per second:
 * message 0 at once, message i once elapsed >= i / rate. */
uint64_t ld_pace_due(uint64_t elapsed_us, double rate);

/* When message i is due, in µs after t0. */
uint64_t ld_pace_at(uint64_t i, double rate);

#endif
