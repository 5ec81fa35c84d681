#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# resmapctl against the truth.  Without the module (the host): every
# command exits 69 saying the module is not loaded.  With it (the test
# bed): nodes, tiers and stats agree with /sys/devices/system/node,
# /sys/devices/virtual/memory_tiering and /sys/class/misc/resmap, and
# stats/where/move on a process holding a reservation (resmapctl-target)
# agree with that process's own RESMAP_IOC_RESIDENCY.  POSIX sh: it runs
# in the test bed's busybox.
here=$(cd "$(dirname "$0")" && pwd)
ctl=$here/resmapctl
. "$here/tap.sh"
target=

on_exit() {
	[ -n "$target" ] && kill "$target" 2> /dev/null
}

# Things that hold wherever it runs.
check "--version" expect 0 "$ctl" --version
check "no command: usage, exit 64" expect 64 "$ctl"
check "unknown command: exit 64" expect 64 "$ctl" frobnicate
check "bad pid: exit 64" expect 64 "$ctl" where notapid 0x1000
check "no such process: exit 1" expect 1 "$ctl" where 999999999 0x1000

if [ ! -e /dev/resmap ]; then
	not_loaded() {
		expect 69 "$ctl" "$@" && grep -q "module is not loaded" "$scratch/err"
	}
	for c in nodes tiers stats "--json nodes" "--json stats"; do
		# shellcheck disable=SC2086
		check "module absent: resmapctl $c says so, exit 69" not_loaded $c
	done
	outside() {
		expect 1 "$ctl" where $$ 0x1000 &&
		grep -q "not inside resmap reservations" "$scratch/err"
	}
	check "a range outside reservations: exit 1" outside
	finish
	exit
fi

page=$(getconf PAGESIZE 2> /dev/null || echo 4096)

# "a-b,c" to "a,...,b,c".
expand() {
	echo "$1" | tr ',' '\n' | while IFS=- read -r a b; do
		[ -n "$a" ] || continue
		seq "$a" "${b:-$a}"
	done | paste -sd, -
}

# One JSON object per line: {"node":0,...} of resmapctl --json nodes.
node_objects() {
	"$ctl" --json nodes | sed 's/},{"node"/}\n{"node"/g; s/^.*"nodes":\[//; s/\]}$//'
}
field() {	# field NAME < object
	sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" | tr -d '"'
}

nodes_match_sysfs() {
	node_objects > "$scratch/objs" || return 1
	cat "$scratch/objs"
	[ "$(wc -l < "$scratch/objs")" -eq "$(wc -l < /sys/class/misc/resmap/nodes)" ] ||
		{ echo "node count differs from /sys/class/misc/resmap/nodes"; return 1; }
	while read -r node tier total free rank; do
		o=$(grep "^{\"node\":$node," "$scratch/objs") ||
			{ echo "node $node missing"; return 1; }
		[ "$(echo "$o" | field tier_name)" = "$tier" ] ||
			{ echo "node $node: tier not $tier"; return 1; }
		[ "$(echo "$o" | field rank)" = "$rank" ] ||
			{ echo "node $node: rank not $rank"; return 1; }
		[ "$(echo "$o" | field total_bytes)" -eq $((total * page)) ] ||
			{ echo "node $node: total not $((total * page))"; return 1; }
		f=$(echo "$o" | field free_bytes)
		d=$((f - free * page))
		[ ${d#-} -le $((total * page / 20)) ] ||
			{ echo "node $node: free $f far from sysfs $((free * page))"; return 1; }
		cpus=false
		[ -n "$(cat /sys/devices/system/node/node$node/cpulist)" ] && cpus=true
		[ "$(echo "$o" | field cpus)" = $cpus ] ||
			{ echo "node $node: cpus not $cpus"; return 1; }
		dist=$(echo "$o" | sed 's/.*"distances":{\([^}]*\)}.*/\1/' |
		       tr ',' '\n' | cut -d: -f2 | paste -sd' ' -)
		[ "$dist" = "$(cat /sys/devices/system/node/node$node/distance)" ] ||
			{ echo "node $node: distances '$dist'"; return 1; }
	done < /sys/class/misc/resmap/nodes
}
check "nodes --json: tiers, sizes, free, cpus, distances as sysfs says" nodes_match_sysfs

nodes_human() {
	"$ctl" nodes || return 1
	while read -r node tier total free _; do
		"$ctl" nodes | grep -Eq "^$node +[0-9]+ $tier +(yes|no) " ||
			{ echo "no line for node $node ($tier)"; return 1; }
	done < /sys/class/misc/resmap/nodes
}
check "nodes: one line per node for people" nodes_human

tiers_match_sysfs() {
	j=$("$ctl" --json tiers) || return 1
	echo "$j"
	for t in dram pmem; do
		want=$(awk -v t=$t '$2 == t { print $1 }' /sys/class/misc/resmap/nodes | paste -sd, -)
		[ -n "$want" ] || continue
		echo "$j" | grep -q "\"name\":\"$t\",\"nodes\":\[$want\]" ||
			{ echo "tier $t: want nodes [$want]"; return 1; }
	done
	# Every rank of the module's tiers file, and no other.
	n=0
	while read -r r list; do
		[ "$r" != source ] || continue
		echo "$j" | grep -q "{\"rank\":$r,[^}]*\"nodes\":\[$(expand "$list")\]" ||
			{ echo "rank $r: want nodes [$list]"; return 1; }
		n=$((n + 1))
	done < /sys/class/misc/resmap/tiers
	echo "$j" | grep -q "^{\"nr_tiers\":$n," ||
		{ echo "nr_tiers not $n"; return 1; }
	for d in /sys/devices/virtual/memory_tiering/memory_tier*; do
		[ -e "$d/nodelist" ] || continue
		id=${d##*memory_tier}
		want=$(expand "$(cat "$d/nodelist")")
		echo "$j" | grep -q "{\"id\":$id,\"nodes\":\[$want\]}" ||
			{ echo "kernel tier $id: want nodes [$want]"; return 1; }
	done
	"$ctl" tiers
}
check "tiers: the module's and the kernel's memory tiers as sysfs says" tiers_match_sysfs

stats_match_sysfs() {
	j=$("$ctl" --json stats) || return 1
	echo "$j"
	for c in files reservations vmas committed_pages; do
		echo "$j" | grep -q "\"$c\":$(cat /sys/class/misc/resmap/$c)[,}]" ||
			{ echo "$c differs from sysfs"; return 1; }
	done
	"$ctl" stats
}

# A process with a 4 MiB reservation populated on node 0.
len=$((4 << 20))
pages=$((len / page))
"$here/resmapctl-target" $len "$scratch/target" &
target=$!
i=0
while [ ! -s "$scratch/target" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
read -r pid addr len_ addr2 len2 committed2 < "$scratch/target"
check "stats: module counters as sysfs says" stats_match_sysfs

# The target's own view of where its pages are: "node pages" lines.
residency() {
	rm -f "$scratch/target.residency"
	kill -USR1 "$target"
	i=0
	while [ ! -e "$scratch/target.residency" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -v resident "$scratch/target.residency"
}

# The reservations with their committed bytes (the module's fdinfo)
# against what the target committed, numa_maps and the module's counter.
stats_pid() {
	j=$("$ctl" --json stats "$pid") || return 1
	echo "$j"
	echo "$j" | grep -q "\"start\":\"$addr\",\"end\":\"0x[0-9a-f]*\",\"perms\":\"[-rwxps]*\",\"size\":$len,\"committed_bytes\":$len,\"resident_bytes\":$len," ||
		{ echo "no reservation at $addr of $len bytes, all committed and resident"; return 1; }
	echo "$j" | grep -q "\"resident_by_node\":{\"0\":$len}" ||
		{ echo "not $len bytes resident on node 0"; return 1; }
	echo "$j" | grep -q "\"start\":\"$addr2\",[^}]*\"size\":$len2,\"committed_bytes\":$committed2,\"resident_bytes\":0," ||
		{ echo "$addr2: not $committed2 of $len2 committed, none resident"; return 1; }
	# numa_maps has nothing resident for the untouched one.
	! grep "^0*${addr2#0x} " /proc/$pid/numa_maps | grep -q " N[0-9]*=" ||
		{ echo "numa_maps: pages resident at $addr2"; return 1; }
	echo "$j" | grep -q "\"committed_bytes\":$((len + committed2)),\"resident_bytes\":" ||
		{ echo "total committed not $((len + committed2))"; return 1; }
	# The target is the only user of the module now.
	[ $(($(cat /sys/class/misc/resmap/committed_pages) * page)) -eq $((len + committed2)) ] ||
		{ echo "sysfs committed_pages differs"; return 1; }
	"$ctl" stats "$pid"
}
check "stats PID: each reservation committed and resident (node 0) as the target made it" stats_pid

# where_is NODE: resmapctl where says all pages on NODE, as the target does.
where_is() {
	j=$("$ctl" --json where "$pid" "$addr" $len) || return 1
	echo "$j"
	echo "$j" | grep -q "\"pages_by_node\":{\"$1\":$pages}" ||
		{ echo "not all $pages pages on node $1"; return 1; }
	r=$(residency)
	echo "target: $r"
	[ "$r" = "$1 $pages" ] || { echo "the target's residency differs"; return 1; }
}
check "where: all pages on node 0, as RESMAP_IOC_RESIDENCY says" where_is 0
inside() {
	j=$("$ctl" --json where "$pid" $((addr + page + 1)) $((2 * page))) || return 1
	echo "$j"
	echo "$j" | grep -q "\"pages_by_node\":{\"0\":2}"
}
check "where: two pages from inside the reservation" inside
check "where across the reservation's end: exit 1" \
	expect 1 "$ctl" where "$pid" $((addr + len - page)) $((2 * page))

pmem=$(awk '$2 == "pmem" { print $1; exit }' /sys/class/misc/resmap/nodes)
if [ -n "$pmem" ]; then
	# move_to TIER NODE: NODE "dram" for whichever DRAM node it chose.
	move_to() {
		j=$("$ctl" --json move "$pid" "$addr" $len "$1") || return 1
		echo "$j"
		echo "$j" | grep -q "\"moved\":$pages," || { echo "not $pages moved"; return 1; }
		to=$2
		if [ "$to" = dram ]; then
			to=$(echo "$j" | field node)
			grep -q "^$to dram " /sys/class/misc/resmap/nodes ||
				{ echo "node $to is not a DRAM node"; return 1; }
		fi
		where_is "$to" && "$ctl" where "$pid" "$addr" $len
	}
	check "move PID ADDR LEN pmem: every page to node $pmem" move_to pmem "$pmem"
	check "move PID ADDR LEN dram: every page back to a DRAM node" move_to dram dram
	# $to is the DRAM node it chose; now the other one, by number.
	other=$(awk -v n="$to" '$2 == "dram" && $1 != n { print $1; exit }' \
		/sys/class/misc/resmap/nodes)
	check "move PID ADDR LEN node:$other: every page to node $other" \
		move_to "node:$other" "$other"
else
	skip move "no pmem node"
fi

check "where outside the reservation: exit 1" \
	expect 1 "$ctl" where "$pid" $((addr + len)) $page
check "move of an unaligned range: exit 64" \
	expect 64 "$ctl" move "$pid" $((addr + 1)) $page pmem

# For the log: what a person sees.
for c in nodes tiers "stats $pid" "where $pid $addr $len" "--json nodes" \
	 "--json tiers" "--json stats $pid" "--json where $pid $addr $len"; do
	echo "# \$ resmapctl $c"
	# shellcheck disable=SC2086
	"$ctl" $c | sed 's/^/# /'
done
kill "$target"
wait "$target"
target=
finish
