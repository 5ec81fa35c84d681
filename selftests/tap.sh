# SPDX-License-Identifier: GPL-2.0
# Sourced by the shell tests of the install and resmapctl collections
# (installed next to them; POSIX sh, so it also runs in the test bed's
# busybox): a scratch directory removed at exit ($scratch; a test may
# define on_exit for more), and TAP lines.
#   check DESCRIPTION COMMAND...   one case: "ok N" or "not ok N" + its output
#   skip DESCRIPTION WHY           one skipped case
#   expect STATUS COMMAND...       COMMAND exits STATUS (output in $scratch/out,
#                                  $scratch/err)
#   finish                         the plan; returns 1 if a case failed
scratch=$(mktemp -d "${TMPDIR:-/tmp}/resmap-test.XXXXXX")
n=0
failed=0
tap_exit() {
	command -v on_exit > /dev/null && on_exit
	rm -rf "$scratch"
}
trap tap_exit EXIT

check() {
	desc=$1
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

expect() {
	want=$1
	shift
	"$@" > "$scratch/out" 2> "$scratch/err"
	rc=$?
	cat "$scratch/out" "$scratch/err"
	[ "$rc" -eq "$want" ] || { echo "exit $rc, want $want"; return 1; }
}

finish() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
}
