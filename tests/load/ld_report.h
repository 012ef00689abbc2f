/* ld_report.h - turns the JSON lines of a benchmark suite (pigeon-load's and
 * the wrk scripts') into the Markdown tables of docs/BENCHMARKS.md. */
#ifndef PIGEON_LD_REPORT_H
#define PIGEON_LD_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* pigeon-load's exit statuses (also in --help and README.md). */
#define LD_EXIT_OK 0        /* the run was correct */
#define LD_EXIT_WRONG 1     /* a message lost, duplicated, skipped or not in the history */
#define LD_EXIT_USAGE 2     /* bad options, or a --report file that cannot be read */
#define LD_EXIT_UNCHECKED 3 /* the scenario failed, or its sync could not check it */

/* Whether a run was correct, as an exit status, from its JSON object and
 * whether its scenario ran to the end: LD_EXIT_UNCHECKED when it did not,
 * or the object has "error" or "sync_failed" above 0; else LD_EXIT_WRONG
 * when lost, duplicated, gaps or not_in_history is above 0; else
 * LD_EXIT_OK (a missing field counts as 0, so scenarios without messages
 * pass when they ran). Pushes missed but found by the sync, unacked sends,
 * error answers and "skipped" do not fail a run. A short reason goes to
 * why. */
int ld_report_verdict(const json_t *run, bool ran, char *why, size_t len);

/* Reads JSON lines from in, writes one table per scenario to out, in the
 * order the scenarios first appear. Lines that are not JSON objects are
 * skipped. Returns the runs read. */
int ld_report(FILE *in, FILE *out);

#endif
