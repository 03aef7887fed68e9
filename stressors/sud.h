/*
 * Syscall user dispatch on the calling thread (stressors/sud.c), the sandbox's SUD leaf:
 * the agent arms it, pauses it around a thread creation and resumes it; the probe reports
 * its state.
 */
#ifndef ISB_SUD_H
#define ISB_SUD_H

int isb_sud_arm(void);
void isb_sud_pause(void);
void isb_sud_resume(void);
/* The state and how many calls went through the handler. */
const char *isb_sud_state(unsigned long *dispatched);

#endif
