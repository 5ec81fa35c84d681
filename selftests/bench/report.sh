#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# report.sh HOST.tsv VM.tsv DOCDIR: medians and spreads of the benchmark
# lines, as Documentation/results.rst tables and gnuplot PNGs in
# DOCDIR/results/.
set -eu
host=$1 vm=$2 doc=$3
mkdir -p "$doc/results"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One line per (where, bench, case, allocator, metric): median min max n.
summarize() {	# file where
	grep -v '^#' "$1" | awk -F'\t' -v where="$2" '{
		n = split($4, kv, " ")
		alloc = $3
		for (i = 1; i <= n; i++) {
			split(kv[i], p, "=")
			if (p[1] == "allocator") { alloc = p[2]; continue }
			key = where "\t" $1 "\t" $2 "\t" alloc "\t" p[1]
			vals[key] = vals[key] " " p[2]
		}
	}
	END {
		for (k in vals) {
			n = split(substr(vals[k], 2), v, " ")
			for (i = 1; i <= n; i++)
				for (j = i + 1; j <= n; j++)
					if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
			med = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			printf "%s\t%s\t%s\t%s\t%d\n", k, med, v[1], v[n], n
		}
	}'
}
{ summarize "$host" host; summarize "$vm" vm; } | sort > "$tmp/all"

# get WHERE BENCH CASE ALLOC METRIC -> median
get() {
	awk -F'\t' -v w="$1" -v b="$2" -v c="$3" -v a="$4" -v m="$5" \
		'$1 == w && $2 == b && $3 == c && $4 == a && $5 == m { print $6; exit }' "$tmp/all"
}
spread() {
	awk -F'\t' -v w="$1" -v b="$2" -v c="$3" -v a="$4" -v m="$5" \
		'$1 == w && $2 == b && $3 == c && $4 == a && $5 == m { printf "%s-%s", $7, $8; exit }' "$tmp/all"
}
allocs() {	# where bench: allocators in a fixed order
	for a in glibc glibc-hugetlb jemalloc jemalloc-thp mimalloc mimalloc-large \
		 resmap-syscall resmap-module; do
		awk -F'\t' -v w="$1" -v b="$2" -v a="$a" '$1 == w && $2 == b && $4 == a { print a; exit }' "$tmp/all"
	done
}
cases() { awk -F'\t' -v w="$1" -v b="$2" '$1 == w && $2 == b { print $3 }' "$tmp/all" | sort -u; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a != "") printf "%.2f", a / b; else printf "-" }'; }
where_line() { grep -m1 '^# where' "$1" | sed 's/^# where: //'; }

growth_table() {	# where
	w=$1
	echo ".. list-table::"
	echo "   :header-rows: 1"
	echo
	echo "   * - case"
	echo "     - allocator"
	echo "     - seconds (median, min-max)"
	echo "     - x floor (populate)"
	echo "     - moves"
	echo "     - copied MiB"
	echo "     - peak RSS MiB"
	for c in $(cases "$w" growth | grep -v floor); do
		f=$(get "$w" growth "floor-populate-${c#*-}" floor seconds)
		for a in $(allocs "$w" growth); do
			s=$(get "$w" growth "$c" "$a" seconds)
			[ -n "$s" ] || continue
			echo "   * - $c"
			echo "     - $a"
			echo "     - $s ($(spread "$w" growth "$c" "$a" seconds))"
			echo "     - $(ratio "$s" "$f")"
			echo "     - $(get "$w" growth "$c" "$a" moves)"
			echo "     - $(get "$w" growth "$c" "$a" copied_mib)"
			echo "     - $(get "$w" growth "$c" "$a" maxrss_mib)"
		done
	done
	for c in $(cases "$w" growth | grep floor); do
		echo "   * - $c"
		echo "     - (mmap)"
		echo "     - $(get "$w" growth "$c" floor seconds) ($(spread "$w" growth "$c" floor seconds))"
		echo "     - -"
		echo "     - 0"
		echo "     - 0"
		echo "     - $(get "$w" growth "$c" floor maxrss_mib)"
	done
}

mops_table() {	# where bench: cases x allocators, median Mops/s
	w=$1 b=$2
	set -- $(allocs "$w" "$b")
	echo ".. list-table::"
	echo "   :header-rows: 1"
	echo
	echo "   * - case (Mops/s, median of runs)"
	for a; do echo "     - $a"; done
	for c in $(cases "$w" "$b"); do
		echo "   * - $c"
		for a; do
			m=$(get "$w" "$b" "$c" "$a" mops)
			echo "     - ${m:--}"
		done
	done
}

plain_table() {	# where bench metrics...: one row per case and allocator
	w=$1 b=$2
	shift 2
	echo ".. list-table::"
	echo "   :header-rows: 1"
	echo
	echo "   * - case"
	echo "     - allocator"
	for m; do echo "     - $m"; done
	for c in $(cases "$w" "$b"); do
		for a in $(awk -F'\t' -v w="$w" -v b="$b" -v c="$c" '$1 == w && $2 == b && $3 == c { print $4 }' "$tmp/all" | sort -u); do
			echo "   * - $c"
			echo "     - $a"
			for m; do
				v=$(get "$w" "$b" "$c" "$a" "$m")
				echo "     - ${v:--}"
			done
		done
	done
}

mapping_table() {	# the batch-mapping cases against the floor
	f=$(cases vm mapping | grep floor | head -n 1)
	fs=$(get vm mapping "$f" resmap-module seconds)
	echo ".. list-table::"
	echo "   :header-rows: 1"
	echo
	echo "   * - case"
	echo "     - seconds (median, min-max)"
	echo "     - x floor"
	echo "     - system calls"
	for c in $(cases vm mapping); do
		s=$(get vm mapping "$c" resmap-module seconds)
		echo "   * - $c"
		echo "     - $s ($(spread vm mapping "$c" resmap-module seconds))"
		echo "     - $(ratio "$s" "$fs")"
		echo "     - $(get vm mapping "$c" resmap-module syscalls)"
	done
}

# Key ratios, computed from the tables below.
findings() {
	x() { ratio "$1" "$2"; }
	g=$(get host growth step4k-256M glibc seconds)
	r=$(get host growth step4k-256M resmap-syscall seconds)
	j=$(get host growth step4k-256M jemalloc seconds)
	m=$(get host growth step4k-256M mimalloc seconds)
	f=$(get host growth floor-populate-256M floor seconds)
	echo "* Growth in 4 KiB steps to 256 MiB (host): resmap $(x "$r" "$f") x the"
	echo "  floor; glibc $(x "$g" "$f") x, jemalloc $(x "$j" "$f") x, mimalloc"
	echo "  $(x "$m" "$f") x.  Doubling to 1 GiB: resmap and glibc relocate with"
	echo "  mremap and copy nothing; jemalloc and mimalloc copy (peak RSS in the"
	echo "  table)."
	b=$(get host batch batch_alloc1-16B resmap-syscall mops)
	l=$(get host batch loop-16B resmap-syscall mops)
	gl=$(get host batch loop-16B glibc mops)
	jb=$(get host batch je_batch_alloc-16B jemalloc mops)
	echo "* 16-byte blocks (host): N1527's batch_alloc1 does $b M/s, $(x "$b" "$l") x"
	echo "  resmap's own malloc/free loop, $(x "$b" "$gl") x glibc's loop and"
	echo "  $(x "$b" "$jb") x jemalloc's experimental.batch_alloc."
	c=$(cases vm mapping | grep batch-ioctl)
	s=$(cases vm mapping | grep mmap-mbind)
	fl=$(cases vm mapping | grep floor)
	bi=$(get vm mapping "$c" resmap-module seconds)
	sy=$(get vm mapping "$s" resmap-module seconds)
	fv=$(get vm mapping "$fl" resmap-module seconds)
	echo "* Batch mapping (test bed): one BATCH ioctl is $(x "$bi" "$fv") x the"
	echo "  populate floor; the same placement by mmap + mbind + madvise per"
	echo "  range is $(x "$sy" "$fv") x ($(get vm mapping "$s" resmap-module syscalls)"
	echo "  system calls against 1)."
	rm_=$(get vm tiers move-dram-to-pmem resmap seconds)
	mk=$(get vm tiers move-dram-to-pmem memkind seconds)
	ra=$(get vm tiers alloc-touch-free resmap seconds)
	ma=$(get vm tiers alloc-touch-free memkind seconds)
	echo "* Tiers (test bed): moving 256 MiB from DRAM to pmem takes resmap"
	echo "  $(x "$rm_" "$mk") x the time of memkind's copy, and the address stays."
	echo "  Allocating and touching 512 MiB on pmem takes resmap $(x "$ra" "$ma") x"
	echo "  memkind's time; both put every page on the pmem node (on_pmem)."
	ct=$(get host churn threads-1 resmap-syscall mops)
	cg=$(get host churn threads-1 glibc mops)
	echo "* Where resmap is not yet ahead: cross-thread small-object churn"
	echo "  (host, 1 thread: $(x "$ct" "$cg") x glibc's throughput; remote frees"
	echo "  go through the freeing thread's cache and then the class lock);"
	echo "  batch allocation of small blocks, where jemalloc's"
	echo "  experimental.batch_alloc is $(x "$jb" "$b") x faster than batch_alloc1;"
	echo "  and the g++ run, within noise of the others."
}

plots() {
	command -v gnuplot > /dev/null || return 0
	# Growth: median seconds per allocator, both cases (host).
	for c in $(cases host growth | grep -v floor); do
		for a in $(allocs host growth); do
			echo "$a $(get host growth "$c" "$a" seconds)"
		done > "$tmp/growth-$c.dat"
	done
	gnuplot <<GP
set terminal pngcairo size 900,420 font ",10"
set output "$doc/results/growth-host.png"
set multiplot layout 1,2 title "realloc growth on the host (median seconds, lower is better)"
set style fill solid 0.8
set boxwidth 0.6
set yrange [0:*]
set xtics rotate by -30
set ylabel "seconds"
$(for c in $(cases host growth | grep -v floor); do
	printf 'set title "%s"\nplot "%s" using 2:xtic(1) with boxes notitle lc rgb "#4477aa", %s with lines lw 2 lc rgb "#cc3311" title "floor (populate)"\n' \
		"$c" "$tmp/growth-$c.dat" "$(get host growth "floor-populate-${c#*-}" floor seconds)"
done)
unset multiplot
GP
	# Batch: Mops/s per allocator for each block size (host).
	set -- $(allocs host batch)
	{
		printf 'size'
		for a; do printf ' %s' "$a"; done
		echo
		for s in 16 64 256; do
			printf '%sB' "$s"
			for a; do printf ' %s' "$(get host batch "loop-${s}B" "$a" mops)"; done
			echo
		done
		for s in 16 64 256; do
			printf 'N1527-%sB' "$s"
			for a; do
				v=$(get host batch "batch_alloc1-${s}B" "$a" mops)
				[ -n "$v" ] || v=$(get host batch "je_batch_alloc-${s}B" "$a" mops)
				printf ' %s' "${v:-0}"
			done
			echo
		done
	} > "$tmp/batch.dat"
	gnuplot <<GP
set terminal pngcairo size 900,420 font ",10"
set output "$doc/results/batch-host.png"
set title "allocating and freeing blocks on the host (million blocks/s, higher is better)\nloop: malloc/free; N1527: batch_alloc1 (resmap) or experimental.batch_alloc (jemalloc)" noenhanced
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8
set key top right
set yrange [0:*]
set ylabel "Mops/s"
plot for [i=2:$(( $# + 1 ))] "$tmp/batch.dat" using i:xtic(1) title columnheader(i)
GP
}
plots

cat > "$doc/results.rst" <<RST
.. SPDX-License-Identifier: GPL-2.0

=================
Benchmark results
=================

Generated by \`\`make bench\`\` (\`\`selftests/bench/bench.sh\`\`, then
\`\`report.sh\`\`) on $(date -u +%Y-%m-%d).  Every figure is the median of
the runs (the spread is min-max); allocators run side by side in one run,
each a fresh process (\`\`LD_PRELOAD\`\`).  Peers are Debian 12's glibc
malloc, jemalloc 5.3 and mimalloc 2.0; memkind 1.14 for tiers.

* host: $(where_line "$host") -- $(nproc) CPUs, the machine's own kernel,
  no resmap module: resmap runs on its syscall backend.
* vm: $(where_line "$vm") -- the QEMU test bed, software-emulated (TCG):
  absolute times there mean nothing, compare ratios within one table.
  resmap runs on both backends; batch mapping and tiers need the module.

Reading the numbers
===================

$(findings)

Physical floors are measured in the same run: for growth, populating the
final size once (one mmap + \`\`MADV_POPULATE_WRITE\`\`, or touching each
page); for batch mapping, one \`\`MADV_POPULATE_WRITE\`\` over the same bytes
without placement.

P1: growth
==========

\`\`realloc\`\` doubling from 4 KiB, and growth in 4 KiB steps, touching the
new last page each time.  "moves" counts relocations; "copied MiB" is
what they would copy if done by copying (glibc, and resmap, move large
blocks with \`\`mremap\`\`, which copies nothing).

.. image:: results/growth-host.png

Host:

$(growth_table host)

Test bed (6.1):

$(growth_table vm)

P2: batch allocation
====================

Allocating (and writing one byte of) then freeing N blocks: a
malloc/free loop in each allocator; resmap's \`\`batch_alloc1\`\` with
\`\`M2_BATCH_IS_ALL_ALLOC\`\` and a batch free; jemalloc's
\`\`experimental.batch_alloc\`\` with frees.

.. image:: results/batch-host.png

Host:

$(mops_table host batch)

Test bed (6.1):

$(mops_table vm batch)

P3: batch mapping
=================

Ranges spread over the three nodes in turn, committed and populated with
a strict placement (test bed only).

$(mapping_table)

P4: small-object churn across threads
=====================================

Each thread allocates 16-256 byte objects and hands them to the next
thread, which frees them (million malloc+free pairs per second).

Host:

$(mops_table host churn)

Test bed (6.1):

$(mops_table vm churn)

Small objects, the three modes of issue 15 (\`\`small\`\`):
\`\`free(malloc(64))\`\` on one thread, on two threads sharing nothing, and
handed from one thread to another (million pairs per second).

Host:

$(mops_table host small)

Test bed (6.1):

$(mops_table vm small)

Large blocks (\`\`large\`\`): realloc doubling to the growth size with
every page touched, against the 4 KiB and 2 MiB populate floors; and
churn of 64 live blocks of 256-508 KiB, every page of each new block
touched (microseconds per free+malloc).  Peers also run in their
huge-page configurations (glibc \`\`hugetlb=1\`\`, jemalloc \`\`thp:always\`\`,
mimalloc \`\`allow_large_os_pages\`\`).

Host:

$(plain_table host large seconds us_per_op moves maxrss_mib)

Test bed (6.1):

$(plain_table vm large seconds us_per_op moves maxrss_mib)

A real program: g++ (-O1) compiling a generated C++ translation unit of
40 functions over standard containers, under each allocator (host only:
the test bed has no compiler).

$(plain_table host compile seconds maxrss_mib)

P5: tiers
=========

2 MiB blocks allocated on the pmem tier, touched and freed, by resmap
(one \`\`batch_alloc1\`\` with \`\`RESMAP_M2_PMEM\`\`) and by memkind
(\`\`MEMKIND_DAX_KMEM\`\`), with the share of pages that landed on the pmem
node (read back with \`\`move_pages\`\`); then moving a block from DRAM to
pmem: resmap in place (\`\`resmap_move\`\`), memkind by allocating on
pmem, copying and freeing (a new address).  Test bed only.

$(plain_table vm tiers seconds on_pmem pages same_address)

P6: Python growth
=================

A Python object grown to 1 GiB in 1 MiB steps, each step's new MiB
written (\`\`libshim/python/bench/growth.py\`\`, host, one process per run):
\`\`resmap.Buffer.resize\`\` into a reservation of the final size;
\`\`ndarray.resize\`\` with NumPy's default allocator and under
\`\`resmap.numpy.allocator\`\`; \`\`bytearray +=\`\`; and
\`\`array.array.frombytes\`\`.  "copies" counts the times the data's address
changed: each is a copy of everything so far unless the allocator moved
the block with \`\`mremap\`\` (glibc's realloc does for a block it mapped
on its own, so a peer's move may copy nothing; resmap's NEP 49 handler
grows in place while the address space after the array is free, and
otherwise moves).  Every move invalidates views of the object, which is
why \`\`bytearray\`\`, \`\`array\`\` and NumPy refuse to resize while one
exists; a \`\`resmap.Buffer\`\` never moves and allows it.  Peak RSS
is the process's, the interpreter and NumPy included.

$(plain_table host pygrowth seconds copies maxrss_mib)
RST
