# Go binding (bindings/go): cgo + dlopen/dlsym, no third-party modules, offline.
#   make test-go        go vet, go test and the hello example against target/debug/libwt.so
#   make test-go-race   the same tests under the race detector (slower; not part of `make test`)
# Needs `go` (Debian package golang-go, Go >= 1.19) and a C compiler for cgo.
GO ?= go
GO_DIR := bindings/go
GO_BUILD = $(BUILD)/go
# Offline and self-contained: no module proxy or checksum database, caches
# under build/, the local toolchain only, and libwt loaded from target/debug.
GO_ENV = GOFLAGS=-mod=mod GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local CGO_ENABLED=1 \
	GOCACHE=$(GO_BUILD)/cache GOPATH=$(GO_BUILD)/path \
	WT_LIBRARY=$(TARGET_DIR)/libwt.so

.PHONY: test-go test-go-race go-prereq

go-prereq:
	@command -v $(GO) >/dev/null || { echo "$(GO) not found (apt-get install golang-go)" >&2; exit 1; }
	@mkdir -p $(GO_BUILD)

# -count=1: go's test cache cannot see libwt.so (it is dlopen'ed), so a
# cached result could hide a changed library.
test-go: lib go-prereq
	cd $(GO_DIR) && $(GO_ENV) $(GO) vet ./...
	cd $(GO_DIR) && $(GO_ENV) $(GO) test -count=1 -timeout 300s ./...
	cd $(GO_DIR) && $(GO_ENV) $(GO) build -o $(GO_BUILD)/hello ./examples/hello
	$(GO_ENV) $(GO_BUILD)/hello > $(GO_BUILD)/hello.out
	@cat $(GO_BUILD)/hello.out
	@grep -qx 'Hello, World! (from a Go host function)' $(GO_BUILD)/hello.out || \
		{ echo "test-go: the Go hello example did not print its hello line" >&2; exit 1; }

test-go-race: lib go-prereq
	cd $(GO_DIR) && $(GO_ENV) $(GO) test -race -count=1 -timeout 600s ./...

TEST_TARGETS += test-go
