/* pigeon-load - drives a Pigeon gateway like many app clients and measures
 * it. See docs/BENCHMARKS.md and `pigeon-load --help`. */
#include "ld_report.h"
#include "ld_scen.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static void s_usage(FILE *out)
{
    fputs("usage: pigeon-load --scenario S [options]\n"
          "\n"
          "Scenarios (each stops by itself after --duration plus --drain seconds):\n"
          "  pairs        users in pairs send 100-byte texts over WebSocket; acked\n"
          "               throughput, ack and send->deliver latency, loss/dup/gap check\n"
          "  group        one group of --members members, all online, --senders send;\n"
          "               deliveries/s and fan-out latency\n"
          "  connections  open --connections idle WebSockets, hold them --duration s;\n"
          "               gateway RSS per connection\n"
          "  login        logins for --duration s with --connections in flight\n"
          "  prepare      register --users users, make pairs friends, save --users-file\n"
          "\n"
          "Options:\n"
          "  --url URL           gateway, loopback only (default http://127.0.0.1:8080)\n"
          "  --users N           simulated users (default 100)\n"
          "  --rate R            offered messages/s in total; 0 = closed loop (default 1000)\n"
          "  --window W          closed loop: messages in flight per sender (default 1)\n"
          "  --duration S        seconds of load (default 10)\n"
          "  --drain S           seconds to wait for the last acks/pushes (default 10)\n"
          "  --connections N     connections: sockets; login: concurrency (default 1000 / 8)\n"
          "  --members M         group size (default 50)\n"
          "  --senders S         group: sending members (default 5)\n"
          "  --prefix P          usernames P0, P1, ... (default load)\n"
          "  --users-file F      reuse prepared users from F (id name token lines), or save them\n"
          "  --pool N            REST connections for set-up calls (default 8)\n"
          "  --gateway-pid PID   for RSS (default: the only pigeon-gateway process)\n"
          "  --metrics URL       another /metrics to sum drop counters from (repeatable)\n"
          "  --json              print only the JSON line\n"
          "  --slow-log FILE     pairs/group: write every message whose slowest push\n"
          "                      took over 10 ms: send time (ms after the start),\n"
          "                      latency (ms), conversation, sender\n"
          "  --report FILE       print FILE's JSON lines (runs) as Markdown tables, and exit\n"
          "  --help              this text\n"
          "\n"
          "Exit status (also \"ok\" in the JSON line; the reason of a failure on stderr):\n"
          "  0  the run was correct\n"
          "  1  pairs/group: a message was lost (acked, but a recipient missed its push\n"
          "     and the sync did not find it), duplicated (pushed twice to a recipient,\n"
          "     acked twice, twice in the history or two acks with one seq), skipped\n"
          "     by the history (gaps) or missing from it (not_in_history)\n"
          "  2  bad options (a --url off loopback too), or a --report file that cannot\n"
          "     be read\n"
          "  3  the scenario failed (\"error\" in the line, or calls of login or prepare\n"
          "     failed), or the sync could not read every history (sync_failed), so the\n"
          "     messages were not checked\n"
          "Not failures: pushes missed but found by the sync (push_missed; pushes are\n"
          "best effort: a gateway drops them for a socket that does not read, see\n"
          "ws_events_dropped and publisher_events_dropped), sends answered with an\n"
          "error frame or not answered before the drain ended (errors, unacked), and a\n"
          "group run \"skipped\" because the server has no group routes.\n",
          out);
}

static int s_parse_url(const char *url, ld_opts_t *o)
{
    if (sscanf(url, "http://%63[^:/]:%d", o->host, &o->port) == 2)
        return 0;
    if (sscanf(url, "http://%63[^:/]", o->host) == 1) {
        o->port = 80;
        return 0;
    }
    return -1;
}

/* Raises the soft open-files limit to the hard one: a socket per user. */
static void s_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int s_parse(int argc, char **argv, ld_opts_t *o)
{
    static const struct option longs[] = {
        {"url", 1, 0, 'u'},
        {"users", 1, 0, 'n'},
        {"rate", 1, 0, 'r'},
        {"window", 1, 0, 'w'},
        {"duration", 1, 0, 'd'},
        {"drain", 1, 0, 'D'},
        {"connections", 1, 0, 'c'},
        {"members", 1, 0, 'm'},
        {"senders", 1, 0, 's'},
        {"prefix", 1, 0, 'p'},
        {"users-file", 1, 0, 'f'},
        {"pool", 1, 0, 'P'},
        {"gateway-pid", 1, 0, 'g'},
        {"metrics", 1, 0, 'M'},
        {"json", 0, 0, 'j'},
        {"slow-log", 1, 0, 'L'},
        {"scenario", 1, 0, 'S'},
        {"help", 0, 0, 'h'},
        {"report", 1, 0, 'R'},
        {0, 0, 0, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (ch) {
        case 'u':
            if (s_parse_url(optarg, o) != 0) {
                fprintf(stderr, "pigeon-load: invalid --url \"%s\"\n", optarg);
                return -1;
            }
            break;
        case 'n':
            o->users = strtoul(optarg, NULL, 10);
            break;
        case 'r':
            o->rate = strtod(optarg, NULL);
            break;
        case 'w':
            o->window = strtoul(optarg, NULL, 10);
            break;
        case 'd':
            o->duration = strtod(optarg, NULL);
            break;
        case 'D':
            o->drain = strtod(optarg, NULL);
            break;
        case 'c':
            o->connections = strtoul(optarg, NULL, 10);
            break;
        case 'm':
            o->members = strtoul(optarg, NULL, 10);
            break;
        case 's':
            o->senders = strtoul(optarg, NULL, 10);
            break;
        case 'p':
            o->prefix = optarg;
            break;
        case 'f':
            o->users_file = optarg;
            break;
        case 'P':
            o->pool = atoi(optarg);
            break;
        case 'g':
            o->gateway_pid = atoi(optarg);
            break;
        case 'M':
            if (o->nmetrics < LD_METRICS_MAX)
                o->metrics[o->nmetrics++] = optarg;
            break;
        case 'j':
            o->json = true;
            break;
        case 'L':
            o->slow_log = optarg;
            break;
        case 'S':
            o->scenario = optarg;
            break;
        case 'h':
            s_usage(stdout);
            exit(0);
        case 'R': {
            FILE *f = fopen(optarg, "r");
            if (!f) {
                fprintf(stderr, "pigeon-load: could not open \"%s\"\n", optarg);
                exit(LD_EXIT_USAGE);
            }
            ld_report(f, stdout);
            fclose(f);
            exit(0);
        }
        default:
            s_usage(stderr);
            return -1;
        }
    }
    if (strlen(o->prefix) < 2 || strlen(o->prefix) > 24) {
        fprintf(stderr, "pigeon-load: --prefix must have 2 to 24 characters (usernames need 3)\n");
        return -1;
    }
    if (!o->scenario) {
        fprintf(stderr, "pigeon-load: no --scenario given\n");
        return -1;
    }
    if (o->duration <= 0 || o->duration > 3600 || o->drain < 0 || o->drain > 600 ||
        o->users > 1000000 || o->window < 1 || o->window > 1000 || o->pool < 1 || o->rate < 0 ||
        o->rate > 1e6) {
        fprintf(stderr, "pigeon-load: an option is out of range (see --help)\n");
        return -1;
    }
    return 0;
}

/* One "key  value" row per field; nested objects (latencies) on one line. */
static void s_table(const json_t *res)
{
    const char *key;
    json_t *v;
    printf("%-26s %s\n", "scenario", json_string_value(json_object_get(res, "scenario")));
    json_object_foreach((json_t *)res, key, v)
    {
        if (strcmp(key, "scenario") == 0)
            continue;
        if (json_is_object(v) && json_object_get(v, "p50")) {
            printf("%-26s p50 %.2f  p95 %.2f  p99 %.2f  max %.2f ms  (n=%lld)\n", key,
                   json_real_value(json_object_get(v, "p50")),
                   json_real_value(json_object_get(v, "p95")),
                   json_real_value(json_object_get(v, "p99")),
                   json_real_value(json_object_get(v, "max")),
                   (long long)json_integer_value(json_object_get(v, "n")));
        } else if (json_is_real(v)) {
            printf("%-26s %.2f\n", key, json_real_value(v));
        } else {
            char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            printf("%-26s %s\n", key, s ? s : "?");
            free(s);
        }
    }
}

int main(int argc, char **argv)
{
    ld_opts_t o = {.host = "127.0.0.1",
                   .port = 8080,
                   .users = 100,
                   .rate = 1000,
                   .window = 1,
                   .duration = 10,
                   .drain = 10,
                   .members = 50,
                   .senders = 5,
                   .prefix = "load",
                   .pool = 8};
    char err[256], why[200];
    int rc = LD_EXIT_UNCHECKED;
    if (s_parse(argc, argv, &o) != 0)
        return LD_EXIT_USAGE;
    s_raise_nofile();
    if (o.connections == 0)
        o.connections = strcmp(o.scenario, "login") == 0 ? 8 : 1000;
    ld_loop_t *loop = ld_loop_new(o.host, o.port, err, sizeof err);
    if (!loop) {
        fprintf(stderr, "pigeon-load: %s\n", err);
        return LD_EXIT_USAGE;
    }
    json_t *res = json_object();
    json_object_set_new(res, "scenario", json_string(o.scenario));
    json_object_set_new(res, "duration_s", json_real(o.duration));
    int (*fn)(const ld_opts_t *, ld_loop_t *, json_t *) = NULL;
    if (strcmp(o.scenario, "pairs") == 0)
        fn = ld_scen_pairs;
    else if (strcmp(o.scenario, "group") == 0)
        fn = ld_scen_group;
    else if (strcmp(o.scenario, "connections") == 0)
        fn = ld_scen_connections;
    else if (strcmp(o.scenario, "login") == 0)
        fn = ld_scen_login;
    else if (strcmp(o.scenario, "prepare") == 0)
        fn = ld_scen_prepare;
    if (!fn) {
        fprintf(stderr, "pigeon-load: unknown scenario \"%s\"\n", o.scenario);
        rc = LD_EXIT_USAGE;
        goto done;
    }
    int frc = fn(&o, loop, res);
    rc = ld_report_verdict(res, frc == 0, why, sizeof why);
    json_object_set_new(res, "ok", json_boolean(rc == LD_EXIT_OK));
    if (!o.json)
        s_table(res);
    char *line = json_dumps(res, JSON_COMPACT | JSON_REAL_PRECISION(6));
    printf("%s\n", line ? line : "{}");
    free(line);
    fflush(stdout); /* the line first, then why it failed */
    if (rc != LD_EXIT_OK)
        fprintf(stderr, "pigeon-load: %s run failed: %s\n", o.scenario, why);
done:
    json_decref(res);
    ld_loop_destroy(&loop);
    return rc;
}
