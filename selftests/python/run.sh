#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The resmap Python package's tests with Debian's Python, pytest and
# NumPy, on the build tree's package ($BUILD/python, from paths.sh).
# On the host: test_*.py next to this script, but test_testbed.py.  In the
# test bed, where guest-init.sh has built a root of the host's Python at
# $RESMAP_PYTHON_ROOT: test_testbed.py there, on the module backend.
# Exit 0 if they pass, 4 (kselftest's skip) without pytest, 1 otherwise.
# run.sh --demo runs demo.py instead (make demo).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/paths.sh"
if [ -n "${RESMAP_PYTHON_ROOT:-}" ]; then
	RESMAP_PYTHON_ROOT= RESMAP_TESTBED=1 exec chroot "$RESMAP_PYTHON_ROOT" \
		/bin/sh "$here/run.sh" "$@"
fi
PYTHON=${PYTHON:-/usr/bin/python3}
if ! "$PYTHON" -c 'import pytest' 2>/dev/null; then
	echo "# SKIP: no pytest for $PYTHON (apt-get install python3-pytest)"
	exit 4
fi
if [ ! -d "$BUILD/python/resmap" ]; then
	echo "# no $BUILD/python/resmap: run 'make python'"
	exit 1
fi
if [ "${1:-}" = --demo ]; then
	PYTHONPATH=$BUILD/python PYTHONDONTWRITEBYTECODE=1 exec "$PYTHON" "$here/demo.py"
fi
if [ -n "${RESMAP_TESTBED:-}" ]; then
	tests=$here/test_testbed.py
else
	tests="$here --ignore=$here/test_testbed.py"
fi
cd "$here" || exit 1
log=$(mktemp "${TMPDIR:-/tmp}/resmap-pytest.XXXXXX")
# shellcheck disable=SC2086 # $tests is words
PYTHONPATH=$BUILD/python${PYTHONPATH:+:$PYTHONPATH} \
PYTHONDONTWRITEBYTECODE=1 RESMAP_SOURCE=$TOP \
	"$PYTHON" -m pytest -q -p no:cacheprovider -rs $tests > "$log" 2>&1
status=$?
sed 's/^/# /' "$log"
rm -f "$log"
[ $status -eq 0 ] || exit 1
