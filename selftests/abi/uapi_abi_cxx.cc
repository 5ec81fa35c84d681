// SPDX-License-Identifier: GPL-2.0
// The uapi header compiled as C++11 (-pedantic): its layout as a C++
// compiler sees it, for the C test to compare with its own.
#include <cstddef>
#include <linux/resmap.h>
#include "uapi_layout.h"

#define ASSERT_STRUCT(s, size) \
	static_assert(sizeof(struct s) == size, #s " size");
#define ASSERT_FIELD(s, f, off, size) \
	static_assert(offsetof(struct s, f) == off, #s "." #f " offset"); \
	static_assert(sizeof(((struct s *)0)->f) == size, #s "." #f " size");
RESMAP_UAPI_STRUCTS(ASSERT_STRUCT)
RESMAP_UAPI_FIELDS(ASSERT_FIELD)

#define ROW_STRUCT(s, size) { #s, size, sizeof(struct s) },
#define ROW_FIELD(s, f, off, size) { #s "." #f, off, offsetof(struct s, f) },

extern "C" const struct uapi_layout_row cxx_layout[] = {
	RESMAP_UAPI_STRUCTS(ROW_STRUCT)
	RESMAP_UAPI_FIELDS(ROW_FIELD)
	{ nullptr, 0, 0 }
};
