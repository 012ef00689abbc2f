/* migrate.c - ordered SQL migrations per schema, safe when many copies start at once.
 *
 * A session advisory lock keyed by the schema serialises concurrent
 * migrators: the first applies what is missing, the others wait, then find
 * everything recorded in <schema>.schema_migrations and do nothing. */
#include "migrate.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

/* Migrations may take longer than a request may: index builds, backfills.
 * This bounds them (and the wait for another copy's lock) instead. */
#define S_MIGRATE_TIMEOUT "SET LOCAL statement_timeout = 600000"

/* The tables every schema has, applied before the service's own files. */
static const char s_common_name[] = "000_pigeon_common.sql";
static const char s_common_fmt[] =
    "CREATE TABLE \"%s\".rpc_replies (request_id text PRIMARY KEY, status integer NOT NULL, "
    "error_message text, body bytea, retry_after_s integer, created_at timestamptz NOT NULL "
    "DEFAULT now()); CREATE INDEX ON \"%s\".rpc_replies (created_at);";

/* Schema names are Pigeon's own identifiers ("auth", "msg", ...), but they are
 * spliced into SQL, so hold them to [a-z_] and quote them anyway. */
static bool s_schema_ok(const char *schema)
{
    size_t len = schema ? strlen(schema) : 0;
    if (len == 0 || len > 63)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((schema[i] >= 'a' && schema[i] <= 'z') || schema[i] == '_'))
            return false;
    return true;
}

/* Runs one parameterless statement; PC_OK or the failure's status. */
static pc_status_t s_exec(pc_db_t *db, const char *sql)
{
    pc_status_t status;
    PGresult *res = pc_db_query(db, &status, sql, 0, NULL);
    PQclear(res);
    return status;
}

/* Takes (or releases) the session lock for the schema. Taken inside a short
 * transaction only to give the wait its own statement timeout; a session
 * lock outlives the transaction. */
static pc_status_t s_lock(pc_db_t *db, const char *schema, bool take)
{
    const char *params[] = {schema};
    pc_status_t status;
    if (!take) {
        PGresult *res = pc_db_query(
            db, &status, "SELECT pg_advisory_unlock(hashtext('pigeon.migrate.' || $1))", 1, params);
        PQclear(res);
        return status;
    }
    status = pc_db_begin(db);
    if (status != PC_OK)
        return status;
    status = s_exec(db, S_MIGRATE_TIMEOUT);
    if (status == PC_OK) {
        PGresult *res = pc_db_query(
            db, &status, "SELECT pg_advisory_lock(hashtext('pigeon.migrate.' || $1))", 1, params);
        PQclear(res);
    }
    if (status == PC_OK)
        status = pc_db_commit(db);
    else
        pc_db_rollback(db);
    return status;
}

static pc_status_t s_prepare_schema(pc_db_t *db, const char *schema)
{
    char sql[512];
    pc_status_t status = pc_db_begin(db);
    if (status != PC_OK)
        return status;
    snprintf(sql, sizeof sql, "CREATE SCHEMA IF NOT EXISTS \"%s\"", schema);
    status = s_exec(db, sql);
    if (status == PC_OK) {
        snprintf(sql, sizeof sql,
                 "CREATE TABLE IF NOT EXISTS \"%s\".schema_migrations (name text PRIMARY KEY, "
                 "applied_at timestamptz NOT NULL DEFAULT now())",
                 schema);
        status = s_exec(db, sql);
    }
    if (status == PC_OK)
        status = pc_db_commit(db);
    else
        pc_db_rollback(db);
    return status;
}

/* Applies one file in its own transaction unless it is recorded already.
 * *applied tells the caller which happened. */
static pc_status_t s_apply(pc_db_t *db, const char *schema, const char *name, const char *sql,
                           bool *applied)
{
    char stmt[256];
    const char *params[] = {name};
    PGresult *res = NULL;
    *applied = false;
    pc_status_t status = pc_db_begin(db);
    if (status != PC_OK)
        return status;
    status = s_exec(db, S_MIGRATE_TIMEOUT);
    if (status != PC_OK)
        goto done;
    snprintf(stmt, sizeof stmt, "SET LOCAL search_path TO \"%s\", public", schema);
    if ((status = s_exec(db, stmt)) != PC_OK)
        goto done;
    snprintf(stmt, sizeof stmt, "SELECT 1 FROM \"%s\".schema_migrations WHERE name = $1", schema);
    res = pc_db_query(db, &status, stmt, 1, params);
    if (status != PC_OK)
        goto done;
    bool present = PQntuples(res) > 0;
    PQclear(res);
    res = NULL;
    if (present)
        goto done;

    res = pc_db_exec_script(db, &status, sql);
    if (status != PC_OK) {
        pc_error("could not apply migration \"%s\" to schema \"%s\" (SQLSTATE %s)", name, schema,
                 pc_db_last_sqlstate(db));
        if (status != PC_UNAVAILABLE)
            status = PC_INTERNAL; /* a broken file, not a busy server */
        goto done;
    }
    PQclear(res);
    res = NULL;
    snprintf(stmt, sizeof stmt, "INSERT INTO \"%s\".schema_migrations (name) VALUES ($1)", schema);
    res = pc_db_query(db, &status, stmt, 1, params);
    if (status != PC_OK)
        goto done;
    PQclear(res);
    res = NULL;
    status = pc_db_commit(db);
    if (status == PC_OK) {
        *applied = true;
        pc_info("applied migration \"%s\" to schema \"%s\"", name, schema);
    }
    return status;

done:
    PQclear(res);
    pc_db_rollback(db);
    return status;
}

pc_status_t pc_migrate(pc_db_t *db, const char *schema, const pc_migration_t *list, size_t count)
{
    if (!s_schema_ok(schema)) {
        pc_error("cannot migrate schema \"%s\": a schema name is 1 to 63 of a-z and _",
                 schema ? schema : "(null)");
        return PC_INTERNAL;
    }
    if (!pc_db_ensure(db))
        return PC_UNAVAILABLE;

    bool locked = false;
    size_t applied = 0;
    pc_status_t status = s_lock(db, schema, true);
    if (status != PC_OK)
        goto done;
    locked = true;
    if ((status = s_prepare_schema(db, schema)) != PC_OK)
        goto done;

    char common[512];
    snprintf(common, sizeof common, s_common_fmt, schema, schema);
    bool did = false;
    if ((status = s_apply(db, schema, s_common_name, common, &did)) != PC_OK)
        goto done;
    applied += did;
    for (size_t i = 0; i < count; i++) {
        if ((status = s_apply(db, schema, list[i].name, list[i].sql, &did)) != PC_OK)
            goto done;
        applied += did;
    }
    if (applied == 0)
        pc_debug("schema \"%s\" is up to date", schema);

done:
    /* If the session died the server has released the lock with it. */
    if (locked && pc_db_conn(db) != NULL)
        s_lock(db, schema, false);
    if (status != PC_OK)
        pc_error("could not migrate schema \"%s\": %s", schema, pc_status_code(status));
    return status;
}
