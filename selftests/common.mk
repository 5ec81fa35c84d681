# SPDX-License-Identifier: GPL-2.0
# Flags shared by every collection; included before lib.mk.
KSFT ?= $(abspath $(CURDIR)/../../.cache/ksrc/tools/testing/selftests)
CFLAGS += -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
	-I$(CURDIR)/../../uapi -isystem $(KSFT)
LOCAL_HDRS += $(CURDIR)/../../uapi/linux/resmap.h
