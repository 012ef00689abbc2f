/* harness_internal.h - what the harness's files share (not for tests). */
#ifndef PIGEON_HARNESS_INTERNAL_H
#define PIGEON_HARNESS_INTERNAL_H

#include <stdint.h>

/* CLOCK_MONOTONIC in ms. */
int64_t hi_now_ms(void);
/* Sleeps ms, resuming after signals. */
void hi_sleep_ms(int ms);
/* 64 random bits (for unique names). */
uint64_t hi_random_u64(void);
/* A wait status as a shell would report it: the exit code, or 128 + signal. */
int hi_exit_code(int status);

#endif
