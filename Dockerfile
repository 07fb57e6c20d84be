# syntax=docker/dockerfile:1
# Multi-stage build: assets with npm, binary with Go (CGO off), a small non-root runtime.
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=assets /src/node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
COPY --from=assets /src/node_modules/bulma/css/bulma.min.css static/vendor/bulma.min.css
RUN go tool templ generate -path views && go build -trimpath -ldflags="-s -w" -o /out/roster ./cmd/roster

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/roster /usr/local/bin/roster
ENV ROSTER_ADDR=:8080 ROSTER_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/roster"]
CMD ["serve"]
