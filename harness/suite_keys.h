/*
 * Suite files, privately: the parser's state shared by suite.c (the file's structure:
 * sections, their ends, loading, overrides and lookup) and suite_keys.c (every key's table
 * entry and value parser).
 */
#ifndef ISB_HARNESS_SUITE_KEYS_H
#define ISB_HARNESS_SUITE_KEYS_H

#include "harness/harness.h"

enum section { SEC_NONE, SEC_GLOBAL, SEC_CONFIG, SEC_SCENARIO };

struct parser {
	const char *path;
	int line;
	enum section sec;
	char secname[80];
	int secline;
	struct isb_err *err;
	int disk_scheduler_line; /* checked against disk_device once the file is read */
	/* keys seen in the current section, for duplicate detection */
	size_t nseen;
	struct {
		char key[64];
		int line;
	} seen[64];
};

/* The error at the parser's file:line; returns -EINVAL. */
int suite_perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define PERR(p, ...) suite_perr(p, __VA_ARGS__)

bool suite_placement_known(const char *v);
/* Splits a comma list into items; the number, or -1 with *bad (too many, too long). */
int suite_split_list(char *v, char items[][16], size_t max, const char **bad);

/* One key of a section; 0, or -EINVAL with the error. */
int suite_global_key(struct parser *p, struct isb_suite *s, const char *k, const char *v);
int suite_config_key(struct parser *p, struct isb_suite_config *c, const char *k, const char *v);
int suite_scenario_key(struct parser *p, struct isb_suite_scenario *sc, const char *k,
		       const char *v);

#endif
