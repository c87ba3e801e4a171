package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/tilsyn/tilsyn/webhook"
)

// The floor is a webhook that judges nothing: it reads each review as a
// Go webhook commonly does (admission/v1 types, encoding/json), admits it
// and answers, from tilsyn webhook's own HTTPS server (webhook.Serve).
// Measured like the others, it shows what the machine, the load
// generator, TLS and HTTP cost by themselves at that moment; what tilsyn
// adds is the difference. It runs as this program again, in its own
// process (floorCommand), so that it shares nothing with the load
// generator but the cores.

// floorCommand, as the first argument, makes this program the floor
// server.
const floorCommand = "serve-floor"

// startFloor starts the floor server.
func startFloor(c *certs, dir string) (*server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("the floor runs this program again: %w", err)
	}
	args := []string{floorCommand, "-listen", addrPlaceholder, "-tls-cert-file", c.certFile, "-tls-key-file", c.keyFile}
	s, _, err := start("floor", self, args, filepath.Join(dir, "floor.log"), nil)
	if err != nil {
		return nil, err
	}
	s.ready = "/readyz"
	return s, nil
}

// serveFloor runs the floor server until ctx ends (SIGTERM or SIGINT).
func serveFloor(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet(floorCommand, flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8443", "address to listen on")
	certFile := fs.String("tls-cert-file", "", "serving certificate (PEM)")
	keyFile := fs.String("tls-key-file", "", "its key (PEM)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%s: %w", floorCommand, err)
	}
	if err := floorServer(ctx, *listen, *certFile, *keyFile, nil); err != nil {
		return fmt.Errorf("%s: %w", floorCommand, err)
	}
	return nil
}

// floorServer serves until ctx ends, with tilsyn webhook's own server
// (webhook.Serve: its TLS, HTTP and timeouts); ready, when not nil,
// receives the address listened on.
func floorServer(ctx context.Context, listen, certFile, keyFile string, ready chan<- string) error {
	cert, err := webhook.LoadCertificate(certFile, keyFile, nil)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	if ready != nil {
		ready <- l.Addr().String()
	}
	return webhook.Serve(ctx, l, webhook.ServerOptions{Certificate: cert, Handler: http.HandlerFunc(admitAll), ShutdownTimeout: 5 * time.Second})
}

// maxReview is the API server's own limit on a request body, as tilsyn's.
const maxReview = 3 << 20

// admitAll reads an AdmissionReview and admits its request.
func admitAll(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxReview))
	if err != nil {
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
		http.Error(w, "not an AdmissionReview with a request: "+strconv.Quote(string(body[:min(len(body), 64)])), http.StatusBadRequest)
		return
	}
	out := admissionv1.AdmissionReview{TypeMeta: review.TypeMeta,
		Response: &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}
