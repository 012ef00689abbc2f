/* harness.h - integration tests against real PostgreSQL and real Pigeon processes.
 *
 * The runner (scripts/pigeon test) starts a throwaway PostgreSQL cluster and
 * exports PIGEON_TEST_DB_URL: a conninfo for a superuser of that cluster.
 * Each test binary creates its own fresh database, starts the processes it
 * needs from PIGEON_BIN_DIR (default: the build's bin/) on free loopback
 * ports, drives the public API over HTTP, and stops everything it started.
 * Every wait polls with a deadline; nothing sleeps to wait for something. */
#ifndef PIGEON_TEST_HARNESS_H
#define PIGEON_TEST_HARNESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A fresh database on the test cluster (name unique per call); its conninfo
 * goes to url. Fails the test (cmocka fail_msg) when it cannot. */
void h_db_create(char *url, size_t size);

/* A free TCP port on 127.0.0.1 (bound then released). */
int h_free_port(void);

/* A child process running PIGEON_BIN_DIR/<binary> with the test's
 * environment plus `env` ("K=V" strings, NULL-terminated). Its stderr goes to
 * a log file whose last lines are printed when the test fails. */
typedef struct h_proc h_proc_t;
h_proc_t *h_proc_start(const char *binary, const char *const *env);
/* SIGTERM, wait up to timeout_ms (then SIGKILL); returns the exit status
 * (128+signal when killed) and frees p. */
int h_proc_stop(h_proc_t **p, int timeout_ms);
/* Waits up to timeout_ms for the child to exit on its own (then SIGKILL);
 * returns the exit status (128+signal when killed) and frees p. */
int h_proc_wait(h_proc_t **p, int timeout_ms);
/* SIGKILL now and reap; frees p. */
void h_proc_kill(h_proc_t **p);
bool h_proc_alive(h_proc_t *p);
/* Sends sig (SIGSTOP, SIGCONT, ...) to the running child. */
void h_proc_signal(h_proc_t *p, int sig);

/* A running Pigeon: one database, the named services and one gateway. */
#define H_MAX_PROCS 16
typedef struct {
    char db_url[512];
    int http_port;
    char base_url[64];                 /* "http://127.0.0.1:<port>" */
    const char *services[H_MAX_PROCS]; /* names given to h_system_start */
    h_proc_t *procs[H_MAX_PROCS];      /* services in order, then the gateway */
    size_t nprocs;
    const char *const *extra_env;      /* passed to every process */
} h_system_t;

/* Starts "pigeon-<name>" for each name in `services` (NULL-terminated) and the
 * gateway, all on one fresh database, and waits (bounded) until the
 * gateway's /readyz answers 200. extra_env may be NULL. */
void h_system_start(h_system_t *sys, const char *const *services, const char *const *extra_env);
void h_system_stop(h_system_t *sys);
/* Restarts service `name` (after h_proc_kill of it, or live). */
void h_system_restart_service(h_system_t *sys, const char *name);
h_proc_t **h_system_proc(h_system_t *sys, const char *name);
/* Starts one more copy of service `name` on the same database (a replica,
 * with its own instance id and ports); h_system_stop stops it too. Returns
 * its slot, for h_proc_kill/h_proc_stop. */
h_proc_t **h_system_add_copy(h_system_t *sys, const char *name);

/* Starts one more pigeon-gateway on sys's database, on a free port, with
 * sys's extra_env followed by extra_env ("K=V" lines, NULL-terminated, may
 * be NULL; a later line for a key wins), and waits (at most 30 s, polling)
 * until its /readyz answers 200; a gateway that exits at start (its port was
 * taken in between) is retried on another port. `view` becomes a copy of sys
 * addressed to the new gateway (http_port, base_url), for h_http and
 * WebSocket clients. The view shares sys's processes: never give it to
 * h_system_stop. The gateway is the caller's to stop (h_proc_stop);
 * h_system_stop does not know it. */
h_proc_t *h_gateway_add(const h_system_t *sys, h_system_t *view, const char *const *extra_env);

/* A private PostgreSQL cluster for a test that stops and starts the server
 * (the runner's cluster is shared by every test). initdb runs as the
 * postgres OS user when the test runs as root; binaries from
 * PIGEON_PG_BIN (default /usr/lib/postgresql/15/bin); a free loopback port,
 * never 5432. `url` is a superuser conninfo: point PIGEON_TEST_DB_URL at
 * it (setenv) before h_system_start to run a system on this cluster. */
typedef struct {
    char dir[256]; /* data/, socket and log live here */
    int port;
    char url[256];
    char *saved_url; /* h_pg_cluster_adopt: PIGEON_TEST_DB_URL before it */
} h_pg_cluster_t;
void h_pg_cluster_start(h_pg_cluster_t *c);   /* initdb + start; fails the test when it cannot */
void h_pg_cluster_down(h_pg_cluster_t *c);    /* pg_ctl stop -m fast */
void h_pg_cluster_up(h_pg_cluster_t *c);      /* start again, same port and data */
void h_pg_cluster_destroy(h_pg_cluster_t *c); /* stop if running and remove the directory */
/* Starts a private cluster and points PIGEON_TEST_DB_URL at it, for a test
 * group that stops PostgreSQL; h_pg_cluster_release destroys it and points
 * PIGEON_TEST_DB_URL back at what it was (also after a failure). */
void h_pg_cluster_adopt(h_pg_cluster_t *c);
void h_pg_cluster_release(h_pg_cluster_t *c);

/* One HTTP exchange through libcurl. */
typedef struct {
    long status;     /* 0 when the connection failed */
    char *body;      /* NUL-terminated */
    size_t body_len;
    json_t *json;    /* parsed body, or NULL when not JSON */
    char *headers;   /* raw response headers */
} h_resp_t;

/* method "GET"/"POST"/...; token may be NULL; body may be NULL; headers is a
 * NULL-terminated list of "Name: value" or NULL. */
h_resp_t h_http(const h_system_t *sys, const char *method, const char *path, const char *token,
                const char *body, const char *const *headers);
/* Same with a body of explicit length (binary, NULs allowed). */
h_resp_t h_http_raw(const h_system_t *sys, const char *method, const char *path, const char *token,
                    const void *body, size_t body_len, const char *const *headers);
void h_resp_free(h_resp_t *r);
/* Value of a response header (case-insensitive name), malloc'd, or NULL. */
char *h_resp_header(const h_resp_t *r, const char *name);
/* Asserts status and, for errors, the API.md error code ("invalid_argument"...). */
void h_expect_error(const h_resp_t *r, long status, const char *code);

/* Registers a user with a random password; fills token (>= 128 bytes) and id. */
void h_register(const h_system_t *sys, const char *username, const char *nickname, char *token,
                int64_t *id);
/* A username no other test run uses: prefix + random suffix (3-32 chars). */
void h_unique_name(const char *prefix, char *out, size_t size);

/* Polls cond every few ms until true or timeout_ms passes. */
bool h_wait_until(bool (*cond)(void *arg), void *arg, int timeout_ms);

/* Prints the last lines of every process log this test binary wrote. */
void h_dump_logs(void);
/* For main(): `return h_finish(cmocka_run_group_tests(...));` prints the
 * process logs when a test failed and returns `failed`. */
int h_finish(int failed);
/* True when PIGEON_BIN_DIR/<binary> exists (a service not written yet does not). */
bool h_have_binary(const char *binary);
/* URL-encodes text for a query string; the result is the caller's to free. */
char *h_escape(const char *text);

#endif
