/* test_nickname_backfill.c - users written before nickname search keys
 * existed (003_nickname_grams.sql leaves their nickname_key NULL) are found
 * by search at once, through the ILIKE fallback, and get their key and
 * grams from pigeon-auth after it starts (auth_search.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_helpers.h"
#include "harness.h"

#define S_WAIT_MS 30000

typedef struct {
    h_system_t *sys;
    const char *token;
    const char *query;    /* GET /v1/users?q= (escaped) */
    const char *username; /* expected in the answer */
} s_find_t;

/* The search answers 200 and lists the user. */
static bool s_found(void *arg)
{
    s_find_t *f = arg;
    char path[256];
    snprintf(path, sizeof path, "/v1/users?q=%s&limit=50", f->query);
    h_resp_t r = h_http(f->sys, "GET", path, f->token, NULL, NULL);
    bool ok = r.status == 200 && r.body && strstr(r.body, f->username) != NULL;
    h_resp_free(&r);
    return ok;
}

static void s_expect_found(h_system_t *sys, const char *token, const char *q, const char *username)
{
    char *e = h_escape(q);
    s_find_t f = {sys, token, e, username};
    bool ok = h_wait_until(s_found, &f, S_WAIT_MS);
    free(e);
    if (!ok)
        fail_msg("q=%s did not find %s", q, username);
}

/* One value of a one-row query, as text ("" when no row). */
static void s_sql_value(PGconn *db, const char *sql, const char *param, char *out, size_t size)
{
    const char *params[1] = {param};
    PGresult *res = PQexecParams(db, sql, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(db));
    snprintf(out, size, "%s", PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
}

typedef struct {
    PGconn *db;
    const char *id;
} s_keyed_t;

static bool s_keyed(void *arg)
{
    s_keyed_t *k = arg;
    char grams[32];
    s_sql_value(k->db,
                "SELECT count(*) FROM auth.nickname_grams n JOIN auth.users u ON u.id = n.user_id"
                " WHERE u.id = $1::int8 AND u.nickname_key IS NOT NULL",
                k->id, grams, sizeof grams);
    return strcmp(grams, "5") == 0; /* 篮球 球爱 爱好 好者 者 */
}

static void test_old_users_are_found_then_backfilled(void **state)
{
    (void)state;
    static const char *const services[] = {"auth", NULL};
    h_system_t sys;
    char name[40], token[128], id[24], got[64];
    int64_t uid = 0;
    h_system_start(&sys, services, NULL);
    h_unique_name("hoop", name, sizeof name);
    h_register(&sys, name, "篮球爱好者", token, &uid);
    snprintf(id, sizeof id, "%" PRId64, uid);

    /* Make the row look like one written before 003_nickname_grams.sql. */
    PGconn *db = PQconnectdb(sys.db_url);
    assert_int_equal(PQstatus(db), CONNECTION_OK);
    s_sql_value(db, "UPDATE auth.users SET nickname_key = NULL WHERE id = $1::int8", id, got,
                sizeof got);
    s_sql_value(db, "DELETE FROM auth.nickname_grams WHERE user_id = $1::int8", id, got,
                sizeof got);
    s_expect_found(&sys, token, "爱好", name); /* the ILIKE fallback */

    /* A restarted pigeon-auth backfills it. */
    h_proc_kill(h_system_proc(&sys, "auth"));
    h_system_restart_service(&sys, "auth");
    s_keyed_t k = {db, id};
    if (!h_wait_until(s_keyed, &k, S_WAIT_MS))
        fail_msg("pigeon-auth did not backfill the nickname key within %d ms", S_WAIT_MS);
    s_sql_value(db, "SELECT nickname_key FROM auth.users WHERE id = $1::int8", id, got,
                sizeof got);
    assert_string_equal(got, "篮球爱好者");
    s_expect_found(&sys, token, "好者", name);
    s_expect_found(&sys, token, "篮", name);
    PQfinish(db);
    h_system_stop(&sys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_old_users_are_found_then_backfilled),
    };
    return h_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
