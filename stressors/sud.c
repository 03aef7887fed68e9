/*
 * Syscall user dispatch (the taxonomy's SB_SUD), armed by the agent on its
 * own measuring thread when the sandbox backend asks for it (--sud). With
 * the selector set to BLOCK, every system call made outside one small code
 * region raises SIGSYS; the handler performs the call from that region (a
 * raw syscall trampoline) and puts the result in the interrupted context;
 * it returns through a restorer in the same region, so rt_sigreturn is not
 * intercepted either. That is the price a SUD-based sandbox pays for every
 * call.
 *
 * Limits, said in the probe and the result: dispatch is per thread, so
 * other threads are not covered; a thread creation (clone, clone3, vfork)
 * or a foreign rt_sigreturn cannot be performed inside the handler, so it
 * turns dispatch off for good and lets that call run natively. x86-64 only.
 */
#include "config.h"
#include "common/isb.h"
#include "stressors/sud.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define SUD_PRCTL 59 /* PR_SET_SYSCALL_USER_DISPATCH */
#define SUD_OFF	  0
#define SUD_ON	  1
#define SUD_ALLOW 0
#define SUD_BLOCK 1

static volatile char selector = SUD_ALLOW;
static volatile unsigned long dispatched;
static volatile int state; /* 0 off, 1 armed, 2 turned off by a thread creation */

#if defined(__x86_64__)
extern char __start_isb_sud[], __stop_isb_sud[];

__attribute__((section("isb_sud"), noinline, used, no_sanitize("address", "undefined"))) static long
sud_call(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

__attribute__((section("isb_sud"), naked, used)) static void sud_restorer(void)
{
	__asm__ volatile("mov $15, %eax\n\tsyscall\n\thlt\n");
}

static void sud_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *g = uc->uc_mcontext.gregs;
	long nr = si->si_syscall;
	if (nr == SYS_clone || nr == SYS_clone3 || nr == SYS_vfork || nr == SYS_rt_sigreturn) {
		/* cannot run inside this handler: stop dispatching, re-run it natively */
		sud_call(SYS_prctl, SUD_PRCTL, SUD_OFF, 0, 0, 0, 0);
		state = 2;
		g[REG_RIP] -= 2; /* back onto the 2-byte syscall instruction */
		g[REG_RAX] = nr;
		return;
	}
	dispatched++;
	g[REG_RAX] =
	    sud_call(nr, g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9]);
}

int isb_sud_arm(void)
{
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		unsigned long mask;
	} ksa = {(void *)sud_handler, SA_SIGINFO | 0x04000000 /* SA_RESTORER */,
		 (void *)sud_restorer, 0};
	long r = sud_call(SYS_rt_sigaction, SIGSYS, (long)&ksa, 0, sizeof(ksa.mask), 0, 0);
	if (r < 0)
		return (int)r;
	if (prctl(SUD_PRCTL, SUD_ON, (unsigned long)__start_isb_sud,
		  (unsigned long)(__stop_isb_sud - __start_isb_sud), &selector) < 0)
		return -errno;
	selector = SUD_BLOCK;
	unsigned long before = dispatched;
	syscall(SYS_getpid); /* must come back through the handler */
	if (dispatched == before) {
		selector = SUD_ALLOW;
		return -ENOSYS;
	}
	state = 1;
	return 0;
}

void isb_sud_pause(void)
{
	if (state == 1)
		selector = SUD_ALLOW;
}

void isb_sud_resume(void)
{
	if (state == 1)
		selector = SUD_BLOCK;
}
#else
int isb_sud_arm(void)
{
	return -ENOTSUP;
}
void isb_sud_pause(void)
{
}
void isb_sud_resume(void)
{
}
#endif

const char *isb_sud_state(unsigned long *count)
{
	*count = dispatched;
	return state == 1 ? "armed" : state == 2 ? "off since a thread creation" : "off";
}
