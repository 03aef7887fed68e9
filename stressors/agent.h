/*
 * The agent (stressors/agent.c): argv in, JSON lines out. The isobench-agent program is
 * this function; the harness runs it in-process for the null backend and `isobench agent`.
 */
#ifndef ISB_AGENT_H
#define ISB_AGENT_H

#include "stressors/stressor.h"

#include <json-c/json.h>

/* Returns the process exit code. */
int isb_agent_main(int argc, char **argv);

/*
 * The agent's lines (stressors/agent_lines.c), events and keys of common/events.h, as
 * json-c documents the caller owns: doubles written "%.17g", a metric that is not finite
 * as null. ready takes probe (NULL: none) and line_probe the probe's object it spreads.
 */
json_object *isb_agent_line_ready(const char *stressor, unsigned role, int pid, unsigned ncpus,
				  const struct isb_report *ready, json_object *probe);
json_object *isb_agent_line_sample(uint64_t t_ns, double ops);
json_object *isb_agent_line_result(uint64_t elapsed_ns, const struct isb_report *r);
json_object *isb_agent_line_error(const char *message);
json_object *isb_agent_line_probe(json_object *probe);
/* A line's text, as the agent writes it (valid until the document changes or goes). */
const char *isb_agent_line_text(json_object *line);
/* Writes a line to stdout, whole, and releases it; NULL writes an out-of-memory error. */
void isb_agent_emit(json_object *line);

#endif
