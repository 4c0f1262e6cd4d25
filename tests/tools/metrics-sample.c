/*
 * metrics-sample.c - every shape util/metrics.c writes, on stdout, for
 * tests/tools/check-metrics.sh to hand to an independent parser
 * (Prometheus's own promtool).
 */
#include "config.h"

#include <stdio.h>

#include "util/util.h"

int
main(void)
{
	struct buf	 b, l;
	const double	 bounds[] = { 0.001, 0.005, 0.025, 0.1, 0.5, 2.5 };
	const uint64_t	 counts[] = { 10, 20, 5, 1, 0, 0, 1 };
	int		 rc = 0;

	buf_init(&b, 1 << 16);
	buf_init(&l, 1024);
	rc |= metrics_family(&b, "passiond_build_info", "gauge",
	    "The running build.");
	rc |= metrics_label(&l, "version", "0.1.0");
	rc |= buf_putc(&l, '\0');
	rc |= metrics_sample(&b, "passiond_build_info", l.data, 1);
	rc |= metrics_family(&b, "passiond_requests_total", "counter",
	    "Requests answered, by route template, method and status class.");
	l.len = 0;
	rc |= metrics_label(&l, "route", "/api/quests/{id}");
	rc |= metrics_label(&l, "method", "GET");
	rc |= metrics_label(&l, "code", "2xx");
	rc |= metrics_label(&l, "odd", "back\\slash \"quoted\"\nnewline");
	rc |= buf_putc(&l, '\0');
	rc |= metrics_sample(&b, "passiond_requests_total", l.data, 12345);
	rc |= metrics_family(&b, "passiond_workers", "gauge",
	    "Request workers by state.");
	rc |= metrics_sample(&b, "passiond_workers", "state=\"idle\"", 3);
	rc |= metrics_sample(&b, "passiond_workers", "state=\"busy\"", 1);
	rc |= metrics_family(&b, "passiond_request_duration_seconds",
	    "histogram", "Time from a request's first byte to its answer.");
	rc |= metrics_histogram(&b, "passiond_request_duration_seconds",
	    "route=\"/api/health\"", bounds, counts, 6, 0.0731);
	rc |= metrics_family(&b, "passiond_load_ratio", "gauge",
	    "A value that is not an integer.");
	rc |= metrics_sample(&b, "passiond_load_ratio", NULL, 0.1);
	if (rc != 0 || fwrite(b.data, 1, b.len, stdout) != b.len)
		return 1;
	buf_cleanup(&l);
	buf_cleanup(&b);
	return 0;
}
