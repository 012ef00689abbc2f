/* test_socks.c - pigeon-load's report of sockets that never became ready:
 * each is counted where it stopped, so a failed run says whether the
 * gateway did not answer the upgrade or did not send `ready`. Loopback
 * only: a listener that never answers, and a port nobody listens on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ld_users.h"

/* A loopback listener that accepts nothing (the kernel completes the
 * handshakes into its backlog); returns its fd, the port in *port. */
static int s_listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 16), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* A port with no listener: a listener's, closed again. */
static int s_closed_port(void)
{
    int port;
    close(s_listener(&port));
    return port;
}

static json_int_t s_count(const json_t *o, const char *stage)
{
    return json_integer_value(json_object_get(o, stage));
}

static void test_not_ready_sockets_are_counted_by_stage(void **state)
{
    (void)state;
    char err[128];
    int port;
    int lfd = s_listener(&port);
    ld_loop_t *silent = ld_loop_new("127.0.0.1", port, err, sizeof err);
    ld_loop_t *refused = ld_loop_new("127.0.0.1", s_closed_port(), err, sizeof err);
    assert_non_null(silent);
    assert_non_null(refused);

    ld_conn_t *conns[4];
    bool ready[4] = {true, false, false, false};
    conns[0] = ld_conn_open(silent, 0); /* counts as ready: left out */
    conns[1] = ld_conn_open(silent, 1); /* upgrade sent, never answered */
    conns[2] = ld_conn_open(silent, 2);
    conns[3] = ld_conn_open(refused, 3); /* connection refused */
    for (int i = 0; i < 4; i++)
        assert_non_null(conns[i]);
    assert_int_equal(ld_ws_upgrade(conns[1], "t", NULL, NULL), 0);
    assert_int_equal(ld_ws_upgrade(conns[2], "t", NULL, NULL), 0);
    assert_int_equal(ld_ws_upgrade(conns[3], "t", NULL, NULL), 0);
    ld_socks_t s = {.conn = conns, .ready = ready, .n = 4, .n_ready = 1};

    json_t *before = ld_socks_not_ready(&s);
    assert_int_equal(s_count(before, "connecting"), 3);
    json_decref(before);

    /* Bounded: loopback connects and refusals take microseconds. */
    for (int i = 0;
         i < 100 && (!ld_conn_dead(conns[3]) || strcmp(ld_conn_stage(conns[1]), "upgrading") != 0 ||
                     strcmp(ld_conn_stage(conns[2]), "upgrading") != 0);
         i++) {
        ld_loop_poll(silent, 10);
        ld_loop_poll(refused, 10);
    }
    json_t *after = ld_socks_not_ready(&s);
    assert_int_equal(s_count(after, "upgrading"), 2);
    assert_int_equal(s_count(after, "closed"), 1);
    assert_int_equal(json_object_size(after), 2);
    json_decref(after);

    for (int i = 0; i < 4; i++)
        ld_conn_close(conns[i]);
    ld_loop_destroy(&silent);
    ld_loop_destroy(&refused);
    close(lfd);
}

static void test_a_socket_never_started_is_named_so(void **state)
{
    (void)state;
    ld_conn_t *conns[1] = {NULL};
    bool ready[1] = {false};
    ld_socks_t s = {.conn = conns, .ready = ready, .n = 1};
    json_t *o = ld_socks_not_ready(&s);
    assert_int_equal(s_count(o, "not started"), 1);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_ready_sockets_are_counted_by_stage),
        cmocka_unit_test(test_a_socket_never_started_is_named_so),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
