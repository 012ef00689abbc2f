/* test_pubsub.c - events from a publisher to subscribers: markers, topic
 * filtering, and the drain rule for edge-triggered readers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "clock.h"
#include "metrics.h"
#include "pubsub.h"

typedef struct {
    pc_publisher_t *pub;
    pc_pub_sender_t *sender;
    pc_subscriber_t *sub;
    char endpoint[128];
} fixture_t;

static int setup(void **state)
{
    static fixture_t f;
    memset(&f, 0, sizeof f);
    f.pub = pc_publisher_new("tcp://127.0.0.1:*", "pub-1", NULL, f.endpoint, sizeof f.endpoint);
    if (!f.pub)
        return -1;
    f.sender = pc_pub_sender_new(f.pub);
    f.sub = pc_subscriber_new();
    if (!f.sender || !f.sub || pc_subscriber_connect(f.sub, f.endpoint) != 0)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    pc_subscriber_destroy(&f->sub);
    pc_pub_sender_destroy(&f->sender);
    pc_publisher_destroy(&f->pub);
    return 0;
}

/* Waits until a message arrives or the deadline passes; 1 when one did. */
static int recv_until(pc_subscriber_t *sub, pc_event_t *ev, int64_t deadline)
{
    for (;;) {
        int rc = pc_subscriber_recv(sub, ev);
        if (rc != 0)
            return rc;
        int64_t left = deadline - pc_mono_ms();
        if (left <= 0)
            return 0;
        zmq_pollitem_t item = {pc_subscriber_socket(sub), 0, ZMQ_POLLIN, 0};
        zmq_poll(&item, 1, (long)left);
    }
}

/* Subscribes and waits for this publisher's marker on the topic. */
static void subscribe_confirmed(pc_subscriber_t *sub, const char *topic)
{
    assert_int_equal(pc_subscriber_subscribe(sub, topic), 0);
    int64_t deadline = pc_mono_ms() + 3000;
    pc_event_t ev;
    while (recv_until(sub, &ev, deadline) == 1) {
        if (ev.is_marker && !strcmp(ev.topic, topic)) {
            assert_string_equal(ev.marker_from, "pub-1");
            return;
        }
    }
    fail_msg("no marker for \"%s\"", topic);
}

static void test_subscription_is_confirmed_by_a_marker(void **state)
{
    fixture_t *f = *state;
    subscribe_confirmed(f->sub, "u:42/");

    /* A second subscriber of the same topic is answered too (XPUB_VERBOSE). */
    pc_subscriber_t *other = pc_subscriber_new();
    assert_int_equal(pc_subscriber_connect(other, f->endpoint), 0);
    subscribe_confirmed(other, "u:42/");
    pc_subscriber_destroy(&other);
}

static void test_topics_end_with_a_delimiter(void **state)
{
    fixture_t *f = *state;
    subscribe_confirmed(f->sub, "u:42/");
    assert_int_equal(pc_pub_send(f->sender, "u:421/", "{\"x\":421}", 9), 0);
    assert_int_equal(pc_pub_send(f->sender, "u:42/", "{\"x\":42}", 8), 0);
    assert_int_equal(pc_pub_send(f->sender, "u:42/", "end", 3), 0);

    int64_t deadline = pc_mono_ms() + 3000;
    pc_event_t ev;
    int seen = 0;
    while (recv_until(f->sub, &ev, deadline) == 1) {
        if (ev.is_marker)
            continue;
        assert_string_equal(ev.topic, "u:42/");
        seen++;
        if (ev.payload_len == 3 && !memcmp(ev.payload, "end", 3))
            break;
        assert_int_equal(ev.payload_len, 8);
        assert_memory_equal(ev.payload, "{\"x\":42}", 8);
    }
    assert_int_equal(seen, 2);
}

/* One payload to many users: each subscribed member gets it on its own
 * topic, the skipped user gets nothing. */
static void test_send_users_reaches_every_topic_but_skip(void **state)
{
    fixture_t *f = *state;
    subscribe_confirmed(f->sub, "u:7/");
    subscribe_confirmed(f->sub, "u:1234567890123/");
    subscribe_confirmed(f->sub, "u:9/");
    const int64_t users[] = {7, 8, 9, 1234567890123};
    /* Longer than ZeroMQ's inline size, so the bytes are shared. */
    const char payload[] = "{\"type\":\"message\",\"message\":{\"text\":\"hello, group\"}}";
    size_t len = sizeof payload - 1;
    assert_int_equal(pc_pub_send_users(f->sender, users, 4, 9, payload, len), 0);
    assert_int_equal(pc_pub_send(f->sender, "u:9/", "end", 3), 0);

    int64_t deadline = pc_mono_ms() + 3000;
    pc_event_t ev;
    bool seen7 = false, seen_big = false;
    while (recv_until(f->sub, &ev, deadline) == 1) {
        if (ev.is_marker)
            continue;
        if (!strcmp(ev.topic, "u:9/")) { /* skipped: only the end mark */
            assert_int_equal(ev.payload_len, 3);
            break;
        }
        assert_int_equal(ev.payload_len, len);
        assert_memory_equal(ev.payload, payload, len);
        if (!strcmp(ev.topic, "u:7/"))
            seen7 = true;
        else if (!strcmp(ev.topic, "u:1234567890123/"))
            seen_big = true;
        else
            fail_msg("unexpected topic \"%s\"", ev.topic);
    }
    assert_true(seen7);
    assert_true(seen_big);
}

/* An origin tag travels with the event; the payload arrives without it. A
 * tag without its terminating NUL is malformed and skipped. */
static void test_origin_tag_is_carried_as_except(void **state)
{
    fixture_t *f = *state;
    subscribe_confirmed(f->sub, "u:7/");
    assert_int_equal(pc_pub_send_except(f->sender, "u:7/", "{\"m\":1}", 7, "gw-1/12"), 0);
    assert_int_equal(pc_pub_send_except(f->sender, "u:7/", "{\"m\":2}", 7, ""), 0);
    assert_int_equal(pc_pub_send(f->sender, "u:7/", "\x01no-nul", 7), 0);
    assert_int_equal(pc_pub_send_except(f->sender, "u:7/", "{\"m\":3}", 7, NULL), 0);

    static const char *const want_payload[] = {"{\"m\":1}", "{\"m\":2}", "{\"m\":3}"};
    static const char *const want_except[] = {"gw-1/12", NULL, NULL};
    int64_t deadline = pc_mono_ms() + 3000;
    pc_event_t ev;
    size_t seen = 0;
    while (seen < 3 && recv_until(f->sub, &ev, deadline) == 1) {
        if (ev.is_marker)
            continue;
        assert_int_equal(ev.payload_len, 7);
        assert_memory_equal(ev.payload, want_payload[seen], 7);
        if (want_except[seen])
            assert_string_equal(ev.except, want_except[seen]);
        else
            assert_null(ev.except);
        seen++;
    }
    assert_int_equal(seen, 3);

    size_t n = 0;
    char *wire = pc_pub_payload_except("ab", 2, "o", &n);
    assert_non_null(wire);
    assert_int_equal(n, 5);
    assert_memory_equal(wire, "\x01o\0ab", 5);
    free(wire);
}

static void test_drain_rule_reads_everything(void **state)
{
    fixture_t *f = *state;
    subscribe_confirmed(f->sub, "u:7/");
    enum { N = 2000 };
    for (int i = 0; i < N; i++) {
        char payload[32];
        int n = snprintf(payload, sizeof payload, "%d", i);
        assert_int_equal(pc_pub_send(f->sender, "u:7/", payload, (size_t)n), 0);
    }

    /* ZMQ_FD is edge-triggered: after each wake-up read until ZMQ_EVENTS
     * no longer says readable, or messages stall in the socket. */
    void *sock = pc_subscriber_socket(f->sub);
    int fd;
    size_t sz = sizeof fd;
    assert_int_equal(zmq_getsockopt(sock, ZMQ_FD, &fd, &sz), 0);
    int got = 0;
    int64_t deadline = pc_mono_ms() + 5000;
    while (got < N && pc_mono_ms() < deadline) {
        for (;;) {
            int events = 0;
            sz = sizeof events;
            zmq_getsockopt(sock, ZMQ_EVENTS, &events, &sz);
            if (!(events & ZMQ_POLLIN))
                break;
            pc_event_t ev;
            while (pc_subscriber_recv(f->sub, &ev) == 1)
                if (!ev.is_marker) {
                    char want[32];
                    snprintf(want, sizeof want, "%d", got);
                    assert_int_equal(ev.payload_len, strlen(want));
                    assert_memory_equal(ev.payload, want, ev.payload_len);
                    got++;
                }
        }
        if (got < N) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            poll(&p, 1, (int)(deadline - pc_mono_ms() > 0 ? deadline - pc_mono_ms() : 0));
        }
    }
    assert_int_equal(got, N);
}

static void test_unsubscribed_topics_stop(void **state)
{
    fixture_t *f = *state;
    subscribe_confirmed(f->sub, "u:1/");
    subscribe_confirmed(f->sub, "u:2/");
    assert_int_equal(pc_subscriber_unsubscribe(f->sub, "u:1/"), 0);
    /* A fresh subscription's marker proves the unsubscribe (sent before it
     * on the same connection) has reached the publisher. */
    subscribe_confirmed(f->sub, "u:3/");
    assert_int_equal(pc_pub_send(f->sender, "u:1/", "a", 1), 0);
    assert_int_equal(pc_pub_send(f->sender, "u:2/", "b", 1), 0);
    pc_event_t ev;
    int64_t deadline = pc_mono_ms() + 3000;
    while (recv_until(f->sub, &ev, deadline) == 1 && ev.is_marker)
        ;
    assert_false(ev.is_marker);
    assert_string_equal(ev.topic, "u:2/");
}

/* A counter's value in a rendered /metrics text; 0 when absent. */
static double metric(pc_metrics_t *m, const char *name)
{
    char *text = pc_metrics_render(m);
    assert_non_null(text);
    double v = 0;
    for (char *line = text; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, name, strlen(name)) == 0 && line[strlen(name)] == ' ')
            v = strtod(line + strlen(name) + 1, NULL);
    free(text);
    return v;
}

/* A gateway that stops reading fills its queues; the events the publisher
 * can then not hand over are counted as dropped, never lost unseen: every
 * event sent ends up either published or dropped, and some of the drops
 * happen at the subscriber's queue (not only at the sender's). */
static void test_a_full_subscriber_queue_counts_drops(void **state)
{
    (void)state;
    char endpoint[128];
    pc_metrics_t *m = pc_metrics_new("test");
    pc_publisher_t *pub =
        pc_publisher_new("tcp://127.0.0.1:*", "pub-1", m, endpoint, sizeof endpoint);
    assert_non_null(pub);
    pc_pub_sender_t *sender = pc_pub_sender_new(pub);
    pc_subscriber_t *sub = pc_subscriber_new();
    assert_non_null(sender);
    assert_non_null(sub);
    assert_int_equal(pc_subscriber_connect(sub, endpoint), 0);
    subscribe_confirmed(sub, "u:9/");

    /* More than the publisher's queue (100,000), the subscriber's
     * (100,000) and the kernel's buffers between them can hold. */
    enum { N = 320000 };
    char payload[100];
    memset(payload, 'x', sizeof payload);
    long refused = 0;
    for (int i = 0; i < N; i++)
        if (pc_pub_send(sender, "u:9/", payload, sizeof payload) != 0)
            refused++;
    double published = 0, dropped = 0;
    int64_t deadline = pc_mono_ms() + 20000;
    while (pc_mono_ms() < deadline) { /* until the publisher has taken every event */
        published = metric(m, "pigeon_events_published_total");
        dropped = metric(m, "pigeon_events_dropped_total");
        if (published + dropped >= N)
            break;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_true(published + dropped == (double)N);
    assert_true(dropped - (double)refused > 0); /* dropped at the subscriber's queue */

    pc_subscriber_destroy(&sub);
    pc_pub_sender_destroy(&sender);
    pc_publisher_destroy(&pub);
    pc_metrics_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_subscription_is_confirmed_by_a_marker, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_topics_end_with_a_delimiter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_origin_tag_is_carried_as_except, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_users_reaches_every_topic_but_skip, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_drain_rule_reads_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsubscribed_topics_stop, setup, teardown),
        cmocka_unit_test(test_a_full_subscriber_queue_counts_drops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
