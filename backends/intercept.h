/*
 * The sandbox class's own system-call interception (intercept.c): seccomp, seccomp-notify,
 * ptrace, Syscall User Dispatch.
 */
#ifndef ISB_BACKENDS_INTERCEPT_H
#define ISB_BACKENDS_INTERCEPT_H

#include <stdbool.h>

/* The interception modes; ISB_SB_NONE: none. */
enum isb_sb_mode {
	ISB_SB_NONE,
	ISB_SB_SECCOMP,
	ISB_SB_NOTIFY,
	ISB_SB_PTRACE,
	ISB_SB_SUD,
	ISB_SB__COUNT
};
extern const char *const isb_sb_names[ISB_SB__COUNT + 1]; /* NULL-terminated */
/* In the tenant: runs argv under the interception; never returns. */
void isb_sandbox_exec(enum isb_sb_mode mode, char **argv) __attribute__((noreturn));
/* Why a mode cannot run here, or NULL. */
const char *isb_sandbox_unavailable(enum isb_sb_mode mode);

#endif
