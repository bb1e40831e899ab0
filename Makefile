# tyndau - build, run, test and benchmark.
#
#   make run     install missing Debian packages (as root or with sudo; otherwise
#                print the apt-get line), build, run the embedded baseline, write
#                out/baseline.h5 and out/fit.png, print the survey table
#   make test    unit and integration tests, then the ASan+UBSan unit tests
#   make bench   speed and memory figures into BENCHMARKS.md
#   make bench-calibrate  the default calibration and held-out checks (BENCHMARKS.md)
#   make bench-sweep      sweep speed-up over MPI ranks, per-run overhead, writer memory
#   make bench-compare    the scenario library's comparison: time, common random numbers
#   make bench-python     the cost of calling the model from Python (BENCHMARKS.md)
#   make report  the baseline run and the scenario library (2021, and the 2030 horizon)
#                compared, into out/report.html (about 7 minutes on 2 cores)
#   make oat     one-at-a-time sensitivity of the survey (every parameter -50%/+50%) into
#                docs/sensitivity.md (about 5 minutes on 2 cores)
#   make docs    regenerate docs/parameters.md from model/params.def
#   make man     the man pages, from the program's --help texts, into build/man
#   make lib     libtyndau.so.MAJOR (and libtyndau.a): the library for C and for Python (python/)
#   make install PREFIX=...   the program, its man pages, the libraries, headers, pkg-config
#                file, Python package, scenarios and data (default /usr/local; DESTDIR too;
#                make uninstall PREFIX=... removes them)
#   make python-test          the Python package's tests (tests/python)
#   make asan    build and run the unit tests with AddressSanitizer + UBSan
#   make fuzz    the readers (scenario, targets, calibration file, CSV design, sweep file) under clang's
#                libFuzzer with ASan+UBSan, FUZZ_SECONDS (60) from the corpus tests/fuzz/
#
# Warnings: the set below is the house set (STYLE.md); WERROR=1 (the default
# under CI=true, and always for `make test`) makes them errors.

CC      = gcc
PYTHON  ?= /usr/bin/python3
AGENTS  ?= 1000000
# make report: replicates per scenario; the 2030 horizon runs five times as many days, so
# at fewer agents by default
REPLICATES ?= 20
HORIZON_AGENTS ?= 200000
LIBRARY = scenarios/baseline.ini scenarios/no_reform.ini scenarios/help_centres.ini \
          scenarios/campaign_targeted.ini scenarios/campaign_social.ini scenarios/anti_corruption.ini \
          scenarios/resolution_targets.ini scenarios/akim_outreach.ini scenarios/more_capacity.ini \
          scenarios/blind_processing.ini scenarios/combined.ini
HORIZON = scenarios/horizon/baseline_2030.ini scenarios/horizon/help_centres_2030.ini \
          scenarios/horizon/combined_2030.ini
SEED    ?= 1
BUILD   ?= build
WERROR  ?= $(if $(CI),1,0)

PKGS      = gsl hdf5 inih
# MPI (OpenMPI's ompi-c) when installed: `tyndau calibrate` then spreads its runs over
# the ranks of an mpirun; without it the program is built for one process.
HAVE_MPI  := $(shell pkg-config --exists ompi-c 2>/dev/null && echo 1)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) $(if $(HAVE_MPI),ompi-c) 2>/dev/null) $(if $(HAVE_MPI),-DTYNDAU_MPI)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) $(if $(HAVE_MPI),ompi-c) 2>/dev/null)
GIT_COMMIT = $(shell git rev-parse HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD -- 2>/dev/null || echo -dirty)

WARN    = -Wall -Wextra -Wshadow -Wconversion -Wstrict-prototypes -Wmissing-prototypes \
          $(if $(filter 1,$(WERROR)),-Werror)
OPT     ?= -O2 -g
CFLAGS_BASE = -std=c11 $(OPT) -fopenmp $(WARN)
CPPFLAGS_BASE = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DHAVE_INLINE -DGSL_RANGE_CHECK_OFF -Imodel $(PKG_CFLAGS) -MMD -MP
LIBS    = $(PKG_LIBS) -lhdf5_hl -lm

MODEL_SRC = $(wildcard model/*.c)
MODEL_OBJ = $(MODEL_SRC:model/%.c=$(BUILD)/model/%.o)
# src/: the front end (main.c and its helpers) and one folder each for the run-many engine and
# the studies; headers are included with their folder (#include "engine/batch.h", -Isrc)
SRC_OBJ   = $(patsubst src/%.c,$(BUILD)/src/%.o,$(wildcard src/*.c src/*/*.c))
CLI_OBJ   = $(filter-out $(BUILD)/src/main.o,$(SRC_OBJ))
TEST_SRC  = $(wildcard tests/test_*.c)
TEST_BIN  = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

.PHONY: all lib man install uninstall python-test bench-python run report oat test unit integration asan fuzz fuzz-build \
        bench bench-calibrate bench-sbc bench-sweep bench-compare docs deps clean \
        check-docs asan-smoke
all: $(BUILD)/tyndau lib

deps:
	@bash tools/deps.sh --install build analysis

run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p out
	$(BUILD)/tyndau run -o out/baseline.h5 --agents $(AGENTS) --seed $(SEED)
	$(PYTHON) analysis/survey_fit.py out/baseline.h5 -o out/fit.png

report: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p out
	$(BUILD)/tyndau run -o out/baseline.h5 --agents $(AGENTS) --seed $(SEED) --quiet
	$(BUILD)/tyndau compare $(LIBRARY) --replicates $(REPLICATES) --agents $(AGENTS) --seed $(SEED) --series \
	  -o out/library.h5
	$(BUILD)/tyndau compare $(HORIZON) --replicates $(REPLICATES) --agents $(HORIZON_AGENTS) --seed $(SEED) \
	  --series -o out/horizon.h5
	$(PYTHON) analysis/report.py out/baseline.h5 out/library.h5 out/horizon.h5 -o out/report.html \
	  --title "tyndau: the baseline and the scenario library"

# every parameter at half and one and a half times its baseline value, one at a time: which
# published survey cells move, and how far
oat: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p out
	$(PYTHON) analysis/oat.py --tyndau $(BUILD)/tyndau --agents 200000 --seed $(SEED) -o docs/sensitivity.md \
	  --csv out/oat.csv

# the compiler flags (MPI or not, sanitizers, -Werror) as a file that changes only when they
# do, so that every object is rebuilt when they change
$(BUILD)/flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CC) $(CPPFLAGS_BASE) $(CFLAGS_BASE) $(LIBS)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/model/%.o: model/%.c $(BUILD)/flags
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_BASE) $(CFLAGS_BASE) -c $< -o $@

$(BUILD)/libtyndau.a: $(MODEL_OBJ)
	@rm -f $@  # ar keeps the members of deleted sources otherwise
	ar rcs $@ $^

# ---- the shared library (libtyndau.so.MAJOR, the version of tyndau.h) and its Python side ----
# Its objects are compiled apart, position-independent (the program and the static library are
# as before); python/capi.c, the plain-typed calls of the Python package, and the build's
# provenance (version.o) go in it too.  -fno-semantic-interposition keeps calls within the
# library as direct (and inlinable) as in the static one.
VERSION   := $(shell sed -n 's/^\#define TYNDAU_VERSION "\(.*\)"/\1/p' model/tyndau.h)
SOMAJOR   := $(firstword $(subst ., ,$(VERSION)))
SONAME    = libtyndau.so.$(SOMAJOR)
PIC       = -fPIC -fno-semantic-interposition
PIC_OBJ   = $(MODEL_SRC:model/%.c=$(BUILD)/pic/model/%.o) $(BUILD)/pic/capi.o $(BUILD)/pic/version.o
$(BUILD)/pic/model/%.o: model/%.c $(BUILD)/flags
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_BASE) $(CFLAGS_BASE) $(PIC) -c $< -o $@
$(BUILD)/pic/capi.o: python/capi.c $(BUILD)/flags
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_BASE) $(CFLAGS_BASE) $(PIC) -c $< -o $@
$(BUILD)/pic/version.o: $(BUILD)/version.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(PIC) -c $< -o $@
$(BUILD)/libtyndau.so.$(VERSION): $(PIC_OBJ)
	$(CC) $(CFLAGS_BASE) -shared -Wl,-soname,$(SONAME) -Wl,--no-undefined $^ $(filter-out -lmpi,$(LIBS)) -o $@
$(BUILD)/$(SONAME) $(BUILD)/libtyndau.so: $(BUILD)/libtyndau.so.$(VERSION)
	ln -sf $(notdir $<) $@
lib: $(BUILD)/libtyndau.so $(BUILD)/$(SONAME) $(BUILD)/libtyndau.a

$(BUILD)/embedded.c: scenarios/baseline.ini data/survey_2021/marginals.csv tools/embed.sh
	@mkdir -p $(BUILD)
	{ bash tools/embed.sh tyndau_embedded_baseline scenarios/baseline.ini; \
	  bash tools/embed.sh tyndau_embedded_marginals data/survey_2021/marginals.csv; } > $@.tmp && mv $@.tmp $@

$(BUILD)/embedded.o: $(BUILD)/embedded.c
	$(CC) -std=c11 -c $< -o $@

$(BUILD)/src/%.o: src/%.c $(BUILD)/flags
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_BASE) -Isrc $(CFLAGS_BASE) -c $< -o $@

# provenance written into every output file: remade by every build, rewritten only when it changes
$(BUILD)/version.c: FORCE
	@mkdir -p $(BUILD)
	@printf 'const char tyndau_build_commit[] = "%s";\nconst char tyndau_build_cflags[] = "%s";\n' \
	  '$(GIT_COMMIT)' '$(CFLAGS_BASE)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/version.o: $(BUILD)/version.c
	$(CC) -std=c11 -c $< -o $@

FORCE:

$(BUILD)/tyndau: $(SRC_OBJ) $(BUILD)/embedded.o $(BUILD)/version.o $(BUILD)/libtyndau.a
	$(CC) $(CFLAGS_BASE) $^ $(LIBS) -o $@

# the program's modules other than main (the engine, the studies) for the unit tests
$(BUILD)/libtyndau_cli.a: $(CLI_OBJ) $(BUILD)/embedded.o $(BUILD)/version.o
	@rm -f $@
	ar rcs $@ $^

# the benchmark programs (bench/run.sh, bench/calibrate.sh)
$(BUILD)/bench/%: bench/%.c $(BUILD)/libtyndau_cli.a $(BUILD)/libtyndau.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_BASE) -Isrc $(CFLAGS_BASE) $< $(BUILD)/libtyndau_cli.a $(BUILD)/libtyndau.a $(LIBS) -o $@

$(BUILD)/tests/%: tests/%.c tests/tmpdir.h $(BUILD)/libtyndau_cli.a $(BUILD)/libtyndau.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_BASE) -Isrc $(CFLAGS_BASE) $< $(BUILD)/libtyndau_cli.a $(BUILD)/libtyndau.a $(LIBS) -lcmocka -o $@

# ---- tests ----
test: deps
	@bash tools/deps.sh --install test
	@$(MAKE) --no-print-directory WERROR=1 unit integration check-docs
	@$(MAKE) --no-print-directory WERROR=1 asan

unit: $(TEST_BIN)
	@bash tests/run_unit.sh $(TEST_BIN)

integration: $(BUILD)/tyndau lib
	@TYNDAU=$(BUILD)/tyndau PYTHON=$(PYTHON) bash tests/run_integration.sh
	@TYNDAU=$(BUILD)/tyndau PYTHON=$(PYTHON) bash tests/test_calibrate.sh
	@TYNDAU=$(BUILD)/tyndau PYTHON=$(PYTHON) bash tests/test_history_match.sh
	@TYNDAU=$(BUILD)/tyndau PYTHON=$(PYTHON) bash tests/test_calib_checks.sh
	@TYNDAU=$(BUILD)/tyndau PYTHON=$(PYTHON) bash tests/test_sweep.sh
	@TYNDAU=$(BUILD)/tyndau PYTHON=$(PYTHON) bash tests/test_compare.sh
	@TYNDAU=$(BUILD)/tyndau PYTHON=$(PYTHON) bash tests/test_files.sh
	@TYNDAU=$(BUILD)/tyndau PYTHON=$(PYTHON) bash tests/test_hostile.sh
	@TYNDAU=$(BUILD)/tyndau PYTHON=$(PYTHON) bash tests/test_adversary.sh
	@TYNDAU=$(BUILD)/tyndau PYTHON=$(PYTHON) bash tests/test_cli.sh
	@TYNDAU=$(BUILD)/tyndau bash tests/test_slurm.sh
	@TYNDAU=$(BUILD)/tyndau PYTHON=$(PYTHON) bash tests/test_python.sh
	@MAKE="$(MAKE)" BUILD=$(BUILD) PYTHON=$(PYTHON) bash tests/test_install.sh

# the Python package's tests alone (tests/python, the tutorial among them)
python-test: $(BUILD)/tyndau lib
	@TYNDAU=$(BUILD)/tyndau PYTHON=$(PYTHON) bash tests/test_python.sh

check-docs: $(BUILD)/tyndau
	@$(BUILD)/tyndau params --markdown | diff -u docs/parameters.md - \
	  || { echo "docs/parameters.md is stale: run 'make docs'" >&2; exit 1; }
	@echo "docs: parameters.md is current"

asan:
	@$(MAKE) --no-print-directory BUILD=build/asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" unit asan-smoke

# the fuzz target: the libraries built by clang with coverage for libFuzzer, into build/fuzz
FUZZ_SECONDS ?= 60
# libFuzzer's -seed: 1 makes a run repeatable; 0 draws one
FUZZ_SEED ?= 1
FUZZ_FLAGS = -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
fuzz-build:
	@bash tools/deps.sh --install fuzz
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang WERROR=0 OPT="$(FUZZ_FLAGS)" \
	  build/fuzz/libtyndau.a build/fuzz/libtyndau_cli.a
	clang $(CPPFLAGS_BASE) -Isrc -std=c11 -fopenmp $(FUZZ_FLAGS) -fsanitize=fuzzer tests/fuzz_readers.c \
	  build/fuzz/libtyndau_cli.a build/fuzz/libtyndau.a $(LIBS) -o build/fuzz/fuzz_readers

fuzz: fuzz-build
	@mkdir -p build/fuzz/corpus
	build/fuzz/fuzz_readers -seed=$(FUZZ_SEED) -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
	  -artifact_prefix=build/fuzz/ \
	  build/fuzz/corpus tests/fuzz

asan-smoke: $(BUILD)/tyndau
	@bash tests/asan_smoke.sh $(BUILD)/tyndau

man: $(BUILD)/tyndau tools/man.py
	$(PYTHON) tools/man.py $(BUILD)/tyndau $(BUILD)/man

docs: $(BUILD)/tyndau
	$(BUILD)/tyndau params --markdown > docs/parameters.md.tmp && mv docs/parameters.md.tmp docs/parameters.md

bench: $(BUILD)/tyndau $(BUILD)/bench/bench
	bash bench/run.sh $(BUILD)/tyndau

# the cost of calling the model from Python at 1 M agents (about a minute on 2 cores)
bench-python: $(BUILD)/tyndau lib
	bash bench/python.sh $(BUILD)/tyndau 1000000 2

# sweeps: MPI ranks, per-run overhead, the writer's memory (about 5 minutes on 2 cores)
bench-sweep: $(BUILD)/tyndau
	bash bench/sweep.sh $(BUILD)/tyndau

# the scenario library compared (3 + 1 times, about 25 minutes on 2 cores); also writes the
# results table of docs/scenarios.md
bench-compare: $(BUILD)/tyndau
	bash bench/compare.sh $(BUILD)/tyndau

# the default calibration and two held-out checks (about 30-40 minutes on 2 cores)
bench-calibrate: $(BUILD)/tyndau $(BUILD)/bench/crn
	bash bench/calibrate.sh $(BUILD)/tyndau

# simulation-based calibration of the default calibration: 20 refits (hours on 2 cores)
bench-sbc: $(BUILD)/tyndau
	bash bench/sbc.sh $(BUILD)/tyndau

# ---- install: make install PREFIX=/usr/local (DESTDIR too), make uninstall with the same ----
# bin/tyndau; lib/libtyndau.so.VERSION (+ the .so.MAJOR and .so links), lib/libtyndau.a;
# include/tyndau/ (the public headers); lib/pkgconfig/tyndau.pc; the Python package in
# lib/pythonX.Y/dist-packages/tyndau (on Debian's path for /usr/local), told where the library
# and the data are; share/tyndau/ (scenarios, calibration, data); share/doc/tyndau/ (README,
# docs/*.md, the program's --help text); share/man/man1/ (the man pages of make man).
PREFIX  ?= /usr/local
DESTDIR ?=
PYSITE   = $(PREFIX)/lib/$(shell $(PYTHON) -c 'import sys; print("python%d.%d" % sys.version_info[:2])')/dist-packages
HEADERS  = model/tyndau.h model/codes.h model/error.h model/params.h model/params.def model/targets.h \
           model/headline.h model/scenario.h
PYFILES  = $(wildcard python/tyndau/*.py)
install: all man
	@set -e; D='$(DESTDIR)$(PREFIX)'; P='$(DESTDIR)$(PYSITE)'; \
	install -d "$$D/share/man/man1"; install -m 644 $(BUILD)/man/*.1 "$$D/share/man/man1/"; \
	install -d "$$D/bin" "$$D/lib/pkgconfig" "$$D/include/tyndau" "$$P/tyndau" "$$D/share/tyndau" "$$D/share/doc/tyndau"; \
	install -m 755 $(BUILD)/tyndau "$$D/bin/tyndau"; \
	install -m 755 $(BUILD)/libtyndau.so.$(VERSION) "$$D/lib/"; \
	ln -sf libtyndau.so.$(VERSION) "$$D/lib/$(SONAME)"; ln -sf $(SONAME) "$$D/lib/libtyndau.so"; \
	install -m 644 $(BUILD)/libtyndau.a "$$D/lib/"; \
	install -m 644 $(HEADERS) "$$D/include/tyndau/"; \
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@LIBS@|$(filter-out -lmpi,$(LIBS))|' \
	  tools/tyndau.pc.in > "$$D/lib/pkgconfig/tyndau.pc"; \
	install -m 644 $(PYFILES) "$$P/tyndau/"; \
	printf '# written by make install\nLIBRARY = "%s"\nDATA = "%s"\n' '$(PREFIX)/lib/$(SONAME)' '$(PREFIX)/share/tyndau' \
	  > "$$P/tyndau/_installed.py"; \
	cp -R scenarios calibration "$$D/share/tyndau/"; install -d "$$D/share/tyndau/data"; cp -R data/survey_2021 "$$D/share/tyndau/data/"; \
	install -m 644 README.md docs/*.md "$$D/share/doc/tyndau/"; \
	for c in run survey params calibrate compare sweep merge sensitivity; do \
	  $(BUILD)/tyndau $$c --help > "$$D/share/doc/tyndau/tyndau-$$c.txt" 2>&1 || true; done; \
	echo "installed tyndau $(VERSION) into $$D (Python package: $$P/tyndau)"

uninstall:
	@D='$(DESTDIR)$(PREFIX)'; P='$(DESTDIR)$(PYSITE)'; \
	rm -f "$$D/bin/tyndau" "$$D/lib/libtyndau.so.$(VERSION)" "$$D/lib/$(SONAME)" "$$D/lib/libtyndau.so" \
	  "$$D/lib/libtyndau.a" "$$D/lib/pkgconfig/tyndau.pc"; \
	rm -rf "$$D/include/tyndau" "$$P/tyndau" "$$D/share/tyndau" "$$D/share/doc/tyndau"; \
	rm -f "$$D/share/man/man1/tyndau.1" "$$D/share/man/man1/tyndau-"*.1; \
	echo "removed tyndau from $$D"

clean:
	rm -rf build out

-include $(MODEL_OBJ:.o=.d) $(SRC_OBJ:.o=.d) $(PIC_OBJ:.o=.d)
