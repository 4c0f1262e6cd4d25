/*
 * time.c - ISO 8601 date-times as the API takes them: a full date, "T",
 * hours, minutes, seconds, an optional fraction, and a zone ("Z" or
 * ±HH:MM). Each part is range-checked (February 30 is refused), so what
 * passes is a real instant.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

#include "model/model.h"

/* 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z, in ms. */
#define TIME_MIN_MS	(-62135596800000LL)
#define TIME_MAX_MS	253402300799999LL

/* n digits at s into *out; 0 or -1. */
static int
digits(const char *s, int n, int *out)
{
	int	 i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
days_in(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

int
model_time_parse(const char *s, int64_t *ms)
{
	struct tm	 tm;
	int		 y, mo, d, h, mi, sec, frac = 0, fdig = 0, oh, om, sign;
	const char	*p;
	time_t		 t;

	if (strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    s[10] != 'T' || digits(s + 11, 2, &h) || s[13] != ':' ||
	    digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
		return -1;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in(y, mo) ||
	    h > 23 || mi > 59 || sec > 59)
		return -1;
	p = s + 19;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, fdig++)
			if (fdig < 3)
				frac = frac * 10 + (*p - '0');
		if (fdig == 0 || fdig > 9)
			return -1;
		for (; fdig < 3; fdig++)
			frac *= 10;
	}
	if (*p == 'Z' && p[1] == '\0') {
		oh = om = 0;
		sign = 1;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':' &&
	    digits(p + 1, 2, &oh) == 0 && digits(p + 4, 2, &om) == 0 &&
	    oh <= 15 && om <= 59) {
		/* PostgreSQL takes offsets to ±15:59, no further. */
		sign = *p == '-' ? -1 : 1;
	} else
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*ms = ((int64_t)t - sign * (int64_t)(oh * 3600 + om * 60)) * 1000 +
	    frac;
	/* An instant of the years 1 to 9999 in UTC, as times are sent back:
	 * 9999-12-31T23:59:59-01:00 would be year 10000. */
	if (*ms < TIME_MIN_MS || *ms > TIME_MAX_MS)
		return -1;
	return 0;
}
