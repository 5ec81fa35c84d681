// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: RESMAP_IOC_VERSION, the ABI version and the features.
 * Documentation/userspace-api/resmap.rst, "RESMAP_IOC_VERSION".
 */

#include <linux/string.h>
#include <linux/resmap.h>
#include "resmap.h"

#define RESMAP_FEATURES	(RESMAP_FEAT_VERSION | RESMAP_FEAT_RESERVE |	\
			 RESMAP_FEAT_RESIZE | RESMAP_FEAT_FORK_MODES |	\
			 RESMAP_FEAT_NODES | RESMAP_FEAT_BATCH |	\
			 RESMAP_FEAT_MOVE | RESMAP_FEAT_URING_CMD |	\
			 RESMAP_FEAT_TIER_RANKS)

int resmap_cmd_version(struct resmap_call *call)
{
	struct resmap_version *v = call->arg;

	/* abi_version and features are outputs: their input is ignored. */
	if (v->flags || !resmap_zeroed(v->reserved))
		return -EINVAL;
	v->abi_version = RESMAP_ABI_VERSION;
	v->features = RESMAP_FEATURES;
	return 0;
}
