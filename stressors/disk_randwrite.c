/*
 * disk.randwrite: a disk aggressor. fio: 4 KiB random writes, QD32, direct I/O through libaio on
 * the tenant's own file. Intensity scales the queue depth (32 at 100 %, at
 * least 1), so a low intensity is a gentle writer. Reports the IOPS and bytes
 * per second it achieved.
 */
#include "config.h"
#include "stressors/stressor.h"

static const struct isb_metric randwrite_metrics[] = {
    {.name = "iops", .unit = "IO/s", .better = ISB_HIGHER, .help = "writes per second achieved"},
    {.name = "bytes_per_s",
     .unit = "B/s",
     .better = ISB_HIGHER,
     .help = "write bandwidth achieved (the pressure achieved)"},
    {.name = "lat_p99_ns",
     .unit = "ns",
     .better = ISB_LOWER,
     .help = "99th percentile completion latency of its writes"},
    {0},
};

static const struct isb_option randwrite_options[] = {
    {.name = "size_mb", .def = 512, .min = 1, .max = 1 << 20, .help = "size of the tenant's file"},
    {.name = "iodepth", .def = 32, .min = 1, .max = 1024, .help = "queue depth at 100 %"},
    {0},
};

static int randwrite_prepare(const struct isb_stressor_args *a, struct isb_report *ready,
			     struct isb_err *err)
{
	return isb_fio_layout(a, "disk.randwrite", a->opt[0], err);
}

static int randwrite_run(const struct isb_stressor_args *a, struct isb_report *r,
			 struct isb_err *err)
{
	unsigned qd = (unsigned)(a->opt[1] * a->intensity / 100.0 + 0.5);
	const struct isb_fio_job job = {.rw = "randwrite",
					.bs_kb = 4,
					.iodepth = qd ? qd : 1,
					.engine = "libaio",
					.size_mb = a->opt[0]};
	return isb_fio_run(a, "disk.randwrite", &job, true, r, err);
}

const struct isb_stressor isb_stressor_disk_randwrite = {
    .name = "disk.randwrite",
    .resource = ISB_RES_DISK,
    .roles = ISB_ROLE_AGGRESSOR,
    .help = "fio: 4 KiB random writes, QD32, direct I/O",
    .intensity_help = "% of the queue depth (iodepth option, 32 by default)",
    .metrics = randwrite_metrics,
    .options = randwrite_options,
    .unavailable = isb_fio_unavailable,
    .prepare = randwrite_prepare,
    .run = randwrite_run,
};
