package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
)

func TestFloor(t *testing.T) {
	c, err := writeCerts(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- floorServer(ctx, "127.0.0.1:0", c.certFile, c.keyFile, ready) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("floor server: %v", err)
		}
	}()
	var url string
	select {
	case url = <-ready:
		url = "https://" + url
	case err := <-done:
		t.Fatal(err)
	}
	client := newClient(c.pool, 1)

	review := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1","kind":{"group":"","version":"v1","kind":"Pod"},` +
		`"operation":"CREATE","namespace":"a","name":"p","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"a"}}}}`
	resp, err := client.Post(url+"/validate", "application/json", strings.NewReader(review))
	if err != nil {
		t.Fatal(err)
	}
	var out admissionv1.AdmissionReview
	err = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || out.Response == nil || out.Response.UID != "u-1" || !out.Response.Allowed ||
		out.APIVersion != "admission.k8s.io/v1" || out.Kind != "AdmissionReview" {
		t.Errorf("HTTP %d, %+v, %v", resp.StatusCode, out, err)
	}

	for _, bad := range []string{"", "{", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`} {
		resp, err := client.Post(url+"/validate", "application/json", strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%q: HTTP %d, want 400", bad, resp.StatusCode)
		}
	}

	// TLS 1.2 at least, as tilsyn webhook.
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: c.pool, MaxVersion: tls.VersionTLS11}}}
	if resp, err := old.Get(url + "/readyz"); err == nil {
		resp.Body.Close()
		t.Error("a TLS 1.1 client was served")
	}
}
