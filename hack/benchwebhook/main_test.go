package main

import (
	"strings"
	"testing"
)

func TestChoices(t *testing.T) {
	got, err := choices("-loops", "open, wrk", "open", "closed", "wrk")
	if err != nil || len(got) != 2 || !got["open"] || !got["wrk"] {
		t.Errorf("got %v, %v", got, err)
	}
	if _, err := choices("-loops", "open,bogus", "open", "closed"); err == nil || !strings.Contains(err.Error(), `-loops: unknown value "bogus"`) {
		t.Errorf("error for an unknown value: %v", err)
	}
}
