/* bigram_store.h - choosing the grams a substring search intersects, from
 * the row counts of a service's gram table (docs/search.md).
 *
 * A gram table has a text column `gram` (collation "C") leading its primary
 * key: auth.nickname_grams, grp.name_grams. Counting a gram is an
 * index-only scan stopped at PC_BIGRAM_COUNT_CAP rows, so a common gram
 * costs a bounded read. */
#ifndef PIGEON_BIGRAM_STORE_H
#define PIGEON_BIGRAM_STORE_H

#include <stddef.h>

#include "db.h"
#include "status.h"

/* A query's candidates come from at most this many of its grams. */
#define PC_BIGRAM_INTERSECT 3
/* Gram counts stop here: enough to tell rare from common. */
#define PC_BIGRAM_COUNT_CAP 10000
/* A gram this rare is used alone. */
#define PC_BIGRAM_RARE_ENOUGH 1000

/* Into out (PC_BIGRAM_SEP-joined), the grams of `grams` (n of them, as
 * pc_bigram_grams joins them) to intersect, chosen by pc_bigram_pick from
 * their counts in `table` (a constant of the caller, never user input).
 * *n_out 0 and out "" when some gram has no row: nothing can match. */
pc_status_t pc_bigram_rarest(pc_db_t *db, const char *table, const char *grams, size_t n, char *out,
                             size_t size, size_t *n_out);

#endif
