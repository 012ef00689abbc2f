/* test_admin_http.c - the admin port: /healthz, /readyz, /metrics and 404s. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "admin_http.h"
#include "log.h"

/* One HTTP/1.0 exchange on loopback; returns the whole response (headers and
 * body). Every socket call is bounded by a 5 s timeout. */
static char *s_get(int port, const char *method, const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    char req[256];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.0\r\nHost: localhost\r\n\r\n", method, path);
    assert_int_equal(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);

    size_t cap = 4096;
    size_t len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        if (len + 1024 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        ssize_t got = recv(fd, buf + len, cap - len - 1, 0);
        assert_true(got >= 0);
        if (got == 0)
            break;
        len += (size_t)got;
    }
    buf[len] = '\0';
    close(fd);
    return buf;
}

static const char *s_body(const char *resp)
{
    const char *p = strstr(resp, "\r\n\r\n");
    assert_non_null(p);
    return p + 4;
}

static bool s_ready_flag(void *arg)
{
    return *(bool *)arg;
}

static void test_health_ready_and_metrics(void **state)
{
    pc_metrics_t *m = pc_metrics_new("auth");
    pc_metrics_count(m, "rpc_requests_total", "RPC requests.", "status=\"200\"", 5);
    bool ready = true;
    int port = -1;
    pc_admin_http_t *admin = pc_admin_http_new("127.0.0.1", 0, m, s_ready_flag, &ready, &port);
    assert_non_null(admin);
    assert_true(port > 0 && port <= 65535);

    char *resp = s_get(port, "GET", "/healthz");
    assert_non_null(strstr(resp, " 200 "));
    assert_string_equal(s_body(resp), "{\"status\":\"ok\"}");
    free(resp);

    resp = s_get(port, "GET", "/readyz");
    assert_string_equal(s_body(resp), "{\"status\":\"ready\"}");
    free(resp);

    ready = false;
    resp = s_get(port, "GET", "/readyz");
    assert_non_null(strstr(resp, " 503 "));
    assert_non_null(strstr(s_body(resp), "\"code\":\"unavailable\""));
    free(resp);

    resp = s_get(port, "GET", "/metrics");
    assert_non_null(strstr(resp, " 200 "));
    assert_non_null(strstr(resp, "text/plain; version=0.0.4"));
    assert_non_null(strstr(s_body(resp), "pigeon_rpc_requests_total{status=\"200\"} 5\n"));
    free(resp);

    pc_admin_http_destroy(&admin);
    assert_null(admin);
    pc_metrics_destroy(&m);
}

static void test_unknown_paths_get_api_error_body(void **state)
{
    int port = -1;
    pc_admin_http_t *admin = pc_admin_http_new("127.0.0.1", 0, NULL, NULL, NULL, &port);
    assert_non_null(admin);
    char *resp = s_get(port, "GET", "/nope");
    assert_non_null(strstr(resp, " 404 "));
    assert_string_equal(s_body(resp),
                        "{\"error\":{\"code\":\"not_found\",\"message\":\"no such path\"}}");
    free(resp);
    resp = s_get(port, "POST", "/healthz");
    assert_non_null(strstr(resp, " 404 "));
    free(resp);
    resp = s_get(port, "GET", "/readyz"); /* no probe: always ready */
    assert_string_equal(s_body(resp), "{\"status\":\"ready\"}");
    free(resp);
    pc_admin_http_destroy(&admin);
    pc_admin_http_destroy(&admin); /* NULL is fine */
}

static void test_port_in_use_fails_cleanly(void **state)
{
    int port = -1;
    pc_admin_http_t *first = pc_admin_http_new("127.0.0.1", 0, NULL, NULL, NULL, &port);
    assert_non_null(first);
    int again = -1;
    pc_admin_http_t *second = pc_admin_http_new("127.0.0.1", port, NULL, NULL, NULL, &again);
    assert_null(second);
    pc_admin_http_destroy(&first);
}

int main(void)
{
    /* The failure cases log errors by design; they would only clutter the output. */
    pc_log_init("test", "test-1", PC_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health_ready_and_metrics),
        cmocka_unit_test(test_unknown_paths_get_api_error_body),
        cmocka_unit_test(test_port_in_use_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
