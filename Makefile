# poolscope — build, test, install.
#   make            build build/poolscope
#   make run        install deps, build, run the main job (a 15 s diagnose)
#   make check      install deps, build, run every test (plain and ASan+UBSan)
#   make deps       install the Debian packages in deps.txt
#   make install    PREFIX=/usr/local DESTDIR=
#   V=1             show commands
.DELETE_ON_ERROR:
.SUFFIXES:

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
BUILD     ?= build
SAN       ?=
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
WERROR    ?= $(if $(CI),-Werror,)
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' $(1) $(2)
endif

ARCH      := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 -Wall -Wextra $(WERROR) -MMD -MP -Isrc -I$(BUILD)/gen \
             -DPOOLSCOPE_VERSION='"$(VERSION)"' -D_GNU_SOURCE
ifneq ($(SAN),)
CFLAGS    += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS   += -fsanitize=address,undefined
endif
LIBS      := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz) -lncursesw -lz -lm -ldw -lelf \
             -lmicrohttpd -lsqlite3 -lsystemd -ljansson

SRCS      := $(shell find src -name '*.c' ! -name '*.bpf.c' | sort)
LIB_SRCS  := $(filter-out src/main.c,$(SRCS))
OBJS      := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRCS))
LIB_OBJS  := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
BPF_SRCS  := $(wildcard src/bpf/*.bpf.c)
BPF_OBJS  := $(patsubst src/bpf/%.bpf.c,$(BUILD)/gen/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst src/bpf/%.bpf.c,$(BUILD)/gen/%.skel.h,$(BPF_SRCS))
# Keep BPF objects and skeletons: made by pattern rules only, make would delete
# them as intermediates after every build and regenerate them the next time.
.SECONDARY: $(BPF_OBJS) $(SKELS)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
INTEG_SRCS:= $(wildcard tests/integration/test_*.c)
HELPER_SRCS := $(wildcard tests/leakers/*.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(UNIT_SRCS) $(INTEG_SRCS))
HELPER_BINS := $(patsubst tests/leakers/%.c,$(BUILD)/leakers/%,$(HELPER_SRCS)) \
	       $(BUILD)/leakers/ustack_leak_nofp
MANS      := $(wildcard docs/man/*.8)

.PHONY: all deps run check test test-asan install uninstall clean fuzz bench deb
all: $(BUILD)/poolscope

deps:
	$(Q)bash scripts/deps.sh

$(BUILD)/gen/vmlinux.h:
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)test -r /sys/kernel/btf/vmlinux || { echo "build: /sys/kernel/btf/vmlinux missing: this kernel lacks CONFIG_DEBUG_INFO_BTF" >&2; exit 1; }
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BUILD)/gen/%.bpf.o: src/bpf/%.bpf.c $(BUILD)/gen/vmlinux.h $(wildcard src/bpf/*.h)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Isrc -I$(BUILD)/gen -Wall -c $< -o $@

$(BUILD)/gen/%.skel.h: $(BUILD)/gen/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# Every C object may include any skeleton: generate them all first.
$(BUILD)/obj/%.o: src/%.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libpoolscope.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/poolscope: $(BUILD)/obj/main.o $(BUILD)/libpoolscope.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libpoolscope.a tests/test_util.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests -o $@ $< $(BUILD)/libpoolscope.a $(LIBS) -lcmocka $(LDFLAGS)

$(BUILD)/leakers/%: tests/leakers/%.c $(wildcard tests/leakers/*.h)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -Wall -Wextra $(WERROR) -D_GNU_SOURCE -o $@ $< -lpthread

# record --user-stacks walks user stacks by frame pointers: this leaker keeps
# them (and its functions as written: -O1, noinline in the source).
$(BUILD)/leakers/ustack_leak: tests/leakers/ustack_leak.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O1 -g -fno-omit-frame-pointer -Wall -Wextra $(WERROR) -D_GNU_SOURCE -o $@ $<

# The same without frame pointers (as Debian builds its programs): for
# record --user-stacks=dwarf, which unwinds by .eh_frame.
$(BUILD)/leakers/ustack_leak_nofp: tests/leakers/ustack_leak.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O1 -g -fomit-frame-pointer -Wall -Wextra $(WERROR) -D_GNU_SOURCE -o $@ $<

# The main job: a short diagnose of this machine (RUN_ARGS replaces its options).
RUN_ARGS ?= --duration 15s
run: deps all
	$(Q)$(BUILD)/poolscope diagnose $(RUN_ARGS)

# The test run: plain build, then the same suite under ASan+UBSan.
check: deps
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) all tests
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) BUILD=build/asan SAN=1 all tests
	$(Q)bash tests/run.sh build build/asan

tests: $(TEST_BINS) $(HELPER_BINS) $(BUILD)/poolscope

test: all tests
	$(Q)bash tests/run.sh $(BUILD)

# The unit names the installed binary; under another PREFIX it is rewritten.
# SYSTEMDUNITDIR: where the unit goes (Debian: /lib/systemd/system).
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SHARE_FILES := packaging/poolscope.rules.yml packaging/poolscope.rules.test.yml \
               $(wildcard packaging/poolscope-dashboard.json)
install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/poolscope \
		$(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 0755 $(BUILD)/poolscope $(DESTDIR)$(PREFIX)/sbin/poolscope
	$(if $(MANS),install -m 0644 $(MANS) $(DESTDIR)$(PREFIX)/share/man/man8/)
	install -m 0644 packaging/poolscope.bash-completion $(DESTDIR)$(PREFIX)/share/bash-completion/completions/poolscope
	install -m 0644 $(SHARE_FILES) $(DESTDIR)$(PREFIX)/share/poolscope/
	sed 's|/usr/sbin/poolscope |$(PREFIX)/sbin/poolscope |' packaging/poolscope-watch.service \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/poolscope-watch.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/poolscope-watch.service

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/poolscope $(addprefix $(DESTDIR)$(PREFIX)/share/man/man8/,$(notdir $(MANS))) \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/poolscope \
		$(addprefix $(DESTDIR)$(PREFIX)/share/poolscope/,$(notdir $(SHARE_FILES))) \
		$(DESTDIR)$(SYSTEMDUNITDIR)/poolscope-watch.service
	-rmdir $(DESTDIR)$(PREFIX)/share/poolscope 2>/dev/null

# The Debian package, built by dpkg-buildpackage in a clean export of the
# tracked files (git archive of the work tree's files), so build/ leftovers
# never reach it. The .deb lands in $(BUILD)/deb/.
deb:
	$(Q)bash packaging/build-deb.sh $(BUILD)/deb

clean:
	rm -rf build

-include $(OBJS:.o=.d) $(patsubst tests/%.c,$(BUILD)/tests/%.d,$(UNIT_SRCS) $(INTEG_SRCS))

# --- report: bench/*.c tools (built with the tests: the report tests use
# bench/gen_trace to write traces) and the reader fuzzer (`make fuzz`). ---
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
tests: $(BENCH_BINS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libpoolscope.a
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libpoolscope.a $(LIBS) $(LDFLAGS)

FUZZ_TIME ?= 60
fuzz: $(BUILD)/fuzz/fuzz_trace_reader $(BUILD)/fuzz/fuzz_snapshot_read
	$(Q)mkdir -p $(BUILD)/fuzz/new-corpus $(BUILD)/fuzz/new-corpus-snapshot
	$(Q)$(BUILD)/fuzz/fuzz_trace_reader -max_total_time=$(FUZZ_TIME) -max_len=65536 \
		-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/new-corpus fuzz/corpus
	$(Q)$(BUILD)/fuzz/fuzz_snapshot_read -max_total_time=$(FUZZ_TIME) -max_len=65536 \
		-artifact_prefix=$(BUILD)/fuzz/snapshot- $(BUILD)/fuzz/new-corpus-snapshot fuzz/corpus-snapshot

$(BUILD)/fuzz/fuzz_trace_reader: fuzz/fuzz_trace_reader.c fuzz/fuzz_input.h src/trace/reader.c src/util/symtab.c src/util/notes.c \
		src/output/diag.c src/util/hashmap.c src/util/strbuf.c src/util/procfs.c src/util/parse.c src/util/utf8.c src/output/json.c
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE -Isrc -Ifuzz \
		-o $@ $(filter %.c,$^) -lz
# --- end report ---

# --- compare: the snapshot reader's fuzzer (run by `make fuzz` above) ---
$(BUILD)/fuzz/fuzz_snapshot_read: fuzz/fuzz_snapshot_read.c src/model/snapshot_read.c src/analysis/fleet.c \
		src/util/hashmap.c src/util/notes.c
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE -Isrc -Ifuzz \
		-o $@ $(filter %.c,$^) -ljansson -lm
# --- end compare ---
