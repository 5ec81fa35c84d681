# SPDX-License-Identifier: GPL-2.0
# paths.sh for collections whose scripts drive the source tree (install,
# python): where the tree and its build are.  Included after lib.mk,
# which sets $(OUTPUT); list paths.sh in TEST_GEN_FILES.
TOP := $(abspath $(CURDIR)/../..)
BUILD ?= $(TOP)/build
$(OUTPUT)/paths.sh: Makefile
	printf 'TOP=%s\nBUILD=%s\n' '$(TOP)' '$(BUILD)' > $@
