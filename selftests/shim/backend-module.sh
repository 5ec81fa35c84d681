#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The shim tests on the module backend, where resmap.ko is loaded.
if [ ! -c /dev/resmap ]; then
	echo "# SKIP: no /dev/resmap (resmap.ko not loaded)"
	exit 4
fi
exec sh "$(dirname "$0")/run-all.sh" module
