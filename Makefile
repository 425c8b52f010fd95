# Thin wrapper over CMake. `make demo` and `make test` are the two commands a new machine needs.
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 60

.PHONY: all bootstrap build build-asan demo test unit unit-asan integration fuzz bench format clean

all: build

bootstrap:
	./scripts/bootstrap

build:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

build-asan:
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DSMT_SANITIZE=ON >/dev/null
	cmake --build $(BUILD_ASAN) -j $(JOBS)

# The gateway in front of a small origin with a demo PKI (scripts/demo; Ctrl-C stops it).
demo: bootstrap build
	./scripts/demo $(BUILD)

# Unit tests, the same unit tests under ASan+UBSan, then the integration tests with the plain build and
# again with the ASan+UBSan build (a gateway must exit 0 on SIGTERM, so a leak or a sanitizer report in
# any real-client test fails it); ends with ctest's summary.
SANITIZERS = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
test: bootstrap build build-asan
	ctest --test-dir $(BUILD) -L unit --output-on-failure -j $(JOBS)
	$(SANITIZERS) ctest --test-dir $(BUILD_ASAN) -L unit --output-on-failure -j $(JOBS)
	ctest --test-dir $(BUILD) -L integration --output-on-failure
	$(SANITIZERS) ctest --test-dir $(BUILD_ASAN) -L integration --output-on-failure

fuzz: bootstrap
	./scripts/bootstrap fuzz
	CC=clang cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMT_FUZZ=ON >/dev/null
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target fuzzers
	./scripts/run-fuzzers $(BUILD_FUZZ) $(FUZZ_SECONDS)

# The crypto benchmark, the gateway next to nginx in front of the same origin (bench/gateway-vs-nginx), then
# the CA's issuance rates on SQLite and PostgreSQL next to pebble (bench/ca-issuance), then OCSP responses/s next to
# openssl ocsp -index and TSA tokens/s (bench/ocsp-tsa).
bench: bootstrap build
	./scripts/bootstrap bench
	./$(BUILD)/smtrust bench crypto
	./$(BUILD)/smtrust bench tlcp
	SMTRUST=$(CURDIR)/$(BUILD)/smtrust ./bench/tlcp-handshakes
	SMTRUST=$(CURDIR)/$(BUILD)/smtrust ./bench/gateway-vs-nginx
	SMTRUST=$(CURDIR)/$(BUILD)/smtrust ./bench/ca-issuance
	SMTRUST=$(CURDIR)/$(BUILD)/smtrust ./bench/ocsp-tsa

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
