# SPDX-License-Identifier: GPL-2.0
# Sourced by the install tests: the source tree (TOP, BUILD), a scratch
# directory removed at exit, and TAP lines: check DESCRIPTION COMMAND...
here=$(cd "$(dirname "$0")" && pwd)
. "$here/paths.sh"
# The runner runs under make: do not hand its flags to the make we run.
unset MAKEFLAGS MAKELEVEL MFLAGS
scratch=$(mktemp -d "${TMPDIR:-/tmp}/resmap-$(basename "$0" .sh).XXXXXX")
trap 'rm -rf "$scratch"' EXIT
n=0
failed=0

check() {
	local desc=$1
	shift
	n=$((n + 1))
	if "$@" > "$scratch/check.log" 2>&1; then
		echo "ok $n $desc"
	else
		echo "not ok $n $desc"
		sed 's/^/#  /' "$scratch/check.log" | tail -n 40
		failed=$((failed + 1))
	fi
}

skip() {
	n=$((n + 1))
	echo "ok $n $1 # SKIP $2"
}

finish() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
}
