// SPDX-License-Identifier: GPL-2.0
// resmap_alloc.h must compile as C++11 (-pedantic) and link from C++.
#include "resmap_alloc.h"

extern "C" int shim_header_cxx(void)
{
	mallocation5 m = { nullptr, 40, 0, 0, M2_ZERO_MEMORY };
	mallocation5 *md[1] = { &m };
	size_t count = 1;

	if (!batch_alloc5(nullptr, md, &count) || !m.ptr)
		return -1;
	m.size = 0;
	return batch_alloc5(nullptr, md, &count) ? 0 : -1;
}
