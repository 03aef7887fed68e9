/*
 * disk.randread: the disk victim. 4 KiB random reads at queue depth 1 with
 * direct I/O through fio, on the tenant's own file: IOPS and the completion
 * latency percentiles of single reads, which a writer next door stretches.
 */
#include "config.h"
#include "stressors/fio.h"
#include "stressors/window.h"

static const struct isb_metric rr_metrics[] = {
    {.name = "iops",
     .unit = "IO/s",
     .better = ISB_HIGHER,
     .graded = true,
     .help = "4 KiB random reads per second"},
    ISB_LAT_METRICS("median completion latency", true, "99th percentile completion latency",
		    "99.9th percentile completion latency (reported)"),
    {.name = "bytes_per_s",
     .unit = "B/s",
     .better = ISB_HIGHER,
     .graded = false,
     .help = "read bandwidth"},
    {0},
};

static const struct isb_option rr_options[] = {
    {.name = "size_mb", .def = 256, .min = 1, .max = 1 << 20, .help = "size of the tenant's file"},
    {0},
};

static int rr_prepare(const struct isb_stressor_args *a, struct isb_report *ready,
		      struct isb_err *err)
{
	return isb_fio_layout(a, "disk.randread", a->opt[0], err);
}

static int rr_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err)
{
	const struct isb_fio_job job = {
	    .rw = "randread", .bs_kb = 4, .iodepth = 1, .engine = "psync", .size_mb = a->opt[0]};
	return isb_fio_run(a, "disk.randread", &job, false, r, err);
}

const struct isb_stressor isb_stressor_disk_randread = {
    .name = "disk.randread",
    .resource = ISB_RES_DISK,
    .roles = ISB_ROLE_VICTIM,
    .help = "fio: 4 KiB random reads, QD1, direct I/O: IOPS and completion latency",
    .intensity_help = "ignored: a victim always runs flat out",
    .metrics = rr_metrics,
    .options = rr_options,
    .unavailable = isb_fio_unavailable,
    .prepare = rr_prepare,
    .run = rr_run,
};
