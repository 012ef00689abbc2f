/* harness.c - see harness.h.
 *
 * Children are tracked in a small table so that an atexit handler can kill
 * whatever a failed test left behind, and each child asks the kernel for
 * SIGKILL when the test process dies (PR_SET_PDEATHSIG), which covers the
 * cases atexit cannot: an abort from a sanitizer, or ctest's timeout kill. */
#include "harness.h"
#include "harness_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stddef.h>

#include <cmocka.h>

#ifndef H_DEFAULT_BIN_DIR
#define H_DEFAULT_BIN_DIR "bin"
#endif

#define H_READY_TIMEOUT_MS 30000
#define H_TAIL_LINES 40
#define H_MAX_LOGS 64

struct h_proc {
    pid_t pid;          /* 0 once reaped */
    char binary[64];    /* "pigeon-auth" */
    char log_path[512]; /* its stdout and stderr */
};

/* Process-wide bookkeeping for cleanup at exit. Tests are single-threaded
 * apart from what libcurl does, so no lock is needed. */
static h_proc_t *s_live[H_MAX_PROCS * 4]; /* children not yet reaped */
static char s_logs[H_MAX_LOGS][512];      /* every log file this process wrote */
static size_t s_nlogs;
static bool s_atexit_set;

/* ------------------------------------------------------------------ util */

int64_t hi_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void hi_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

uint64_t hi_random_u64(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        v = (uint64_t)hi_now_ms() ^ ((uint64_t)getpid() << 32);
    return v;
}

/* Prints the last `lines` lines of a file to stderr. */
static void s_print_tail(const char *path, int lines)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return;
    }
    long size = ftell(f);
    long start = size > 16384 ? size - 16384 : 0; /* the tail is in the last 16 KiB */
    fseek(f, start, SEEK_SET);
    char *buf = calloc(1, (size_t)(size - start) + 1);
    size_t n = buf ? fread(buf, 1, (size_t)(size - start), f) : 0;
    fclose(f);
    if (!buf)
        return;
    buf[n] = '\0';
    const char *p = buf + n;
    int seen = 0;
    while (p > buf) {
        if (p[-1] == '\n' && p != buf + n && ++seen > lines)
            break;
        p--;
    }
    fprintf(stderr, "--- last lines of %s ---\n%s", path, p);
    if (n > 0 && buf[n - 1] != '\n')
        fputc('\n', stderr);
    free(buf);
}

/* Prints the tail of every log this test process wrote. */
void h_dump_logs(void)
{
    for (size_t i = 0; i < s_nlogs; i++)
        s_print_tail(s_logs[i], H_TAIL_LINES);
}

int h_finish(int failed)
{
    if (failed > 0)
        h_dump_logs();
    return failed;
}

static void s_kill_leftovers(void)
{
    for (size_t i = 0; i < sizeof s_live / sizeof s_live[0]; i++) {
        h_proc_t *p = s_live[i];
        if (p && p->pid > 0) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, NULL, 0);
            p->pid = 0;
        }
    }
}

static void s_track(h_proc_t *p)
{
    if (!s_atexit_set) {
        atexit(s_kill_leftovers);
        s_atexit_set = true;
    }
    for (size_t i = 0; i < sizeof s_live / sizeof s_live[0]; i++) {
        if (!s_live[i]) {
            s_live[i] = p;
            return;
        }
    }
    fail_msg("harness: more than %zu live processes", sizeof s_live / sizeof s_live[0]);
}

static void s_untrack(h_proc_t *p)
{
    for (size_t i = 0; i < sizeof s_live / sizeof s_live[0]; i++) {
        if (s_live[i] == p)
            s_live[i] = NULL;
    }
}

/* ------------------------------------------------------------------ processes */

int h_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        close(fd);
        fail_msg("harness: could not find a free port: %s", strerror(errno));
    }
    close(fd);
    return ntohs(addr.sin_port);
}

static const char *s_bin_dir(void)
{
    const char *dir = getenv("PIGEON_BIN_DIR");
    return dir && dir[0] ? dir : H_DEFAULT_BIN_DIR;
}

bool h_have_binary(const char *binary)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", s_bin_dir(), binary);
    return access(path, X_OK) == 0;
}

static const char *s_log_dir(void)
{
    const char *dir = getenv("PIGEON_TEST_LOG_DIR");
    if (!dir || !dir[0])
        dir = getenv("TMPDIR");
    return dir && dir[0] ? dir : "/tmp";
}

/* The test's environment with the "K=V" lines of env added; a key already
 * present is replaced. The array and its strings are the caller's to free. */
static char **s_build_env(const char *const *env)
{
    extern char **environ;
    size_t nbase = 0, nextra = 0;
    while (environ[nbase])
        nbase++;
    while (env && env[nextra])
        nextra++;
    char **out = calloc(nbase + nextra + 1, sizeof *out);
    assert_non_null(out);
    size_t n = 0;
    for (size_t i = 0; i < nbase; i++) {
        size_t key = strcspn(environ[i], "=");
        bool replaced = false;
        for (size_t j = 0; j < nextra; j++) {
            if (strncmp(env[j], environ[i], key) == 0 && env[j][key] == '=')
                replaced = true;
        }
        if (!replaced)
            out[n++] = strdup(environ[i]);
    }
    for (size_t j = 0; j < nextra; j++) {
        /* A later line for the same key wins over an earlier one. */
        size_t key = strcspn(env[j], "=");
        bool later = false;
        for (size_t k = j + 1; k < nextra; k++) {
            if (strncmp(env[k], env[j], key) == 0 && env[k][key] == '=')
                later = true;
        }
        if (!later)
            out[n++] = strdup(env[j]);
    }
    out[n] = NULL;
    return out;
}

static void s_free_env(char **env)
{
    for (size_t i = 0; env[i]; i++)
        free(env[i]);
    free(env);
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void s_child_exec(const char *path, char **envp, int log_fd, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127); /* the test died before the line above */
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
        dup2(devnull, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    char *const argv[] = {(char *)path, NULL};
    execve(path, argv, envp);
    _exit(127);
}

h_proc_t *h_proc_start(const char *binary, const char *const *env)
{
    h_proc_t *p = calloc(1, sizeof *p);
    assert_non_null(p);
    snprintf(p->binary, sizeof p->binary, "%s", binary);
    static unsigned counter;
    snprintf(p->log_path, sizeof p->log_path, "%s/%d-%u-%s.log", s_log_dir(), (int)getpid(),
             ++counter, binary);
    if (s_nlogs < H_MAX_LOGS)
        snprintf(s_logs[s_nlogs++], sizeof s_logs[0], "%s", p->log_path);

    char path[512];
    snprintf(path, sizeof path, "%s/%s", s_bin_dir(), binary);
    if (access(path, X_OK) != 0)
        fail_msg("%s is not an executable (PIGEON_BIN_DIR=%s)", path, s_bin_dir());
    int log_fd = open(p->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0)
        fail_msg("could not open %s: %s", p->log_path, strerror(errno));

    /* Built before fork: the child may only make async-signal-safe calls. */
    char **envp = s_build_env(env);
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        s_child_exec(path, envp, log_fd, parent);
    s_free_env(envp);
    close(log_fd);
    if (pid < 0)
        fail_msg("could not fork: %s", strerror(errno));
    p->pid = pid;
    s_track(p);
    return p;
}

bool h_proc_alive(h_proc_t *p)
{
    if (!p || p->pid <= 0)
        return false;
    int status;
    pid_t r = waitpid(p->pid, &status, WNOHANG);
    if (r == p->pid) {
        fprintf(stderr, "harness: %s (pid %d) exited with %s %d\n", p->binary, (int)p->pid,
                WIFEXITED(status) ? "status" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        p->pid = 0;
        return false;
    }
    return r == 0;
}

int hi_exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

int h_proc_stop(h_proc_t **pp, int timeout_ms)
{
    if (*pp && (*pp)->pid > 0)
        kill((*pp)->pid, SIGTERM);
    return h_proc_wait(pp, timeout_ms);
}

int h_proc_wait(h_proc_t **pp, int timeout_ms)
{
    h_proc_t *p = *pp;
    *pp = NULL;
    if (!p)
        return -1;
    int code = -1;
    if (p->pid > 0) {
        int status = 0;
        int64_t deadline = hi_now_ms() + timeout_ms;
        pid_t r;
        while ((r = waitpid(p->pid, &status, WNOHANG)) == 0 && hi_now_ms() < deadline)
            hi_sleep_ms(10);
        if (r == 0) {
            fprintf(stderr, "harness: %s (pid %d) still running after %d ms: SIGKILL\n", p->binary,
                    (int)p->pid, timeout_ms);
            kill(p->pid, SIGKILL);
            r = waitpid(p->pid, &status, 0);
        }
        code = r == p->pid ? hi_exit_code(status) : -1;
    }
    s_untrack(p);
    free(p);
    return code;
}

void h_proc_kill(h_proc_t **pp)
{
    h_proc_t *p = *pp;
    *pp = NULL;
    if (!p)
        return;
    if (p->pid > 0) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
    }
    s_untrack(p);
    free(p);
}

void h_proc_signal(h_proc_t *p, int sig)
{
    if (p && p->pid > 0)
        kill(p->pid, sig);
}

/* ------------------------------------------------------------------ system */

/* The environment of one process of sys: what every process gets, then the
 * process's own lines, then the test's extra_env (which may override). */
static h_proc_t *s_system_spawn(h_system_t *sys, const char *name)
{
    char binary[64], db[600], http[64];
    snprintf(binary, sizeof binary, "pigeon-%s", name);
    snprintf(db, sizeof db, "PIGEON_DB_URL=%s", sys->db_url);
    snprintf(http, sizeof http, "PIGEON_HTTP_PORT=%d", sys->http_port);
    const char *env[64];
    size_t n = 0;
    env[n++] = db;
    env[n++] = "PIGEON_LOG_LEVEL=info";
    if (strcmp(name, "gateway") == 0)
        env[n++] = http;
    for (size_t i = 0; sys->extra_env && sys->extra_env[i] && n < 63; i++)
        env[n++] = sys->extra_env[i];
    env[n] = NULL;
    return h_proc_start(binary, env);
}

static long s_readyz(const h_system_t *sys)
{
    h_resp_t r = h_http(sys, "GET", "/readyz", NULL, NULL, NULL);
    long status = r.status;
    h_resp_free(&r);
    return status;
}

/* Kills what sys started, prints the logs and fails the test. */
static void s_system_abort(h_system_t *sys, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void s_system_abort(h_system_t *sys, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    h_dump_logs();
    for (size_t i = 0; i < sys->nprocs; i++)
        h_proc_kill(&sys->procs[i]);
    sys->nprocs = 0;
    fail_msg("%s", msg);
}

/* The registry read interval the system's processes use (ms). */
static int s_registry_interval_ms(const h_system_t *sys)
{
    static const char key[] = "PIGEON_REGISTRY_INTERVAL_MS=";
    for (size_t i = 0; sys->extra_env && sys->extra_env[i]; i++)
        if (strncmp(sys->extra_env[i], key, sizeof key - 1) == 0)
            return atoi(sys->extra_env[i] + sizeof key - 1);
    return 1000;
}

/* Every process reads the registry once an interval, and one that read it
 * before another service had registered answers 503 ("service ... is
 * unavailable") to calls for it until its next read: the gateway's /readyz
 * waits only for pigeon-auth. So a test starts once every service is in
 * the table and one read interval more has passed (as `scripts/pigeon up`
 * does). Returns false when they did not all register in time. */
static bool s_wait_registered(const h_system_t *sys, int64_t deadline)
{
    size_t services = 0; /* distinct names among the services started (the gateway is last) */
    for (size_t i = 0; i + 1 < sys->nprocs; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(sys->services[i], sys->services[j]) == 0;
        services += !seen;
    }
    PGconn *conn = PQconnectdb(sys->db_url);
    bool ok = false;
    while (PQstatus(conn) == CONNECTION_OK && hi_now_ms() < deadline) {
        PGresult *res = PQexec(conn, "SELECT count(DISTINCT service) FROM registry.instances");
        long have = PQresultStatus(res) == PGRES_TUPLES_OK ? atol(PQgetvalue(res, 0, 0)) : 0;
        PQclear(res);
        if (have >= (long)services) {
            ok = true;
            break;
        }
        hi_sleep_ms(50);
    }
    PQfinish(conn);
    if (ok)
        hi_sleep_ms(s_registry_interval_ms(sys) + 200);
    return ok;
}

void h_system_start(h_system_t *sys, const char *const *services, const char *const *extra_env)
{
    memset(sys, 0, sizeof *sys);
    sys->extra_env = extra_env;
    h_db_create(sys->db_url, sizeof sys->db_url);
    for (size_t i = 0; services && services[i]; i++) {
        if (sys->nprocs >= H_MAX_PROCS - 1)
            fail_msg("harness: too many services");
        sys->services[sys->nprocs] = services[i];
        sys->procs[sys->nprocs] = s_system_spawn(sys, services[i]);
        sys->nprocs++;
    }

    /* The gateway's port is picked here and may be taken by someone else in
     * between; a gateway that exits at once is retried on another port. */
    for (int attempt = 0;; attempt++) {
        sys->http_port = h_free_port();
        snprintf(sys->base_url, sizeof sys->base_url, "http://127.0.0.1:%d", sys->http_port);
        sys->services[sys->nprocs] = "gateway";
        sys->procs[sys->nprocs] = s_system_spawn(sys, "gateway");
        sys->nprocs++;

        int64_t deadline = hi_now_ms() + H_READY_TIMEOUT_MS;
        bool gateway_died = false;
        while (hi_now_ms() < deadline) {
            if (s_readyz(sys) == 200) {
                if (!s_wait_registered(sys, deadline))
                    s_system_abort(sys, "not every service registered within %d ms",
                                   H_READY_TIMEOUT_MS);
                return;
            }
            for (size_t i = 0; i < sys->nprocs; i++) {
                if (!h_proc_alive(sys->procs[i])) {
                    if (i + 1 == sys->nprocs && attempt < 3) {
                        gateway_died = true;
                        break;
                    }
                    s_system_abort(sys, "pigeon-%s exited while the system was starting",
                                   sys->services[i]);
                }
            }
            if (gateway_died)
                break;
            hi_sleep_ms(50);
        }
        if (!gateway_died)
            s_system_abort(sys, "the gateway did not answer /readyz with 200 within %d ms",
                           H_READY_TIMEOUT_MS);
        sys->nprocs--;
        h_proc_kill(&sys->procs[sys->nprocs]);
        fprintf(stderr, "harness: the gateway exited at start on port %d; trying another port\n",
                sys->http_port);
    }
}

void h_system_stop(h_system_t *sys)
{
    /* The gateway first, so it stops taking calls before the services go. */
    for (size_t i = sys->nprocs; i-- > 0;) {
        if (sys->procs[i])
            h_proc_stop(&sys->procs[i], 15000);
    }
    sys->nprocs = 0;
}

h_proc_t **h_system_proc(h_system_t *sys, const char *name)
{
    for (size_t i = 0; i < sys->nprocs; i++) {
        if (strcmp(sys->services[i], name) == 0)
            return &sys->procs[i];
    }
    fail_msg("harness: no process named %s in this system", name);
    return NULL;
}

void h_system_restart_service(h_system_t *sys, const char *name)
{
    h_proc_t **p = h_system_proc(sys, name);
    if (*p)
        h_proc_stop(p, 15000);
    *p = s_system_spawn(sys, name);
}

h_proc_t **h_system_add_copy(h_system_t *sys, const char *name)
{
    if (sys->nprocs >= H_MAX_PROCS)
        fail_msg("harness: too many processes");
    sys->services[sys->nprocs] = name;
    sys->procs[sys->nprocs] = s_system_spawn(sys, name);
    return &sys->procs[sys->nprocs++];
}

h_proc_t *h_gateway_add(const h_system_t *sys, h_system_t *view, const char *const *extra_env)
{
    const char *env[64]; /* sys's lines, then the caller's */
    size_t n = 0;
    for (size_t i = 0; sys->extra_env && sys->extra_env[i] && n < 63; i++)
        env[n++] = sys->extra_env[i];
    for (size_t i = 0; extra_env && extra_env[i] && n < 63; i++)
        env[n++] = extra_env[i];
    env[n] = NULL;

    for (int attempt = 0; attempt < 4; attempt++) {
        *view = *sys;
        view->http_port = h_free_port();
        snprintf(view->base_url, sizeof view->base_url, "http://127.0.0.1:%d", view->http_port);
        view->extra_env = env; /* copied into the child's environment at once */
        h_proc_t *p = s_system_spawn(view, "gateway");
        view->extra_env = sys->extra_env;

        int64_t deadline = hi_now_ms() + H_READY_TIMEOUT_MS;
        while (hi_now_ms() < deadline && h_proc_alive(p)) {
            if (s_readyz(view) == 200)
                return p;
            hi_sleep_ms(50);
        }
        bool died = !h_proc_alive(p);
        h_proc_kill(&p);
        if (!died) {
            h_dump_logs();
            fail_msg("the gateway on port %d did not answer /readyz with 200 within %d ms",
                     view->http_port, H_READY_TIMEOUT_MS);
        }
        fprintf(stderr, "harness: a gateway exited at start on port %d; trying another port\n",
                view->http_port);
    }
    h_dump_logs();
    fail_msg("harness: no added gateway stayed up (4 ports tried)");
    return NULL;
}
