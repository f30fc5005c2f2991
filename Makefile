# VoIPShield: what README tells you to type.
#
#   make run     install what is missing, build, run on examples/standalone.conf
#   make test    install what is missing, build with ASan+UBSan, run every test
#   make fuzz    run each libFuzzer harness for FUZZ_SECONDS (default 60);
#                FUZZ_MERGE=1 adds inputs with new coverage to the corpus
#   make bench   benchmarks against Kamailio, printed as ratios
#   make build   release build only (build/voipshield)
#   make clean

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CONFIG ?= examples/standalone.conf
FUZZ_SECONDS ?= 60
SERVICE_USER ?= voipshield

.PHONY: all build run test test-build fuzz bench clean deps

all: build

build:
	@scripts/deps.sh build
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc >/dev/null
	@cmake --build build -j $(JOBS)

# Started as root, the daemon drops to SERVICE_USER; create it if missing.
run: build
	@if [ "$$(id -u)" -eq 0 ] && ! id -u $(SERVICE_USER) >/dev/null 2>&1; then \
		echo "run: creating system user $(SERVICE_USER) for the daemon to drop to"; \
		useradd --system --no-create-home --shell /usr/sbin/nologin $(SERVICE_USER); \
	fi
	./build/voipshield --config $(CONFIG)

# The test build: clang with AddressSanitizer and UndefinedBehaviorSanitizer.
test-build:
	@scripts/deps.sh test
	@cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DVS_SANITIZE=ON >/dev/null
	@cmake --build build-test -j $(JOBS)

test: test-build build
	@if [ "$$(id -u)" -eq 0 ] && ! id -u $(SERVICE_USER) >/dev/null 2>&1; then \
		useradd --system --no-create-home --shell /usr/sbin/nologin $(SERVICE_USER); \
	fi
	cd build-test && ctest --output-on-failure -j $(JOBS)

fuzz:
	@scripts/deps.sh fuzz
	@cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DVS_SANITIZE=ON -DVS_FUZZ=ON -DVS_TESTS=ON -DVS_BENCH=OFF >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

bench:
	@scripts/deps.sh bench
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc >/dev/null
	@cmake --build build -j $(JOBS)
	bench/run.sh build

clean:
	rm -rf build build-test build-fuzz
