#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the test bed guest: bring up the pmem node, load resmap.ko, run
# the installed kselftests (or the demo), unload, then print dmesg for the host to scan.
# Each step the host should count is printed as a TAP line "# ok - ..." or
# "# not ok - ...", the same shape as a kselftest case under the runner.

/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# What udev would add; the kselftest runner logs to /dev/stdout.
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
# /tmp is the initramfs's own (writable) directory, not a new tmpfs: the
# build tree may live under /tmp, and the shared libraries copied at
# their build paths must stay visible.
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

step() {
	name=$1
	shift
	if "$@" > /tmp/step.log 2>&1; then
		echo "# ok - testbed: $name"
		return 0
	fi
	echo "# not ok - testbed: $name"
	sed 's/^/# # /' /tmp/step.log
	return 1
}

# Present on debug kernels only.
kmemleak=/sys/kernel/debug/kmemleak

kmemleak_clean() {
	echo scan > "$kmemleak"
	sleep 2
	echo scan > "$kmemleak"
	cat "$kmemleak"
	! grep -q "unreferenced object" "$kmemleak"
}

# kmemleak's own scan runs every 10 min while the tests run.  A report
# from it may be gone by the final scans (the object was freed or is
# referenced again), so print each one when it appears, with its
# backtrace; the dmesg check still fails the run.
kmemleak_watch() {
	seen=0
	while sleep 20; do
		n=$(dmesg | grep -c "suspected memory leaks")
		[ "$n" -gt "$seen" ] || continue
		seen=$n
		sed 's/^/# kmemleak: /' "$kmemleak"
	done
}

load_modules() {
	for m in $(cat /lib/modules/load-order); do
		args=
		# One 64 MiB RAM disk, /dev/ram0, for the O_DIRECT tests.
		[ "$m" = brd ] && args="rd_nr=1 rd_size=65536"
		insmod "/lib/modules/$m.ko" $args || return 1
	done
}

# The host's /usr and /etc and the build tree, shared read-only by
# run-vm.sh over virtio-9p, as a root at /host for the Python tests
# (selftests/python/run.sh chroots there): the host's own paths for
# Python, NumPy, pytest and the package, this guest's /proc, /sys, /dev
# (with /dev/resmap) and a /tmp of its own, and /kselftest bound at the
# same path so that the tests find their files.
host_root() {
	for m in $(cat /lib/modules/virtio-9p/load-order); do
		insmod "/lib/modules/virtio-9p/$m.ko" || return 1
	done
	mkdir -p /host && mount -t tmpfs -o mode=0755 host /host || return 1
	# The guest's own /tmp first: a tree shared from under the host's
	# /tmp (a clone in /tmp) is then mounted on it, not hidden by it.
	mkdir -p /host/tmp && mount -t tmpfs -o mode=1777 tmp /host/tmp ||
		return 1
	while read -r tag path; do
		mkdir -p "/host$path" &&
		mount -t 9p -o ro,trans=virtio,version=9p2000.L,cache=loose,msize=262144 \
			"$tag" "/host$path" || return 1
	done < /lib/modules/host-shares
	for d in bin lib lib64 sbin; do
		ln -s "usr/$d" "/host/$d"
	done
	mkdir -p /host/proc /host/sys /host/dev /host/kselftest &&
	mount -t proc proc /host/proc &&
	mount -t sysfs sysfs /host/sys &&
	mount -t devtmpfs devtmpfs /host/dev &&
	mount -o bind /kselftest /host/kselftest &&
	[ -x /host/usr/bin/python3 ]
}

# A low watchdog, so that a command which never reschedules, or a task
# blocked for long, is reported in dmesg (which the host scans): a soft
# lockup after 2 x 5 s on a CPU, a hung task after 20 s in D state.
[ -w /proc/sys/kernel/watchdog_thresh ] &&
	echo 5 > /proc/sys/kernel/watchdog_thresh
[ -w /proc/sys/kernel/hung_task_timeout_secs ] &&
	echo 20 > /proc/sys/kernel/hung_task_timeout_secs

echo RESMAP-TAP-BEGIN
echo "# testbed: kernel $(uname -r), cx16 $(grep -qw cx16 /proc/cpuinfo && echo on || echo off)"
# The cpuless-dram topology's node 2 is RAM at boot: no NVDIMM to online.
pmem_node() {
	[ "${RESMAP_TOPOLOGY:-pmem}" != pmem ] || sh /bin/pmem-node.sh
}

if step "kernel modules for the test bed load" load_modules &&
   step "node 2 online (dax kmem, or RAM at boot)" pmem_node &&
   step "insmod resmap.ko" insmod /lib/modules/resmap.ko; then
	if [ -e /lib/modules/host-shares ] &&
	   step "host's Python at /host over virtio-9p" host_root; then
		export RESMAP_PYTHON_ROOT=/host
	fi
	watch=
	if [ -e "$kmemleak" ]; then
		kmemleak_watch &
		watch=$!
	fi
	# RESMAP_RUN comes from the kernel command line (run-vm.sh VM_RUN=):
	# the whole suite, the demo, or one installed program.
	case "${RESMAP_RUN:-tests}" in
	tests)
		cd /kselftest && ./run_kselftest.sh
		cd /
		;;
	demo)
		/kselftest/resmap/resmap-demo &&
		echo && /kselftest/shim/shim-demo &&
		if [ -n "${RESMAP_PYTHON_ROOT:-}" ]; then
			sh /kselftest/python/run.sh --demo
		fi || echo "# not ok - testbed: the demo failed"
		;;
	ksft:*)
		# Some programs (collection:program,...), under the runner:
		# their cases are counted.
		# A name the runner does not know would run nothing at all.
		set --
		for t in $(echo "${RESMAP_RUN#ksft:}" | tr , ' '); do
			if [ -x "/kselftest/${t%%:*}/${t#*:}" ]; then
				set -- "$@" -t "$t"
			else
				echo "# not ok - testbed: no test $t"
			fi
		done
		[ $# -eq 0 ] || (cd /kselftest && ./run_kselftest.sh "$@")
		;;
	*)
		"/kselftest/$RESMAP_RUN" ||
			echo "# not ok - testbed: $RESMAP_RUN exited $?"
		;;
	esac
	[ -n "$watch" ] && kill "$watch"
	step "rmmod resmap" rmmod resmap
	# Debug kernels: kmemleak needs two scans to report a leak.
	if [ -e "$kmemleak" ]; then
		step "kmemleak finds no leak" kmemleak_clean
	fi
fi
echo RESMAP-TAP-END
echo RESMAP-DMESG-BEGIN
dmesg
echo RESMAP-DMESG-END
sync
poweroff -f
