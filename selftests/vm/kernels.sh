# SPDX-License-Identifier: GPL-2.0
# Sourced: map the short kernel names the project tests on to the Debian
# ABI currently installed, read from the headers meta-packages so that a
# security update (a new ABI number) needs no change here.

KVERS="6.1 6.12"

kernel_meta() {
	case "$1" in
	6.1) echo linux-headers-amd64 ;;
	6.12) echo linux-headers-6.12-amd64 ;;
	*) echo "unknown KVER $1 (use 6.1 or 6.12, or KDIR=)" >&2; return 1 ;;
	esac
}

# Print the ABI (e.g. 6.1.0-56-amd64) of the installed headers for $1.
kernel_abi() {
	local meta dep
	meta=$(kernel_meta "$1") || return 1
	dep=$(dpkg-query -W -f='${Depends}' "$meta" 2>/dev/null) || {
		echo "$meta is not installed: run 'make deps'" >&2
		return 1
	}
	dep=${dep%% *}
	echo "${dep#linux-headers-}"
}
