/*
 * presign.c - passionctl presign: a presigned URL of the configured
 * object store, for support.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "ctl/ctl.h"
#include "db/db.h"
#include "jobs/jobs.h"
#include "storage/storage.h"
#include "util/util.h"

/* "YYYYMMDDTHHMMSSZ" to seconds since the epoch; -1 if it is not one. */
static long long
amz_time(const char *s)
{
	struct tm	 tm;
	char		 back[17];
	const char	*end;
	long long	 t;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y%m%dT%H%M%SZ", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	t = (long long)timegm(&tm);
	sigv4_amz_date(t, back);
	return strcmp(back, s) == 0 ? t : -1;
}

#define PRESIGN_QUERY_MAX	8

/*
 * passionctl presign. Long (about 100 lines): a flat parse of its
 * options (method, key, ttl, time, type, size, query pairs), each
 * checked where it is read, then one call to storage_presign.
 */
int
cmd_presign(struct ctl *ctl, int argc, char **argv)
{
	const struct config	*cfg;
	static const struct option opts[] = {
		{ "method", required_argument, NULL, 'm' },
		{ "key", required_argument, NULL, 'k' },
		{ "expires", required_argument, NULL, 'e' },
		{ "date", required_argument, NULL, 'd' },
		{ "content-type", required_argument, NULL, 't' },
		{ "content-length", required_argument, NULL, 'l' },
		{ "query", required_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct storage		 st;
	struct arena		 a;
	struct sigv4_pair	 query[PRESIGN_QUERY_MAX];
	const char		*method = NULL, *key = NULL, *ctype = NULL;
	long long		 expires = -1, now = (long long)time(NULL);
	long long		 length = -1;
	char			*url, *eq;
	size_t			 nquery = 0;
	int			 ch;

	optind = 1;
	opterr = 0;	/* bad_arg names the option itself */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			method = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'e':
			if (str_to_ll(optarg, 1, SIGV4_EXPIRES_MAX, &expires) !=
			    0) {
				fprintf(stderr, "passionctl: --expires: 1 to %d "
				    "seconds\n", SIGV4_EXPIRES_MAX);
				return 2;
			}
			break;
		case 'd':
			if ((now = amz_time(optarg)) < 0) {
				fprintf(stderr, "passionctl: --date: "
				    "YYYYMMDDTHHMMSSZ, such as 20260102T120000Z\n");
				return 2;
			}
			break;
		case 't':
			ctype = optarg;
			break;
		case 'l':
			if (str_to_ll(optarg, 0, 5368709120LL, &length) != 0) {
				fprintf(stderr, "passionctl: --content-length: 0 "
				    "to 5368709120 bytes\n");
				return 2;
			}
			break;
		case 'q':
			if ((eq = strchr(optarg, '=')) == NULL || eq == optarg ||
			    nquery == PRESIGN_QUERY_MAX) {
				fprintf(stderr, "passionctl: --query NAME=VALUE, "
				    "at most %d\n", PRESIGN_QUERY_MAX);
				return 2;
			}
			*eq = '\0';
			query[nquery].name = optarg;
			query[nquery++].value = eq + 1;
			break;
		default:
			return ctl_bad_arg("presign", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return ctl_bad_arg("presign", argv[optind]);
	if (method == NULL || key == NULL || *key == '\0' ||
	    (strcmp(method, "GET") != 0 && strcmp(method, "PUT") != 0)) {
		return ctl_bad_usage("presign", "needs --method GET|PUT and --key "
		    "KEY", NULL);
	}
	cfg = ctl_conf(ctl);
	if (cfg == NULL)
		return ctl->rc;
	storage_init(&st, cfg);
	if (!storage_enabled(&st)) {
		fprintf(stderr, "passionctl: no object store configured "
		    "(storage_endpoint)\n");
		return 1;
	}
	if (expires < 0)
		expires = strcmp(method, "PUT") == 0 ? cfg->storage_upload_ttl :
		    cfg->storage_download_ttl;
	arena_init(&a, 16 * 1024);
	url = storage_presign(&a, &st, method, key, (long)expires, now, ctype,
	    length, query, nquery);
	puts(url);
	arena_cleanup(&a);
	return 0;
}
