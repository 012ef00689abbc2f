/* clock.h - wall and monotonic time, and RFC 3339 formatting. */
#ifndef PIGEON_CLOCK_H
#define PIGEON_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Microseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t pc_now_us(void);

/* Milliseconds on CLOCK_MONOTONIC: for deadlines and durations. */
int64_t pc_mono_ms(void);

/* "2026-11-25T20:39:03.123Z" (UTC, millisecond precision). buf >= 32 bytes. */
void pc_time_rfc3339(int64_t us, char *buf, size_t size);

#endif
