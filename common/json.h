/*
 * json-c's object release as a cleanup attribute, for functions that own the documents they
 * build (common/isb.h stays free of libraries beyond libc).
 */
#ifndef ISB_JSON_H
#define ISB_JSON_H

#include <json-c/json.h>

static inline void isb_json_putp(json_object **o)
{
	if (*o)
		json_object_put(*o);
}
#define cleanup_json __attribute__((cleanup(isb_json_putp)))

#endif
