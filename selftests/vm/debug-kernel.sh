#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build, once per machine, a 6.1 debug kernel from Debian's linux-source-6.1
# for the test bed: KASAN, lockdep (PROVE_LOCKING), DEBUG_VM, kmemleak,
# fault injection (FAILSLAB, FAIL_PAGE_ALLOC), DEBUG_LIST, plus what the
# topology needs, everything built in.  Starts from tinyconfig so the
# build stays small.  Cached outside the tree in $DEBUG_CACHE (default
# ~/.cache/resmap/debug-6.1): kernel/{bzImage,modules/load-order,.done}
# in the layout run-vm.sh boots, and src/ for building resmap.ko.
#
# Usage: debug-kernel.sh CACHE   (CACHE: the project's .cache, for the
#                                 linux-source deb that make deps keeps)
set -euo pipefail
cache=${1:?usage: debug-kernel.sh CACHE}
out=${DEBUG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/resmap/debug-6.1}
src=$out/src

# What this config is: a change here rebuilds.
options=(
	# Boot and the guest userspace.
	64BIT SMP PRINTK TTY SERIAL_8250 SERIAL_8250_CONSOLE SERIAL_8250_PNP
	PNP BLK_DEV_INITRD RD_GZIP DEVTMPFS PROC_FS PROC_SYSCTL SYSFS TMPFS
	SHMEM BINFMT_ELF BINFMT_SCRIPT MODULES MODULE_UNLOAD HYPERVISOR_GUEST
	PARAVIRT PVH PCI X86_X2APIC CPU_SUP_INTEL CPU_SUP_AMD RTC_CLASS EXPERT
	BUG ELF_CORE COREDUMP MULTIUSER FUTEX EPOLL POSIX_TIMERS SIGNALFD
	TIMERFD EVENTFD AIO ADVISE_SYSCALLS MEMBARRIER FILE_LOCKING SYSVIPC
	CROSS_MEMORY_ATTACH UNIX NET INET HIGH_RES_TIMERS NO_HZ_IDLE
	SYSFS_SYSCALL PRINTK_TIME KALLSYMS DEBUG_FS STACKTRACE EARLY_PRINTK
	# The topology: NUMA, ACPI NFIT and HMAT, libnvdimm, pmem, dax, kmem.
	NUMA X86_64_ACPI_NUMA ACPI ACPI_NUMA ACPI_NFIT ACPI_HMAT BLOCK BLK_DEV
	LIBNVDIMM BTT NVDIMM_PFN NVDIMM_DAX BLK_DEV_PMEM BLK_DEV_RAM DAX FS_DAX
	DEV_DAX DEV_DAX_PMEM DEV_DAX_KMEM MEMORY_HOTPLUG MEMORY_HOTREMOVE
	ZONE_DEVICE SPARSEMEM_VMEMMAP MIGRATION DEVICE_PRIVATE
	# What resmap and its tests use.
	IO_URING CGROUPS MEMCG MEMCG_KMEM CGROUP_SCHED TRANSPARENT_HUGEPAGE KSM
	# The checkers.
	SLUB KASAN KASAN_GENERIC KASAN_INLINE PROVE_LOCKING DEBUG_VM
	DEBUG_KMEMLEAK FAULT_INJECTION FAILSLAB FAIL_PAGE_ALLOC
	FAULT_INJECTION_DEBUG_FS DEBUG_LIST
)
stamp="${options[*]}"
if [ "$(cat "$out/kernel/.done" 2>/dev/null)" = "$stamp" ]; then
	echo "debug-kernel: cached in $out"
	exit 0
fi

deb=$(ls "$cache"/debs/linux-source-6.1_*.deb | tail -n 1)
mkdir -p "$out"
if [ ! -e "$src/.extracted" ]; then
	echo "debug-kernel: extracting linux-source-6.1"
	rm -rf "$src" "$out/tmp"
	mkdir -p "$out/tmp"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -x -C "$out/tmp" --wildcards '*linux-source-6.1.tar.xz'
	mkdir -p "$src"
	tar -xJ -C "$src" --strip-components=1 \
		-f "$out"/tmp/usr/src/linux-source-6.1.tar.xz
	rm -rf "$out/tmp"
	touch "$src/.extracted"
fi
cd "$src"
make -s tinyconfig
args=()
for o in "${options[@]}"; do args+=(-e "$o"); done
./scripts/config -d SLOB "${args[@]}"
make -s olddefconfig
for o in "${options[@]}"; do
	grep -q "^CONFIG_$o=y" .config ||
		{ echo "debug-kernel: CONFIG_$o did not stick" >&2; exit 1; }
done
echo "debug-kernel: building (the first time takes a while)"
time make -s -j"$(nproc)" bzImage modules
rm -rf "$out/kernel"
mkdir -p "$out/kernel/modules"
# A bzImage: this config does not boot through PVH as an ELF vmlinux.
cp arch/x86/boot/bzImage "$out/kernel/bzImage"
: > "$out/kernel/modules/load-order"	# everything is built in
echo "$stamp" > "$out/kernel/.done"
echo "debug-kernel: ready in $out"
