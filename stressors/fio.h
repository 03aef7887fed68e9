/*
 * fio as the disk engine (stressors/fio.c), for the disk stressors and for the harness's
 * disk calibration and host description.
 */
#ifndef ISB_FIO_H
#define ISB_FIO_H

#include "stressors/stressor.h"

struct isb_fio_job {
	const char *rw;	    /* randread, write, randwrite */
	unsigned bs_kb;	    /* block size */
	unsigned iodepth;   /* queue depth */
	const char *engine; /* psync, libaio */
	double size_mb;	    /* file size */
};
const char *isb_fio_bin(void); /* $ISOBENCH_FIO, else the fio configure found */
const char *isb_fio_unavailable(void);
/* The tenant's own file under the scratch directory: <scratch>/<stressor>-<pid>.dat */
int isb_fio_path(const struct isb_stressor_args *a, const char *stressor, char *buf, size_t size,
		 struct isb_err *err);
int isb_fio_layout(const struct isb_stressor_args *a, const char *stressor, double size_mb,
		   struct isb_err *err);
int isb_fio_run(const struct isb_stressor_args *a, const char *stressor,
		const struct isb_fio_job *job, bool write, struct isb_report *r,
		struct isb_err *err);
/* The disk aggressors' shared metrics, options and run (rw pattern and block size differ). */
extern const struct isb_metric isb_fio_writer_metrics[];
extern const struct isb_option isb_fio_writer_options[];
int isb_fio_writer_run(const struct isb_stressor_args *a, struct isb_report *r, struct isb_err *err,
		       const char *stressor, const char *rw, unsigned bs_kb);
/* Metrics of one direction ("read"/"write") of fio's JSON output; -EIO on a failed job. */
int isb_fio_parse(const char *json, const char *dir, struct isb_report *r, struct isb_err *err);

#endif
