/*
 * fuzz_cron.c - the schedule rule reader (model/calendar.c) on any
 * customCron: a rule taken comes at most 96 times in any day (the bound
 * on what rules generate), its occurrences over two days are real
 * minutes, in order, each once, within the span; a rule refused has no
 * occurrences.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "model/model.h"
#include "fuzz.h"

#define OUT_MAX	400

/* a before b (or equal): -1, 0, 1. */
static int
civil_cmp(const struct model_civil *a, const struct model_civil *b)
{
	const int	 x[5] = { a->y, a->mo, a->d, a->h, a->mi };
	const int	 y[5] = { b->y, b->mo, b->d, b->h, b->mi };
	int		 i;

	for (i = 0; i < 5; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model_civil	 from = { 2028, 2, 28, 0, 0 };
	struct model_civil	 until = { 2028, 2, 29, 23, 59 };
	struct model_civil	 out[OUT_MAX];
	struct model_error	 err;
	struct json_object	*rule;
	char			 cron[256];
	int			 n, i, ok;

	if (size >= sizeof(cron))
		return 0;
	memcpy(cron, data, size);
	cron[size] = '\0';
	rule = json_object_new_object();
	json_object_object_add(rule, "recurrence",
	    json_object_new_string("custom"));
	json_object_object_add(rule, "customCron",
	    json_object_new_string(cron));
	json_object_object_add(rule, "questTemplate",
	    json_tokener_parse("{\"title\":\"t\"}"));
	ok = model_schedule_check(rule, &err) == 0;
	n = model_schedule_occurrences(rule, &from, &until, out, OUT_MAX);
	if (!ok)
		FUZZ_ASSERT(n == -1);
	else {
		/* Two days: 96 a day at most. */
		FUZZ_ASSERT(n >= 0 && n <= 2 * 96);
		for (i = 0; i < n; i++) {
			FUZZ_ASSERT(civil_cmp(&from, &out[i]) <= 0 &&
			    civil_cmp(&out[i], &until) <= 0);
			FUZZ_ASSERT(out[i].h >= 0 && out[i].h <= 23 &&
			    out[i].mi >= 0 && out[i].mi <= 59);
			FUZZ_ASSERT(i == 0 || civil_cmp(&out[i - 1],
			    &out[i]) < 0);
		}
	}
	json_object_put(rule);
	return 0;
}
