/* test_scale_stream.c - a steady stream of sends (about 300 a second, REST,
 * as API.md's clients make them) survives what scaling out must survive:
 *
 *   1. kill -9 of one copy of each service in turn, with two copies of
 *      auth, relationship, router, group and media behind one gateway: each
 *      copy is killed with the stream running, the stream runs on for 2.5 s,
 *      the copy is started again and the next service's turn comes;
 *   2. PostgreSQL stopped (pg_ctl stop -m fast) for 2 s and started again
 *      under the stream, on a private cluster, with no Pigeon process
 *      restarted.
 *
 * The senders pace themselves to 300 sends a second in all, and each waits
 * for its answer, so a machine that cannot keep up (ASan, a loaded CI box)
 * gets fewer sends rather than a queue that grows. They retry every failure
 * (no answer, 5xx) with the same client_msg_id until it is stored
 * (stream_driver.h), the way a mobile client must. What
 * must hold, read back through history paging at the end: every
 * acknowledged send is stored exactly once, at the seq its acknowledgement
 * named, nothing else is stored, and every conversation's seqs run 1, 2, 3
 * ... without a gap; no send fails for good; a resend of a stored message
 * answers 200 with it. Timings are measured and printed per phase (the
 * longest any one send waited, retries); only generous bounds are asserted
 * (S_KILL_STALL_MAX_MS, S_PG_STALL_MAX_MS), since a loaded 2-core machine
 * may be slow but must never lose or double a message.
 *
 * So that each kill matters to the stream, the gateway checks every token
 * with pigeon-auth (PIGEON_TOKEN_CACHE_MS=0) and the router asks
 * pigeon-relationship about every direct send (PIGEON_ROUTER_PERMISSION_TTL_MS=0):
 * every send crosses auth, relationship and router. Group sends go to a
 * group of all senders (the router caches rosters, so pigeon-group is asked
 * by its outbox consumer and by the readers), image sends cross pigeon-media,
 * and reader threads search users, read the group, the contacts, a media
 * file and the conversation list (which asks router, auth, group and media
 * at once), so each service answers part of the stream when its copy dies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_calls.h"
#include "stream_driver.h"

#define S_KILLED_MS 2500          /* the stream runs this long with one copy dead */
#define S_KILL_STALL_MAX_MS 10000 /* longest send or read while copies die (deadline 3 s) */
#define S_PG_DOWN_MS 2000         /* PostgreSQL stays down this long */
#define S_PG_STALL_MAX_MS 20000   /* a send caught by the outage waits it out, then a backoff */
#define S_MIN_SENDS 100           /* acknowledged in each phase at least */

/* Cheap password hashes: registering the stream's users is setup, not the
 * subject. */
static const char *const s_env[] = {"PIGEON_RATE_REGISTER_PER_IP=100000",
                                    "PIGEON_RATE_LOGIN_PER_IP=100000",
                                    "PIGEON_RATE_LOGIN_PER_USER=100000",
                                    "PIGEON_RPC_DEADLINE_MS=3000",
                                    "PIGEON_TOKEN_CACHE_MS=0",
                                    "PIGEON_ROUTER_PERMISSION_TTL_MS=0",
                                    "PIGEON_ARGON2_OPSLIMIT=1",
                                    "PIGEON_ARGON2_MEMLIMIT_MB=8",
                                    NULL};
static const char *const s_services[] = {"auth", "relationship", "router", "group", "media", NULL};

/* 24 senders at 12.5 sends/s each: 300/s offered, 1 in 8 to the group, 1
 * in 20 an image; 2 readers at 15 reads/s each. */
static const sd_config_t s_stream = {
    .senders = 24,
    .sends_per_s = 300,
    .group_every = 8,
    .image_every = 20,
    .readers = 2,
    .reads_per_s = 30,
    .op_deadline_ms = 30000,
    .max_seconds = 60,
};

/* ------------------------------------------------------------------ helpers */

/* Waits until the gateway sees `copies` live copies of every service. */
static void s_wait_views(h_system_t *sys, int copies)
{
    for (int i = 0; s_services[i]; i++)
        mx_wait_view(sys, s_services[i], copies, 20000);
}

/* The gateway's RPC retries (a request resent to another copy after its
 * first copy gave no answer in time) by target service. */
static void s_print_gateway_retries(h_system_t *sys, const char *label)
{
    h_resp_t r = h_http(sys, "GET", "/metrics", NULL, NULL, NULL);
    char line[256] = "";
    for (int i = 0; s_services[i] && r.status == 200; i++) {
        char part[48];
        snprintf(part, sizeof part, "service=\"%s\"", s_services[i]);
        size_t len = strlen(line);
        snprintf(line + len, sizeof line - len, " %s %.0f", s_services[i],
                 mx_sum(r.body, "pigeon_rpc_client_retries_total", part));
    }
    h_resp_free(&r);
    print_message("%s: the gateway's RPC retries by service:%s\n", label, line);
}

/* No op failed for good, no first try was answered as a resend, every
 * process still runs, and nobody waited `stall_max_ms` or more. */
static void s_expect_survived(h_system_t *sys, const sd_stream_t *st, int64_t stall_max_ms)
{
    sd_totals_t t = sd_stream_totals(st);
    if (t.all.failed > 0)
        fail_msg("%d ops failed for good; the first: %s", t.all.failed, t.first_fatal);
    if (t.resend_on_first > 0)
        fail_msg("%d new sends were answered 200 (as resends) on their first try",
                 t.resend_on_first);
    if (t.all.send_stall_ms >= stall_max_ms || t.all.read_stall_ms >= stall_max_ms)
        fail_msg("a send waited %lld ms and a read %lld ms; the bound is %lld ms",
                 (long long)t.all.send_stall_ms, (long long)t.all.read_stall_ms,
                 (long long)stall_max_ms);
    for (size_t i = 0; i < sys->nprocs; i++) {
        if (!h_proc_alive(sys->procs[i]))
            fail_msg("pigeon-%s is no longer running", sys->services[i]);
    }
}

/* SIGTERM to every process at once, then h_system_stop waits for each: a
 * service serves on for a registry interval after SIGTERM, so stopping them
 * one after another would cost ~1.4 s a process. */
static void s_system_stop_all(h_system_t *sys)
{
    for (size_t i = sys->nprocs; i-- > 0;)
        h_proc_signal(sys->procs[i], SIGTERM);
    h_system_stop(sys);
}

/* ------------------------------------------------------------------ kill -9 */

static void test_kill9_of_one_copy_of_each_service_loses_and_doubles_nothing(void **state)
{
    (void)state;
    h_system_t sys;
    h_system_start(&sys, s_services, s_env);
    for (int i = 0; s_services[i]; i++)
        h_system_add_copy(&sys, s_services[i]);
    s_wait_views(&sys, 2);
    sd_stream_t *st = sd_stream_new(&sys, &s_stream);

    sd_stream_start(st, "two copies of each");
    sd_stream_run_for(st, 1500, S_MIN_SENDS);
    for (int i = 0; s_services[i]; i++) {
        char phase[48];
        snprintf(phase, sizeof phase, "%s copy killed", s_services[i]);
        sd_stream_phase(st, phase);
        h_proc_kill(h_system_proc(&sys, s_services[i]));
        sd_stream_run_for(st, S_KILLED_MS, S_MIN_SENDS);
        h_system_restart_service(&sys, s_services[i]);
    }
    sd_stream_phase(st, "every copy restarted");
    sd_stream_run_for(st, 1500, S_MIN_SENDS);
    sd_stream_stop(st);

    sd_stream_report(st, "kill -9");
    s_print_gateway_retries(&sys, "kill -9");
    s_expect_survived(&sys, st, S_KILL_STALL_MAX_MS);
    int stored = sd_stream_verify(st);
    print_message("kill -9: %d messages read back, each acknowledged send once, seqs gap-free\n",
                  stored);
    sd_stream_destroy(&st);
    s_system_stop_all(&sys);
}

/* ------------------------------------------------------------------ PostgreSQL restart */

/* The private cluster of the PostgreSQL test; its teardown removes it even
 * after a failure and points PIGEON_TEST_DB_URL back at the runner's. */
static h_pg_cluster_t s_pg;

static int s_pg_setup(void **state)
{
    (void)state;
    h_pg_cluster_adopt(&s_pg);
    return 0;
}

static int s_pg_teardown(void **state)
{
    (void)state;
    h_pg_cluster_release(&s_pg);
    return 0;
}

static void test_postgres_restart_mid_stream_loses_and_doubles_nothing(void **state)
{
    (void)state;
    h_system_t sys;
    h_system_start(&sys, s_services, s_env);
    s_wait_views(&sys, 1);
    sd_stream_t *st = sd_stream_new(&sys, &s_stream);

    sd_stream_start(st, "PostgreSQL up");
    sd_stream_run_for(st, 1500, S_MIN_SENDS);
    sd_stream_phase(st, "PostgreSQL stopping");
    h_pg_cluster_down(&s_pg);
    int64_t down_at = sd_now_ms();
    sd_stream_phase(st, "PostgreSQL down");
    sd_stream_run_for(st, S_PG_DOWN_MS, 0);
    h_pg_cluster_up(&s_pg);
    int64_t up_at = sd_now_ms();
    sd_stream_phase(st, "PostgreSQL back");
    sd_stream_run_for(st, 3000, S_MIN_SENDS);
    sd_stream_stop(st);

    sd_stream_report(st, "pg restart");
    int64_t first_ack = sd_stream_first_ack_after(st, up_at);
    int acked_while_down = sd_stream_acks_between(st, down_at, up_at);
    print_message("pg restart: down %lld ms; first send acknowledged %lld ms after PostgreSQL "
                  "was back; %d acknowledged while it was down\n",
                  (long long)(up_at - down_at), (long long)(first_ack - up_at), acked_while_down);
    assert_true(first_ack >= 0);
    s_expect_survived(&sys, st, S_PG_STALL_MAX_MS);
    int stored = sd_stream_verify(st);
    print_message("pg restart: %d messages read back, each acknowledged send once, seqs "
                  "gap-free\n",
                  stored);
    sd_stream_destroy(&st);
    s_system_stop_all(&sys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9_of_one_copy_of_each_service_loses_and_doubles_nothing),
        cmocka_unit_test_setup_teardown(test_postgres_restart_mid_stream_loses_and_doubles_nothing,
                                        s_pg_setup, s_pg_teardown),
    };
    return h_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
