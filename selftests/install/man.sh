#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The man pages of Documentation/man: each renders with groff -ww and
# man -l without a warning and has a NAME line whatis can index; every
# function of resmap_alloc.h outside the malloc family has its page; every
# reference to a resmap page points to one that exists.
set -u
. "$(dirname "$0")/lib.sh"

mandir=$TOP/Documentation/man
export LC_ALL=C.UTF-8 MANWIDTH=80

quiet() {
	local out
	out=$("$@" 2>&1 > /dev/null)
	[ -z "$out" ] || { echo "$out"; return 1; }
}
for page in "$mandir"/*.[348]; do
	name=${page##*/}
	check "$name: groff -ww -man -Tutf8 without warnings" \
		quiet groff -ww -man -Tutf8 -z "$page"
	check "$name: man -l without warnings" quiet man --warnings -l "$page"
	check "$name: NAME section for whatis" lexgrog "$page"
done

family=$MALLOC_FAMILY
every_function() {
	local fn bad=0
	for fn in $(header_functions); do
		[[ $fn =~ $family ]] && continue
		[ -e "$mandir/$fn.3" ] || { echo "no page $fn.3"; bad=1; }
	done
	return $bad
}
check "a section 3 page for every resmap_alloc.h function" every_function

references() {
	local ref bad=0
	for ref in $(grep -hoE '^\.BR (resmap|libresmap|batch_alloc|try_|aligned_realloc)[a-z_0-9\\-]* \([348]\)' "$mandir"/* |
		     sed -E 's/^\.BR ([^ ]*) \(([0-9])\)/\1.\2/; s/\\-/-/g' | sort -u); do
		[ -e "$mandir/$ref" ] || { echo "reference to missing $ref"; bad=1; }
	done
	return $bad
}
check "every SEE ALSO reference to a resmap page exists" references

finish
