/*
 * config_int.h - helpers shared by the configuration loaders
 * (config.c for the core sections, config_shield.c for zones, shield
 * and events).  Not for use outside src/core/config*.c.
 */
#ifndef VS_CORE_CONFIG_INT_H
#define VS_CORE_CONFIG_INT_H

#include <libconfig.h>

#include "core/config.h"

struct loader {
	const char *path;
	char *err;
	size_t errlen;
	bool failed;
};

/* Record the first error, as "FILE:LINE: message". */
__attribute__((format(printf, 3, 4))) void
error_at(struct loader *ld, const config_setting_t *s, const char *fmt, ...);
/* Refuse keys of group that are not in known (NULL-terminated). */
void check_keys(struct loader *ld, const config_setting_t *group,
		const char *const *known);
/* The top-level group name (checked against known), or NULL if absent. */
const config_setting_t *group(struct loader *ld, const config_t *c,
			      const char *name, const char *const *known);
void get_string(struct loader *ld, const config_setting_t *g, const char *key,
		char *dst, size_t size);
void get_bool(struct loader *ld, const config_setting_t *g, const char *key,
	      bool *dst);
/* An `srtp` key ("plain", "optional", "required") into enum
 * vs_srtp_policy; *out unchanged when the key is absent. */
void get_srtp_policy(struct loader *ld, const config_setting_t *g,
		     uint8_t *out);
void get_uint(struct loader *ld, const config_setting_t *g, const char *key,
	      uint32_t min, uint32_t max, uint32_t *dst);

/* config_shield.c */
void vs_config_shield_defaults(struct vs_config *cfg);
void load_zones(struct loader *ld, const config_t *c, struct vs_config *cfg);
void load_shield(struct loader *ld, const config_t *c, struct vs_config *cfg);
void load_events(struct loader *ld, const config_t *c, struct vs_config *cfg);
/* config_policy.c */
void vs_config_policy_defaults(struct vs_config *cfg);
void load_policy(struct loader *ld, const config_t *c, struct vs_config *cfg);

#endif
