/* isobench-agent: the agent as its own small binary (libc only). */
#include "config.h"
#include "stressors/agent.h"

int main(int argc, char **argv)
{
	return isb_agent_main(argc, argv);
}
