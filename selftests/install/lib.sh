# SPDX-License-Identifier: GPL-2.0
# Sourced by the install tests: the source tree (TOP, BUILD, from the
# generated paths.sh) and the TAP helpers of tap.sh.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/paths.sh"
. "$here/tap.sh"
# The runner runs under make: do not hand its flags to the make we run.
unset MAKEFLAGS MAKELEVEL MFLAGS
