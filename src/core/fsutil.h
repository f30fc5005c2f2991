/*
 * fsutil.h - small file system helpers.
 */
#ifndef VS_CORE_FSUTIL_H
#define VS_CORE_FSUTIL_H

#include <sys/types.h>

/* mkdir -p: create path and its missing parents.  Returns 0 or an errno. */
int vs_mkdir_p(const char *path, mode_t mode);

#endif
