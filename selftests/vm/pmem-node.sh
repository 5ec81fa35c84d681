#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In the guest: turn the label-less NVDIMM's raw namespace into a devdax
# device and hand it to the dax kmem driver, so its memory comes online as
# system RAM on a CPU-less NUMA node (node 2), the way pmem and CXL memory
# tiers appear on Linux.  Uses sysfs only (no ndctl/daxctl in the guest).
set -e

# Wait for an asynchronous probe: $1 = path that appears when it is done.
wait_for() {
	i=0
	while [ ! -e "$1" ]; do
		i=$((i + 1))
		[ $i -le 200 ] || { echo "timed out waiting for $1"; return 1; }
		sleep 0.05
	done
}

nd=/sys/bus/nd
wait_for $nd/devices/namespace0.0/driver
echo namespace0.0 > $nd/drivers/nd_pmem/unbind

dax=$nd/devices/$(cat $nd/devices/region0/dax_seed)
cat /proc/sys/kernel/random/uuid > "$dax/uuid"
echo pmem > "$dax/mode"
echo 2097152 > "$dax/align"
echo namespace0.0 > "$dax/namespace"
echo "${dax##*/}" > $nd/drivers/dax_pmem/bind
wait_for /sys/bus/dax/devices/dax0.0/driver

# kmem adds the memory as hotplugged blocks; movable keeps them offlinable.
echo online_movable > /sys/devices/system/memory/auto_online_blocks
echo dax0.0 > /sys/bus/dax/drivers/device_dax/unbind
echo dax0.0 > /sys/bus/dax/drivers/kmem/new_id
# Bound to kmem (a module on Debian's kernels, built into the debug one).
wait_for /sys/bus/dax/devices/dax0.0/driver
i=0
until [ "$(basename "$(readlink /sys/bus/dax/devices/dax0.0/driver)")" = kmem ]; do
	i=$((i + 1))
	[ $i -le 200 ] || { echo "dax0.0 did not bind to kmem"; exit 1; }
	sleep 0.05
done

for block in /sys/devices/system/node/node2/memory*; do
	if [ "$(cat "$block/state")" = offline ]; then
		echo online_movable > "$block/state"
	fi
done
kib=$(awk '/MemTotal/ { print $4 }' /sys/devices/system/node/node2/meminfo)
[ "${kib:-0}" -gt 0 ] || { echo "node2 has no memory after kmem"; exit 1; }
