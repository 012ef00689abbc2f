/* db.c - one PostgreSQL connection owned by one thread.
 *
 * States: no connection (conn NULL) with a next-attempt time, or a
 * connection believed healthy. A query that finds the connection broken
 * drops it and starts the backoff (100 ms doubling to 5 s); until the next
 * attempt is due every call answers PC_UNAVAILABLE without touching the
 * network, so a worker never piles up behind a dead server. */
#include "db.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"

#define S_BACKOFF_MIN_MS 100
#define S_BACKOFF_MAX_MS 5000
#define S_PREPARED_MAX 16 /* named statements remembered per session */

struct pc_db {
    char *conninfo;        /* libpq conninfo or URI; may hold a password: never logged */
    char *app_name;        /* application_name of every session */
    int timeout_ms;        /* statement_timeout of every session */
    PGconn *conn;          /* NULL while down */
    int64_t next_try_ms;   /* pc_mono_ms() before which no connect is attempted */
    int backoff_ms;        /* current delay; 0 after a success */
    bool down_logged;      /* the current outage has been reported once */
    bool in_tx;            /* pc_db_begin ran and no commit/rollback yet */
    bool tx_lost;          /* the connection died inside that transaction */
    char sqlstate[6];      /* of the last failed query, "" if none */
    pc_metrics_t *metrics; /* borrowed; may be NULL */
    const char *prepared[S_PREPARED_MAX]; /* names prepared on this session (borrowed) */
    int nprepared;                        /* entries in prepared; 0 after every (re)connect */
    bool generic_plans;                   /* pc_db_use_generic_plans */
};

void pc_db_use_generic_plans(pc_db_t *db)
{
    if (db != NULL)
        db->generic_plans = true;
}

void pc_db_set_metrics(pc_db_t *db, pc_metrics_t *m)
{
    if (db != NULL)
        db->metrics = m;
}

/* pigeon_db_errors_total by SQLSTATE class: one series per class keeps the
 * label set small (a few dozen classes at most). */
static void s_count_error(pc_db_t *db, const char *sqlstate)
{
    if (db->metrics == NULL)
        return;
    char labels[32];
    snprintf(labels, sizeof labels, "class=\"%.2s\"", sqlstate[0] ? sqlstate : "08");
    pc_metrics_count(db->metrics, "pigeon_db_errors_total",
                     "Failed PostgreSQL queries and connection attempts by SQLSTATE class", labels,
                     1);
}

pc_db_t *pc_db_new(const char *conninfo, const char *application_name, int statement_timeout_ms)
{
    pc_db_t *db = calloc(1, sizeof *db);
    if (db == NULL)
        return NULL;
    db->conninfo = strdup(conninfo ? conninfo : "");
    db->app_name = strdup(application_name ? application_name : "pigeon");
    if (db->conninfo == NULL || db->app_name == NULL) {
        pc_db_destroy(&db);
        return NULL;
    }
    db->timeout_ms = statement_timeout_ms > 0 ? statement_timeout_ms : 0;
    return db;
}

void pc_db_destroy(pc_db_t **dbp)
{
    if (dbp == NULL || *dbp == NULL)
        return;
    pc_db_t *db = *dbp;
    if (db->conn != NULL)
        PQfinish(db->conn);
    free(db->conninfo);
    free(db->app_name);
    free(db);
    *dbp = NULL;
}

/* First line of a libpq message, for a one-line log entry. */
static void s_first_line(const char *msg, char *out, size_t size)
{
    snprintf(out, size, "%s", msg ? msg : "");
    out[strcspn(out, "\r\n")] = '\0';
}

/* Drops the connection and schedules the next attempt. */
static void s_drop(pc_db_t *db)
{
    db->nprepared = 0; /* prepared statements die with their session */
    if (db->conn != NULL) {
        PQfinish(db->conn);
        db->conn = NULL;
    }
    if (db->in_tx)
        db->tx_lost = true;
    if (db->backoff_ms == 0)
        db->backoff_ms = S_BACKOFF_MIN_MS;
    else if (db->backoff_ms < S_BACKOFF_MAX_MS)
        db->backoff_ms =
            db->backoff_ms * 2 > S_BACKOFF_MAX_MS ? S_BACKOFF_MAX_MS : db->backoff_ms * 2;
    db->next_try_ms = pc_mono_ms() + db->backoff_ms;
}

/* Server notices (NOTICE, WARNING) would otherwise go to stderr as plain
 * text, breaking the one-JSON-object-a-line log. */
static void s_notice(void *arg, const PGresult *res)
{
    const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    bool warning = severity != NULL && strcmp(severity, "WARNING") == 0;
    pc_log(warning ? PC_LOG_WARN : PC_LOG_DEBUG, NULL, "database %s: %s",
           warning ? "warning" : "notice", msg ? msg : "");
}

static bool s_connect(pc_db_t *db)
{
    /* Keywords are applied in order: connect_timeout and client_encoding are
     * defaults the conninfo may override; application_name is always ours. */
    const char *const keys[] = {"connect_timeout", "client_encoding", "dbname", "application_name",
                                NULL};
    const char *const vals[] = {"3", "UTF8", db->conninfo, db->app_name, NULL};
    char line[256];
    db->conn = PQconnectdbParams(keys, vals, 1);
    if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
        s_first_line(db->conn ? PQerrorMessage(db->conn) : "out of memory", line, sizeof line);
        /* Every attempt of an outage would repeat the same line: report the
         * first, then only at debug level. */
        pc_log(db->down_logged ? PC_LOG_DEBUG : PC_LOG_WARN, NULL,
               "could not connect to database: %s", line);
        db->down_logged = true;
        s_count_error(db, "08001"); /* sqlclient_unable_to_establish_sqlconnection */
        s_drop(db);
        return false;
    }
    PQsetNoticeReceiver(db->conn, s_notice, db);
    /* Prepared statements (pc_db_query_prepared) are planned at every
     * execution with its own parameters, unless the connection asked for
     * generic plans (db.h): a generic plan made while a table was nearly
     * empty kept scanning msg.client_ids whole once it held 50,000 rows
     * (send latency grew from 1 ms to 800 ms within minutes;
     * docs/BENCHMARKS.md). Parsing is still saved. */
    char sql[128];
    snprintf(sql, sizeof sql, "SET statement_timeout = %d; SET plan_cache_mode = %s",
             db->timeout_ms, db->generic_plans ? "force_generic_plan" : "force_custom_plan");
    PGresult *res = PQexec(db->conn, sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) {
        s_first_line(PQresultErrorMessage(res), line, sizeof line);
        pc_warn("could not set the session's settings: %s", line);
    }
    PQclear(res);
    if (!ok) {
        s_drop(db);
        return false;
    }
    if (db->down_logged)
        pc_info("connected to database again");
    db->down_logged = false;
    db->backoff_ms = 0;
    return true;
}

bool pc_db_ensure(pc_db_t *db)
{
    if (db->conn != NULL) {
        if (PQstatus(db->conn) == CONNECTION_OK)
            return true;
        s_drop(db);
    }
    if (pc_mono_ms() < db->next_try_ms)
        return false;
    return s_connect(db);
}

/* Errors after which the session cannot be trusted: connection exceptions
 * (class 08) and the server shutting down or starting up (57P01..57P03). */
static bool s_session_gone(const char *state)
{
    return strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
           strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0;
}

static pc_status_t s_map_sqlstate(const char *state)
{
    if (strcmp(state, "23505") == 0)
        return PC_CONFLICT;
    if (strcmp(state, "57014") == 0)
        return PC_DEADLINE_EXCEEDED;
    /* Retryable by the caller: serialization failure, deadlock, and the
     * server being short of connections or memory (class 53). */
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strncmp(state, "53", 2) == 0)
        return PC_UNAVAILABLE;
    return PC_INTERNAL;
}

/* Turns a failed result (or NULL) into a status, logs it, and drops the
 * connection when it is no longer usable. Clears res. */
static pc_status_t s_fail(pc_db_t *db, PGresult *res, const char *sql)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    snprintf(db->sqlstate, sizeof db->sqlstate, "%s", state ? state : "");
    bool gone = PQstatus(db->conn) != CONNECTION_OK || s_session_gone(db->sqlstate);
    if (gone && db->sqlstate[0] == '\0')
        snprintf(db->sqlstate, sizeof db->sqlstate, "08006"); /* connection_failure */
    pc_status_t status = gone ? PC_UNAVAILABLE : s_map_sqlstate(db->sqlstate);

    char line[256];
    /* Data exceptions (class 22) quote the offending value in their message,
     * and values may be private: name only the SQLSTATE then. */
    if (strncmp(db->sqlstate, "22", 2) == 0)
        snprintf(line, sizeof line, "invalid data");
    else
        s_first_line(res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
                         : PQerrorMessage(db->conn),
                     line, sizeof line);
    if (line[0] == '\0')
        s_first_line(PQerrorMessage(db->conn), line, sizeof line);
    /* A lost race is routine; timeouts and outages are the world's fault;
     * anything else is likely a bug in the statement. */
    pc_log_level_t level = status == PC_CONFLICT   ? PC_LOG_DEBUG
                           : status == PC_INTERNAL ? PC_LOG_ERROR
                                                   : PC_LOG_WARN;
    pc_log(level, NULL, "query failed (SQLSTATE %s): %s; statement: %.80s",
           db->sqlstate[0] ? db->sqlstate : "-", line, sql);
    s_count_error(db, db->sqlstate);
    PQclear(res);
    if (gone) {
        db->down_logged = true; /* this line reported the outage */
        s_drop(db);
    }
    return status;
}

/* Checks whether a statement may run now; sets *status when not. */
static bool s_ready(pc_db_t *db, pc_status_t *status)
{
    /* A transaction whose connection died is gone with it: refuse its later
     * statements until the caller rolls back, rather than run them outside
     * any transaction on a new session. */
    if (db->tx_lost || !pc_db_ensure(db)) {
        snprintf(db->sqlstate, sizeof db->sqlstate, "08006");
        *status = PC_UNAVAILABLE;
        return false;
    }
    return true;
}

PGresult *pc_db_query_bin(pc_db_t *db, pc_status_t *status, const char *sql, int nparams,
                          const char *const *values, const int *lengths, const int *formats,
                          int result_format)
{
    pc_status_t dummy;
    if (status == NULL)
        status = &dummy;
    if (!s_ready(db, status))
        return NULL;
    PGresult *res =
        PQexecParams(db->conn, sql, nparams, NULL, values, lengths, formats, result_format);
    ExecStatusType st = PQresultStatus(res);
    if (res != NULL && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)) {
        db->sqlstate[0] = '\0';
        *status = PC_OK;
        return res;
    }
    *status = s_fail(db, res, sql);
    return NULL;
}

static bool s_is_prepared(const pc_db_t *db, const char *name)
{
    for (int i = 0; i < db->nprepared; i++)
        if (strcmp(db->prepared[i], name) == 0)
            return true;
    return false;
}

PGresult *pc_db_query_prepared(pc_db_t *db, pc_status_t *status, const char *name, const char *sql,
                               int nparams, const char *const *values)
{
    pc_status_t dummy;
    if (status == NULL)
        status = &dummy;
    if (!s_ready(db, status))
        return NULL;
    if (!s_is_prepared(db, name)) {
        if (db->nprepared == S_PREPARED_MAX) /* not expected: fall back to one-shot */
            return pc_db_query(db, status, sql, nparams, values);
        PGresult *res = PQprepare(db->conn, name, sql, nparams, NULL);
        if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
            *status = s_fail(db, res, sql);
            return NULL;
        }
        PQclear(res);
        db->prepared[db->nprepared++] = name;
    }
    PGresult *res = PQexecPrepared(db->conn, name, nparams, values, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (res != NULL && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)) {
        db->sqlstate[0] = '\0';
        *status = PC_OK;
        return res;
    }
    *status = s_fail(db, res, sql);
    return NULL;
}

PGresult *pc_db_query(pc_db_t *db, pc_status_t *status, const char *sql, int nparams,
                      const char *const *values)
{
    return pc_db_query_bin(db, status, sql, nparams, values, NULL, NULL, 0);
}

PGresult *pc_db_exec_script(pc_db_t *db, pc_status_t *status, const char *sql)
{
    pc_status_t dummy;
    if (status == NULL)
        status = &dummy;
    if (!s_ready(db, status))
        return NULL;
    /* PQexec returns the last statement's result, or the first error. */
    PGresult *res = PQexec(db->conn, sql);
    ExecStatusType st = PQresultStatus(res);
    if (res != NULL && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)) {
        db->sqlstate[0] = '\0';
        *status = PC_OK;
        return res;
    }
    *status = s_fail(db, res, sql);
    return NULL;
}

const char *pc_db_last_sqlstate(const pc_db_t *db)
{
    return db->sqlstate;
}

pc_status_t pc_db_exec(pc_db_t *db, const char *sql, int nparams, const char *const *values)
{
    long rows;
    return pc_db_exec_rows(db, sql, nparams, values, &rows);
}

pc_status_t pc_db_exec_rows(pc_db_t *db, const char *sql, int nparams, const char *const *values,
                            long *rows)
{
    pc_status_t st;
    *rows = 0;
    PGresult *res = pc_db_query(db, &st, sql, nparams, values);
    if (res == NULL)
        return st;
    *rows = strtol(PQcmdTuples(res), NULL, 10); /* "" for a statement that counts none: 0 */
    PQclear(res);
    return PC_OK;
}

pc_db_num_t pc_db_num(int64_t v)
{
    pc_db_num_t n;
    snprintf(n.s, sizeof n.s, "%" PRId64, v);
    return n;
}

int64_t pc_db_i64(const PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

char *pc_db_text(const PGresult *res, int row, int col, bool *oom)
{
    if (PQgetisnull(res, row, col))
        return NULL;
    char *s = strdup(PQgetvalue(res, row, col));
    if (s == NULL)
        *oom = true;
    return s;
}

char *pc_db_int8_array(const int64_t *ids, size_t n)
{
    size_t cap = 2 + n * 21 + 1; /* 20 characters and a comma per id */
    char *s = malloc(cap);
    if (s == NULL)
        return NULL;
    size_t at = 0;
    s[at++] = '{';
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(s + at, cap - at, "%s%" PRId64, i ? "," : "", ids[i]);
    snprintf(s + at, cap - at, "}");
    return s;
}

char *pc_db_text_array(const char *const *v, size_t n)
{
    size_t cap = 3; /* braces and NUL */
    for (size_t i = 0; i < n; i++)
        cap += v[i] ? 2 * strlen(v[i]) + 3 : 5; /* every byte escaped, quotes, comma; NULL, */
    char *s = malloc(cap);
    if (s == NULL)
        return NULL;
    char *at = s;
    *at++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *at++ = ',';
        if (v[i] == NULL) {
            memcpy(at, "NULL", 4);
            at += 4;
            continue;
        }
        *at++ = '"';
        for (const char *c = v[i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                *at++ = '\\';
            *at++ = *c;
        }
        *at++ = '"';
    }
    *at++ = '}';
    *at = '\0';
    return s;
}

pc_status_t pc_db_begin(pc_db_t *db)
{
    pc_status_t status;
    PGresult *res = pc_db_query(db, &status, "BEGIN", 0, NULL);
    PQclear(res);
    if (status == PC_OK) {
        db->in_tx = true;
        db->tx_lost = false;
    }
    return status;
}

pc_status_t pc_db_commit(pc_db_t *db)
{
    pc_status_t status;
    if (db->conn != NULL && PQtransactionStatus(db->conn) == PQTRANS_INERROR) {
        /* COMMIT of an aborted transaction "succeeds" as a ROLLBACK: an
         * earlier statement failed and the caller went on regardless. */
        pc_error("cannot commit: an earlier statement of the transaction failed");
        pc_db_rollback(db);
        return PC_INTERNAL;
    }
    PGresult *res = pc_db_query(db, &status, "COMMIT", 0, NULL);
    PQclear(res);
    db->in_tx = false;
    db->tx_lost = false;
    return status;
}

void pc_db_rollback(pc_db_t *db)
{
    if (db == NULL)
        return;
    db->in_tx = false;
    db->tx_lost = false;
    if (db->conn == NULL)
        return;
    if (PQstatus(db->conn) != CONNECTION_OK) {
        s_drop(db);
        return;
    }
    if (PQtransactionStatus(db->conn) == PQTRANS_IDLE)
        return;
    PGresult *res = PQexec(db->conn, "ROLLBACK");
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    /* A session that cannot even roll back is not safe to reuse. */
    if (!ok || PQtransactionStatus(db->conn) != PQTRANS_IDLE)
        s_drop(db);
}

bool pc_db_in_transaction(const pc_db_t *db)
{
    if (db->in_tx)
        return true;
    if (db->conn == NULL)
        return false;
    PGTransactionStatusType ts = PQtransactionStatus(db->conn);
    return ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR || ts == PQTRANS_ACTIVE;
}

PGconn *pc_db_conn(pc_db_t *db)
{
    return pc_db_ensure(db) ? db->conn : NULL;
}
