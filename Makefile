# Thin wrapper over CMake. `make demo` and `make test` install what is
# missing first (scripts/deps.sh), so both work on a fresh Debian 12.
BUILD   ?= build
ASAN    ?= build-asan
JOBS    ?= $(shell nproc)
CTEST   = ctest --output-on-failure -j $(JOBS)

.PHONY: all deps build asan test demo bench clean install

all: build

deps:
	@bash scripts/deps.sh

build: deps
	cmake -S . -B $(BUILD) -DEW_WERROR=ON >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

asan: deps
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Asan -DEW_WERROR=ON >/dev/null
	cmake --build $(ASAN) -j $(JOBS)

test: build asan
	cd $(BUILD) && $(CTEST)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1 $(CTEST)

demo: build
	@bash scripts/demo.sh $(BUILD)

bench: build
	@bash bench/run.sh $(BUILD)

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN)
