package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHandlerShare(t *testing.T) {
	warmUp := `{"msg":"admission decision","uid":"a","durationMs":9.5}` + "\n"
	loop := strings.Join([]string{
		`gc 5 @15.139s 1%: 0.24+254+0.081 ms clock, 0.48+0.78/130/121+0.16 ms cpu, 512->524->118 MB, 533 MB goal, 0 MB stacks, 0 MB globals, 2 P`,
		`{"msg":"bad review request","uid":"b","durationMs":50}`,
		`{"msg":"admission decision","uid":"a","durationMs":0.2}`,
		`{"msg":"admission decision","uid":"b","durationMs":4.5}`,
		`{"msg":"admission decision","uid":"c","durationMs":4}`,
		`{"msg":"admission decision","uid":"d","durationMs":12}`,
		`{"msg":"admission decision","uid":"e","durationMs":7}`,
	}, "\n") + "\n"
	log := filepath.Join(t.TempDir(), "tilsyn.log")
	if err := os.WriteFile(log, []byte(warmUp+loop), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := handlerShare(log, int64(len(warmUp)), map[string]bool{"a": true, "b": true, "c": true, "d": true, "x": true}, 6, 6)
	if err != nil {
		t.Fatal(err)
	}
	// a's warm-up line is before the offset; x is not in the log; e was
	// not slow.
	if want := (slowShare{slow: 5, logged: 4, inHandler: 2}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if s := got.String(); !strings.Contains(s, "5 requests took over 5ms; by the decision log, the handler took over 4ms for 2 of them (4 of the 5 found in the log)") {
		t.Errorf("String: %s", s)
	}
	if got, err := handlerShare(filepath.Join(t.TempDir(), "none.log"), 0, map[string]bool{"a": true}, 6, 6); err == nil {
		t.Errorf("a missing log: %+v, no error", got)
	}
	if got, err := handlerShare("", 0, nil, 6, 6); err != nil || got != (slowShare{}) {
		t.Errorf("no slow requests: %+v, %v", got, err)
	}
	// A loop longer than the pool sends uids twice: the log is not read.
	got, err = handlerShare(filepath.Join(t.TempDir(), "none.log"), 0, map[string]bool{"a": true}, 7, 6)
	if want := (slowShare{slow: 1, sent: 7, pool: 6}); err != nil || got != want {
		t.Errorf("loop longer than the pool: %+v, %v; want %+v", got, err, want)
	}
	if s := got.String(); !strings.Contains(s, "the loop sent 7 requests from a pool of 6, so uids repeat") {
		t.Errorf("String: %s", s)
	}
}
