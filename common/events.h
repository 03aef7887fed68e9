/*
 * The agent protocol's vocabulary, in one place for both ends: the agent writes these
 * events as JSON lines (stressors/agent_lines.c) and the harness checks and reads them
 * (harness/protocol.c). Every line is one object whose "event" names it; the keys below
 * each event name are the fields it carries. The harness answers on the agent's stdin with
 * the bare words "go" and "stop".
 */
#ifndef ISB_EVENTS_H
#define ISB_EVENTS_H

#define ISB_KEY_EVENT "event"

/* The stressor is prepared; the agent waits for "go". */
#define ISB_EVENT_READY	 "ready"
#define ISB_KEY_STRESSOR "stressor"
#define ISB_KEY_ROLE	 "role"
#define ISB_KEY_PID	 "pid"
#define ISB_KEY_NCPUS	 "ncpus"
#define ISB_KEY_VERSION	 "isobench_version"
#define ISB_KEY_INFO	 "info"	 /* ready, result: words about how the work was done */
#define ISB_KEY_PROBE	 "probe" /* ready, with --host-ns: the probe's object */

/* Progress inside the window: ops counted by t_ns since its start. */
#define ISB_EVENT_SAMPLE "sample"
#define ISB_KEY_T_NS	 "t_ns"
#define ISB_KEY_OPS	 "ops"

/* The run's numbers (a metric that is not finite is null, never a silent zero). */
#define ISB_EVENT_RESULT   "result"
#define ISB_KEY_ELAPSED_NS "elapsed_ns"
#define ISB_KEY_METRICS	   "metrics"

/* The run failed, or never began. */
#define ISB_EVENT_ERROR "error"
#define ISB_KEY_MESSAGE "message"

/* isobench-agent --probe: the probe's fields at the top level. */
#define ISB_EVENT_PROBE	   "probe"
#define ISB_KEY_NAMESPACES "namespaces"

/* The harness's words on the agent's stdin. */
#define ISB_CMD_GO   "go"
#define ISB_CMD_STOP "stop"

#endif
