package cli

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/tilsyn/tilsyn/evaluate"
)

// writeStats prints where an evaluation spent its time: deriving each
// family of facts, converting the input, and each control (slowest
// first). Controls run concurrently, so their times overlap.
func writeStats(w io.Writer, res *evaluate.Results) {
	fmt.Fprintf(w, "%10s  %s\n", "TIME", "STAGE")
	for _, t := range res.Timings {
		fmt.Fprintf(w, "%10s  %s\n", ms(t.Duration), t.Stage)
	}
	fmt.Fprintf(w, "%10s  %s\n", ms(res.InputDuration), "facts and input, total")

	controls := append([]evaluate.Result(nil), res.Controls...)
	sort.SliceStable(controls, func(i, j int) bool { return controls[i].Duration > controls[j].Duration })
	var total time.Duration
	fmt.Fprintf(w, "\n%10s  %-8s  %-12s  %s\n", "TIME", "CONTROL", "STATUS", "FINDINGS")
	for _, c := range controls {
		total += c.Duration
		took := ms(c.Duration)
		if c.Duration == 0 && c.Status == evaluate.NotAssessed {
			took = "-" // not run: an input was not collected
		}
		fmt.Fprintf(w, "%10s  %-8s  %-12s  %d\n", took, c.Control.ID, c.Status, len(c.Findings))
	}
	fmt.Fprintf(w, "%10s  all controls (summed; they run concurrently)\n", ms(total))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
