# SPDX-License-Identifier: GPL-2.0
#
# Count test results in run_kselftest.sh output (plus the test bed's own
# "# ok - testbed: ..." lines).  A case is a nested line "# ok N name",
# "# ok N name # SKIP ...", or "# not ok ...".  A top-level "not ok" for a
# program none of whose cases failed (it crashed, timed out, or failed to
# start) counts as one more failure.  Prints "P F S".
/^# ok / {
	if ($0 ~ /# SKIP/)
		skipped++
	else
		passed++
	next
}
/^# not ok / {
	failed++
	prog_failed++
	next
}
/^not ok / {
	if (!prog_failed)
		failed++
	prog_failed = 0
	next
}
/^ok / {
	prog_failed = 0
	next
}
END {
	printf "%d %d %d\n", passed, failed, skipped
}
