# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shmwatch build, in the libbpf-bootstrap shape: BPF object -> skeleton -> user space.
#   make            build build/shmwatchd and build/shmwatch
#   make run        install missing build packages, build, run the daemon in the foreground;
#                   ARGS="..." are its options, given to the shell as written (make does not
#                   expand $ in them): make run ARGS="--alert-exec 'logger \$SHMWATCH_EVENT'"
#   make test       install missing build and test packages, build, check the layers, run unit
#                   and end-to-end tests
#   make test SHMW_TEST_NOISE=1   the same alongside a foreign load (tests/e2e/noise.sh)
#   make SANITIZE=1 test   the same with ASan/UBSan (objects in build-san/)
#   make stress     the long runs: a minute of churn (t_churn_verify, t_churn_loss), longer fuzzing,
#                   10 minutes of the differential random tester (t_difftest)
#   make fuzz       build the libFuzzer targets (build/fuzz/); make fuzz-run FUZZ_SECONDS=60 runs them
#   make static     static daemon, client and e2e helpers in build-static/ (kernels/kernels.mk)
#   make image      the container image (podman or buildah, FROM scratch): static daemon and
#                   client, busybox for hooks (deploy/container/Containerfile, docs/fleet.md)
#   make test-kernels  the e2e scenarios on Debian's 6.1 and 6.12 kernels under qemu
#   make install    PREFIX (/usr/local), DESTDIR: binaries, man pages, unit, completion, docs
#                   (docs/fleet.md); make uninstall removes them
#   make check-layers  each folder of user/ includes and calls only those below it
#                   (scripts/check-layers.sh)
#   make check-integration  the packaging scenarios alone (t_install, t_systemd)
#   make V=1        show the commands

ARCH ?= x86
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
AR ?= ar
PREFIX ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0

ifeq ($(SANITIZE),1)
OUTPUT ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else ifeq ($(STATIC),1)
OUTPUT ?= build-static
SANFLAGS :=
else
OUTPUT ?= build
SANFLAGS :=
endif

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

VMLINUX := vmlinux/$(ARCH)/vmlinux.h
# user/ by binary and layer (CONTRIBUTING.md, "Layout"; the rule: scripts/check-layers.sh).
USER_DIRS := user/common user/client user/daemon/core user/daemon/kern user/daemon
SYSTEMD_LIBS := -lsystemd
JSON_CFLAGS := $(shell pkg-config --cflags json-c 2>/dev/null)
CFLAGS ?= -g -O2
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -MMD -MP -D_GNU_SOURCE \
	  -DSHMW_VERSION='"$(VERSION)"' -Iinclude $(addprefix -I,$(USER_DIRS)) -I$(OUTPUT) \
	  $(JSON_CFLAGS) $(SANFLAGS)
# A linker warning fails the link, as -Werror does a compiler warning: glibc's "Using 'getpwuid_r'
# in statically linked applications requires at runtime the shared libraries..." is a real
# problem of a static binary (the static client, make static), not noise.
LDFLAGS += $(SANFLAGS) -Wl,--fatal-warnings
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Iinclude -Ivmlinux/$(ARCH)

# The objects of each folder; each folder but the binaries' mains is a library, which the
# binaries, the unit tests and the benchmark link (members are taken as needed: a unit test
# that pulled in libbpf would not link).
objs = $(patsubst %.c,$(OUTPUT)/%.o,$(1))
COMMON_OBJS := $(call objs,$(wildcard user/common/*.c))
CLIENT_OBJS := $(call objs,$(wildcard user/client/*.c))
CORE_OBJS := $(call objs,$(wildcard user/daemon/core/*.c))
KERN_OBJS := $(call objs,$(wildcard user/daemon/kern/*.c))
DAEMON_OBJS := $(call objs,$(wildcard user/daemon/*.c))
CLIENT_MAIN := $(OUTPUT)/user/client/shmwatch.o
DAEMON_MAIN := $(OUTPUT)/user/daemon/shmwatchd.o
USER_OBJS := $(COMMON_OBJS) $(CLIENT_OBJS) $(CORE_OBJS) $(KERN_OBJS) $(DAEMON_OBJS)

LIB := $(OUTPUT)/lib
COMMON_LIB := $(LIB)/libshmw-common.a
CLIENT_LIB := $(LIB)/libshmw-client.a
CORE_LIB := $(LIB)/libshmw-core.a
KERN_LIB := $(LIB)/libshmw-kern.a
DAEMON_LIB := $(LIB)/libshmw-daemon.a
# Every layer, highest first: the order a static link needs.
ALL_LIBS := $(DAEMON_LIB) $(KERN_LIB) $(CORE_LIB) $(CLIENT_LIB) $(COMMON_LIB)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
HELPER_SRCS := $(wildcard tests/e2e/helpers/*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
HELPER_BINS := $(patsubst tests/e2e/helpers/%.c,$(OUTPUT)/tests/%,$(HELPER_SRCS))
.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all run test unit e2e bench deps test-deps bench-deps vmlinux format format-check clean install uninstall \
	check-layers

all: $(OUTPUT)/shmwatchd $(OUTPUT)/shmwatch

# What building and running need (`make run`); that and what only the tests need (`make test`:
# valgrind, promtool, podman, PostgreSQL...), or only the benchmarks (lsof): the lists are in
# scripts/install-deps.sh (--list prints them).
deps:
	$(Q)./scripts/install-deps.sh

test-deps:
	$(Q)./scripts/install-deps.sh --test

bench-deps:
	$(Q)./scripts/install-deps.sh --bench

# $(value ARGS): ARGS reach the shell as the user wrote them. Expanded by make, a hook's
# $SHMWATCH_EVENT would lose its "$S" (an empty make variable) and the daemon run another
# command than the one asked for.
run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(OUTPUT)/shmwatchd $(value ARGS)

test: test-deps
	$(Q)$(MAKE) --no-print-directory all tests-bin check-layers
	$(Q)./tests/run.sh $(OUTPUT)

# The long versions of what `make test` runs short (CONTRIBUTING.md, "Tests"): STRESS_CHURN_SECONDS
# of churn by STRESS_CHURN_PROCS processes with the default ring and with a small one (events
# lost and repaired), each fuzz target for STRESS_FUZZ_SECONDS, then STRESS_DIFFTEST_SECONDS of the
# differential random tester (last: the longest).
STRESS_CHURN_SECONDS ?= 60
STRESS_CHURN_PROCS ?= 300
STRESS_FUZZ_SECONDS ?= 120
STRESS_DIFFTEST_SECONDS ?= 600
.PHONY: stress
stress: test-deps
	$(Q)$(MAKE) --no-print-directory all tests-bin
	$(Q)SHMW_CHURN_SECONDS=$(STRESS_CHURN_SECONDS) SHMW_CHURN_PROCS=$(STRESS_CHURN_PROCS) \
		SHMW_TEST_TIMEOUT=$$(($(STRESS_CHURN_SECONDS) * 4 + 240)) \
		./tests/run.sh $(OUTPUT) e2e t_churn_verify t_churn_loss
	$(Q)$(MAKE) --no-print-directory fuzz-run FUZZ_SECONDS=$(STRESS_FUZZ_SECONDS)
	$(Q)SHMW_DIFFTEST_SECONDS=$(STRESS_DIFFTEST_SECONDS) \
		SHMW_TEST_TIMEOUT=$$(($(STRESS_DIFFTEST_SECONDS) + 300)) \
		./tests/run.sh $(OUTPUT) e2e t_difftest

# t_valgrind's LD_PRELOAD shim (tests/e2e/valgrind/): plain flags, never sanitized.
VGSHIM := $(OUTPUT)/tests/libshmw-vgshim.so

.PHONY: tests-bin
tests-bin: $(UNIT_BINS) $(HELPER_BINS) $(VGSHIM) $(OUTPUT)/kernels/fentry-probe

unit: $(UNIT_BINS)
	$(Q)./tests/run.sh $(OUTPUT) unit

e2e: all $(HELPER_BINS) $(VGSHIM) $(OUTPUT)/kernels/fentry-probe
	$(Q)./tests/run.sh $(OUTPUT) e2e

bench: bench-deps
	$(Q)$(MAKE) --no-print-directory all bench-bin
	$(Q)./bench/run.sh $(OUTPUT)

# Benchmark programs (bench/README.md): the workload farm and the timers.
BENCH_BINS := $(OUTPUT)/bench/shmw-farm $(OUTPUT)/bench/shmw-bench $(OUTPUT)/bench/shmw-floor \
	      $(OUTPUT)/bench/shmw-loggen
.PHONY: bench-bin
bench-bin: $(BENCH_BINS)

$(OUTPUT)/bench/shmw-farm: $(OUTPUT)/bench/shmw-farm.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@

# The floor: empty programs on the loops' hooks (bench/floor.bpf.c).
$(OUTPUT)/bench/floor.bpf.o: bench/floor.bpf.c
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(BPF_DEPFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp
	$(Q)rm -f $@.tmp

$(OUTPUT)/bench/floor.skel.h: $(OUTPUT)/bench/floor.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor > $@

$(OUTPUT)/bench/shmw-floor.o: $(OUTPUT)/bench/floor.skel.h
$(OUTPUT)/bench/shmw-floor: $(OUTPUT)/bench/shmw-floor.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -lbpf -lelf -lz -o $@

# The history benchmark's log: written and compressed with the daemon's own code.
$(OUTPUT)/bench/shmw-loggen: $(OUTPUT)/bench/shmw-loggen.o $(CORE_LIB) $(COMMON_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -ljson-c -lz -o $@

$(OUTPUT)/bench/shmw-bench: $(OUTPUT)/bench/shmw-bench.o $(CLIENT_LIB) $(COMMON_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -ljson-c -o $@

$(OUTPUT)/bpf $(OUTPUT)/tests $(LIB):
	$(Q)mkdir -p $@

# BPF objects and skeletons. Each object depends on the headers it includes (-MMD), so that a
# BPF header rebuilds its object, its skeleton and the one file that includes that.
BPF_DEPFLAGS = -MMD -MP -MF $(@:.o=.d) -MT $@
$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(BPF_DEPFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp
	$(Q)rm -f $@.tmp

$(OUTPUT)/%.skel.h: $(OUTPUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

# The skeletons' only includers (check-layers keeps them in user/daemon/kern): they need them
# before their first compile; afterwards -MMD knows.
$(OUTPUT)/user/daemon/kern/loader.o: $(OUTPUT)/shmwatch.skel.h
$(OUTPUT)/user/daemon/kern/ksym_bpf.o: $(OUTPUT)/ksym.skel.h

$(OUTPUT)/%.o: %.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(COMMON_LIB): $(COMMON_OBJS)
$(CLIENT_LIB): $(filter-out $(CLIENT_MAIN),$(CLIENT_OBJS))
$(CORE_LIB): $(CORE_OBJS)
$(KERN_LIB): $(KERN_OBJS)
$(DAEMON_LIB): $(filter-out $(DAEMON_MAIN),$(DAEMON_OBJS))
$(ALL_LIBS): | $(LIB)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(OUTPUT)/shmwatchd: $(DAEMON_MAIN) $(DAEMON_LIB) $(KERN_LIB) $(CORE_LIB) $(COMMON_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -lbpf -lelf -lz -ljson-c $(SYSTEMD_LIBS) -lcap -o $@

# The client is linked statically: with no dynamic loader at start, `shmwatch who X` takes
# ~150 us less, 20% of starting `true` (docs/benchmarks.md). Not with the sanitizers, which
# need the shared runtime. CLIENT_LDFLAGS= links it dynamically.
ifeq ($(SANITIZE),1)
CLIENT_LDFLAGS ?=
else
CLIENT_LDFLAGS ?= -static
endif

$(OUTPUT)/shmwatch: $(CLIENT_MAIN) $(CLIENT_LIB) $(COMMON_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $(CLIENT_LDFLAGS) $^ -ljson-c -o $@

# Unit tests link every layer's library and json-c, never libbpf: whatever they test must link
# without it.
$(OUTPUT)/tests/test_%: $(OUTPUT)/tests/unit/test_%.o $(ALL_LIBS) | $(OUTPUT)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -ljson-c -lz -lpthread -o $@

$(OUTPUT)/tests/%: $(OUTPUT)/tests/e2e/helpers/%.o | $(OUTPUT)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -lpthread -ljson-c -lz -o $@

$(VGSHIM): tests/e2e/valgrind/shmw-vgshim.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) -shared -fPIC -g -O1 -Wall -Wextra -Werror $< -ldl -lbpf -o $@

check-layers: $(USER_OBJS)
	$(Q)./scripts/check-layers.sh $(OUTPUT)

# libFuzzer targets over the untrusted inputs (CONTRIBUTING.md, "Fuzzing"). Never part of
# `all`: each harness links the core and common libraries built instrumented whole
# ($(FUZZ_OUT)/lib).
#   make fuzz                         build $(OUTPUT)/fuzz/fuzz_{request,event,sysvipc}
#   make fuzz-run FUZZ_SECONDS=60     run each for that long over tests/fuzz/corpus/<target>/
FUZZ_CC ?= clang
FUZZ_OUT := $(OUTPUT)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := request event sysvipc
FUZZ_BINS := $(patsubst %,$(FUZZ_OUT)/fuzz_%,$(FUZZ_TARGETS))
FUZZ_FLAGS := -g -O1 -fno-sanitize-recover=all -fno-omit-frame-pointer -std=gnu11 -Wall -Wextra \
	      -Werror -D_GNU_SOURCE -DSHMW_VERSION='"$(VERSION)"' -Iinclude \
	      $(addprefix -I,$(USER_DIRS)) -Itests/fuzz $(JSON_CFLAGS) -MMD -MP
FUZZ_CFLAGS := $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined
FUZZ_LIBS := $(FUZZ_OUT)/lib/libshmw-core.a $(FUZZ_OUT)/lib/libshmw-common.a
.PHONY: fuzz fuzz-run
fuzz: $(FUZZ_BINS)

$(FUZZ_OUT)/obj/%.o: %.c
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

$(FUZZ_OUT)/lib/libshmw-core.a: $(patsubst $(OUTPUT)/%,$(FUZZ_OUT)/obj/%,$(CORE_OBJS))
$(FUZZ_OUT)/lib/libshmw-common.a: $(patsubst $(OUTPUT)/%,$(FUZZ_OUT)/obj/%,$(COMMON_OBJS))
$(FUZZ_LIBS):
	$(call msg,AR,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

# Compiled and linked in one step: clang refuses -MMD there ("multiple output files"), so the
# target lists the headers it reads through the libraries' objects (rebuilt when they change).
$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIBS)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(filter-out -MMD -MP,$(FUZZ_CFLAGS)) $^ -ljson-c -lz -lpthread -o $@

# Each target for FUZZ_SECONDS from its seeds (read only: new inputs go to $(FUZZ_OUT)/corpus/),
# with tests/fuzz/<target>.dict if there is one; a crash, leak or timeout leaves its input in
# $(FUZZ_OUT)/artifacts/ and fails.
fuzz-run: fuzz
	$(Q)set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_OUT)/corpus/$$t $(FUZZ_OUT)/artifacts; \
		echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
		dict=; [ -f tests/fuzz/$$t.dict ] && dict=-dict=tests/fuzz/$$t.dict; \
		$(FUZZ_OUT)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
			-print_final_stats=1 -artifact_prefix=$(FUZZ_OUT)/artifacts/fuzz_$$t- $$dict \
			$(FUZZ_OUT)/corpus/$$t tests/fuzz/corpus/$$t; \
	done

# vmlinux.h is committed; this regenerates it from a BTF file and proves the build still works.
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
vmlinux:
	$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $(VMLINUX).tmp
	mv $(VMLINUX).tmp $(VMLINUX)
	$(MAKE) --no-print-directory $(OUTPUT)/shmwatch.skel.h

FORMAT_FILES := $(wildcard bpf/*.[ch] include/*.h $(addsuffix /*.[ch],$(USER_DIRS)) \
		  tests/unit/*.[ch] tests/e2e/helpers/*.c tests/fuzz/*.[ch])
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)
# Installation (docs/fleet.md): PREFIX (default /usr/local) for the tree, DESTDIR to stage it.
# The unit goes where systemd looks under PREFIX ($(PREFIX)/lib/systemd/system; with
# PREFIX=/usr that is /usr/lib/systemd/system, i.e. /lib/systemd/system on merged-/usr Debian),
# made from systemd/shmwatchd.service.in with ExecStart in $(SBINDIR). uninstall removes exactly
# the files install put (INSTALLED_FILES), and the documentation directory once empty.
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/shmwatch
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL ?= install
MAN8_PAGES := man/shmwatchd.8
MAN1_PAGES := man/shmwatch.1
DOC_FILES := README.md docs/protocol.md docs/fleet.md
INSTALLED_FILES := $(SBINDIR)/shmwatchd $(BINDIR)/shmwatch \
	$(patsubst man/%,$(MANDIR)/man8/%,$(MAN8_PAGES)) \
	$(patsubst man/%,$(MANDIR)/man1/%,$(MAN1_PAGES)) $(SYSTEMDUNITDIR)/shmwatchd.service \
	$(BASHCOMPDIR)/shmwatch $(BASHCOMPDIR)/shmwatchd $(addprefix $(DOCDIR)/,$(notdir $(DOC_FILES)))

install: all
	$(INSTALL) -D -m 0755 $(OUTPUT)/shmwatchd $(DESTDIR)$(SBINDIR)/shmwatchd
	$(INSTALL) -D -m 0755 $(OUTPUT)/shmwatch $(DESTDIR)$(BINDIR)/shmwatch
	$(INSTALL) -D -m 0644 -t $(DESTDIR)$(MANDIR)/man8 $(MAN8_PAGES)
	$(INSTALL) -D -m 0644 -t $(DESTDIR)$(MANDIR)/man1 $(MAN1_PAGES)
	$(INSTALL) -d -m 0755 $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/shmwatchd.service.in \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/shmwatchd.service.tmp
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/shmwatchd.service.tmp
	mv -f $(DESTDIR)$(SYSTEMDUNITDIR)/shmwatchd.service.tmp \
		$(DESTDIR)$(SYSTEMDUNITDIR)/shmwatchd.service
	$(INSTALL) -D -m 0644 completion/shmwatch.bash $(DESTDIR)$(BASHCOMPDIR)/shmwatch
	ln -sf shmwatch $(DESTDIR)$(BASHCOMPDIR)/shmwatchd
	$(INSTALL) -D -m 0644 -t $(DESTDIR)$(DOCDIR) $(DOC_FILES)

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED_FILES))
	rmdir --ignore-fail-on-non-empty $(DESTDIR)$(DOCDIR) 2>/dev/null || :

# The packaging checks alone (man pages, install tree, bash completion, systemd unit,
# sd_notify handshake); `make test` runs them too, as e2e scenarios.
.PHONY: check-integration
check-integration: all $(HELPER_BINS)
	$(Q)./tests/run.sh $(OUTPUT) e2e t_install t_systemd

clean:
	rm -rf build build-san build-static build-image

-include kernels/kernels.mk

# What each object was built from (-MMD): a header rebuilds exactly its includers.
DEP_OBJS := $(USER_OBJS) $(patsubst $(OUTPUT)/tests/%,$(OUTPUT)/tests/unit/%.o,$(UNIT_BINS)) \
	    $(patsubst $(OUTPUT)/tests/%,$(OUTPUT)/tests/e2e/helpers/%.o,$(HELPER_BINS)) \
	    $(BENCH_BINS:%=%.o) $(addprefix $(OUTPUT)/,bpf/shmwatch.bpf.o bpf/ksym.bpf.o bench/floor.bpf.o) \
	    $(addprefix $(OUTPUT)/kernels/,sd-stub.o fentry-probe.o load-probe.o) \
	    $(patsubst $(OUTPUT)/%,$(FUZZ_OUT)/obj/%,$(CORE_OBJS) $(COMMON_OBJS))
-include $(DEP_OBJS:.o=.d) $(FUZZ_BINS:%=%.d)
