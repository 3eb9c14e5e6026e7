# facegate — the two commands a user needs are `make demo` and `make test`.
# Every target runs the set-up first; the set-up is idempotent and quick when done.

SWIFT        ?= swift
MODELS_DIR   ?= $(CURDIR)/.cache/models
BUILD_FLAGS  ?=
export FACEGATE_MODELS_DIR := $(MODELS_DIR)

.PHONY: all setup build build-release deb package-test test demo bench soak tsan clean

all: build

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build $(BUILD_FLAGS) --build-tests

build-release: setup
	$(SWIFT) build -c release $(BUILD_FLAGS)

# facegate_<version>_amd64.deb and facegate-models_0.3.0_all.deb in .build-deb/ (release,
# --static-swift-stdlib, its own scratch path). The DeployTests check what they hold.
deb: setup
	scripts/build-deb.sh

# Not part of `test` (about 6 minutes): both packages installed into a Debian 12 root and booted
# with real systemd under systemd-nspawn (scripts/package-test.sh says what it checks).
package-test: deb
	scripts/package-test.sh

# Builds every product (the tests run the real executables), then runs every test while the
# packages build at low priority beside them (scripts/test.sh); the package tests run last.
test: build
	SWIFT=$(SWIFT) BUILD_FLAGS="$(BUILD_FLAGS)" scripts/test.sh

demo: build
	scripts/demo.sh

bench: build-release
	scripts/bench.sh

# Not part of `test`: the random fault test over 200 seeds (about an hour); prints the
# invariant violations and audit/lock disagreements, both must be 0.
soak: build
	scripts/soak.sh

# Not part of `test`: the codec, transport and broker suites under ThreadSanitizer (own build
# directory, the executables the broker tests start are instrumented too); must report no race.
tsan: setup
	scripts/tsan.sh

clean:
	rm -rf .build .build-deb
