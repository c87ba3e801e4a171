# tilsyn as a container image: a static binary on distroless, run as a
# non-root user.
#
#   docker build -t ghcr.io/tilsyn/tilsyn:$(git describe --tags --always) .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/tilsyn/tilsyn/internal/version.Version=${VERSION}" \
    -o /out/tilsyn ./cmd/tilsyn

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tilsyn /tilsyn
# 65532 is distroless's "nonroot"; numeric so runAsNonRoot can verify it.
USER 65532:65532
ENTRYPOINT ["/tilsyn"]
