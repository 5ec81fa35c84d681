#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The shim tests built with AddressSanitizer and UndefinedBehaviorSanitizer
# (san-*): on the syscall backend, and on the module backend where
# resmap.ko is loaded.  Any report fails the program.
here=$(dirname "$0")
export ASAN_OPTIONS=detect_leaks=0:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
backends=syscall
[ -c /dev/resmap ] && backends="syscall module"
rc=0
for b in $backends; do
	for t in api threads remote errors placement reuse; do
		echo "# sanitizers, backend $b: $t"
		RESMAP_BACKEND=$b RESMAP_BACKEND_STRICT=1 "$here/san-$t" || rc=1
	done
done
exit $rc
