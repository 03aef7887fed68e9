/*
 * The core of the backends' option tables (struct isb_backend_option): a [config] key is
 * found in its backend's table, its value checked by type and range and stored at its
 * offset, with one wording of every error ("KEY: 'VALUE' is not WHAT"). The suite parser
 * prefixes the file and line.
 */
#include "config.h"
#include "backends/backend.h"

#include <string.h>

static bool takes(const struct isb_backend_option *o, unsigned set)
{
	return !set || (o->kinds & set);
}

static const struct isb_backend_option *find(const struct isb_backend_option *t, unsigned set,
					     const char *key)
{
	for (const struct isb_backend_option *o = t; o && o->name; o++) {
		size_t n = strlen(o->name);
		bool prefix = n && o->name[n - 1] == '.';
		if (takes(o, set) && (prefix ? !strncmp(key, o->name, n) : !strcmp(key, o->name)))
			return o;
	}
	return NULL;
}

/* "a, b or c" */
static void join_names(const char *const *names, char *buf, size_t size)
{
	size_t o = 0, n = 0;
	buf[0] = 0;
	while (names[n])
		n++;
	for (size_t i = 0; i < n && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s",
				      !i	   ? ""
				      : i + 1 == n ? " or "
						   : ", ",
				      names[i]);
}

const char *isb_option_expect(const struct isb_backend_option *o, char *buf, size_t size)
{
	if (o->expect)
		snprintf(buf, size, "%s", o->expect);
	else if (o->type == ISB_OPT_UINT && o->max > 0)
		snprintf(buf, size, "an integer in [%g, %g]", o->min, o->max);
	else if (o->type == ISB_OPT_UINT)
		snprintf(buf, size, "an integer >= %g", o->min);
	else if (o->type == ISB_OPT_DOUBLE)
		snprintf(buf, size, "a number in [%g, %g]", o->min, o->max);
	else if (o->type == ISB_OPT_SIZE)
		snprintf(buf, size, "a size like 512M or 2G");
	else if (o->type == ISB_OPT_RATE)
		snprintf(buf, size, "a rate in bits/s like 100M");
	else if (o->type == ISB_OPT_CPULIST)
		snprintf(buf, size, "a CPU list like 0-3,6");
	else if (o->names)
		join_names(o->names, buf, size);
	else
		snprintf(buf, size, "valid");
	if (o->hint) {
		size_t n = strlen(buf);
		snprintf(buf + n, size - n, " (%s)", o->hint);
	}
	return buf;
}

static int bad(const struct isb_backend_option *o, const char *key, const char *value,
	       struct isb_err *err)
{
	char what[256];
	return isb_errf(err, 0, "%s: '%s' is not %s", key, value,
			isb_option_expect(o, what, sizeof(what)));
}

static void store_uint(void *conf, const struct isb_backend_option *o, uint64_t u)
{
	if (o->size == sizeof(unsigned)) {
		unsigned v = (unsigned)u;
		memcpy((char *)conf + o->off, &v, sizeof(v));
	} else {
		memcpy((char *)conf + o->off, &u, sizeof(u));
	}
}

/* The value as the row's type: 0 with *u or *d (and the index of a name), or -1. */
static int parse_value(const struct isb_backend_option *o, const char *v, uint64_t *u, double *d)
{
	switch (o->type) {
	case ISB_OPT_UINT:
		return isb_parse_u64(v, u) < 0 || *u < o->min || (o->max > 0 && *u > o->max) ? -1
											     : 0;
	case ISB_OPT_DOUBLE:
		return isb_parse_double(v, d) < 0 || *d < o->min || *d > o->max ? -1 : 0;
	case ISB_OPT_SIZE:
		return isb_parse_size(v, u) < 0 || *u < o->min ? -1 : 0;
	case ISB_OPT_RATE:
		return isb_parse_rate(v, u) < 0 || *u < o->min ? -1 : 0;
	case ISB_OPT_ENUM:
	case ISB_OPT_STRING:
		for (*u = 0; o->names[*u]; (*u)++)
			if (!strcmp(v, o->names[*u]))
				return 0;
		return -1;
	case ISB_OPT_CPULIST:
		for (const char *p = v; *p; p++)
			if (!strchr("0123456789,-", *p))
				return -1;
		return !*v || strlen(v) >= o->size ? -1 : 0;
	case ISB_OPT_CUSTOM:
		break;
	}
	return -1;
}

int isb_option_apply(const struct isb_backend_option *t, unsigned set, void *conf, const char *key,
		     const char *value, struct isb_err *err)
{
	const struct isb_backend_option *o = find(t, set, key);
	uint64_t u = 0;
	double d = 0;
	if (!o)
		return -ENOENT;
	if (o->type == ISB_OPT_CUSTOM)
		return o->parse(conf, key, value, err) < 0 ? -EINVAL : 0;
	if (parse_value(o, value, &u, &d) < 0)
		return bad(o, key, value, err);
	if (!conf)
		return 0;
	if (o->type == ISB_OPT_DOUBLE)
		memcpy((char *)conf + o->off, &d, sizeof(d));
	else if (o->type == ISB_OPT_STRING || o->type == ISB_OPT_CPULIST)
		snprintf((char *)conf + o->off, o->size, "%s", value);
	else
		store_uint(conf, o, u);
	if (o->set_off)
		*((bool *)((char *)conf + o->set_off - 1)) = true;
	return 0;
}

const char *isb_option_list(const struct isb_backend_option *t, unsigned set, char *buf,
			    size_t size)
{
	size_t n = 0;
	buf[0] = 0;
	for (const struct isb_backend_option *o = t; o && o->name && n < size; o++)
		if (takes(o, set))
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "",
					      o->shown ? o->shown : o->name);
	return buf;
}

bool isb_backend_takes_options(const struct isb_backend *b)
{
	return b->options || b->check;
}

int isb_backend_check(const struct isb_backend *b, const char *key, const char *value,
		      struct isb_err *err)
{
	int r = isb_option_apply(b->options, b->option_set, NULL, key, value, err);
	if (r != -ENOENT)
		return r;
	if (b->check)
		return b->check(key, value, err);
	char keys[1024];
	return isb_errf(err, 0, "unknown key '%s' (%s)", key,
			isb_option_list(b->options, b->option_set, keys, sizeof(keys)));
}
