/* test_migrate.c - migrations against a real PostgreSQL: applied once, in
 * order, idempotent, and safe when several copies start at the same time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "db.h"
#include "harness.h"
#include "log.h"
#include "migrate.h"

static const pc_migration_t s_items[] = {
    {"001_init.sql", "CREATE TABLE mig_items.items (id bigint PRIMARY KEY, name text NOT NULL);"
                     "CREATE INDEX ON mig_items.items (name);"
                     "INSERT INTO mig_items.items VALUES (1, 'first');"},
    /* Unqualified on purpose: search_path points at the schema. */
    {"002_note.sql", "ALTER TABLE items ADD COLUMN note text;"},
};

static pc_db_t *s_open(const char *url)
{
    pc_db_t *db = pc_db_new(url, "pigeon-test-migrate", 10000);
    assert_non_null(db);
    return db;
}

/* The single value of a one-row, one-column query. */
static long s_scalar(pc_db_t *db, const char *sql)
{
    pc_status_t status;
    PGresult *res = pc_db_query(db, &status, sql, 0, NULL);
    if (res == NULL)
        fail_msg("query failed (%d): %s", status, sql);
    assert_int_equal(PQntuples(res), 1);
    long v = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    return v;
}

static void test_migrate_applies_in_order_once(void **state)
{
    char url[512];
    h_db_create(url, sizeof url);
    pc_db_t *db = s_open(url);

    assert_int_equal(pc_migrate(db, "mig_items", s_items, 2), PC_OK);
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM mig_items.schema_migrations"), 3);
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM mig_items.schema_migrations "
                                  "WHERE name IN ('000_pigeon_common.sql', '001_init.sql', "
                                  "'002_note.sql')"),
                     3);
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM mig_items.items WHERE note IS NULL"), 1);

    /* Second run: nothing to do, nothing applied twice. */
    assert_int_equal(pc_migrate(db, "mig_items", s_items, 2), PC_OK);
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM mig_items.schema_migrations"), 3);
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM mig_items.items"), 1);

    /* The common table with the columns rpc_server.c relies on. */
    pc_status_t status;
    PGresult *res = pc_db_query(db, &status,
                                "SELECT request_id, status, error_message, body, retry_after_s, "
                                "created_at FROM mig_items.rpc_replies",
                                0, NULL);
    assert_non_null(res);
    assert_int_equal(PQntuples(res), 0);
    PQclear(res);

    /* No session lock left behind. */
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                  "AND pid = pg_backend_pid()"),
                     0);
    assert_false(pc_db_in_transaction(db));
    pc_db_destroy(&db);
}

typedef struct {
    const char *url;       /* the shared test database */
    pthread_barrier_t *go; /* both threads start migrating together */
    pc_status_t status;    /* what pc_migrate answered */
} s_racer_t;

static const pc_migration_t s_race_list[] = {
    /* Not idempotent by itself: a second application would fail or double the row. */
    {"001_init.sql", "CREATE TABLE mig_race.counter (n integer NOT NULL);"
                     "INSERT INTO mig_race.counter VALUES (1);"},
    {"002_more.sql", "UPDATE mig_race.counter SET n = n + 1;"},
};

static void *s_race(void *arg)
{
    s_racer_t *r = arg;
    pc_db_t *db = pc_db_new(r->url, "pigeon-test-race", 10000);
    r->status = PC_INTERNAL;
    if (db == NULL || !pc_db_ensure(db)) {
        pthread_barrier_wait(r->go);
        pc_db_destroy(&db);
        return NULL;
    }
    pthread_barrier_wait(r->go);
    r->status = pc_migrate(db, "mig_race", s_race_list, 2);
    pc_db_destroy(&db);
    return NULL;
}

static void test_concurrent_migrators_apply_once(void **state)
{
    char url[512];
    h_db_create(url, sizeof url);
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 2);
    s_racer_t racers[2] = {{url, &go, PC_INTERNAL}, {url, &go, PC_INTERNAL}};
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, s_race, &racers[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&go);
    assert_int_equal(racers[0].status, PC_OK);
    assert_int_equal(racers[1].status, PC_OK);

    pc_db_t *db = s_open(url);
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM mig_race.counter"), 1);
    assert_int_equal(s_scalar(db, "SELECT n FROM mig_race.counter"), 2);
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM mig_race.schema_migrations"), 3);
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM information_schema.tables "
                                  "WHERE table_schema = 'mig_race' AND table_name = 'rpc_replies'"),
                     1);
    pc_db_destroy(&db);
}

static void test_failed_file_is_not_recorded(void **state)
{
    char url[512];
    h_db_create(url, sizeof url);
    pc_db_t *db = s_open(url);
    const pc_migration_t broken[] = {
        {"001_ok.sql", "CREATE TABLE mig_bad.a (id integer);"},
        {"002_bad.sql", "CREATE TABLE mig_bad.b (id integer); SELECT * FROM no_such_table;"},
    };
    assert_int_equal(pc_migrate(db, "mig_bad", broken, 2), PC_INTERNAL);
    assert_false(pc_db_in_transaction(db));
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM mig_bad.schema_migrations"), 2);
    /* 002 rolled back whole, including its first statement. */
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM information_schema.tables "
                                  "WHERE table_schema = 'mig_bad' AND table_name = 'b'"),
                     0);

    /* The lock was released: another session migrates a fixed list at once. */
    pc_db_t *other = s_open(url);
    const pc_migration_t fixed[] = {
        {"001_ok.sql", "CREATE TABLE mig_bad.a (id integer);"},
        {"002_bad.sql", "CREATE TABLE mig_bad.b (id integer);"},
    };
    assert_int_equal(pc_migrate(other, "mig_bad", fixed, 2), PC_OK);
    assert_int_equal(s_scalar(other, "SELECT count(*) FROM mig_bad.schema_migrations"), 3);
    pc_db_destroy(&other);
    pc_db_destroy(&db);
}

static void test_bad_schema_name_and_down_database(void **state)
{
    char url[512];
    h_db_create(url, sizeof url);
    pc_db_t *db = s_open(url);
    assert_int_equal(pc_migrate(db, "Bad-Name", NULL, 0), PC_INTERNAL);
    assert_int_equal(pc_migrate(db, "x\"; DROP SCHEMA public; --", NULL, 0), PC_INTERNAL);
    pc_db_destroy(&db);

    /* A port where nothing listens. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    char down[128];
    snprintf(down, sizeof down, "host=127.0.0.1 port=%d dbname=pigeon", ntohs(a.sin_port));
    db = s_open(down);
    assert_int_equal(pc_migrate(db, "mig_items", s_items, 2), PC_UNAVAILABLE);
    pc_db_destroy(&db);
}

int main(void)
{
    pc_log_init("test", "test-migrate", PC_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate_applies_in_order_once),
        cmocka_unit_test(test_concurrent_migrators_apply_once),
        cmocka_unit_test(test_failed_file_is_not_recorded),
        cmocka_unit_test(test_bad_schema_name_and_down_database),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
