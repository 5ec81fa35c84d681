# SPDX-License-Identifier: GPL-2.0
#
# resmap: kernel module, C1X allocator shim, selftests and the QEMU test bed.
#
#   make deps            install/fetch everything (idempotent)
#   make                 module for KVER (6.1 default, or 6.12; or KDIR=any
#                        kernel build tree), shim, selftests
#   make lint            checkpatch --strict, sparse (C=1) and W=1, both kernels
#   make check           deps + build + host tests + VM tests on 6.1 and 6.12
#   make vm-check KVER=  VM tests on one kernel
#   make vm-run PROG=    one installed test program in the VM (e.g. resmap/lifetime)
#   make bench           benchmarks, host and VM; writes Documentation/results.rst
#   make check-debug     the VM tests on a KASAN/lockdep/kmemleak debug kernel
#   make fuzz            a long fuzzer run in the VM (FUZZ_OPS, FUZZ_LIMIT;
#                        KVER=debug on the debug kernel)
#   make python          the Python package resmap in build/python (see
#                        Documentation/python.rst)
#   make install         library, headers, resmap-shim.pc, resmapctl, man pages,
#                        the Python package (PREFIX=/usr/local, DESTDIR=,
#                        LIBDIR=, MANDIR=, PYTHONDIR=...; install-python alone)
#   make uninstall       remove what make install installed (same variables)
#   make modules_install resmap.ko into /lib/modules/<release>/ (KVER or KDIR;
#                        INSTALL_MOD_PATH=, INSTALL_MOD_DIR= as for any module)
#   make install-dkms    the module's sources for DKMS in /usr/src/resmap-<version>
#                        (DESTDIR=, DKMSDIR=); then dkms install resmap/<version>

CACHE ?= $(CURDIR)/.cache
BUILD ?= $(CURDIR)/build
KVER ?= 6.1
KVERS := 6.1 6.12

KSFT := $(CACHE)/ksrc/tools/testing/selftests
export CACHE BUILD KSFT

kabi = $(shell . $(CURDIR)/selftests/vm/kernels.sh && kernel_abi $(1))
kdir = /usr/src/linux-headers-$(call kabi,$(1))
ifneq ($(KDIR),)
KDIR_SEL := $(KDIR)
else
KDIR_SEL = $(call kdir,$(KVER))
endif
# One object tree per kernel build tree, named after it.
kmoddir = $(BUILD)/kmod-$(notdir $(realpath $(1)))

.PHONY: all deps modules module-in shim python selftests lint check host-check \
	vm-check vm-run demo bench check-debug debug-kernel fuzz clean \
	install uninstall install-python uninstall-python modules_install \
	install-dkms uninstall-dkms

all: modules shim selftests

deps:
	@bash selftests/vm/deps.sh $(CACHE)

# Each kernel gets its own object tree: Kbuild's M= directory is filled
# with links to the sources so 6.1 and 6.12 objects never mix.
modules:
	@$(MAKE) --no-print-directory module-in KBDIR=$(KDIR_SEL)

module-in:
	@test -d $(KBDIR) || { echo "no kernel build tree at '$(KBDIR)': run 'make deps' or pass KDIR="; exit 1; }
	@d=$(call kmoddir,$(KBDIR)); \
	mkdir -p $$d/kmod && \
	ln -sfn $(CURDIR)/Kbuild $$d/Kbuild && \
	ln -sfn $(CURDIR)/uapi $$d/uapi && \
	for f in $(wildcard $(CURDIR)/kmod/*.[ch]); do ln -sfn $$f $$d/kmod/; done && \
	$(MAKE) -C $(KBDIR) M=$$d $(KBUILD_ARGS) modules

shim:
	@$(MAKE) --no-print-directory -C libshim BUILD=$(BUILD) all san

# The Python package (libshim/python) in $(BUILD)/python, on the shim.
python: shim
	@$(MAKE) --no-print-directory -C libshim/python BUILD=$(BUILD) all

# Installation.  PREFIX, DESTDIR, LIBDIR, INCLUDEDIR, PKGCONFIGDIR, SBINDIR
# and MANDIR pass through to libshim/Makefile, which has their defaults.
PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man
MANPAGES := $(wildcard Documentation/man/*.[348])

install: install-python
	@$(MAKE) --no-print-directory -C libshim BUILD=$(BUILD) install
	@for m in $(MANPAGES); do \
		s=$${m##*.}; \
		install -d $(DESTDIR)$(MANDIR)/man$$s && \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; \
	done

uninstall: uninstall-python
	@$(MAKE) --no-print-directory -C libshim BUILD=$(BUILD) uninstall
	@for m in $(MANPAGES); do \
		f=$${m##*/}; rm -f $(DESTDIR)$(MANDIR)/man$${f##*.}/$$f; \
	done

# The Python package resmap (debian/: python3-resmap), in Debian's
# dist-packages for PREFIX (PYTHONDIR= to choose), its extensions linked
# to the installed library (a RUNPATH to LIBDIR outside the system's).
install-python:
	@$(MAKE) --no-print-directory -C libshim BUILD=$(BUILD) all
	@$(MAKE) --no-print-directory -C libshim/python BUILD=$(BUILD) install

uninstall-python:
	@$(MAKE) --no-print-directory -C libshim/python BUILD=$(BUILD) uninstall

# What DKMS builds the module from: Kbuild and its sources, nothing else.
VERSION := $(shell cat $(CURDIR)/VERSION)
DKMSDIR ?= /usr/src
DKMS_SRC = $(DESTDIR)$(DKMSDIR)/resmap-$(VERSION)
install-dkms:
	install -d $(DKMS_SRC)/kmod $(DKMS_SRC)/uapi/linux
	install -m 0644 Kbuild dkms.conf $(DKMS_SRC)/
	install -m 0644 $(wildcard kmod/*.[ch]) $(DKMS_SRC)/kmod/
	install -m 0644 uapi/linux/resmap.h $(DKMS_SRC)/uapi/linux/

uninstall-dkms:
	rm -rf $(DKMS_SRC)

# The module, like any out-of-tree module: Kbuild's modules_install with
# INSTALL_MOD_PATH (a root to install under) and INSTALL_MOD_DIR (default
# "updates" here; Kbuild's own default is "extra") from the command line.
INSTALL_MOD_DIR ?= updates
modules_install: modules
	@$(MAKE) -C $(KDIR_SEL) M=$(call kmoddir,$(KDIR_SEL)) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install

selftests: shim python
	@test -f $(KSFT)/lib.mk || { echo "kselftest harness missing: run 'make deps'"; exit 1; }
	@$(MAKE) --no-print-directory -C selftests all

lint:
	@bash selftests/vm/lint.sh

host-check: selftests
	@$(MAKE) --no-print-directory -C selftests host-check

vm-check: selftests
	@$(MAKE) --no-print-directory modules KVER=$(KVER)
	@bash selftests/vm/run-vm.sh $(KVER)

# One installed program in the VM, e.g. make vm-run PROG=resmap/lifetime
vm-run: selftests
	@$(MAKE) --no-print-directory modules KVER=$(KVER)
	@VM_RUN=$(PROG) bash selftests/vm/run-vm.sh $(KVER)

check: deps
	@bash selftests/vm/check.sh

# The VM tests on a debug kernel (KASAN, lockdep, DEBUG_VM, kmemleak,
# fault injection), built once per machine outside the tree.
DEBUG_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/resmap/debug-6.1
# There the fuzzer runs for FUZZ_SECONDS and the stress test 60 s.
FUZZ_SECONDS ?= 600
check-debug: deps
	@$(MAKE) --no-print-directory debug-kernel selftests
	@DEBUG_CACHE=$(DEBUG_CACHE) VM_TIMEOUT=$$(($(FUZZ_SECONDS) + 2400)) \
		VM_ENV="RESMAP_FUZZ_SECONDS=$(FUZZ_SECONDS) RESMAP_FUZZ_OPS=10000000 RESMAP_STRESS_SECONDS=60 RESMAP_LIMITS_SPLIT=8000 RESMAP_KILL_MS=20000 RESMAP_RACE_SECONDS=15" \
		bash selftests/vm/check-one.sh debug

# The debug kernel (cached) and resmap.ko built against it.
debug-kernel:
	@bash selftests/vm/debug-kernel.sh $(CACHE)
	@$(MAKE) --no-print-directory module-in KBDIR=$(DEBUG_CACHE)/src

# A long fuzzer run on one kernel, e.g. make fuzz KVER=6.1 FUZZ_OPS=10000000
# (KVER=debug: the debug kernel; FUZZ_LIMIT: seconds at most; FUZZ_SEED=
# replays a seed's argument streams).
FUZZ_OPS ?= 10000000
FUZZ_LIMIT ?= 3600
fuzz: selftests
ifeq ($(KVER),debug)
	@$(MAKE) --no-print-directory debug-kernel
else
	@$(MAKE) --no-print-directory modules KVER=$(KVER)
endif
	@DEBUG_CACHE=$(DEBUG_CACHE) VM_RUN=resmap/fuzz VM_TIMEOUT=$$(($(FUZZ_LIMIT) + 600)) \
		VM_ENV="RESMAP_FUZZ_OPS=$(FUZZ_OPS) RESMAP_FUZZ_SECONDS=$(FUZZ_LIMIT) $(if $(FUZZ_SEED),RESMAP_FUZZ_SEED=$(FUZZ_SEED))" \
		bash selftests/vm/check-one.sh $(KVER)

# Full benchmark runs (host and test bed) and Documentation/results.rst.
bench: deps
	@$(MAKE) --no-print-directory selftests
	@$(MAKE) --no-print-directory modules KVER=6.1
	@bash selftests/bench/bench.sh

clean:
	rm -rf $(BUILD)

# The demo's build goes to $(BUILD)/demo-build.log (its tail on the
# screen if it fails); the screen gets the report from the test bed, and
# the target fails if any step of it did.
demo:
	@mkdir -p $(BUILD)
	@echo "make demo: building (log: $(BUILD)/demo-build.log)"
	@{ bash selftests/vm/deps.sh $(CACHE) && \
	   $(MAKE) --no-print-directory selftests && \
	   $(MAKE) --no-print-directory modules KVER=$(KVER); \
	 } > $(BUILD)/demo-build.log 2>&1 || { tail -n 30 $(BUILD)/demo-build.log; exit 1; }
	@echo "make demo: booting Debian's $(KVER) kernel in QEMU (two DRAM nodes, one pmem node)"
	@VM_RUN=demo bash selftests/vm/run-vm.sh $(KVER) | tee $(BUILD)/demo.log
	@! grep -q '^# not ok' $(BUILD)/demo.log
