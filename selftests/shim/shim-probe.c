// SPDX-License-Identifier: GPL-2.0
/* Prints the backend the shim chose in a fresh process; placement.c runs it. */
#include <stdio.h>
#include <stdlib.h>

#include "resmap_alloc.h"

int main(void)
{
	free(malloc(10));
	printf("%s\n", resmap_backend());
	return 0;
}
