/*
 * The agent's JSON lines, built with json-c under the names of common/events.h. Numbers
 * keep the text the harness has always stored: "%.17g" for doubles (json-c's own format
 * would write 5 as 5.0), a metric that is not finite as null. Lines go to stdout whole,
 * under a lock, since a stressor may sample from another thread.
 */
#include "config.h"
#include "common/events.h"
#include "common/json.h"
#include "stressors/agent.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

/* A double that serializes as "%.17g" of its value; NULL (null) where it is not finite. */
static json_object *number(double v)
{
	char text[40];
	if (!isfinite(v))
		return NULL;
	snprintf(text, sizeof(text), "%.17g", v);
	return json_object_new_double_s(v, text);
}

static json_object *event(const char *name)
{
	json_object *o = json_object_new_object();
	if (o)
		json_object_object_add(o, ISB_KEY_EVENT, json_object_new_string(name));
	return o;
}

/* ,"info":{"key":"value",...} from a report's words, if it has any. */
static void add_info(json_object *o, const struct isb_report *r)
{
	if (!r->ninfo)
		return;
	json_object *info = json_object_new_object();
	for (size_t i = 0; i < r->ninfo; i++)
		json_object_object_add(info, r->info[i].key,
				       json_object_new_string(r->info[i].value));
	json_object_object_add(o, ISB_KEY_INFO, info);
}

json_object *isb_agent_line_ready(const char *stressor, unsigned role, int pid, unsigned ncpus,
				  const struct isb_report *ready, json_object *probe)
{
	json_object *o = event(ISB_EVENT_READY);
	if (!o) {
		json_object_put(probe);
		return NULL;
	}
	json_object_object_add(o, ISB_KEY_STRESSOR, json_object_new_string(stressor));
	json_object_object_add(o, ISB_KEY_ROLE, json_object_new_string(isb_role_name(role)));
	json_object_object_add(o, ISB_KEY_PID, json_object_new_int(pid));
	json_object_object_add(o, ISB_KEY_NCPUS, json_object_new_uint64(ncpus));
	json_object_object_add(o, ISB_KEY_VERSION, json_object_new_string(PACKAGE_VERSION));
	add_info(o, ready);
	if (probe)
		json_object_object_add(o, ISB_KEY_PROBE, probe);
	return o;
}

json_object *isb_agent_line_sample(uint64_t t_ns, double ops)
{
	json_object *o = event(ISB_EVENT_SAMPLE);
	if (o) {
		json_object_object_add(o, ISB_KEY_T_NS, json_object_new_uint64(t_ns));
		json_object_object_add(o, ISB_KEY_OPS, number(ops));
	}
	return o;
}

json_object *isb_agent_line_result(uint64_t elapsed_ns, const struct isb_report *r)
{
	json_object *o = event(ISB_EVENT_RESULT);
	if (!o)
		return NULL;
	json_object_object_add(o, ISB_KEY_ELAPSED_NS, json_object_new_uint64(elapsed_ns));
	json_object *m = json_object_new_object();
	for (size_t i = 0; i < r->nmetrics; i++)
		json_object_object_add(m, r->metrics[i].name, number(r->metrics[i].value));
	json_object_object_add(o, ISB_KEY_METRICS, m);
	add_info(o, r);
	return o;
}

json_object *isb_agent_line_error(const char *message)
{
	json_object *o = event(ISB_EVENT_ERROR);
	if (o)
		json_object_object_add(o, ISB_KEY_MESSAGE, json_object_new_string(message));
	return o;
}

json_object *isb_agent_line_probe(json_object *probe)
{
	json_object *o = event(ISB_EVENT_PROBE);
	if (o && probe) {
		json_object_object_foreach(probe, k, v)
		    json_object_object_add(o, k, json_object_get(v));
	}
	json_object_put(probe);
	return o;
}

const char *isb_agent_line_text(json_object *line)
{
	return json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE);
}

void isb_agent_emit(json_object *line)
{
	cleanup_json json_object *o = line;
	/* Never silent: a line json-c could not build still says so. */
	const char *text = o ? isb_agent_line_text(o)
			     : "{\"" ISB_KEY_EVENT "\":\"" ISB_EVENT_ERROR "\",\"" ISB_KEY_MESSAGE
			       "\":\"agent: out of memory\"}";
	pthread_mutex_lock(&out_lock);
	fputs(text, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}
