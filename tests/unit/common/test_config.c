/* test_config.c - PIGEON_* settings: defaults, overrides, and one clear line per error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

static const char *const s_vars[] = {
    "PIGEON_INSTANCE_ID",
    "PIGEON_DB_URL",
    "PIGEON_BIND_ADDR",
    "PIGEON_ADVERTISE_HOST",
    "PIGEON_RPC_PORT",
    "PIGEON_PUB_PORT",
    "PIGEON_ADMIN_PORT",
    "PIGEON_WORKERS",
    "PIGEON_DB_STATEMENT_TIMEOUT_MS",
    "PIGEON_RPC_DEADLINE_MS",
    "PIGEON_REGISTRY_INTERVAL_MS",
    "PIGEON_REGISTRY_TTL_MS",
    "PIGEON_SHUTDOWN_GRACE_MS",
    "PIGEON_LOG_LEVEL",
    "PIGEON_TEST_INT",
    "PIGEON_TEST_BOOL",
    "PIGEON_TEST_STR",
};

/* Every test starts from an environment without Pigeon settings. */
static int s_clean_env(void **state)
{
    for (size_t i = 0; i < sizeof s_vars / sizeof s_vars[0]; i++)
        unsetenv(s_vars[i]);
    return 0;
}

static void test_service_config_from_environment(void **state)
{
    setenv("PIGEON_DB_URL", "host=db port=5433 dbname=pigeon", 1);
    setenv("PIGEON_WORKERS", "4", 1);
    setenv("PIGEON_RPC_PORT", "7001", 1);
    setenv("PIGEON_LOG_LEVEL", "debug", 1);
    setenv("PIGEON_INSTANCE_ID", "auth-1", 1);

    pc_config_t cfg;
    char err[256] = "";
    assert_int_equal(pc_config_load(&cfg, "auth", err, sizeof err), 0);
    assert_string_equal(cfg.service, "auth");
    assert_string_equal(cfg.instance_id, "auth-1");
    assert_string_equal(cfg.db_url, "host=db port=5433 dbname=pigeon");
    assert_int_equal(cfg.workers, 4);
    assert_int_equal(cfg.rpc_port, 7001);
    assert_int_equal(cfg.log_level, PC_LOG_DEBUG);
    pc_config_clear(&cfg);
    assert_null(cfg.db_url);
}

static void test_defaults(void **state)
{
    pc_config_t cfg;
    char err[256] = "";
    assert_int_equal(pc_config_load(&cfg, "router", err, sizeof err), 0);
    assert_string_equal(cfg.db_url, "host=127.0.0.1 port=55432 dbname=pigeon user=pigeon");
    assert_string_equal(cfg.bind_addr, "127.0.0.1");
    assert_string_equal(cfg.advertise_host, "127.0.0.1");
    assert_int_equal(cfg.rpc_port, 0);
    assert_int_equal(cfg.pub_port, 0);
    assert_int_equal(cfg.admin_port, 0);
    assert_int_equal(cfg.workers, 8);
    assert_int_equal(cfg.db_timeout_ms, 5000);
    assert_int_equal(cfg.rpc_deadline_ms, 5000);
    assert_int_equal(cfg.registry_interval_ms, 1000);
    assert_int_equal(cfg.registry_ttl_ms, 5000);
    assert_int_equal(cfg.shutdown_grace_ms, 10000);
    assert_int_equal(cfg.log_level, PC_LOG_INFO);

    /* "<hostname>-<pid>" */
    char suffix[32];
    snprintf(suffix, sizeof suffix, "-%ld", (long)getpid());
    size_t len = strlen(cfg.instance_id);
    assert_true(len > strlen(suffix));
    assert_string_equal(cfg.instance_id + len - strlen(suffix), suffix);
    pc_config_clear(&cfg);
}

static void test_wildcard_bind_advertises_host_name(void **state)
{
    setenv("PIGEON_BIND_ADDR", "0.0.0.0", 1);
    pc_config_t cfg;
    char err[256] = "";
    assert_int_equal(pc_config_load(&cfg, "auth", err, sizeof err), 0);
    char host[256];
    assert_int_equal(gethostname(host, sizeof host), 0);
    assert_string_equal(cfg.advertise_host, host);
    pc_config_clear(&cfg);

    setenv("PIGEON_ADVERTISE_HOST", "auth.pigeon.svc", 1);
    assert_int_equal(pc_config_load(&cfg, "auth", err, sizeof err), 0);
    assert_string_equal(cfg.advertise_host, "auth.pigeon.svc");
    pc_config_clear(&cfg);
}

/* Loads with one variable set and expects an error naming it. */
static void s_expect_error(const char *name, const char *value, const char *expected)
{
    s_clean_env(NULL);
    setenv(name, value, 1);
    pc_config_t cfg;
    char err[256] = "";
    assert_int_equal(pc_config_load(&cfg, "auth", err, sizeof err), -1);
    assert_non_null(strstr(err, name));
    if (expected != NULL)
        assert_string_equal(err, expected);
    assert_null(cfg.db_url); /* nothing left allocated */
}

static void test_bad_values_name_the_variable(void **state)
{
    s_expect_error("PIGEON_WORKERS", "x",
                   "PIGEON_WORKERS must be an integer from 1 to 256, not \"x\"");
    s_expect_error("PIGEON_WORKERS", "0", NULL);
    s_expect_error("PIGEON_WORKERS", "257", NULL);
    s_expect_error("PIGEON_WORKERS", "8 ", NULL);
    s_expect_error("PIGEON_WORKERS", " 8", NULL);
    s_expect_error("PIGEON_WORKERS", "+8", NULL);
    s_expect_error("PIGEON_WORKERS", "0x8", NULL);
    s_expect_error("PIGEON_RPC_PORT", "65536", NULL);
    s_expect_error("PIGEON_PUB_PORT", "-1", NULL);
    s_expect_error("PIGEON_ADMIN_PORT", "99999999999999999999999", NULL);
    s_expect_error("PIGEON_DB_STATEMENT_TIMEOUT_MS", "0", NULL);
    s_expect_error("PIGEON_RPC_DEADLINE_MS", "1.5", NULL);
    s_expect_error("PIGEON_SHUTDOWN_GRACE_MS", "-5", NULL);
    s_expect_error("PIGEON_LOG_LEVEL", "verbose",
                   "PIGEON_LOG_LEVEL must be one of debug, info, warn, error, not \"verbose\"");
    s_expect_error("PIGEON_INSTANCE_ID", "has space", NULL);
    s_expect_error("PIGEON_BIND_ADDR", "127.0.0.1 evil", NULL);
}

static void test_ttl_must_exceed_interval(void **state)
{
    setenv("PIGEON_REGISTRY_INTERVAL_MS", "2000", 1);
    setenv("PIGEON_REGISTRY_TTL_MS", "2000", 1);
    pc_config_t cfg;
    char err[256] = "";
    assert_int_equal(pc_config_load(&cfg, "auth", err, sizeof err), -1);
    assert_non_null(strstr(err, "PIGEON_REGISTRY_TTL_MS"));
}

static void test_edges_are_accepted(void **state)
{
    setenv("PIGEON_RPC_PORT", "65535", 1);
    setenv("PIGEON_WORKERS", "256", 1);
    setenv("PIGEON_SHUTDOWN_GRACE_MS", "0", 1);
    setenv("PIGEON_PUB_PORT", "", 1); /* empty = unset */
    pc_config_t cfg;
    char err[256] = "";
    assert_int_equal(pc_config_load(&cfg, "auth", err, sizeof err), 0);
    assert_int_equal(cfg.rpc_port, 65535);
    assert_int_equal(cfg.workers, 256);
    assert_int_equal(cfg.shutdown_grace_ms, 0);
    assert_int_equal(cfg.pub_port, 0);
    pc_config_clear(&cfg);
}

static void test_env_helpers(void **state)
{
    char err[256] = "";
    long n = 0;
    assert_int_equal(pc_env_int("PIGEON_TEST_INT", 20, 1, 50, &n, err, sizeof err), 0);
    assert_int_equal(n, 20);
    setenv("PIGEON_TEST_INT", "-3", 1);
    assert_int_equal(pc_env_int("PIGEON_TEST_INT", 20, -5, 50, &n, err, sizeof err), 0);
    assert_int_equal(n, -3);
    setenv("PIGEON_TEST_INT", "51", 1);
    assert_int_equal(pc_env_int("PIGEON_TEST_INT", 20, 1, 50, &n, err, sizeof err), -1);
    assert_string_equal(err, "PIGEON_TEST_INT must be an integer from 1 to 50, not \"51\"");

    bool b = false;
    assert_int_equal(pc_env_bool("PIGEON_TEST_BOOL", true, &b, err, sizeof err), 0);
    assert_true(b);
    setenv("PIGEON_TEST_BOOL", "off", 1);
    assert_int_equal(pc_env_bool("PIGEON_TEST_BOOL", true, &b, err, sizeof err), 0);
    assert_false(b);
    setenv("PIGEON_TEST_BOOL", "TRUE", 1);
    assert_int_equal(pc_env_bool("PIGEON_TEST_BOOL", false, &b, err, sizeof err), 0);
    assert_true(b);
    setenv("PIGEON_TEST_BOOL", "maybe", 1);
    assert_int_equal(pc_env_bool("PIGEON_TEST_BOOL", false, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "PIGEON_TEST_BOOL"));

    char *s = NULL;
    assert_int_equal(pc_env_str("PIGEON_TEST_STR", NULL, &s, err, sizeof err), 0);
    assert_null(s);
    assert_int_equal(pc_env_str("PIGEON_TEST_STR", "fallback", &s, err, sizeof err), 0);
    assert_string_equal(s, "fallback");
    free(s);
    setenv("PIGEON_TEST_STR", "value", 1);
    assert_int_equal(pc_env_str("PIGEON_TEST_STR", "fallback", &s, err, sizeof err), 0);
    assert_string_equal(s, "value");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_service_config_from_environment, s_clean_env),
        cmocka_unit_test_setup(test_defaults, s_clean_env),
        cmocka_unit_test_setup(test_wildcard_bind_advertises_host_name, s_clean_env),
        cmocka_unit_test_setup(test_bad_values_name_the_variable, s_clean_env),
        cmocka_unit_test_setup(test_ttl_must_exceed_interval, s_clean_env),
        cmocka_unit_test_setup(test_edges_are_accepted, s_clean_env),
        cmocka_unit_test_setup(test_env_helpers, s_clean_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
