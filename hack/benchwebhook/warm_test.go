package main

import (
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

func TestPoolAt(t *testing.T) {
	p := &reviewPool{reviews: []review{{uid: "a"}, {uid: "b"}, {uid: "c"}}}
	for i, want := range map[int]string{0: "a", 2: "c", 3: "a", 7: "b", -1: "c", -3: "a", -4: "c"} {
		if got := p.at(i).uid; got != want {
			t.Errorf("at(%d) = %s, want %s", i, got, want)
		}
	}
}

func TestPeakMemory(t *testing.T) {
	self, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: &exec.Cmd{Process: self}}
	before := s.peakMemory()
	if before <= 0 {
		t.Fatalf("peak memory of this process: %d", before)
	}
	b := make([]byte, 64<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	if after := s.peakMemory(); after < before+60<<20 {
		t.Errorf("peak memory %d MiB after touching 64 MiB more, %d MiB before", after>>20, before>>20)
	}
	gone := &server{cmd: &exec.Cmd{Process: &os.Process{Pid: 1 << 30}}}
	if got := gone.peakMemory(); got != 0 {
		t.Errorf("a process that does not exist: %d", got)
	}
}

func TestWarmthMerge(t *testing.T) {
	var w warmth
	w.merge(result{sent: 2, elapsed: time.Second, latencies: []time.Duration{3, 5}})
	w.merge(result{sent: 3, errors: 1, firstError: "EOF", elapsed: time.Second, latencies: []time.Duration{1, 4}})
	if w.sent != 5 || w.errors != 1 || w.firstError != "EOF" || w.elapsed != 2*time.Second {
		t.Errorf("merged %+v", w.result)
	}
	if want := []time.Duration{1, 3, 4, 5}; !slices.Equal(w.latencies, want) {
		t.Errorf("latencies %v, want %v sorted", w.latencies, want)
	}
}
