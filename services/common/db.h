/* db.h - one PostgreSQL connection owned by one thread.
 *
 * Connects lazily and reconnects with capped exponential backoff (100 ms ..
 * 5 s) after the server goes away; while it is down every query answers
 * PC_UNAVAILABLE at once instead of blocking. Every session gets
 * statement_timeout and application_name. Parameterized queries only. */
#ifndef PIGEON_DB_H
#define PIGEON_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "status.h"

typedef struct pc_db pc_db_t;

/* Never fails for a bad server (that shows at the first query); NULL only on OOM. */
pc_db_t *pc_db_new(const char *conninfo, const char *application_name, int statement_timeout_ms);
void pc_db_destroy(pc_db_t **db);

/* Optional: count failed queries and connection attempts in m as
 * pigeon_db_errors_total{class="<first two SQLSTATE characters>"} (class
 * "08" for connections that fail or are lost). m may be NULL; it must
 * outlive db. */
void pc_db_set_metrics(pc_db_t *db, pc_metrics_t *m);

/* Prepared statements of this connection keep one generic plan
 * (plan_cache_mode force_generic_plan) instead of being planned at every
 * execution, which is the default. Planning a large statement costs more
 * than running it for a few rows (0.3 ms against 0.4 ms for the router's
 * five-send batch), but a generic plan made while a table was small keeps
 * its small-table joins when the table grows: use it only for connections
 * whose statements reach every table through a unique index. Call before
 * the first query. */
void pc_db_use_generic_plans(pc_db_t *db);

/* Connects now if needed (respecting the backoff). True when usable. */
bool pc_db_ensure(pc_db_t *db);

/* Runs one statement with text parameters (NULL entry = SQL NULL).
 * Returns the result (PGRES_TUPLES_OK / PGRES_COMMAND_OK; caller PQclear()s)
 * or NULL with *status set:
 *   connection lost/down -> PC_UNAVAILABLE (the connection is reset for later),
 *   23505 unique_violation -> PC_CONFLICT, 57014 query_canceled -> PC_DEADLINE_EXCEEDED,
 *   40001/40P01 serialization/deadlock -> PC_UNAVAILABLE, anything else -> PC_INTERNAL
 * and the error logged (without parameter values). */
PGresult *pc_db_query(pc_db_t *db, pc_status_t *status, const char *sql, int nparams,
                      const char *const *values);

/* Like pc_db_query with per-parameter lengths and formats (1 = binary, for
 * bytea) and a result format (0 text, 1 binary). */
PGresult *pc_db_query_bin(pc_db_t *db, pc_status_t *status, const char *sql, int nparams,
                          const char *const *values, const int *lengths, const int *formats,
                          int result_format);

/* Like pc_db_query for a statement run often: prepared once per session
 * under `name` (a string constant naming this sql, the caller's to keep
 * unique) and executed by name after that, so the server parses and plans
 * it once per connection, not per call. A reconnect forgets what was
 * prepared and the next call prepares it again. At most 16 names per
 * connection; past that it runs unprepared. */
PGresult *pc_db_query_prepared(pc_db_t *db, pc_status_t *status, const char *name, const char *sql,
                               int nparams, const char *const *values);

/* Runs a trusted script of one or more statements (simple query protocol,
 * no parameters): for Pigeon's own SQL such as migrations, never for anything
 * holding client input. Result and *status as for pc_db_query; the result is
 * the last statement's. */
PGresult *pc_db_exec_script(pc_db_t *db, pc_status_t *status, const char *sql);

/* Like pc_db_query for a statement whose rows are not needed: PC_OK, or
 * the status pc_db_query set. */
pc_status_t pc_db_exec(pc_db_t *db, const char *sql, int nparams, const char *const *values);

/* pc_db_exec of an INSERT, UPDATE or DELETE that also tells how many rows
 * it touched (*rows; 0 unless PC_OK). */
pc_status_t pc_db_exec_rows(pc_db_t *db, const char *sql, int nparams, const char *const *values,
                            long *rows);

/* An int64 as a text parameter: room for any value in decimal, sign and NUL. */
typedef struct {
    char s[24]; /* the digits */
} pc_db_num_t;
pc_db_num_t pc_db_num(int64_t v);

/* An int8 column of a text-format result (0 for SQL NULL). */
int64_t pc_db_i64(const PGresult *res, int row, int col);

/* malloc'd copy of a text column, NULL for SQL NULL; *oom set when a copy failed. */
char *pc_db_text(const PGresult *res, int row, int col, bool *oom);

/* "{1,2,3}": ids as a bigint[] literal parameter; malloc'd, NULL on OOM. O(n). */
char *pc_db_int8_array(const int64_t *ids, size_t n);

/* Strings as a text[] literal parameter, e.g. {"a",NULL,"b\"c"}: NULL
 * entries become SQL NULL, every other element is quoted with '"' and '\'
 * escaped. Also for int8[] (and other arrays) whose elements are passed as
 * decimal text. malloc'd, NULL on OOM. O(total length). */
char *pc_db_text_array(const char *const *v, size_t n);

/* The SQLSTATE of the last failed query on this connection ("" if none). */
const char *pc_db_last_sqlstate(const pc_db_t *db);

/* BEGIN / COMMIT / ROLLBACK. pc_db_rollback is safe to call when no
 * transaction is open. */
pc_status_t pc_db_begin(pc_db_t *db);
pc_status_t pc_db_commit(pc_db_t *db);
void pc_db_rollback(pc_db_t *db);
bool pc_db_in_transaction(const pc_db_t *db);

/* The raw connection for what this API does not cover (NULL while down). */
PGconn *pc_db_conn(pc_db_t *db);

#endif
