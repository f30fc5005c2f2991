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
# The example's TLS listener needs a certificate: a self-signed one is made
# the first time (openssl), and make says so.
TLS_CERT = var/voipshield-tls-cert.pem
TLS_KEY = var/voipshield-tls-key.pem
run: build
	@if [ "$$(id -u)" -eq 0 ] && ! id -u $(SERVICE_USER) >/dev/null 2>&1; then \
		echo "run: creating system user $(SERVICE_USER) for the daemon to drop to"; \
		useradd --system --no-create-home --shell /usr/sbin/nologin $(SERVICE_USER); \
	fi
	@if [ "$(CONFIG)" = examples/standalone.conf ] && [ ! -f $(TLS_CERT) ]; then \
		mkdir -p var && \
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout $(TLS_KEY) -out $(TLS_CERT) -days 825 -subj /CN=localhost \
			-addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null && \
		chmod 600 $(TLS_KEY) && \
		echo "run: made a self-signed TLS certificate $(TLS_CERT) for the TLS listener on 127.0.0.1:5061 (replace it with a real one for phones that check certificates)"; \
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
