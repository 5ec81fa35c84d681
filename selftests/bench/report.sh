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

# Sections measured by hand follow this line in results.rst; the page is
# regenerated above it and they are kept as they are.
byhand='.. Measured by hand: report.sh keeps what follows this line.'
touch "$tmp/kept"
[ -f "$doc/results.rst" ] &&
	sed -n "\\|^$byhand\$|,\$p" "$doc/results.rst" > "$tmp/kept"
# What the host's real programs were given, as run.sh records it.
programs=$(grep -m1 '^# programs: ' "$host" || true)
given() { echo "$programs" | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }
pysuites=$(echo "$programs" | sed -n 's/.* suites: //p')

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

# The real programs: one row per program and allocator, wall time and
# peak RSS, each against glibc's.
program_table() {	# where
	w=$1
	echo ".. list-table::"
	echo "   :header-rows: 1"
	echo
	echo "   * - program"
	echo "     - allocator"
	echo "     - seconds (median, min-max)"
	echo "     - x glibc"
	echo "     - peak RSS MiB"
	echo "     - x glibc"
	for c in $(cases "$w" program); do
		gs=$(get "$w" program "$c" glibc seconds)
		gr=$(get "$w" program "$c" glibc maxrss_mib)
		for a in $(allocs "$w" program); do
			s=$(get "$w" program "$c" "$a" seconds)
			[ -n "$s" ] || continue
			r=$(get "$w" program "$c" "$a" maxrss_mib)
			echo "   * - $c"
			echo "     - $a"
			echo "     - $s ($(spread "$w" program "$c" "$a" seconds))"
			echo "     - $(ratio "$s" "$gs")"
			echo "     - $r"
			echo "     - $(ratio "$r" "$gr")"
		done
	done
}

# verdict RATIO LIMIT lower|higher: "met", or by how much it is missed.
verdict() {
	awk -v r="$1" -v l="$2" -v d="$3" 'BEGIN {
		if (r == "" || r == "-") { print "no data"; exit }
		if (d == "lower")
			print (r + 0 <= l + 0) ? "met" : sprintf("missed by %.0f%%", (r / l - 1) * 100)
		else
			print (r + 0 >= l + 0) ? "met" : sprintf("missed by %.0f%%", (1 - r / l) * 100)
	}'
}
smaller() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "") print b; else if (b == "" || a + 0 <= b + 0) print a; else print b }'; }

goal_row() {	# goal where case measured target verdict
	echo "   * - $1"
	echo "     - $2"
	echo "     - $3"
	echo "     - $4"
	echo "     - $5"
	echo "     - $6"
}

# One goal row: ALLOC's METRIC against PEER's, LIMIT the ratio to reach
# (lower or higher is better); none when either did not run.
peer_goal() {	# goal where bench case metric alloc peer limit lower|higher
	r=$(get "$2" "$3" "$4" "$6" "$5")
	p=$(get "$2" "$3" "$4" "$7" "$5")
	[ -n "$r" ] && [ -n "$p" ] || return 0
	q=$(ratio "$r" "$p")
	goal_row "$1" "$2" "$3 $4" "$q x $7" "$8" "$(verdict "$q" "$8" "$9")"
}

# Issue 15's goals, each against the figures of this run: the shim on
# its syscall backend on the host and on the module backend in the test
# bed.  Only the ratios within one place are compared.
goals_table() {
	echo ".. list-table::"
	echo "   :header-rows: 1"
	echo
	echo "   * - goal"
	echo "     - where"
	echo "     - case"
	echo "     - resmap"
	echo "     - target"
	echo "     - status"
	for c in $(cases host program); do
		g=$(get host program "$c" glibc seconds)
		r=$(get host program "$c" resmap-syscall seconds)
		[ -n "$r" ] || continue
		j=$(get host program "$c" jemalloc seconds)
		m=$(get host program "$c" mimalloc seconds)
		peer=mimalloc best=$m
		[ "$(smaller "$j" "$m")" = "$m" ] || peer=jemalloc best=$j
		rg=$(ratio "$r" "$g") bg=$(ratio "$best" "$g")
		vg=$(verdict "$rg" 1.00 lower)
		vp=$(verdict "$(ratio "$r" "$best")" 1.00 lower)
		if [ "$vg" = met ] && [ "$vp" = met ]; then
			v=met
		elif [ "$vg" = met ]; then
			v="$vp against $peer"
		elif [ "$vp" = met ]; then
			v="$vg against glibc"
		else
			v="$vg against glibc, ${vp#missed }against $peer"
		fi
		goal_row "real program: wall time" host "$c" "$rg x glibc" \
			"1.00, and $bg ($peer, the better peer)" "$v"
	done
	for wr in host:resmap-syscall vm:resmap-module; do
		w=${wr%%:*} a=${wr#*:}
		for b in program growth large; do
			for c in $(cases "$w" "$b" | grep -v floor); do
				peer_goal "peak RSS" "$w" "$b" "$c" maxrss_mib \
					"$a" glibc 1.10 lower
			done
		done
		for c in $(cases "$w" small); do
			peer_goal "small objects: throughput" "$w" small "$c" mops \
				"$a" mimalloc 1.00 higher
		done
		for c in $(cases "$w" large | grep churn); do
			peer_goal "large-block churn: time per op" "$w" large "$c" \
				us_per_op "$a" jemalloc 1.00 lower
		done
		for c in $(cases "$w" large | grep touch); do
			r=$(get "$w" large "$c" "$a" seconds)
			f=$(get "$w" large "floor-2M-${c#touch-}" floor seconds)
			[ -n "$r" ] || continue
			rf=$(ratio "$r" "$f")
			goal_row "growth, every page touched" "$w" "$c" \
				"$rf x 2 MiB floor" "1.30" "$(verdict "$rf" 1.30 lower)"
			best=
			for p in glibc-hugetlb jemalloc-thp mimalloc-large; do
				best=$(smaller "$best" "$(get "$w" large "$c" "$p" seconds)")
			done
			rb=$(ratio "$r" "$best")
			goal_row "growth, every page touched" "$w" "$c" \
				"$rb x the fastest huge-page peer" "1.00" \
				"$(verdict "$rb" 1.00 lower)"
		done
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
	echo "  $(x "$m" "$f") x.  Doubling to 1 GiB: the table shows who relocates"
	echo "  the block (moves) and who copies it (copied MiB, peak RSS)."
	b=$(get host batch batch_alloc1-16B resmap-syscall mops)
	l=$(get host batch loop-16B resmap-syscall mops)
	gl=$(get host batch loop-16B glibc mops)
	jb=$(get host batch je_batch_alloc-16B jemalloc mops)
	echo "* 16-byte blocks (host): N1527's batch_alloc1 does $b M/s, $(x "$b" "$l") x"
	echo "  resmap's own malloc/free loop, $(x "$b" "$gl") x glibc's loop and"
	echo "  $(x "$b" "$jb") x jemalloc's experimental.batch_alloc."
	c=$(cases vm mapping | grep batch-ioctl || true)
	s=$(cases vm mapping | grep mmap-mbind || true)
	fl=$(cases vm mapping | grep floor || true)
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
	mp=$(get vm tiers move-dram-to-pmem move_pages seconds)
	mb=$(get vm tiers move-dram-to-pmem mbind seconds)
	echo "* Tiers (test bed): moving a block from DRAM to pmem in place takes"
	echo "  resmap $(x "$rm_" "$mp") x the time of move_pages(2) and $(x "$rm_" "$mb") x"
	echo "  that of mbind(MPOL_MF_MOVE) on the same block, and $(x "$rm_" "$mk") x"
	echo "  that of memkind's copy to a new address.  Allocating and touching"
	echo "  blocks on pmem takes resmap $(x "$ra" "$ma") x memkind's time (on_pmem:"
	echo "  the share of pages that landed there)."
	goals_table > "$tmp/goals"
	echo "* Issue 15's goals: $(grep -c '^     - met$' "$tmp/goals" || true) of"
	echo "  $(grep -c '^     - \(met\|missed\)' "$tmp/goals" || true) met in this run (the last section lists"
	echo "  each and by how much it is missed)."
	ct=$(get host churn threads-1 resmap-syscall mops)
	cg=$(get host churn threads-1 glibc mops)
	echo "* Small-object churn across threads (host, 1 thread): $(x "$ct" "$cg") x"
	echo "  glibc's throughput; remote frees are a CAS onto the owning span."
}

plots() {
	command -v gnuplot > /dev/null || return 0
	# Growth: median seconds per allocator, both cases (host).
	for c in $(cases host growth | grep -v floor); do
		for a in $(allocs host growth); do
			echo "$a $(get host growth "$c" "$a" seconds)"
		done > "$tmp/growth-$c.dat"
	done
	gnuplot <<GP || echo "report: a plot failed (missing figures?)" >&2
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
	gnuplot <<GP || echo "report: a plot failed (missing figures?)" >&2
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
a strict placement (test bed only): the module's placed COMMITs, in one
\`\`RESMAP_IOC_BATCH\`\` by ioctl or by io_uring, against their system-call
peer, mmap + mbind + \`\`MADV_POPULATE_WRITE\`\` per range.

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

Real programs
=============

Under each allocator (\`\`LD_PRELOAD\`\`, inherited by every child), wall
time and peak RSS (the largest process, from \`\`wait4\`\`):
$(echo $pysuites | wc -w) of CPython's own regression suites (\`\`python3 -m test -j1\`\`:
$(echo "$pysuites" | sed 's/test_//g; s/ /, /g')); a bytearray built to
$(given pymib) MiB in 64 KiB steps and dropped, $(given pyrounds) times
(\`\`py/bytearray_grow_drop.py\`\`); $(given pyobjects) bytes objects of
600-3600 bytes through a queue from one thread to another
(\`\`py/queue_producer_consumer.py\`\`); the \`\`sqlite3\`\` shell in memory
(\`\`sqlite.sql\`\`: $(given sqlrows) rows inserted, indexed, joined,
grouped, updated, deleted); and g++ (-O1) compiling a generated C++
translation unit of $(given functions) functions over standard
containers.  Host only: the test bed has no Python, sqlite or compiler.

$(program_table host)

P5: tiers
=========

2 MiB blocks allocated on the pmem tier, touched and freed, by resmap
(one \`\`batch_alloc1\`\` with \`\`RESMAP_M2_PMEM\`\`) and by memkind
(\`\`MEMKIND_DAX_KMEM\`\`), with the share of pages that landed on the pmem
node (read back with \`\`move_pages\`\`); then moving a block from DRAM to
pmem: memkind by allocating on pmem, copying and freeing (a new
address), and in place, on one block of the shim's, by the module
(\`\`resmap_move\`\`) and by its system-call peers, \`\`move_pages(2)\`\` with
every page listed and \`\`mbind(2)\`\` with \`\`MPOL_MF_MOVE\`\` ("pages" is
what each reports moved; mbind reports success for all or fails).  Test
bed only.  Placement at allocation against mmap + mbind is the batch
mapping table above.

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

Issue 15's goals
================

Each goal against this run's medians: resmap on its syscall backend on
the host, on its module backend in the test bed; the peers as named
(plain jemalloc and mimalloc for the real programs, their huge-page
configurations for growth).  "missed by" is how far the ratio is from
the target; a miss smaller than the spread (min-max) of the figures in
the tables above is within this host's noise.

$(goals_table)
RST
cat "$tmp/kept" >> "$doc/results.rst"
