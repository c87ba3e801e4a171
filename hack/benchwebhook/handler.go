package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// Thresholds for telling slow requests apart: a request slower than
// slowRequest end to end is slow in the handler when the handler took
// more than slowHandler of it.
const (
	slowRequest = 5 * time.Millisecond
	slowHandler = 4 * time.Millisecond
)

// slowShare says, for an open loop's requests slower than slowRequest, how
// many the handler itself took more than slowHandler for, by tilsyn's
// decision log (its durationMs for the same uid). The rest waited before
// or after the handler: for a processor, the network, or the machine.
type slowShare struct {
	slow, logged, inHandler int
	// sent and pool are set when the loop sent more requests than the
	// pool holds: uids then repeat within the loop, and the log cannot
	// tell which answer to one was slow, so nothing is looked up.
	sent, pool int
}

func (s slowShare) String() string {
	if s.sent > 0 {
		return fmt.Sprintf("%d requests took over %s; the loop sent %d requests from a pool of %d, so uids repeat and the decision log cannot tell which was slow (a shorter -duration or a larger -pool can)",
			s.slow, slowRequest, s.sent, s.pool)
	}
	return fmt.Sprintf("%d requests took over %s; by the decision log, the handler took over %s for %d of them (%d of the %d found in the log)",
		s.slow, slowRequest, slowHandler, s.inHandler, s.logged, s.slow)
}

// handlerShare reads tilsyn's decision log, from offset on (where it ended
// when the loop began: the pool's uids come back in every pass), for the
// uids of slow requests. A loop that sent more requests than the pool
// holds sent some uids twice; it is not looked up.
func handlerShare(logFile string, offset int64, slow map[string]bool, sent, pool int) (slowShare, error) {
	share := slowShare{slow: len(slow)}
	if sent > pool {
		share.sent, share.pool = sent, pool
		return share, nil
	}
	if len(slow) == 0 {
		return share, nil
	}
	f, err := os.Open(logFile)
	if err != nil {
		return share, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return share, err
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var d struct {
			Msg        string  `json:"msg"`
			UID        string  `json:"uid"`
			DurationMs float64 `json:"durationMs"`
		}
		line := sc.Bytes()
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &d) != nil || d.Msg != "admission decision" || !slow[d.UID] {
			continue
		}
		share.logged++
		if time.Duration(d.DurationMs*float64(time.Millisecond)) > slowHandler {
			share.inHandler++
		}
	}
	return share, sc.Err()
}

// logSize is how long a log file is now: where what follows will start.
func logSize(logFile string) int64 {
	fi, err := os.Stat(logFile)
	if err != nil {
		return 0
	}
	return fi.Size()
}
