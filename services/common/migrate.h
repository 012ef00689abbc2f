/* migrate.h - ordered SQL migrations per schema, safe when many copies start at once.
 *
 * Each service embeds its services/<svc>/sql/NNN_name.sql files (see
 * cmake/pigeon.cmake). pc_migrate takes a session advisory lock for the
 * schema, creates the schema and <schema>.schema_migrations if needed, and
 * applies the missing files in name order, each in its own transaction.
 * Before the service's own files it applies the common tables every schema
 * has: <schema>.rpc_replies (idempotent write replies, see rpc_server.h).
 *
 * Each file runs with `SET LOCAL search_path TO <schema>, public`, so an
 * unqualified name lands in the schema; files should still qualify every
 * name (auth.users), which keeps them readable on their own and safe to run
 * by hand. A file must not hold BEGIN/COMMIT: pc_migrate wraps it, together
 * with its schema_migrations row, in one transaction. Statements may run up
 * to 10 minutes. Returns PC_OK, PC_UNAVAILABLE when the database cannot be
 * reached, or PC_INTERNAL when a file fails (logged with its name). */
#ifndef PIGEON_MIGRATE_H
#define PIGEON_MIGRATE_H

#include <stddef.h>

#include "db.h"

typedef struct {
    const char *name; /* "001_init.sql" */
    const char *sql;  /* the whole file; may hold several statements */
} pc_migration_t;

pc_status_t pc_migrate(pc_db_t *db, const char *schema, const pc_migration_t *list, size_t count);

#endif
