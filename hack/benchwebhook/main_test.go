package main

import (
	"context"
	"strings"
	"testing"
	"time"
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

func TestStalls(t *testing.T) {
	var s stalls
	for _, late := range []time.Duration{100 * time.Microsecond, 3 * time.Millisecond, 5 * time.Millisecond, 5*time.Millisecond + 1, 31 * time.Millisecond} {
		s.add(late)
	}
	if want := (stalls{naps: 5, over2: 4, over5: 2, max: 31 * time.Millisecond}); s != want {
		t.Errorf("got %+v, want %+v", s, want)
	}
	if got := s.String(); !strings.Contains(got, "more than 5 ms late 2 times in 5 naps (at most 31.00ms late)") {
		t.Errorf("String: %s", got)
	}
	p := probeStalls(context.Background(), 20*time.Millisecond)
	if p.naps == 0 || p.naps > 20 {
		t.Errorf("probe of 20 ms: %d naps of 1 ms", p.naps)
	}
}
