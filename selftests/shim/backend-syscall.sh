#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The shim tests on the system-call backend (any machine).
exec sh "$(dirname "$0")/run-all.sh" syscall
