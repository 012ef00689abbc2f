/* harness_db.c - see harness.h: a database per test on the server of
 * PIGEON_TEST_DB_URL, and private PostgreSQL clusters for the tests that
 * stop and start the server itself. */
#include "harness.h"
#include "harness_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

/* ------------------------------------------------------------------ database */

/* Appends key='value' to out, quoting as libpq wants. */
static void s_conninfo_append(char *out, size_t size, const char *key, const char *value)
{
    size_t len = strlen(out);
    int n = snprintf(out + len, size - len, "%s%s='", len ? " " : "", key);
    if (n < 0 || (size_t)n >= size - len)
        fail_msg("harness: conninfo too long");
    len += (size_t)n;
    for (const char *c = value; *c; c++) {
        if (len + 3 >= size)
            fail_msg("harness: conninfo too long");
        if (*c == '\'' || *c == '\\')
            out[len++] = '\\';
        out[len++] = *c;
    }
    out[len++] = '\'';
    out[len] = '\0';
}

/* PIGEON_TEST_DB_URL with dbname replaced. */
static void s_conninfo_with_db(const char *base, const char *dbname, char *out, size_t size)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(base, &err);
    if (!opts)
        fail_msg("harness: PIGEON_TEST_DB_URL does not parse: %s", err ? err : "out of memory");
    out[0] = '\0';
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (strcmp(o->keyword, "dbname") == 0)
            continue;
        if (o->val && o->val[0])
            s_conninfo_append(out, size, o->keyword, o->val);
    }
    PQconninfoFree(opts);
    s_conninfo_append(out, size, "dbname", dbname);
}

void h_db_create(char *url, size_t size)
{
    const char *base = getenv("PIGEON_TEST_DB_URL");
    if (!base || !base[0])
        fail_msg("PIGEON_TEST_DB_URL is not set: integration tests need a PostgreSQL superuser "
                 "conninfo (scripts/pigeon test sets it)");
    PGconn *conn = PQconnectdb(base);
    if (PQstatus(conn) != CONNECTION_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(conn));
        PQfinish(conn);
        fail_msg("could not connect to PIGEON_TEST_DB_URL: %s", msg);
    }
    static unsigned counter; /* unique within this process */
    char name[64];
    snprintf(name, sizeof name, "pigeon_test_%d_%u_%08x", (int)getpid(), ++counter,
             (unsigned)hi_random_u64());
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(conn));
        PQclear(res);
        PQfinish(conn);
        fail_msg("could not create database %s: %s", name, msg);
    }
    PQclear(res);
    PQfinish(conn);
    s_conninfo_with_db(base, name, url, size);
}

/* ------------------------------------------------------------------ private PostgreSQL */

/* Runs argv (as the postgres user when we are root), output appended to
 * <dir>/harness.log; returns the exit status. pg_ctl -w -t bounds its own waits. */
static int s_pg_run(const h_pg_cluster_t *c, const char *const *argv)
{
    char log[300];
    snprintf(log, sizeof log, "%s/harness.log", c->dir);
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        if (chdir("/") != 0)
            _exit(126);
        if (geteuid() == 0) {
            struct passwd *pw = getpwnam("postgres");
            if (!pw || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
                _exit(126);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    if (fd >= 0)
        close(fd);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return hi_exit_code(status);
}

static void s_pg_bin(const char *tool, char *out, size_t size)
{
    const char *dir = getenv("PIGEON_PG_BIN");
    snprintf(out, size, "%s/%s", dir && dir[0] ? dir : "/usr/lib/postgresql/15/bin", tool);
}

void h_pg_cluster_start(h_pg_cluster_t *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->dir, sizeof c->dir, "/tmp/pigeon-pg-XXXXXX");
    if (!mkdtemp(c->dir))
        fail_msg("harness: could not create a cluster directory: %s", strerror(errno));
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam("postgres");
        if (!pw || chown(c->dir, pw->pw_uid, pw->pw_gid) != 0)
            fail_msg("harness: running as root needs a postgres OS user to own %s", c->dir);
    }
    char initdb[300], data[300];
    s_pg_bin("initdb", initdb, sizeof initdb);
    snprintf(data, sizeof data, "%s/data", c->dir);
    const char *const argv[] = {initdb, "-D",     data, "-E",    "UTF8", "--locale=C.UTF-8",
                                "-U",   "pigeon", "-A", "trust", NULL};
    if (s_pg_run(c, argv) != 0)
        fail_msg("harness: initdb failed (log: %s/harness.log)", c->dir);
    do
        c->port = h_free_port();
    while (c->port == 5432);
    snprintf(c->url, sizeof c->url, "host=127.0.0.1 port=%d user=pigeon dbname=postgres", c->port);
    h_pg_cluster_up(c);
}

/* Runs pg_ctl -D <dir>/data with args (at most 12) and -w -t 30 -s. */
static int s_pg_ctl(const h_pg_cluster_t *c, const char *const *args)
{
    char pg_ctl[300], data[300];
    s_pg_bin("pg_ctl", pg_ctl, sizeof pg_ctl);
    snprintf(data, sizeof data, "%s/data", c->dir);
    const char *argv[20] = {pg_ctl, "-D", data, "-w", "-t", "30", "-s"};
    size_t n = 7;
    for (size_t i = 0; args[i] && n < 19; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return s_pg_run(c, argv);
}

void h_pg_cluster_up(h_pg_cluster_t *c)
{
    char log[300], opts[400];
    snprintf(log, sizeof log, "%s/postgresql.log", c->dir);
    snprintf(opts, sizeof opts, "-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200",
             c->port, c->dir);
    const char *const args[] = {"-l", log, "-o", opts, "start", NULL};
    if (s_pg_ctl(c, args) != 0)
        fail_msg("harness: could not start PostgreSQL (log: %s)", log);
}

void h_pg_cluster_down(h_pg_cluster_t *c)
{
    const char *const args[] = {"-m", "fast", "stop", NULL};
    if (s_pg_ctl(c, args) != 0)
        fail_msg("harness: could not stop PostgreSQL (log: %s/postgresql.log)", c->dir);
}

void h_pg_cluster_destroy(h_pg_cluster_t *c)
{
    if (!c->dir[0])
        return;
    const char *const stop[] = {"-m", "immediate", "stop", NULL};
    s_pg_ctl(c, stop); /* fails harmlessly when already stopped */
    const char *const rm[] = {"/bin/rm", "-rf", c->dir, NULL};
    pid_t pid = fork();
    if (pid == 0) {
        execv(rm[0], (char *const *)rm);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
    c->dir[0] = '\0';
}

void h_pg_cluster_adopt(h_pg_cluster_t *c)
{
    h_pg_cluster_start(c);
    const char *old = getenv("PIGEON_TEST_DB_URL");
    c->saved_url = old ? strdup(old) : NULL;
    setenv("PIGEON_TEST_DB_URL", c->url, 1);
}

void h_pg_cluster_release(h_pg_cluster_t *c)
{
    h_pg_cluster_destroy(c);
    if (c->saved_url)
        setenv("PIGEON_TEST_DB_URL", c->saved_url, 1);
    else
        unsetenv("PIGEON_TEST_DB_URL");
    free(c->saved_url);
    c->saved_url = NULL;
}
