/* bigram.h - code point bigrams of short text, for substring search in any script.
 *
 * PostgreSQL's pg_trgm cannot use its index for a pattern shorter than three
 * characters, and two-character words are common in Chinese ("篮球"). So a
 * searchable name is indexed by its code point bigrams in a side table, and a
 * query of two or more characters is answered by the rows holding all of its
 * bigrams, then verified with a substring test (docs/search.md).
 *
 * Both the stored names and the queries go through pc_bigram_fold, so
 * matching is case-insensitive for the scripts it folds, and identical on
 * both sides. Pure, no I/O, no locale: the result never depends on the
 * process's or the database's settings. Used by pigeon-group (group names)
 * and pigeon-auth (nicknames). */
#ifndef PIGEON_BIGRAM_H
#define PIGEON_BIGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Separator of the grams in pc_bigram_grams' result: a control character,
 * which validated names and queries never contain (pc_utf8_text_ok), so the
 * store can split the list with string_to_array($1, chr(31)). */
#define PC_BIGRAM_SEP '\x1f'

/* A lower-cased copy of valid UTF-8 `s` (simple one-to-one case folding of
 * Latin - ASCII, Latin-1, Latin Extended-A and Additional - Greek, Cyrillic
 * and full-width Latin; other code points are kept). The caller frees it.
 * NULL when `s` is NULL or not valid UTF-8, or on OOM. */
char *pc_bigram_fold(const char *s);

/* The distinct grams of folded text, in first-seen order, joined by
 * PC_BIGRAM_SEP: every window of two adjacent code points and, with
 * `with_tail`, the last code point alone (stored names carry it so that a
 * one-character query finds a character wherever it stands: as the first
 * code point of a bigram, or as the tail). "ab" -> "ab"; with the tail
 * "ab","b". A one-character text without the tail has no gram ("").
 * *count gets the number of grams. The caller frees the result; NULL on OOM
 * or invalid UTF-8. */
char *pc_bigram_grams(const char *folded, bool with_tail, size_t *count);

/* For a query of exactly one code point `c` (valid UTF-8): writes into `out`
 * the string holding the next code point after c, the exclusive upper bound
 * of the byte-wise ("C" collation) range of grams that start with c. False
 * when c is not one code point, is U+10FFFF, or out is too small (5 bytes
 * always suffice). */
bool pc_bigram_prefix_end(const char *c, char *out, size_t size);

/* Which grams of a long query to intersect: the intersection costs the rows
 * of every gram it reads, so only the rarest few are worth it and the
 * substring test drops the false matches. Given each gram's row count (in
 * query order, counts capped), writes into picked the indexes of at most
 * `max` grams, rarest first; only the first when its count is below
 * `alone_below` (probing its rows costs less than narrowing them). Among
 * equal counts (common grams all reach the cap) it takes those farthest
 * from the ones already picked: neighbours ("sm", "mi", "it") mostly come
 * together, distant ones filter. Returns how many were picked, 0 when some
 * gram has no row at all (nothing can match). */
#define PC_BIGRAM_PICK_MAX_GRAMS 64 /* grams after the first 64 of a query are not considered */
size_t pc_bigram_pick(const int64_t *counts, size_t n, size_t max, int64_t alone_below,
                      size_t *picked);

#endif
