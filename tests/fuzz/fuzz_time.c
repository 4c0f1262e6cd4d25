/*
 * fuzz_time.c - the time readers (model/time.c, model/calendar.c): an
 * instant taken is within 0001-01-01Z..9999-12-31Z, its offset within
 * ±15:59 (PostgreSQL's: past it, every time field was a 500), and it
 * comes back from its own ISO 8601 text; a civil date or time taken is
 * exactly "YYYY-MM-DD" or "YYYY-MM-DD HH:MI" (T too), a real one, and
 * formats back to itself.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "model/model.h"
#include "fuzz.h"

#define MS_MIN	(-62135596800000LL)	/* 0001-01-01T00:00:00Z */
#define MS_MAX	(253402300799999LL)	/* 9999-12-31T23:59:59.999Z */

/* The offset's hours of an ISO 8601 text, or -1 for Z or none. */
static int
offset_hours(const char *s)
{
	const char	*t = strchr(s, 'T'), *p;

	if (t == NULL)
		t = strchr(s, 't');
	if (t == NULL)
		return -1;
	for (p = s + strlen(s); p > t; p--)
		if (*p == '+' || *p == '-')
			return isdigit((unsigned char)p[1]) &&
			    isdigit((unsigned char)p[2]) ? (p[1] - '0') * 10 +
			    (p[2] - '0') : -1;
	return -1;
}

static int
days_in(int y, int mo)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[mo - 1];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model_civil	 c, c2;
	char			 s[128], back[40], civil[20];
	int64_t			 ms, ms2;
	size_t			 n;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (model_time_parse(s, &ms) == 0) {
		FUZZ_ASSERT(ms >= MS_MIN && ms <= MS_MAX);
		FUZZ_ASSERT(offset_hours(s) <= 15);
		time_iso8601(ms, back, sizeof(back));
		FUZZ_ASSERT(model_time_parse(back, &ms2) == 0 && ms2 == ms);
	}
	if (model_civil_parse(s, &c) == 0) {
		n = strlen(s);
		FUZZ_ASSERT(n == 10 || n == 16);
		FUZZ_ASSERT(c.y >= 1 && c.y <= 9999 && c.mo >= 1 &&
		    c.mo <= 12 && c.d >= 1 && c.d <= days_in(c.y, c.mo));
		FUZZ_ASSERT(c.h >= 0 && c.h <= 23 && c.mi >= 0 && c.mi <= 59);
		model_civil_format(&c, civil);
		FUZZ_ASSERT(strncmp(civil, s, 10) == 0);
		FUZZ_ASSERT(model_civil_parse(civil, &c2) == 0 &&
		    memcmp(&c, &c2, sizeof(c)) == 0);
	}
	return 0;
}
