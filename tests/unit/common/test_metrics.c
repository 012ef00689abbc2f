/* test_metrics.c - counters, gauges and histograms rendered as Prometheus text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* True when `line` appears as a whole line of text. */
static bool s_has_line(const char *text, const char *line)
{
    size_t len = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
        bool starts = p == text || p[-1] == '\n';
        if (starts && p[len] == '\n')
            return true;
    }
    return false;
}

static size_t s_count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void test_rpc_counters_and_latency(void **state)
{
    pc_metrics_t *m = pc_metrics_new("auth");
    assert_non_null(m);
    pc_metrics_count(m, "rpc_requests_total", "RPC requests handled.",
                     "method=\"auth.login\",status=\"200\"", 1);
    pc_metrics_count(m, "rpc_requests_total", "ignored", "method=\"auth.login\",status=\"200\"", 2);
    pc_metrics_count(m, "rpc_requests_total", NULL, "method=\"auth.login\",status=\"401\"", 1);
    pc_metrics_observe(m, "rpc_seconds", "RPC latency.", "method=\"auth.login\"", 0.0003);
    pc_metrics_observe(m, "rpc_seconds", NULL, "method=\"auth.login\"", 0.002);
    pc_metrics_observe(m, "rpc_seconds", NULL, "method=\"auth.login\"", 42);

    char *text = pc_metrics_render(m);
    assert_non_null(text);
    assert_true(s_has_line(text, "# HELP pigeon_rpc_requests_total RPC requests handled."));
    assert_true(s_has_line(text, "# TYPE pigeon_rpc_requests_total counter"));
    assert_true(
        s_has_line(text, "pigeon_rpc_requests_total{method=\"auth.login\",status=\"200\"} 3"));
    assert_true(
        s_has_line(text, "pigeon_rpc_requests_total{method=\"auth.login\",status=\"401\"} 1"));
    assert_int_equal(s_count(text, "# TYPE pigeon_rpc_requests_total "), 1);
    assert_int_equal(s_count(text, "# HELP pigeon_rpc_requests_total "), 1);

    assert_true(s_has_line(text, "# TYPE pigeon_rpc_seconds histogram"));
    assert_true(
        s_has_line(text, "pigeon_rpc_seconds_bucket{method=\"auth.login\",le=\"0.0001\"} 0"));
    assert_true(
        s_has_line(text, "pigeon_rpc_seconds_bucket{method=\"auth.login\",le=\"0.0005\"} 1"));
    assert_true(
        s_has_line(text, "pigeon_rpc_seconds_bucket{method=\"auth.login\",le=\"0.0025\"} 2"));
    assert_true(s_has_line(text, "pigeon_rpc_seconds_bucket{method=\"auth.login\",le=\"10\"} 2"));
    assert_true(s_has_line(text, "pigeon_rpc_seconds_bucket{method=\"auth.login\",le=\"+Inf\"} 3"));
    assert_true(s_has_line(text, "pigeon_rpc_seconds_count{method=\"auth.login\"} 3"));
    assert_non_null(strstr(text, "pigeon_rpc_seconds_sum{method=\"auth.login\"} 42.002"));
    assert_true(s_has_line(text, "pigeon_service_info{service=\"auth\"} 1"));
    free(text);
    pc_metrics_destroy(&m);
    assert_null(m);
}

static void test_gauges_unlabelled_and_prefixed_names(void **state)
{
    pc_metrics_t *m = pc_metrics_new("gateway");
    pc_metrics_gauge(m, "pigeon_ws_sessions", "Open WebSocket sessions.", NULL, 12);
    pc_metrics_gauge(m, "pigeon_ws_sessions", NULL, "", 10);
    pc_metrics_gauge(m, "queue-depth", "Help with a \\ and a\nnewline.", "", 0.5);
    pc_metrics_observe(m, "db_seconds", "Query latency.", NULL, 0.0001);

    char *text = pc_metrics_render(m);
    assert_true(s_has_line(text, "# TYPE pigeon_ws_sessions gauge"));
    assert_true(s_has_line(text, "pigeon_ws_sessions 10"));
    assert_int_equal(s_count(text, "pigeon_pigeon_"), 0);
    assert_true(s_has_line(text, "# HELP pigeon_queue_depth Help with a \\\\ and a\\nnewline."));
    assert_true(s_has_line(text, "pigeon_queue_depth 0.5"));
    assert_true(s_has_line(text, "pigeon_db_seconds_bucket{le=\"0.0001\"} 1"));
    assert_true(s_has_line(text, "pigeon_db_seconds_bucket{le=\"+Inf\"} 1"));
    assert_true(s_has_line(text, "pigeon_db_seconds_count 1"));
    free(text);
    pc_metrics_destroy(&m);
}

static void test_type_clash_is_dropped(void **state)
{
    pc_metrics_t *m = pc_metrics_new("auth");
    pc_metrics_count(m, "things_total", "Things.", NULL, 1);
    pc_metrics_gauge(m, "things_total", "Things.", NULL, 99); /* a bug: logged and ignored */
    char *text = pc_metrics_render(m);
    assert_true(s_has_line(text, "pigeon_things_total 1"));
    assert_int_equal(s_count(text, "# TYPE pigeon_things_total"), 1);
    free(text);
    pc_metrics_destroy(&m);
    pc_metrics_destroy(&m); /* NULL is fine */
}

/* One family whatever the spelling: with and without the prefix, and a
 * name with a character Prometheus does not allow. */
static void test_spellings_share_a_family(void **state)
{
    (void)state;
    pc_metrics_t *m = pc_metrics_new("router");
    pc_metrics_count(m, "sends_total", "Sends.", NULL, 1);
    pc_metrics_count(m, "pigeon_sends_total", "Sends.", NULL, 2);
    pc_metrics_count(m, "sends_total", "Sends.", NULL, 4);
    pc_metrics_count(m, "odd-name", "Odd.", NULL, 1);
    pc_metrics_count(m, "odd_name", "Odd.", NULL, 1);
    pc_metrics_gauge(m, "pigeon_sends_total", "Sends.", NULL, 5); /* a clash under either name */
    char *text = pc_metrics_render(m);
    assert_true(s_has_line(text, "pigeon_sends_total 7"));
    assert_int_equal(s_count(text, "# TYPE pigeon_sends_total"), 1);
    assert_true(s_has_line(text, "pigeon_odd_name 2"));
    free(text);
    pc_metrics_destroy(&m);
}

#define S_THREADS 4
#define S_PER_THREAD 10000

static void *s_bump(void *arg)
{
    pc_metrics_t *m = arg;
    for (int i = 0; i < S_PER_THREAD; i++) {
        pc_metrics_count(m, "bumps_total", "Bumps.", "k=\"v\"", 1);
        pc_metrics_observe(m, "bump_seconds", "Bump latency.", NULL, 0.001);
    }
    return NULL;
}

static void test_threads_share_one_table(void **state)
{
    pc_metrics_t *m = pc_metrics_new("auth");
    pthread_t threads[S_THREADS];
    for (int i = 0; i < S_THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, s_bump, m), 0);
    for (int i = 0; i < S_THREADS; i++)
        pthread_join(threads[i], NULL);
    char *text = pc_metrics_render(m);
    assert_true(s_has_line(text, "pigeon_bumps_total{k=\"v\"} 40000"));
    assert_true(s_has_line(text, "pigeon_bump_seconds_count 40000"));
    free(text);
    pc_metrics_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rpc_counters_and_latency),
        cmocka_unit_test(test_gauges_unlabelled_and_prefixed_names),
        cmocka_unit_test(test_type_clash_is_dropped),
        cmocka_unit_test(test_spellings_share_a_family),
        cmocka_unit_test(test_threads_share_one_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
