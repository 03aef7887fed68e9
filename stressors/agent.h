/*
 * The agent (stressors/agent.c): argv in, JSON lines out. The isobench-agent program is
 * this function; the harness runs it in-process for the null backend and `isobench agent`.
 */
#ifndef ISB_AGENT_H
#define ISB_AGENT_H

/* Returns the process exit code. */
int isb_agent_main(int argc, char **argv);

#endif
