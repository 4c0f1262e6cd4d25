/*
 * check_util.c - arena, buf, string, time and logfmt helpers.
 */
#include "config.h"

#include <check.h>
#include <time.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "util/util.h"
#include "../common/run.h"

static int	 order[8];
static int	 norder;

static void
record(void *p)
{
	order[norder++] = (int)(intptr_t)p;
}

START_TEST(arena_alloc_aligned_and_distinct)
{
	struct arena	 a;
	char		*p, *q;
	size_t		 i;

	arena_init(&a, 1024);
	for (i = 1; i < 5000; i += 37) {
		p = arena_alloc(&a, i);
		ck_assert_uint_eq((uintptr_t)p % _Alignof(max_align_t), 0);
		memset(p, 0xab, i);
	}
	/* Bigger than a block: gets a block of its own. */
	q = arena_alloc(&a, 100000);
	memset(q, 1, 100000);
	ck_assert_ptr_nonnull(q);
	ck_assert_str_eq(arena_strdup(&a, "hello"), "hello");
	ck_assert_str_eq(arena_strndup(&a, "hello", 3), "hel");
	ck_assert_str_eq(arena_printf(&a, "%d-%s", 42, "x"), "42-x");
	ck_assert_ptr_null(arena_strdup(&a, NULL));
	p = arena_calloc(&a, 64);
	for (i = 0; i < 64; i++)
		ck_assert_int_eq(p[i], 0);
	arena_cleanup(&a);
}
END_TEST

START_TEST(arena_defers_run_lifo_on_reset)
{
	struct arena	 a;

	norder = 0;
	arena_init(&a, 1024);
	arena_defer(&a, record, (void *)1);
	arena_defer(&a, record, (void *)2);
	arena_defer(&a, record, (void *)3);
	arena_reset(&a);
	ck_assert_int_eq(norder, 3);
	ck_assert_int_eq(order[0], 3);
	ck_assert_int_eq(order[2], 1);
	/* Reset again: nothing left to run; the arena is reusable. */
	arena_reset(&a);
	ck_assert_int_eq(norder, 3);
	ck_assert_str_eq(arena_strdup(&a, "again"), "again");
	arena_defer(&a, record, (void *)4);
	arena_cleanup(&a);
	ck_assert_int_eq(norder, 4);
}
END_TEST

START_TEST(buf_respects_cap)
{
	struct buf	 b;

	buf_init(&b, 10);
	ck_assert_int_eq(buf_puts(&b, "12345"), 0);
	ck_assert_int_eq(buf_printf(&b, "%d", 6789), 0);
	ck_assert_str_eq(b.data, "123456789");
	ck_assert_int_eq(buf_puts(&b, "ab"), -1);
	ck_assert_str_eq(b.data, "123456789");
	ck_assert_int_eq(buf_puts(&b, "a"), 0);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_int_eq(buf_append(&b, "x", 1), -1);
	buf_cleanup(&b);
}
END_TEST

static const struct {
	const char	*in;
	long long	 min, max;
	int		 rc;
	long long	 out;
} ll_cases[] = {
	{ "0", 0, 10, 0, 0 },
	{ "10", 0, 10, 0, 10 },
	{ "11", 0, 10, -1, 0 },
	{ "-1", 0, 10, -1, 0 },
	{ "-5", -10, 10, 0, -5 },
	{ "", 0, 10, -1, 0 },
	{ " 1", 0, 10, -1, 0 },
	{ "1 ", 0, 10, -1, 0 },
	{ "1x", 0, 10, -1, 0 },
	{ "99999999999999999999", 0, 10, -1, 0 },
};

START_TEST(str_to_ll_table)
{
	long long	 out = 0;
	int		 rc;

	rc = str_to_ll(ll_cases[_i].in, ll_cases[_i].min, ll_cases[_i].max,
	    &out);
	ck_assert_msg(rc == ll_cases[_i].rc, "'%s'", ll_cases[_i].in);
	if (rc == 0)
		ck_assert_int_eq(out, ll_cases[_i].out);
}
END_TEST

static const struct {
	const char	*in;
	int		 plus;
	int		 rc;
	const char	*out;
} pct_cases[] = {
	{ "abc", 1, 0, "abc" },
	{ "a%20b", 1, 0, "a b" },
	{ "a+b", 1, 0, "a b" },
	{ "a+b", 0, 0, "a+b" },
	{ "%C3%A9", 1, 0, "\xc3\xa9" },
	{ "%zz", 1, -1, NULL },
	{ "%2", 1, -1, NULL },
	{ "%", 1, -1, NULL },
	{ "a%00b", 1, -1, NULL },
	{ "%2F", 0, 0, "/" },
};

START_TEST(percent_decode_table)
{
	char	 s[64];
	int	 rc;

	snprintf(s, sizeof(s), "%s", pct_cases[_i].in);
	rc = str_percent_decode(s, pct_cases[_i].plus);
	ck_assert_msg(rc == pct_cases[_i].rc, "'%s'", pct_cases[_i].in);
	if (rc == 0)
		ck_assert_str_eq(s, pct_cases[_i].out);
}
END_TEST

static const struct {
	int64_t		 ms;
	const char	*iso;
} time_cases[] = {
	{ 0, "1970-01-01T00:00:00.000Z" },
	{ 1767355200000LL, "2026-01-02T12:00:00.000Z" },
	{ 1767355200123LL, "2026-01-02T12:00:00.123Z" },
	{ -1, "1969-12-31T23:59:59.999Z" },
};

START_TEST(iso8601_table)
{
	char	 out[32];

	time_iso8601(time_cases[_i].ms, out, sizeof(out));
	ck_assert_str_eq(out, time_cases[_i].iso);
}
END_TEST

static const struct {
	const char	*value;
	const char	*line;
} kv_cases[] = {
	{ "plain", "k=plain" },
	{ "two words", "k=\"two words\"" },
	{ "", "k=\"\"" },
	{ "a\"b", "k=\"a\\\"b\"" },
	{ "a=b", "k=\"a=b\"" },
	{ "line\nbreak", "k=\"line\\nbreak\"" },
	{ "back\\slash", "k=\"back\\\\slash\"" },
	{ "\x01", "k=\"\\x01\"" },
};

START_TEST(logfmt_quoting_table)
{
	struct buf	 b;

	buf_init(&b, 256);
	ck_assert_int_eq(log_kv(&b, "k", kv_cases[_i].value), 0);
	ck_assert_str_eq(b.data, kv_cases[_i].line);
	buf_cleanup(&b);
}
END_TEST

static const struct {
	const char	*s;
	int		 valid;
	size_t		 bad;
} utf8_cases[] = {
	{ "", 1, 0 },
	{ "plain ascii", 1, 0 },
	{ "caf\xc3\xa9", 1, 0 },
	{ "\xe2\x82\xac", 1, 0 },			/* U+20AC */
	{ "\xf0\x9f\x8e\xb5", 1, 0 },		/* U+1F3B5 */
	{ "\xf4\x8f\xbf\xbf", 1, 0 },		/* U+10FFFF */
	{ "ab\xff", 0, 2 },
	{ "\xc3\x28", 0, 0 },			/* bad continuation */
	{ "\xc0\xaf", 0, 0 },			/* overlong '/' */
	{ "\xe0\x80\xaf", 0, 0 },		/* overlong */
	{ "\xed\xa0\x80", 0, 0 },		/* surrogate U+D800 */
	{ "\xed\xbf\xbf", 0, 0 },		/* surrogate U+DFFF */
	{ "\xf4\x90\x80\x80", 0, 0 },		/* past U+10FFFF */
	{ "x\xe2\x82", 0, 1 },			/* truncated */
	{ "\x80", 0, 0 },				/* lone continuation */
};

static const struct {
	const char	*in;
	size_t		 size;
	const char	*out;
} clean_cases[] = {
	{ "plain", 64, "plain" },
	{ "/api/\xff", 64, "/api/\xef\xbf\xbd" },
	{ "caf\xc3\xa9", 64, "caf\xc3\xa9" },
	{ "\xed\xa0\x80", 64, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "ab\xc3\xa9", 4, "ab" },		/* never half a character */
	{ "ab\xff", 5, "ab" },
	{ "abc", 1, "" },
};

START_TEST(utf8_copy_valid_table)
{
	char	 out[64];
	size_t	 n = clean_cases[_i].size;

	utf8_copy_valid(out, n, clean_cases[_i].in);
	ck_assert_str_eq(out, clean_cases[_i].out);
	ck_assert(utf8_valid(out, strlen(out), NULL));
	ck_assert_uint_lt(strlen(out), n);
}
END_TEST

/* Count lines of fd's file that contain needle. */
static int
lines_with(const char *path, const char *needle)
{
	char	 line[4096];
	int	 n = 0;
	FILE	*f = fopen(path, "r");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/* A test clock: the collapse interval ends when the test says so. */
static int64_t	 fake_ms;

static int64_t
fake_clock(void)
{
	return fake_ms;
}

START_TEST(repeated_warnings_collapse)
{
	char		 path[] = "/tmp/passion-log-XXXXXX";
	int		 fd = mkstemp(path), saved = dup(2), i;

	ck_assert_int_ne(fd, -1);
	dup2(fd, 2);
	fake_ms = 1000;
	log_set_collapse(50, fake_clock);
	for (i = 0; i < 1000; i++) {
		log_warn("database unavailable: %s", "connection refused");
		log_info("request %d", i);	/* info lines are never held */
	}
	log_error("another problem");
	fake_ms += 50;
	log_warn("database unavailable: %s", "connection refused");
	log_warn("held until the flush");
	log_warn("held until the flush");
	log_warn("held until the flush");
	log_flush();
	log_set_collapse(10000, NULL);
	dup2(saved, 2);
	close(saved);
	close(fd);
	ck_assert_int_eq(lines_with(path, "database unavailable"), 2);
	ck_assert_int_eq(lines_with(path, "repeated=999"), 1);
	ck_assert_int_eq(lines_with(path, "msg=\"request "), 1000);
	ck_assert_int_eq(lines_with(path, "another problem"), 1);
	ck_assert_int_eq(lines_with(path, "held until the flush"), 2);
	ck_assert_int_eq(lines_with(path, "repeated=2 collapsed=true"), 1);
	unlink(path);
}
END_TEST

/* Held lines: none written until released; whole lines always; a dead
 * holder's lines written by whoever shares its memory. */
START_TEST(held_lines_wait_for_release)
{
	char		 path[] = "/tmp/passion-log-XXXXXX";
	int		 fd = mkstemp(path), saved = dup(2), i, status;
	struct log_held	*h = mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t		 pid;
	struct stat	 sb;

	ck_assert_int_ne(fd, -1);
	ck_assert_ptr_ne(h, MAP_FAILED);
	dup2(fd, 2);
	log_hold(h);
	for (i = 0; i < 3; i++)
		log_info("held %d", i);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	ck_assert_int_eq(sb.st_size, 0);
	ck_assert(log_holding());
	log_release();
	ck_assert(!log_holding());
	ck_assert_int_eq(lines_with(path, "msg=\"held "), 3);
	/* Past PIPE_BUF they go out on their own, each write whole lines. */
	for (i = 0; i < 200; i++) {
		log_info("filler %d %s", i, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		ck_assert_int_eq(fstat(fd, &sb), 0);
		ck_assert_uint_le(h->len, LOG_HELD_MAX);
	}
	ck_assert_int_gt(sb.st_size, 0);
	ck_assert_int_lt(lines_with(path, "filler "), 200);
	log_release();
	ck_assert_int_eq(lines_with(path, "filler "), 200);
	/* A holder that dies: its lines are in the shared memory. */
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		log_info("said before dying");
		log_info("said before dying too");
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(lines_with(path, "said before dying"), 0);
	log_write_held(h);
	ck_assert_int_eq(h->len, 0);
	log_hold(NULL);
	log_info("written at once");
	dup2(saved, 2);
	close(saved);
	close(fd);
	ck_assert_int_eq(lines_with(path, "said before dying"), 2);
	ck_assert_int_eq(lines_with(path, "written at once"), 1);
	ck_assert_int_eq(lines_with(path, "\n"), 3 + 200 + 2 + 1);
	munmap(h, sizeof(*h));
	unlink(path);
}
END_TEST

START_TEST(utf8_table)
{
	size_t	 bad = 999;
	int	 v;

	v = utf8_valid(utf8_cases[_i].s, strlen(utf8_cases[_i].s), &bad);
	ck_assert_int_eq(v, utf8_cases[_i].valid);
	if (!v)
		ck_assert_uint_eq(bad, utf8_cases[_i].bad);
}
END_TEST

START_TEST(trim_and_levels)
{
	char	 s[] = "  \tkey = v \n";

	ck_assert_str_eq(str_trim(s), "key = v");
	ck_assert_int_eq(log_level_parse("debug"), LOG_DEBUG);
	ck_assert_int_eq(log_level_parse("error"), LOG_ERROR);
	ck_assert_int_eq(log_level_parse("loud"), -1);
}
END_TEST

/*
 * Three workers over one set of marks, a share of 2: alice's third
 * costly request is refused, bob's is not; a refusal holds nothing, a
 * release frees one, and a worker claims once per request.
 */
START_TEST(share_of_the_workers)
{
	uint64_t	 marks[3] = { 0, 0, 0 };
	struct share	 w[3], none;
	int		 i;

	for (i = 0; i < 3; i++)
		share_init(&w[i], marks, 3, (size_t)i, 2);
	ck_assert_int_eq(share_claim(&w[0], "alice"), 0);
	ck_assert_int_eq(share_claim(&w[0], "alice"), 0);	/* held */
	ck_assert_int_eq(share_claim(&w[1], "alice"), 0);
	ck_assert_int_eq(share_claim(&w[2], "alice"), -1);
	ck_assert(marks[2] == 0);
	ck_assert_int_eq(share_claim(&w[2], "bob"), 0);
	share_release(&w[2]);
	share_release(&w[0]);
	ck_assert(marks[0] == 0 && marks[2] == 0);
	ck_assert_int_eq(share_claim(&w[2], "alice"), 0);
	share_release(&w[1]);
	share_release(&w[1]);	/* nothing held: nothing done */
	ck_assert(marks[1] == 0 && marks[2] != 0);
	/* No marks (a process that is no worker), or no limit: always. */
	share_init(&none, NULL, 0, 0, 1);
	ck_assert_int_eq(share_claim(&none, "alice"), 0);
	share_init(&none, marks, 3, 0, 0);
	ck_assert_int_eq(share_claim(&none, "alice"), 0);
}
END_TEST

/* The Prometheus text format: families, escaped labels, histograms. */
/* Buckets by upper bound (le: a value on a bound is in it), classes,
 * and a fold that adds counters and leaves the gauges alone. */
START_TEST(stats_count_and_fold)
{
	static struct stats	 a, b;

	stats_observe(&a.db_duration, 1000);	/* 0.001 s: le="0.001" */
	stats_observe(&a.db_duration, 1001);
	stats_observe(&a.db_duration, 20000000);	/* past 10 s: +Inf */
	stats_observe(&a.db_duration, -5);	/* a clock step: 0 */
	ck_assert_uint_eq(a.db_duration.counts[0], 2);
	ck_assert_uint_eq(a.db_duration.counts[1], 1);
	ck_assert_uint_eq(a.db_duration.counts[STATS_BOUNDS], 1);
	ck_assert_uint_eq(a.db_duration.sum_us, 1000 + 1001 + 20000000);
	ck_assert_int_eq(stats_class(101), 0);
	ck_assert_int_eq(stats_class(204), 0);
	ck_assert_int_eq(stats_class(302), 1);
	ck_assert_int_eq(stats_class(429), 2);
	ck_assert_int_eq(stats_class(503), 3);
	ck_assert_int_eq(stats_class(999), 3);
	stats_count(&a.accepted);
	a.live.db_ok_ms = 7;
	b.accepted = 2;
	b.jobs_failed[STATS_KINDS - 1] = 5;
	stats_fold(&b, &a);
	ck_assert_uint_eq(b.accepted, 3);
	ck_assert_uint_eq(b.jobs_failed[STATS_KINDS - 1], 5);
	ck_assert_uint_eq(b.db_duration.counts[0], 2);
	ck_assert_int_eq(b.live.db_ok_ms, 0);
	/* A process counts into its own until it says where. */
	stats_use(&a);
	stats_count(&stats_mine->read_timeouts);
	ck_assert_uint_eq(a.read_timeouts, 1);
	stats_use(NULL);
	ck_assert_ptr_ne(stats_mine, &a);
}
END_TEST

START_TEST(metrics_text_format)
{
	struct buf	 b, l;
	const double	 bounds[] = { 0.005, 0.1, 2.5 };
	const uint64_t	 counts[] = { 3, 0, 2, 1 };

	buf_init(&b, 1 << 16);
	buf_init(&l, 256);
	ck_assert_int_eq(metrics_label(&l, "route", "/api/quests/{id}"), 0);
	ck_assert_int_eq(metrics_label(&l, "odd", "a\\b\"c\nd"), 0);
	buf_putc(&l, '\0');
	ck_assert_str_eq(l.data, "route=\"/api/quests/{id}\",odd=\"a\\\\b\\\"c\\nd\"");
	ck_assert_int_eq(metrics_family(&b, "x_total", "counter", "What x is."), 0);
	ck_assert_int_eq(metrics_sample(&b, "x_total", l.data, 42), 0);
	ck_assert_int_eq(metrics_sample(&b, "y", NULL, 0.25), 0);
	ck_assert_int_eq(metrics_sample(&b, "z", "", 1e300 * 1e300), 0);
	ck_assert_int_eq(metrics_histogram(&b, "d_seconds", "m=\"GET\"", bounds,
	    counts, 3, 1.5), 0);
	buf_putc(&b, '\0');
	ck_assert_str_eq(b.data,
	    "# HELP x_total What x is.\n# TYPE x_total counter\n"
	    "x_total{route=\"/api/quests/{id}\",odd=\"a\\\\b\\\"c\\nd\"} 42\n"
	    "y 0.25\nz +Inf\n"
	    "d_seconds_bucket{m=\"GET\",le=\"0.005\"} 3\n"
	    "d_seconds_bucket{m=\"GET\",le=\"0.1\"} 3\n"
	    "d_seconds_bucket{m=\"GET\",le=\"2.5\"} 5\n"
	    "d_seconds_bucket{m=\"GET\",le=\"+Inf\"} 6\n"
	    "d_seconds_sum{m=\"GET\"} 1.5\nd_seconds_count{m=\"GET\"} 6\n");
	buf_cleanup(&b);
	/* Past the cap: -1, never a truncated line passed off as whole. */
	buf_init(&b, 16);
	ck_assert_int_eq(metrics_family(&b, "a_long_name_total", "counter", "h"), -1);
	buf_cleanup(&b);
	buf_cleanup(&l);
}
END_TEST


static Suite *
util_suite(void)
{
	Suite	*s = suite_create("util");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, arena_alloc_aligned_and_distinct);
	tcase_add_test(tc, arena_defers_run_lifo_on_reset);
	tcase_add_test(tc, buf_respects_cap);
	tcase_add_loop_test(tc, str_to_ll_table, 0, N(ll_cases));
	tcase_add_loop_test(tc, percent_decode_table, 0, N(pct_cases));
	tcase_add_loop_test(tc, iso8601_table, 0, N(time_cases));
	tcase_add_loop_test(tc, logfmt_quoting_table, 0, N(kv_cases));
	tcase_add_loop_test(tc, utf8_table, 0, N(utf8_cases));
	tcase_add_loop_test(tc, utf8_copy_valid_table, 0, N(clean_cases));
	tcase_add_test(tc, repeated_warnings_collapse);
	tcase_add_test(tc, held_lines_wait_for_release);
	tcase_add_test(tc, trim_and_levels);
	tcase_add_test(tc, share_of_the_workers);
	tcase_add_test(tc, metrics_text_format);
	tcase_add_test(tc, stats_count_and_fold);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(util_suite(), CK_NORMAL);
}
