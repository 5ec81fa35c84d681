#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one Debian kernel (KVER 6.1 or 6.12) in QEMU with the resmap test
# topology and run the VM kselftests there:
#   node0 = 512M DRAM + cpu0, node1 = 512M DRAM + cpu1 (one socket each),
#   node2 = 1 GiB NVDIMM onlined as CPU-less system RAM by dax kmem,
#   HMAT: local DRAM 100 ns / 20 GB/s, remote 150 / 10, NVDIMM 300 / 5.
# TOPOLOGY=cpuless-dram instead makes node2 512M of ordinary RAM without
# CPUs, a memory-only NUMA node at boot (no NVDIMM, no dax), as near to
# cpu0 as node0's own DRAM in HMAT (100 / 20; 150 / 10 from cpu1).
# Prints the guest's TAP lines plus the host's own checks (guest finished
# in time, dmesg clean).  Exit status: 0 if every line is "ok".
#
# Usage: run-vm.sh KVER   (6.1, 6.12, or debug for debug-kernel.sh's;
#                          env: CACHE, BUILD, VM_TIMEOUT seconds,
#                          VM_RUN=demo to run resmap-demo instead, or
#                          VM_RUN=<collection>/<program> to run one test,
#                          VM_RUN=ksft:<collection>:<program>[,...] to run
#                          some under the kselftest runner (cases counted),
#                          VM_ENV="NAME=value ..." for the tests' environment,
#                          TOPOLOGY=pmem (default) or cpuless-dram,
#                          VM_KO=path to load another resmap.ko, such as the
#                          one DKMS built: build/dkms/<release>/resmap.ko)
set -euo pipefail

kver=${1:?usage: run-vm.sh KVER}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CACHE=${CACHE:-$top/.cache}
BUILD=${BUILD:-$top/build}
timeout_s=${VM_TIMEOUT:-600}
topology=${TOPOLOGY:-pmem}
case $topology in
pmem|cpuless-dram) ;;
*) echo "TOPOLOGY=$topology: want pmem or cpuless-dram" >&2; exit 1 ;;
esac
. "$here/kernels.sh"

if [ "$kver" = debug ]; then
	# The debug kernel of debug-kernel.sh, resmap.ko built against it.
	debug=${DEBUG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/resmap/debug-6.1}
	abi=debug-6.1
	kernel=$debug/kernel
	ko=$BUILD/kmod-$(basename "$(realpath "$debug/src")")/resmap.ko
else
	abi=$(kernel_abi "$kver")
	kernel=$CACHE/kernel/$abi
	ko=$BUILD/kmod-linux-headers-$abi/resmap.ko
fi
ko=${VM_KO:-$ko}
work=$BUILD/vm-$abi
root=$work/root
for f in "$kernel/.done" "$ko"; do
	[ -e "$f" ] || { echo "missing $f: run 'make deps' and 'make modules KVER=$kver'" >&2; exit 1; }
done

rm -rf "$work"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/modules}
cp /bin/busybox "$root/bin/busybox"
cp "$kernel/modules/load-order" "$root/lib/modules/"
for m in "$kernel"/modules/*.ko; do	# none when everything is built in
	[ -e "$m" ] && cp "$m" "$root/lib/modules/"
done
cp "$ko" "$root/lib/modules/resmap.ko"

# The Python tests run the host's Python, NumPy and pytest, and the build
# tree's package, read-only over virtio-9p (guest-init.sh builds a root
# of them at /host): nothing to pack, and the guest reads only the files
# an import opens.  Each line of /lib/modules/host-shares is "tag path";
# the build tree is shared at its host path, so the extension's RUNPATH
# and the tests' paths hold in the guest.
shares=()
if [ -e "$kernel/virtio-9p/.done" ]; then
	mkdir -p "$root/lib/modules/virtio-9p"
	cp "$kernel"/virtio-9p/load-order "$kernel"/virtio-9p/*.ko \
		"$root/lib/modules/virtio-9p/"
	n=0
	for d in /usr /etc "$top" "$BUILD"; do
		d=$(realpath "$d")
		case "$d" in "$(realpath "$top")"/*) continue ;; esac	# in the tree
		shares+=(-virtfs "local,path=$d,mount_tag=h$n,security_model=none,readonly=on,multidevs=remap")
		echo "h$n $d" >> "$root/lib/modules/host-shares"
		n=$((n + 1))
	done
fi
cp "$here/guest-init.sh" "$root/init"
cp "$here/pmem-node.sh" "$root/bin/pmem-node.sh"
make -s --no-print-directory -C "$top/selftests" vm-install \
	DEST="$root/kselftest"

# The test programs' shared libraries (libc, liburing, the shim...), and
# the benchmarks' peer allocators, which they load with LD_PRELOAD, at the
# paths the dynamic linker looks for them.
peers="/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/x86_64-linux-gnu/libmimalloc.so.2"
{ find "$root/kselftest" -type f -perm -u+x; ls $peers 2>/dev/null; } | while read -r f; do
	[ "$(head -c 4 "$f" | tr -d '\0')" = "$(printf '\177ELF')" ] || continue
	echo "$f"
	ldd "$f" | awk '/=> \// { print $3 } /^\t\// { print $1 }'
done | grep -v "^$root" | sort -u | while read -r lib; do
	cp -L --parents "$lib" "$root/"
done

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$work/initrd.gz"

# Debian's kernels boot fastest as an ELF vmlinux through PVH (qboot);
# the debug kernel's small config does not, and boots as a bzImage.
if [ -e "$kernel/bzImage" ]; then
	boot=(-kernel "$kernel/bzImage")
else
	boot=(-bios /usr/share/qemu/qboot.rom -kernel "$kernel/vmlinux")
fi

hmat=()
for i in 0 1; do
	for t in 0 1 2; do
		if [ $t = 2 ] && [ $topology = pmem ]; then lat=300 bw=5G
		elif [ $t = $i ] || { [ $t = 2 ] && [ $i = 0 ]; }; then lat=100 bw=20G
		else lat=150 bw=10G
		fi
		hmat+=(-numa "hmat-lb,initiator=$i,target=$t,hierarchy=memory,data-type=access-latency,latency=$lat"
		       -numa "hmat-lb,initiator=$i,target=$t,hierarchy=memory,data-type=access-bandwidth,bandwidth=$bw")
	done
done

# No CMPXCHG16B: QEMU 7.2's TCG has twice left EFLAGS holding register
# bits right after the slab fast path's "cmpxchg16b %gs:(%rsi)" on 6.12
# (once a double fault, once a #DB warning, both in shim/stress under
# fork load).  Without the feature the kernel patches in its own
# emulation of that instruction.
cpu=${VM_CPU:-max,cx16=off}

# Node 2: an NVDIMM that guest-init onlines through dax kmem, or RAM.
if [ $topology = pmem ]; then
	node2=(-m 1G,slots=2,maxmem=4G
	       -numa node,nodeid=2,initiator=0
	       -object memory-backend-ram,id=nv1,size=1G
	       -device nvdimm,id=nvdimm1,memdev=nv1,node=2)
else
	node2=(-m 1536M
	       -object memory-backend-ram,id=m2,size=512M
	       -numa node,nodeid=2,initiator=0,memdev=m2)
fi

boot_guest() {
	status=0
	timeout --foreground -k 10 "$timeout_s" qemu-system-x86_64 \
		-M q35,nvdimm=on,hmat=on -cpu "$cpu" -smp 2,sockets=2,cores=1,threads=1 \
		"${boot[@]}" \
		-object memory-backend-ram,id=m0,size=512M \
		-object memory-backend-ram,id=m1,size=512M \
		-numa node,nodeid=0,cpus=0,memdev=m0 \
		-numa node,nodeid=1,cpus=1,memdev=m1 \
		"${node2[@]}" \
		-numa dist,src=0,dst=1,val=20 -numa dist,src=0,dst=2,val=30 \
		-numa dist,src=1,dst=2,val=30 \
		"${hmat[@]}" \
		"${shares[@]}" \
		-nic none -initrd "$work/initrd.gz" \
		-append "console=ttyS0 loglevel=1 panic=-1 oops=panic cryptomgr.notests tsc=reliable no_timer_check mitigations=off RESMAP_RUN=${VM_RUN:-tests} RESMAP_TOPOLOGY=$topology ${VM_ENV:-}" \
		-nographic -no-reboot < /dev/null > "$work/console.log" 2>&1 || status=$?
	tr -d '\r' < "$work/console.log" > "$work/console.txt"
}

# A kernel that panics before the guest's init prints anything ran no
# code of ours (resmap.ko is loaded later, by init): under software
# emulation that has happened at boot (an int3 of the kernel's own code
# patching left in another vCPU's translated code).  Such a boot is tried
# once more, and said so; any later failure counts.
boot_guest
if ! grep -q 'RESMAP-TAP-BEGIN$' "$work/console.txt" &&
   grep -q 'Kernel panic' "$work/console.txt"; then
	echo "# testbed: the kernel died before init ran; booting again. Its console:"
	tail -n 12 "$work/console.txt" | sed 's/^/# # /'
	boot_guest
fi
# The firmware's escapes may precede the first marker on its line.
sed -n '/RESMAP-TAP-BEGIN$/,/^RESMAP-TAP-END$/p' "$work/console.txt" | sed '1d;$d'

if grep -qx RESMAP-DMESG-END "$work/console.txt"; then
	echo "# ok - testbed: guest ran to the end"
else
	echo "# not ok - testbed: guest ran to the end (qemu status $status, timeout ${timeout_s}s)"
	tail -n 40 "$work/console.txt" | sed 's/^/# # /'
fi

# A test that provokes an OOM kill on purpose brackets it with
# "resmap-selftest: expected oom begin/end" in the kernel log; only the
# OOM report's call trace is allowed there, nothing else.
sed -n '/^RESMAP-DMESG-BEGIN$/,/^RESMAP-DMESG-END$/p' "$work/console.txt" |
	awk '/resmap-selftest: expected oom begin/ { oom = 1 }
	     /resmap-selftest: expected oom end/ { oom = 0 }
	     !(oom && /Call Trace/)' > "$work/dmesg.txt"
# Reports only: a debug kernel also says 'RCU lockdep checking is enabled'
# and 'kmemleak: ... initialized' at boot.
bad='WARNING:|BUG:|BUG |Oops|general protection|KASAN|UBSAN|unreferenced object|suspected memory leak|circular locking|recursive locking|inconsistent lock state|suspicious RCU usage|lock inversion|Call Trace|Bad page|list_add corruption|list_del corruption|refcount_t:|soft lockup|hung_task|blocked for more than'
if grep -Eq "$bad" "$work/dmesg.txt"; then
	echo "# not ok - testbed: guest dmesg clean"
	grep -E -B2 -A20 "$bad" "$work/dmesg.txt" | head -n 80 | sed 's/^/# # /'
else
	echo "# ok - testbed: guest dmesg clean"
fi
