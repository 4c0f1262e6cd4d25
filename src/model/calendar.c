/*
 * calendar.c - schedule rules and time zones in civil (wall-clock) time:
 * the rule's checks, 5-field cron expressions, and the occurrences of a
 * rule between two local times. Turning a local time into an instant is
 * the database's job (its time zone data is the one the names were
 * checked against); nothing here knows a zone's offsets.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

/* --- civil dates ------------------------------------------------------ */

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long
days_from_civil(int y, int m, int d)
{
	long	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(long z, int *y, int *m, int *d)
{
	long	 era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* 0 Sunday … 6 Saturday. */
static int
weekday(long days)
{
	return (int)(((days + 4) % 7 + 7) % 7);
}

/* n digits at s (nothing else: no sign, no space) into *v: 0, or -1. */
static int
fixed_digits(const char *s, int n, int *v)
{
	int	 i;

	for (*v = 0, i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int
model_civil_parse(const char *s, struct model_civil *c)
{
	size_t	 n = strlen(s);

	/* YYYY-MM-DD, or with " HH:MM" or "THH:MM": exactly (sscanf took
	 * "2026-1-1xx", "+026-01-01" and " 2026-01-5"). */
	memset(c, 0, sizeof(*c));
	if ((n != 10 && n != 16) || fixed_digits(s, 4, &c->y) != 0 ||
	    s[4] != '-' || fixed_digits(s + 5, 2, &c->mo) != 0 ||
	    s[7] != '-' || fixed_digits(s + 8, 2, &c->d) != 0)
		return -1;
	if (n == 16 && ((s[10] != ' ' && s[10] != 'T') ||
	    fixed_digits(s + 11, 2, &c->h) != 0 || s[13] != ':' ||
	    fixed_digits(s + 14, 2, &c->mi) != 0))
		return -1;
	if (c->y < 1 || c->y > 9999 || c->mo < 1 || c->mo > 12 || c->d < 1 ||
	    c->d > month_days(c->y, c->mo) || c->h < 0 || c->h > 23 ||
	    c->mi < 0 || c->mi > 59)
		return -1;
	return 0;
}

void
model_civil_format(const struct model_civil *c, char out[20])
{
	snprintf(out, 20, "%04u-%02u-%02u %02u:%02u", (unsigned)c->y % 10000,
	    (unsigned)c->mo % 100, (unsigned)c->d % 100, (unsigned)c->h % 100,
	    (unsigned)c->mi % 100);
}

static long long
civil_key(const struct model_civil *c)
{
	return days_from_civil(c->y, c->mo, c->d) * 1440LL + c->h * 60 + c->mi;
}

void
model_civil_add_days(struct model_civil *c, int days)
{
	civil_from_days(days_from_civil(c->y, c->mo, c->d) + days, &c->y,
	    &c->mo, &c->d);
}

/* --- cron ------------------------------------------------------------- */

#define CRON_PER_DAY	96	/* occurrences a day, at most */

struct cron {
	unsigned long long	 minute;	/* bit n: minute n */
	unsigned long		 hour, dom, month, dow;
	int			 dom_star, dow_star;
};

static const struct {
	const char	*name;
	int		 min, max;
	const char	*names;		/* 3-letter names from min, or NULL */
} cron_fields[5] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day of month", 1, 31, NULL },
	{ "month", 1, 12, "janfebmaraprmayjunjulaugsepoctnovdec" },
	{ "day of week", 0, 7, "sunmontuewedthufrisat" },
};

/* A number or a name of field i at *s; -1 when neither. */
static int
cron_value(int i, const char **s)
{
	const char	*p = *s;
	char		 lower[4];
	long		 v;
	int		 k;

	if (isdigit((unsigned char)*p)) {
		v = strtol(p, (char **)s, 10);
		return v > 99 ? 100 : (int)v;
	}
	if (cron_fields[i].names == NULL || !isalpha((unsigned char)p[0]) ||
	    !isalpha((unsigned char)p[1]) || !isalpha((unsigned char)p[2]))
		return -1;
	for (k = 0; k < 3; k++)
		lower[k] = (char)tolower((unsigned char)p[k]);
	lower[3] = '\0';
	for (k = 0; cron_fields[i].names[k * 3] != '\0'; k++)
		if (strncmp(cron_fields[i].names + k * 3, lower, 3) == 0) {
			*s = p + 3;
			return cron_fields[i].min + k;
		}
	return -1;
}

/* One field's text into the bits of its values; 0 or -1 with e. */
static int
cron_field(int i, const char *text, unsigned long long *bits,
    struct model_error *e)
{
	const char	*p = text;
	int		 lo, hi, step, v, star, min = cron_fields[i].min;
	int		 max = cron_fields[i].max;

	*bits = 0;
	for (;;) {
		step = 1;
		star = *p == '*';
		if (star) {
			lo = min;
			hi = max;
			p++;
		} else {
			if ((lo = cron_value(i, &p)) < 0)
				goto bad;
			hi = lo;
			if (*p == '-') {
				p++;
				if ((hi = cron_value(i, &p)) < 0)
					goto bad;
			}
		}
		if (*p == '/') {
			p++;
			if (!isdigit((unsigned char)*p))
				goto bad;
			step = (int)strtol(p, (char **)&p, 10);
			if (step < 1 || step > max)
				goto bad;
			if (hi == lo && !star)
				hi = max;	/* "5/15": from 5 on */
		}
		if (lo < min || hi > max || lo > hi)
			return model_fail(e, 422, "customCron", "customCron: "
			    "%s must be within %d-%d (in \"%s\")",
			    cron_fields[i].name, min, max, text);
		for (v = lo; v <= hi; v += step)
			*bits |= 1ULL << (i == 4 && v == 7 ? 0 : v);
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			goto bad;
	}
bad:
	return model_fail(e, 422, "customCron", "customCron: cannot read the "
	    "%s field \"%s\" (numbers, names, *, a-b, lists and /steps)",
	    cron_fields[i].name, text);
}

static int
cron_parse(const char *s, struct cron *c, struct model_error *e)
{
	char			 buf[201], *f[6], *save = NULL;
	unsigned long long	 bits[5];
	int			 n = 0, i, m, d;

	memset(c, 0, sizeof(*c));
	snprintf(buf, sizeof(buf), "%s", s);
	for (f[n] = strtok_r(buf, " \t", &save); f[n] != NULL && n < 5;
	    f[n] = strtok_r(NULL, " \t", &save))
		n++;
	if (n != 5 || f[5] != NULL)
		return model_fail(e, 422, "customCron", "customCron: five "
		    "fields (minute hour day-of-month month day-of-week), "
		    "such as \"0 9 * * 1-5\"");
	for (i = 0; i < 5; i++)
		if (cron_field(i, f[i], &bits[i], e) != 0)
			return -1;
	c->minute = bits[0];
	c->hour = (unsigned long)bits[1];
	c->dom = (unsigned long)bits[2];
	c->month = (unsigned long)bits[3];
	c->dow = (unsigned long)bits[4];
	c->dom_star = f[2][0] == '*';
	c->dow_star = f[4][0] == '*';
	/* At most 96 a day (every 15 minutes): every minute was 1 440
	 * quests a day, of each such rule. */
	if (__builtin_popcountll(c->minute) * __builtin_popcountl(c->hour) >
	    CRON_PER_DAY)
		return model_fail(e, 422, "customCron", "customCron: \"%s\" "
		    "comes %d times a day; at most %d (every 15 minutes)", s,
		    __builtin_popcountll(c->minute) *
		    __builtin_popcountl(c->hour), CRON_PER_DAY);
	/* A day of month that no month has ("31 2 …") never comes. */
	if (!c->dom_star && c->dow_star) {
		for (m = 1; m <= 12; m++)
			for (d = 1; d <= month_days(2000, m); d++)
				if ((c->month >> m & 1) && (c->dom >> d & 1))
					return 0;
		return model_fail(e, 422, "customCron", "customCron: \"%s\" "
		    "never occurs (no such day in those months)", s);
	}
	return 0;
}

/* Does the cron match this day?  (Vixie: restricted day fields OR.) */
static int
cron_day(const struct cron *c, int mo, int d, int wd)
{
	int	 dom = (c->dom >> d) & 1, dow = (c->dow >> wd) & 1;

	if (!((c->month >> mo) & 1))
		return 0;
	if (!c->dom_star && !c->dow_star)
		return dom || dow;
	return dom && dow;
}

/* --- schedule rules --------------------------------------------------- */

static const char *
str(struct json_object *o, const char *key)
{
	struct json_object	*v = json_object_object_get(o, key);

	return v != NULL ? json_object_get_string(v) : NULL;
}

/* The days of a weekly rule as bits (0 Sunday); -1 with e if none. */
static int
week_days(struct json_object *a, unsigned *bits, struct model_error *e)
{
	size_t	 i, n = a ? json_object_array_length(a) : 0;

	*bits = 0;
	for (i = 0; i < n; i++)
		*bits |= 1u << (json_object_get_int(
		    json_object_array_get_idx(a, i)) & 7);
	if (*bits == 0)
		return model_fail(e, 422, "daysOfWeek", "daysOfWeek: a weekly "
		    "rule needs one or more days, 0 (Sunday) to 6 (Saturday)");
	return 0;
}

int
model_schedule_check(struct json_object *e, struct model_error *err)
{
	const char	*r = str(e, "recurrence"), *cron;
	struct cron	 c;
	unsigned	 days;

	if (model_validate_nested(&model_quest_templates,
	    json_object_object_get(e, "questTemplate"), "questTemplate",
	    err) != 0)
		return -1;
	if (r == NULL)
		return 0;
	if (strcmp(r, "weekly") == 0)
		return week_days(json_object_object_get(e, "daysOfWeek"),
		    &days, err);
	if (strcmp(r, "monthly") == 0 && str(e, "dayOfMonth") == NULL)
		return model_fail(err, 422, "dayOfMonth", "dayOfMonth: a "
		    "monthly rule needs a day from 1 to 31 (past the month's "
		    "end: its last day)");
	if (strcmp(r, "custom") == 0) {
		if ((cron = str(e, "customCron")) == NULL)
			return model_fail(err, 422, "customCron", "customCron: "
			    "a custom rule needs a cron expression, such as "
			    "\"0 9 * * 1-5\"");
		return cron_parse(cron, &c, err);
	}
	return 0;
}

int
model_schedule_occurrences(struct json_object *rule,
    const struct model_civil *from, const struct model_civil *until,
    struct model_civil *out, int max)
{
	const char		*r = str(rule, "recurrence");
	struct model_error	 e;
	struct cron		 c;
	struct model_civil	 t;
	long			 day, last;
	unsigned		 week = 0;
	int			 n = 0, y, mo, d, h, mi, dom = 0, wd;
	long long		 lo = civil_key(from), hi = civil_key(until);

	if (r == NULL || model_schedule_check(rule, &e) != 0)
		return -1;
	/* daily, weekly and monthly fall at midnight: a cron at 0 0. */
	memset(&c, 0, sizeof(c));
	c.minute = 1;
	c.hour = 1;
	c.month = ~0ul;
	c.dom = c.dow = ~0ul;
	if (strcmp(r, "weekly") == 0)
		week_days(json_object_object_get(rule, "daysOfWeek"), &week,
		    &e);
	else if (strcmp(r, "monthly") == 0)
		dom = (int)json_object_get_int(json_object_object_get(rule,
		    "dayOfMonth"));
	else if (strcmp(r, "custom") == 0 &&
	    cron_parse(str(rule, "customCron"), &c, &e) != 0)
		return -1;
	last = days_from_civil(until->y, until->mo, until->d);
	for (day = days_from_civil(from->y, from->mo, from->d);
	    day <= last && n < max; day++) {
		civil_from_days(day, &y, &mo, &d);
		wd = weekday(day);
		if (week != 0 && !(week >> wd & 1))
			continue;
		/* Past the month's end: its last day. */
		if (dom != 0 && d != (dom < month_days(y, mo) ? dom :
		    month_days(y, mo)))
			continue;
		if (!cron_day(&c, mo, d, wd))
			continue;
		for (h = 0; h < 24 && n < max; h++)
			for (mi = 0; (c.hour >> h & 1) && mi < 60 && n < max;
			    mi++) {
				if (!(c.minute >> mi & 1))
					continue;
				t.y = y;
				t.mo = mo;
				t.d = d;
				t.h = h;
				t.mi = mi;
				if (civil_key(&t) >= lo && civil_key(&t) <= hi)
					out[n++] = t;
			}
	}
	return n;
}

/* --- time zones ------------------------------------------------------- */

int
model_zone_name_ok(const char *s)
{
	size_t	 n = strlen(s), i;

	/* "Area/Location[/More]": what IANA names look like; the
	 * database says whether it knows one. */
	if (n == 0 || n > 64 || !isalpha((unsigned char)s[0]) ||
	    strstr(s, "..") != NULL || strstr(s, "//") != NULL ||
	    s[n - 1] == '/')
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("/_+-", s[i]) ==
		    NULL)
			return 0;
	return 1;
}

int
model_settings_check(struct json_object *e, struct model_error *err)
{
	struct json_object	*s = json_object_object_get(e, "settingsJson");
	struct json_object	*z;

	if (s == NULL || !json_object_object_get_ex(s, "timeZone", &z))
		return 0;
	if (!json_object_is_type(z, json_type_string) ||
	    !model_zone_name_ok(json_object_get_string(z)))
		return model_fail(err, 422, "settingsJson.timeZone",
		    "settingsJson.timeZone: an IANA time zone name, such as "
		    "Europe/Berlin or UTC");
	return 0;
}
