#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The resmap Python package's tests (test_*.py next to this script) with
# Debian's Python, pytest and NumPy, on the build tree's package
# ($BUILD/python, from paths.sh).  Exit 0 if they pass, 4 (kselftest's
# skip) without pytest, 1 otherwise.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/paths.sh"
PYTHON=${PYTHON:-/usr/bin/python3}
if ! "$PYTHON" -c 'import pytest' 2>/dev/null; then
	echo "# SKIP: no pytest for $PYTHON (apt-get install python3-pytest)"
	exit 4
fi
if [ ! -d "$BUILD/python/resmap" ]; then
	echo "# no $BUILD/python/resmap: run 'make python'"
	exit 1
fi
cd "$here" || exit 1
log=$(mktemp "${TMPDIR:-/tmp}/resmap-pytest.XXXXXX")
PYTHONPATH=$BUILD/python${PYTHONPATH:+:$PYTHONPATH} \
PYTHONDONTWRITEBYTECODE=1 \
	"$PYTHON" -m pytest -q -p no:cacheprovider -rs "$here" > "$log" 2>&1
status=$?
sed 's/^/# /' "$log"
rm -f "$log"
[ $status -eq 0 ] || exit 1
