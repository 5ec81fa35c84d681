/* SPDX-License-Identifier: GPL-2.0 */
/*
 * resmap tracepoints: events/resmap/ in tracefs, one event per command
 * run (RESERVE, COMMIT, DECOMMIT, RESIZE, BATCH) and per MOVE operation
 * of a batch, each with the command's arguments and its result (0 or a
 * negative errno).  Documentation/userspace-api/resmap.rst, "Tracepoints".
 * Defined in resmap_main.c (CREATE_TRACE_POINTS).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM resmap

#if !defined(_RESMAP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _RESMAP_TRACE_H

#include <linux/tracepoint.h>
#include <linux/types.h>

/* RESERVE: @addr is where it was mapped on success, else as asked. */
TRACE_EVENT(resmap_reserve,
	    TP_PROTO(u64 addr, u64 len, u64 align, u32 flags, int result),
	    TP_ARGS(addr, len, align, flags, result),
	    TP_STRUCT__entry(__field(u64, addr)
			     __field(u64, len)
			     __field(u64, align)
			     __field(u32, flags)
			     __field(int, result)),
	    TP_fast_assign(__entry->addr = addr;
			   __entry->len = len;
			   __entry->align = align;
			   __entry->flags = flags;
			   __entry->result = result;),
	    TP_printk("addr=0x%llx len=0x%llx align=0x%llx flags=0x%x result=%d",
		      __entry->addr, __entry->len, __entry->align, __entry->flags,
		      __entry->result));

DECLARE_EVENT_CLASS(resmap_range,
		    TP_PROTO(u64 addr, u64 len, u32 flags, int result),
		    TP_ARGS(addr, len, flags, result),
		    TP_STRUCT__entry(__field(u64, addr)
				     __field(u64, len)
				     __field(u32, flags)
				     __field(int, result)),
		    TP_fast_assign(__entry->addr = addr;
				   __entry->len = len;
				   __entry->flags = flags;
				   __entry->result = result;),
		    TP_printk("addr=0x%llx len=0x%llx flags=0x%x result=%d",
			      __entry->addr, __entry->len, __entry->flags,
			      __entry->result));

DEFINE_EVENT(resmap_range, resmap_commit,
	     TP_PROTO(u64 addr, u64 len, u32 flags, int result),
	     TP_ARGS(addr, len, flags, result));

DEFINE_EVENT(resmap_range, resmap_decommit,
	     TP_PROTO(u64 addr, u64 len, u32 flags, int result),
	     TP_ARGS(addr, len, flags, result));

TRACE_EVENT(resmap_resize,
	    TP_PROTO(u64 addr, u64 old_len, u64 new_len, int result),
	    TP_ARGS(addr, old_len, new_len, result),
	    TP_STRUCT__entry(__field(u64, addr)
			     __field(u64, old_len)
			     __field(u64, new_len)
			     __field(int, result)),
	    TP_fast_assign(__entry->addr = addr;
			   __entry->old_len = old_len;
			   __entry->new_len = new_len;
			   __entry->result = result;),
	    TP_printk("addr=0x%llx old_len=0x%llx new_len=0x%llx result=%d",
		      __entry->addr, __entry->old_len, __entry->new_len,
		      __entry->result));

/* BATCH: @done operations of @ops succeeded; @result as returned. */
TRACE_EVENT(resmap_batch,
	    TP_PROTO(u32 ops, u32 done, int result),
	    TP_ARGS(ops, done, result),
	    TP_STRUCT__entry(__field(u32, ops)
			     __field(u32, done)
			     __field(int, result)),
	    TP_fast_assign(__entry->ops = ops;
			   __entry->done = done;
			   __entry->result = result;),
	    TP_printk("ops=%u done=%u result=%d",
		      __entry->ops, __entry->done, __entry->result));

/* One MOVE operation of a batch: @node -1 if none was chosen. */
TRACE_EVENT(resmap_move,
	    TP_PROTO(u64 start, u64 len, int node, u32 moved, int result),
	    TP_ARGS(start, len, node, moved, result),
	    TP_STRUCT__entry(__field(u64, start)
			     __field(u64, len)
			     __field(int, node)
			     __field(u32, moved)
			     __field(int, result)),
	    TP_fast_assign(__entry->start = start;
			   __entry->len = len;
			   __entry->node = node;
			   __entry->moved = moved;
			   __entry->result = result;),
	    TP_printk("start=0x%llx len=0x%llx node=%d moved=%u result=%d",
		      __entry->start, __entry->len, __entry->node, __entry->moved,
		      __entry->result));

#endif /* _RESMAP_TRACE_H */

/* Out of tree: found through -I$(src)/kmod (Kbuild). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE resmap_trace
#include <trace/define_trace.h>
