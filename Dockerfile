# tilsyn as a container image: static binaries on distroless, run as a
# non-root user. /tilsyn audits (the CronJob); /tilsyn-node-agent is the
# node agent alone (the DaemonSet), small because it links nothing else.
#
#   docker build -t ghcr.io/tilsyn/tilsyn:$(git describe --tags --always) .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN for cmd in tilsyn tilsyn-node-agent; do \
      CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/tilsyn/tilsyn/internal/version.Version=${VERSION}" \
        -o /out/$cmd ./cmd/$cmd || exit 1; \
    done

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tilsyn /out/tilsyn-node-agent /
# 65532 is distroless's "nonroot"; numeric so runAsNonRoot can verify it.
USER 65532:65532
ENTRYPOINT ["/tilsyn"]
