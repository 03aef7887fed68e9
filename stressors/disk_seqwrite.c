/*
 * disk.seqwrite: a disk aggressor. fio: 1 MiB sequential writes, QD32, direct I/O through libaio on
 * the tenant's own file. Intensity scales the queue depth (32 at 100 %, at
 * least 1), so a low intensity is a gentle writer. Reports the IOPS and bytes
 * per second it achieved. Metrics, options and the run are shared by the
 * disk aggressors (stressors/fio.c).
 */
#include "config.h"
#include "stressors/fio.h"

static int seqwrite_prepare(const struct isb_stressor_args *a, struct isb_report *ready,
			    struct isb_err *err)
{
	return isb_fio_layout(a, "disk.seqwrite", a->opt[0], err);
}

static int seqwrite_run(const struct isb_stressor_args *a, struct isb_report *r,
			struct isb_err *err)
{
	return isb_fio_writer_run(a, r, err, "disk.seqwrite", "write", 1024);
}

const struct isb_stressor isb_stressor_disk_seqwrite = {
    .name = "disk.seqwrite",
    .resource = ISB_RES_DISK,
    .roles = ISB_ROLE_AGGRESSOR,
    .help = "fio: 1 MiB sequential writes, QD32, direct I/O",
    .intensity_help = "% of the queue depth (iodepth option, 32 by default)",
    .metrics = isb_fio_writer_metrics,
    .options = isb_fio_writer_options,
    .unavailable = isb_fio_unavailable,
    .prepare = seqwrite_prepare,
    .run = seqwrite_run,
};
