package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/tilsyn/tilsyn/evaluate"
)

// TextOptions tune the terminal summary.
type TextOptions struct {
	// MaxFindings caps the findings listed (the JSON has all); 0 means 20.
	MaxFindings int
	// Color adds ANSI colours to statuses.
	Color bool
}

// WriteText writes a short human summary of the report.
func WriteText(w io.Writer, r *Report, opts TextOptions) error {
	if opts.MaxFindings == 0 {
		opts.MaxFindings = 20
	}
	p := &printer{w: w}
	src := r.Metadata.Source.Type
	if len(r.Metadata.Source.Paths) > 0 {
		src += " " + strings.Join(r.Metadata.Source.Paths, ", ")
	}
	if c := r.Metadata.Cluster; c != nil && c.Server != "" {
		src += " " + c.Server
		if c.Context != "" {
			src += " (context " + c.Context + ")"
		}
	}
	if ns := r.Metadata.Source.Namespaces; len(ns) > 0 {
		src += ", namespaces " + strings.Join(ns, ", ") + " only"
	}
	p.printf("tilsyn audit of %s, profile %s, at %s\n", src, r.Metadata.Profile, r.Metadata.GeneratedAt.Format("2006-01-02 15:04:05 MST"))
	s := r.Summary
	p.printf("Verdict: %s  (%d controls: %d pass, %d fail, %d waived, %d not assessed; %d findings",
		paint(strings.ToUpper(s.Verdict), verdictColor(s.Verdict), opts.Color),
		s.Controls.Total, s.Controls.Pass, s.Controls.Fail, s.Controls.Waived, s.Controls.NotAssessed, s.Findings["total"])
	var sev []string
	for i := len(evaluate.Severities) - 1; i >= 0; i-- {
		if n := s.Findings[evaluate.Severities[i]]; n > 0 {
			sev = append(sev, fmt.Sprintf("%d %s", n, evaluate.Severities[i]))
		}
	}
	if len(sev) > 0 {
		p.printf(": %s", strings.Join(sev, ", "))
	}
	p.printf(")\n\n")

	titleWidth := 0
	for _, c := range r.Controls {
		titleWidth = max(titleWidth, utf8.RuneCountInString(c.Title))
	}
	titleWidth = min(titleWidth, 64)
	for _, c := range r.Controls {
		detail := ""
		switch c.Status {
		case evaluate.Fail, evaluate.Waived:
			detail = findingCount(c)
		case evaluate.NotAssessed:
			detail = gapSummary(c.NotAssessed)
		}
		p.printf("  %s %-8s %-8s %-*s  %s\n", paint(fmt.Sprintf("%-12s", strings.ToUpper(string(c.Status))), statusColor(c.Status), opts.Color),
			c.ID, c.Severity, titleWidth, truncate(c.Title, titleWidth), detail)
	}

	type row struct {
		id string
		f  Finding
	}
	var all []row
	for _, c := range r.Controls {
		if c.Status != evaluate.Fail {
			continue
		}
		for _, f := range c.Findings {
			if f.Waiver == nil {
				all = append(all, row{c.ID, f})
			}
		}
	}
	if len(all) > 0 {
		sort.SliceStable(all, func(i, j int) bool {
			return evaluate.SeverityRank(all[i].f.Severity) > evaluate.SeverityRank(all[j].f.Severity)
		})
		p.printf("\nFindings (most severe first):\n")
		for i, x := range all {
			if i == opts.MaxFindings {
				p.printf("  ... and %d more in the JSON report\n", len(all)-i)
				break
			}
			p.printf("  %-8s %-8s %s\n", x.f.Severity, x.id, resourceName(x.f.Resource))
			p.printf("           %s = %s\n", x.f.Field, valueText(x.f.Value))
			p.printf("           %s\n", x.f.Message)
		}
	}

	writeEvidence(p, r)

	counts := map[string]int{}
	encrypted, workloads := 0, map[string]bool{}
	for _, row := range r.Inventory.MTLS {
		counts[row.Mode]++
		if row.Encrypted {
			encrypted++
		}
		workloads[row.Namespace+"/"+row.Workload.Kind+"/"+row.Workload.Name] = true
	}
	p.printf("\nmTLS inventory: %s, %s (%d STRICT, %d PERMISSIVE, %d DISABLE), %d encrypted in transit\n",
		plural(len(workloads), "workload"), plural(len(r.Inventory.MTLS), "row"),
		counts["STRICT"], counts["PERMISSIVE"], counts["DISABLE"], encrypted)
	p.printf("Personal-data scope: %s\n", r.Scope.PersonalData.Statement)
	var gaps []string
	for _, c := range r.Coverage {
		if c.Status != "collected" {
			g := c.Resource + " " + string(c.Status)
			if c.Reason != "" {
				g += " (" + c.Reason + ")"
			}
			gaps = append(gaps, g)
		}
	}
	if len(gaps) == 0 {
		p.printf("Coverage: every resource type collected\n")
	} else {
		p.printf("Coverage gaps: %s\n", strings.Join(gaps, "; "))
	}
	return p.err
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func resourceName(r evaluate.Resource) string {
	if r.Namespace != "" {
		return r.Kind + " " + r.Namespace + "/" + r.Name
	}
	return r.Kind + " " + r.Name
}

func valueText(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	default:
		js, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(js)
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// truncate cuts s to n runes, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

const (
	red    = "31"
	green  = "32"
	yellow = "33"
	blue   = "34"
)

func paint(s, color string, on bool) string {
	if !on || color == "" {
		return s
	}
	return "\x1b[" + color + "m" + s + "\x1b[0m"
}

func statusColor(s evaluate.Status) string {
	switch s {
	case evaluate.Pass:
		return green
	case evaluate.Fail:
		return red
	case evaluate.Waived:
		return blue
	default:
		return yellow
	}
}

func verdictColor(v string) string {
	switch v {
	case Compliant:
		return green
	case NonCompliant:
		return red
	default:
		return yellow
	}
}
