/* ld_report.h - turns the JSON lines of a benchmark suite (pigeon-load's and
 * the wrk scripts') into the Markdown tables of docs/BENCHMARKS.md. */
#ifndef PIGEON_LD_REPORT_H
#define PIGEON_LD_REPORT_H

#include <stdio.h>

/* Reads JSON lines from in, writes one table per scenario to out, in the
 * order the scenarios first appear. Lines that are not JSON objects are
 * skipped. Returns the runs read. */
int ld_report(FILE *in, FILE *out);

#endif
