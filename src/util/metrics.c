/*
 * metrics.c - the Prometheus text exposition format (0.0.4), written into
 * a capped buffer: a family's HELP and TYPE lines, samples with labels
 * (values escaped as the format says: backslash, double quote, newline),
 * and histograms (cumulative buckets ending in +Inf, then _sum and
 * _count). What to count is the caller's; this file only writes it.
 * Every function returns -1 once the buffer's cap is reached, and the
 * caller answers 500 rather than a truncated page.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/util.h"

int
metrics_family(struct buf *b, const char *name, const char *type,
    const char *help)
{
	return buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

int
metrics_label(struct buf *b, const char *key, const char *value)
{
	const char	*p;
	int		 rc = 0;

	if (b->len > 0 && b->data[b->len - 1] != '{')
		rc |= buf_putc(b, ',');
	rc |= buf_printf(b, "%s=\"", key);
	for (p = value; *p != '\0'; p++) {
		if (*p == '\\')
			rc |= buf_puts(b, "\\\\");
		else if (*p == '"')
			rc |= buf_puts(b, "\\\"");
		else if (*p == '\n')
			rc |= buf_puts(b, "\\n");
		else
			rc |= buf_putc(b, *p);
	}
	rc |= buf_putc(b, '"');
	return rc != 0 ? -1 : 0;
}

/* A value as the format writes it: integers exactly, +Inf, NaN. */
static int
put_value(struct buf *b, double v)
{
	if (isnan(v))
		return buf_puts(b, "NaN");
	if (isinf(v))
		return buf_puts(b, v > 0 ? "+Inf" : "-Inf");
	if (v > -9007199254740992.0 && v < 9007199254740992.0 &&
	    v == (double)(long long)v)
		return buf_printf(b, "%lld", (long long)v);
	return buf_printf(b, "%.15g", v);
}

int
metrics_sample(struct buf *b, const char *name, const char *labels,
    double v)
{
	int		 rc;

	rc = buf_puts(b, name);
	if (labels != NULL && *labels != '\0')
		rc |= buf_printf(b, "{%s}", labels);
	rc |= buf_putc(b, ' ');
	rc |= put_value(b, v);
	rc |= buf_putc(b, '\n');
	return rc != 0 ? -1 : 0;
}

int
metrics_histogram(struct buf *b, const char *name, const char *labels,
    const double *bounds, const uint64_t *counts, size_t n, double sum)
{
	char		 le[32], lab[1024], series[256];
	const char	*sep = labels != NULL && *labels != '\0' ? "," : "";
	uint64_t	 total = 0;
	size_t		 i;
	int		 rc = 0, k;

	if (labels == NULL)
		labels = "";
	for (i = 0; i <= n; i++) {
		total += counts[i];
		if (i < n)
			snprintf(le, sizeof(le), "%.6g", bounds[i]);
		else
			strcpy(le, "+Inf");
		k = snprintf(lab, sizeof(lab), "%s%sle=\"%s\"", labels, sep, le);
		if (k < 0 || (size_t)k >= sizeof(lab))
			return -1;
		snprintf(series, sizeof(series), "%s_bucket", name);
		rc |= metrics_sample(b, series, lab, (double)total);
	}
	snprintf(series, sizeof(series), "%s_sum", name);
	rc |= metrics_sample(b, series, labels, sum);
	snprintf(series, sizeof(series), "%s_count", name);
	rc |= metrics_sample(b, series, labels, (double)total);
	return rc != 0 ? -1 : 0;
}
