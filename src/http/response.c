/*
 * response.c - the reply side: status line and headers in CGI form, JSON
 * bodies and the error shape, and the access-log line.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"

static const struct {
	int		 code;
	const char	*text;
} statuses[] = {
	{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
	{ 204, "No Content" }, { 302, "Found" }, { 304, "Not Modified" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
	{ 404, "Not Found" }, { 405, "Method Not Allowed" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" }, { 410, "Gone" }, { 412, "Precondition Failed" },
	{ 413, "Content Too Large" }, { 415, "Unsupported Media Type" },
	{ 422, "Unprocessable Content" }, { 429, "Too Many Requests" },
	{ 500, "Internal Server Error" }, { 502, "Bad Gateway" },
	{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
};

const char *
http_status_text(int status)
{
	size_t	 i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].code == status)
			return statuses[i].text;
	return "Unknown";
}

void
http_header_add(struct http_request *req, const char *name, const char *value)
{
	struct http_header	*h, **tail;

	h = arena_alloc(req->arena, sizeof(*h));
	h->next = NULL;
	h->name = arena_strdup(req->arena, name);
	h->value = arena_strdup(req->arena, value);
	/* Keep insertion order: headers come out as handlers added them. */
	for (tail = &req->headers_out; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = h;
}

void
http_reply(struct http_request *req, int status, const char *content_type,
    const char *body, size_t len)
{
	struct http_header	*h;
	struct buf		 head;

	if (req->status != 0)
		return;
	if (req->on_reply != NULL) {
		void (*hook)(struct http_request *, int) = req->on_reply;

		req->on_reply = NULL;
		hook(req, status);
	}
	req->status = status;
	buf_init(&head, 64 * 1024);
	buf_printf(&head, "Status: %d %s\r\n", status,
	    http_status_text(status));
	if (content_type != NULL)
		buf_printf(&head, "Content-Type: %s\r\n", content_type);
	buf_printf(&head, "Content-Length: %zu\r\n", len);
	/* Nothing is cached unless a handler says otherwise. */
	for (h = req->headers_out; h != NULL; h = h->next)
		if (strcasecmp(h->name, "Cache-Control") == 0)
			break;
	if (h == NULL)
		buf_puts(&head, "Cache-Control: no-store\r\n");
	if (strcmp(req->request_id, "-") != 0)
		buf_printf(&head, "X-Request-Id: %s\r\n", req->request_id);
	for (h = req->headers_out; h != NULL; h = h->next)
		buf_printf(&head, "%s: %s\r\n", h->name, h->value);
	buf_puts(&head, "\r\n");
	if (head.data == NULL || req->io->write(req->io->ctx, head.data,
	    head.len) != 0 || (len > 0 && strcmp(req->method, "HEAD") != 0 &&
	    req->io->write(req->io->ctx, body, len) != 0))
		log_msg(LOG_WARN, NULL, "could not write the response "
		    "(client gone?)");
	else
		req->bytes_out = len;
	buf_cleanup(&head);
}

void
http_reply_json(struct http_request *req, int status, struct json_object *obj)
{
	const char	*s;
	size_t		 len;

	s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	http_reply(req, status, "application/json", s, len);
}

struct json_object *
http_error_new(const char *code, const char *message)
{
	struct json_object	*root, *err;
	char			 clean[2048];

	/* Messages echo paths and fields: the body must stay UTF-8. */
	utf8_copy_valid(clean, sizeof(clean), message);
	root = json_object_new_object();
	err = json_object_new_object();
	if (root == NULL || err == NULL)
		fatal("json: out of memory");
	json_object_object_add(err, "code", json_object_new_string(code));
	json_object_object_add(err, "message",
	    json_object_new_string(clean));
	json_object_object_add(root, "error", err);
	return root;
}

void
http_reply_error(struct http_request *req, int status, const char *code,
    const char *fmt, ...)
{
	struct json_object	*root;
	char			 msg[512];
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	root = http_json_own(req, http_error_new(code, msg));
	http_reply_json(req, status, root);
}

void
http_reply_invalid(struct http_request *req, int status, const char *field,
    const char *message)
{
	struct json_object	*root, *err;
	char			 clean[256];

	root = http_json_own(req, http_error_new(status == 413 ?
	    "payload_too_large" : "invalid", message));
	json_object_object_get_ex(root, "error", &err);
	utf8_copy_valid(clean, sizeof(clean), field);
	json_object_object_add(err, "field", json_object_new_string(clean));
	http_reply_json(req, status, root);
}

void
http_log_access(struct http_request *req)
{
	struct buf	 b;
	char		 num[32];

	buf_init(&b, 4096);
	log_kv(&b, "request_id", req->request_id);
	log_kv(&b, "method", req->method);
	log_kv(&b, "path", req->path);
	snprintf(num, sizeof(num), "%d", req->status);
	log_kv(&b, "status", num);
	snprintf(num, sizeof(num), "%lld",
	    (long long)(time_mono_ms() - req->start_ms));
	log_kv(&b, "duration_ms", num);
	snprintf(num, sizeof(num), "%zu", req->bytes_out);
	log_kv(&b, "bytes", num);
	if (req->user_id != NULL)
		log_kv(&b, "user_id", req->user_id);
	log_msg(LOG_INFO, b.data, "%s", "");
	buf_cleanup(&b);
}
