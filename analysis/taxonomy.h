/*
 * The technologies the report names (analysis/technologies.ini): the seed taxonomy's
 * Table 1 as data, and what each configuration measures. A suite's `technology = ID` key
 * is checked against it.
 */
#ifndef ISB_ANALYSIS_TAXONOMY_H
#define ISB_ANALYSIS_TAXONOMY_H

#include "common/isb.h"

#include <stdbool.h>
#include <stdio.h>

/* Reads the table once (ISOBENCH_TECHNOLOGIES=FILE, else the built-in one): 0, or -errno
 * with the file, line and value in err. */
int isb_technologies_load(struct isb_err *err);
/* Whether ID names a technology of the table. */
bool isb_technology_known(const char *id);
/* The table's ids, ", "-separated, into out; their number. */
size_t isb_technology_ids(char *out, size_t size);

#endif
