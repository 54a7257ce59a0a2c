# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Included by the Makefile: the static test build and `make test-kernels` (docs/kernels.md,
# "Other kernels").
#
#   make static          build-static/: shmwatchd, shmwatch, the e2e helpers, fentry-probe and
#                        load-probe, all linked -static (same sources and flags as build/, own
#                        objects)
#   make image           the container image from build-static/'s daemon and client (IMAGE=)
#   make test-kernels    fetch Debian's newest 6.1 and 6.12 kernels (cache: $(KERNEL_CACHE)),
#                        boot each under qemu (TCG) from an initramfs holding build-static/ and
#                        tests/, run the e2e scenarios there in each mode the kernel supports,
#                        one result line per kernel and mode
#
# Variables (environment or command line):
#   KERNELS=6.1 6.12           kernel series to boot (Debian's newest of each)
#   KERNEL_MODES=              daemon modes for every kernel; NAME (auto, fentry, tracepoint:
#                              --mode=NAME) or NAME:ARG,ARG (daemon arguments for the mode);
#                              empty: 6.1 tracepoint, 6.12 fentry
#   KERNEL_SCENARIOS=...       scenario names (t_fork ...), or "all" for every tests/e2e/t_*.sh
#   KERNEL_CACHE=build/kernels where the kernels are kept between runs (make clean removes it)
#   KERNEL_TIMEOUT=900         seconds one guest may run before it is killed
#   (more in kernels/run.sh: KERNEL_JOBS, KERNEL_WAIT, KERNEL_VERBOSE, KERNEL_KEEP, ...)

KERNEL_CACHE ?= build/kernels
KERNELS ?= 6.1 6.12
KERNEL_MODES ?=
KERNEL_TIMEOUT ?= 900
# Empty: the list in kernels/default-scenarios (chosen to fit the time under TCG); "all":
# every tests/e2e/t_*.sh but kernels/host-only-scenarios.
KERNEL_SCENARIOS ?=

STATIC_OUT := build-static

# fentry-probe: does this kernel let fentry programs attach to ipc/shm.c? Static for the guests,
# and in every build: t_modes compares the daemon's --mode fentry with it (make tests-bin).
$(OUTPUT)/kernels/fentry_probe.bpf.o: kernels/fentry_probe.bpf.c $(VMLINUX)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp
	$(Q)rm -f $@.tmp

$(OUTPUT)/kernels/fentry_probe.skel.h: $(OUTPUT)/kernels/fentry_probe.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name fentry_probe > $@

$(OUTPUT)/kernels/fentry-probe.o: $(OUTPUT)/kernels/fentry_probe.skel.h
$(OUTPUT)/kernels/fentry-probe.o: CFLAGS += -I$(OUTPUT)/kernels

$(OUTPUT)/kernels/fentry-probe: $(OUTPUT)/kernels/fentry-probe.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -lbpf -lelf -lz -o $@

ifeq ($(STATIC),1)
LDFLAGS += -static
# No NSS and no dlopen in a static binary (glibc would need its shared modules at run time, and
# the linker says so): users and groups from /etc/passwd and /etc/group, logs to stderr
# (user/daemon/core/procinfo.c, log.c).
CFLAGS += -DSHMW_STATIC
# No libsystemd.a in Debian: the static daemon gets sd_notify stand-ins (kernels/sd-stub.c).
SYSTEMD_LIBS :=
$(OUTPUT)/shmwatchd: $(OUTPUT)/kernels/sd-stub.o

# The daemon's own skeleton, each program loaded alone: what a kernel's verifier refuses.
$(OUTPUT)/kernels/load-probe.o: $(OUTPUT)/shmwatch.skel.h

$(OUTPUT)/kernels/load-probe: $(OUTPUT)/kernels/load-probe.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -lbpf -lelf -lz -o $@

.PHONY: static-bins
static-bins: all $(HELPER_BINS) $(OUTPUT)/kernels/fentry-probe $(OUTPUT)/kernels/load-probe
endif

.PHONY: static kernel-deps test-kernels image
static:
	$(Q)$(MAKE) --no-print-directory STATIC=1 OUTPUT=$(STATIC_OUT) static-bins

# The container image (docs/fleet.md, "The image"): the static daemon and client, busybox for
# hooks, FROM scratch (deploy/container/Containerfile, staged in $(IMAGE_OUT) by
# scripts/make-image.sh). IMAGE names it; IMAGE_TOOL=podman or buildah.
IMAGE ?= localhost/shmwatch:$(VERSION)
IMAGE_OUT ?= build-image
image:
	$(Q)$(MAKE) --no-print-directory STATIC=1 OUTPUT=$(STATIC_OUT) all
	$(Q)./scripts/make-image.sh $(STATIC_OUT) $(IMAGE_OUT) $(IMAGE)

kernel-deps:
	$(Q)./scripts/install-kernel-deps.sh

test-kernels: deps kernel-deps
	$(Q)$(MAKE) --no-print-directory static
	$(Q)KERNEL_CACHE='$(KERNEL_CACHE)' KERNELS='$(KERNELS)' KERNEL_MODES='$(KERNEL_MODES)' \
		KERNEL_SCENARIOS='$(KERNEL_SCENARIOS)' KERNEL_TIMEOUT='$(KERNEL_TIMEOUT)' \
		./kernels/run.sh $(STATIC_OUT)
