/*
 * The vm backend's section of `isobench probe`: QEMU, the guest kernel and image (built or
 * found in the cache, as a campaign would), the device models, container = own, /dev/kvm.
 */
#include "config.h"
#include "backends/backend.h"
#include "backends/vm.h"

#include <stdlib.h>
#include <unistd.h>

void isb_vm_describe(FILE *out, struct json_object *host)
{
	char agent[4096], self[4096];
	struct isb_guest g;
	struct isb_err err = {0};
	struct isb_err why = {0};
	fprintf(out, "hypervisor class:\n");
	if (!isb_backend_vm.available(&why)) {
		fprintf(out, "  %-14s unavailable: %s\n", "vm", why.msg);
	} else {
		ssize_t l = readlink("/proc/self/exe", self, sizeof(self) - 1);
		self[l > 0 ? l : 0] = 0;
		const char *env = getenv("ISOBENCH_AGENT");
		bool sub;
		isb_guest_agent(env ? env : self, !env, agent, sizeof(agent), &sub);
		if (isb_guest_build(agent, NULL, &g, &err) < 0) {
			fprintf(out, "  %-14s unavailable: %s\n", "guest image", err.msg);
		} else {
			fprintf(out, "  %-14s %s (%s), booted %s\n", "guest kernel", g.kernel,
				g.kver, g.boot_note);
			fprintf(out, "  %-14s %s %s (%.1f MB, agent %s%s) in %.2f s: %s\n",
				"guest image", g.hash, g.built ? "built" : "cached",
				(double)g.bytes / 1e6, agent,
				g.has_fio ? ", fio" : ", no fio: disk stressors unavailable",
				g.build_s, g.initrd);
			fprintf(out, "  %-14s %s%s\n", "virtio",
				g.unusable_virtio[0] ? "unavailable: " : "available",
				g.unusable_virtio);
			fprintf(out, "  %-14s %s%s\n", "emulated",
				g.unusable_emulated[0] ? "unavailable: " : "available",
				g.unusable_emulated);
			fprintf(out, "  %-14s %s\n", "container own",
				g.has_ct ? "available (isobench-guestct in the image: a hybrid)"
					 : "unavailable: no isobench-guestct beside the agent or "
					   "isobench");
		}
	}
	struct isb_err kerr = {0};
	bool kvm = isb_kvm_usable(&kerr);
	fprintf(out, "  %-14s %s%s\n", "/dev/kvm",
		kvm ? "creates a VM (accel = kvm boots a guest once when a campaign prepares)"
		    : "unavailable: ",
		kvm ? "" : kerr.msg);
}
