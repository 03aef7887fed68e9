/*
 * The agent protocol, harness side: reading JSON lines from a tenant with a
 * deadline, and checking each line is an event the protocol knows with the
 * fields that event must carry. The names are common/events.h's, which the agent
 * writes with.
 */
#include "config.h"
#include "common/events.h"
#include "common/json.h"
#include "harness/harness.h"

#include <poll.h>
#include <string.h>
#include <unistd.h>

int isb_event_parse(const char *line, struct isb_event *ev, struct isb_err *err)
{
	static const struct {
		const char *name;
		enum isb_event_type type;
		const char *required[3];
		json_type req_type[3];
	} events[] = {
	    {ISB_EVENT_READY,
	     ISB_EV_READY,
	     {ISB_KEY_STRESSOR, ISB_KEY_ROLE, ISB_KEY_PID},
	     {json_type_string, json_type_string, json_type_int}},
	    {ISB_EVENT_SAMPLE,
	     ISB_EV_SAMPLE,
	     {ISB_KEY_T_NS, ISB_KEY_OPS},
	     {json_type_int, json_type_double}},
	    {ISB_EVENT_RESULT, ISB_EV_RESULT, {ISB_KEY_METRICS}, {json_type_object}},
	    {ISB_EVENT_ERROR, ISB_EV_ERROR, {ISB_KEY_MESSAGE}, {json_type_string}},
	    {ISB_EVENT_PROBE, ISB_EV_PROBE, {ISB_KEY_NAMESPACES}, {json_type_object}},
	};
	memset(ev, 0, sizeof(*ev));
	json_tokener *tok = json_tokener_new();
	if (!tok)
		return isb_errf(err, ENOMEM, "json tokener");
	cleanup_json json_object *o = json_tokener_parse_ex(tok, line, (int)strlen(line));
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o || jerr != json_tokener_success)
		return isb_errf(err, EPROTO, "agent line is not JSON (%s): '%.80s'",
				json_tokener_error_desc(jerr), line);
	if (line[used + strspn(line + used, " \t\r\n")])
		return isb_errf(err, EPROTO, "agent line has text after the JSON: '%.80s'", line);
	json_object *e;
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, ISB_KEY_EVENT, &e) ||
	    !json_object_is_type(e, json_type_string))
		return isb_errf(err, EPROTO, "agent line has no \"event\": '%.80s'", line);
	const char *name = json_object_get_string(e); /* lives in o */
	for (size_t i = 0; i < ISB_ARRAY_SIZE(events); i++) {
		if (strcmp(events[i].name, name))
			continue;
		for (int k = 0; k < 3 && events[i].required[k]; k++) {
			json_object *f;
			json_type want = events[i].req_type[k];
			if (!json_object_object_get_ex(o, events[i].required[k], &f) ||
			    !(json_object_is_type(f, want) ||
			      (want == json_type_double && json_object_is_type(f, json_type_int))))
				return isb_errf(err, EPROTO,
						"agent \"%s\" event lacks %s field \"%s\"", name,
						json_type_to_name(want), events[i].required[k]);
		}
		ev->type = events[i].type;
		ev->obj = json_object_get(o);
		return 0;
	}
	return isb_errf(err, EPROTO, "unknown agent event \"%s\"", name);
}

int isb_read_line(struct isb_line_reader *r, uint64_t deadline_ns, char *line, size_t size)
{
	for (;;) {
		char *nl = memchr(r->buf, '\n', r->len);
		if (nl || r->len == sizeof(r->buf)) {
			size_t n = nl ? (size_t)(nl - r->buf) : r->len;
			size_t c = n < size - 1 ? n : size - 1;
			memcpy(line, r->buf, c);
			line[c] = 0;
			size_t drop = nl ? n + 1 : n;
			memmove(r->buf, r->buf + drop, r->len - drop);
			r->len -= drop;
			return 1;
		}
		uint64_t now = isb_now_ns();
		if (now >= deadline_ns)
			return -ETIMEDOUT;
		if (isb_interrupted)
			return -EINTR;
		struct pollfd p = {.fd = r->fd, .events = POLLIN};
		uint64_t wait_ms = (deadline_ns - now) / 1000000 + 1;
		int pr = poll(&p, 1, wait_ms > 200 ? 200 : (int)wait_ms);
		if (pr < 0 && errno != EINTR)
			return -errno;
		if (pr <= 0)
			continue;
		ssize_t n = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n == 0) {
			if (r->len) { /* last line without newline */
				size_t c = r->len < size - 1 ? r->len : size - 1;
				memcpy(line, r->buf, c);
				line[c] = 0;
				r->len = 0;
				return 1;
			}
			return 0;
		}
		r->len += (size_t)n;
	}
}
