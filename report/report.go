// Package report turns audit results into evidence: the JSON AuditReport
// (what machines and later audits read) and a short text summary for the
// terminal. Reports are deterministic: the same snapshot, policies,
// profile and clock give the same bytes.
package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/geo"
	"github.com/tilsyn/tilsyn/mesh"
	"github.com/tilsyn/tilsyn/transfer"
	"github.com/tilsyn/tilsyn/waiver"
)

// Report identifiers.
const (
	APIVersion = "tilsyn.io/v1"
	Kind       = "AuditReport"
)

// Verdicts.
const (
	Compliant    = "compliant"
	NonCompliant = "non-compliant"
	Incomplete   = "incomplete"
)

// Report is the JSON evidence of one audit.
type Report struct {
	APIVersion string    `json:"apiVersion"`
	Kind       string    `json:"kind"`
	Metadata   Metadata  `json:"metadata"`
	Summary    Summary   `json:"summary"`
	Scope      Scope     `json:"scope"`
	Controls   []Control `json:"controls"`
	Inventory  Inventory `json:"inventory"`
	// Waivers are the auditor-approved waivers of the audit, each with its
	// status (active, unmatched, expired, incomplete) and the number of
	// findings it waived. Transfer bases declared by resource owners are
	// not waivers: they are in inventory.transfers[].basis.
	Waivers  []waiver.Entry     `json:"waivers"`
	Coverage []collect.Coverage `json:"coverage"`
	// UnknownKinds counts objects of kinds tilsyn does not interpret.
	UnknownKinds []collect.KindCount `json:"unknownKinds,omitempty"`
	Integrity    Integrity           `json:"integrity"`
}

// Metadata says what was audited, when, and with what.
type Metadata struct {
	ToolVersion string           `json:"toolVersion"`
	GeneratedAt time.Time        `json:"generatedAt"`
	CollectedAt time.Time        `json:"collectedAt"`
	Source      collect.Source   `json:"source"`
	Cluster     *collect.Cluster `json:"cluster,omitempty"`
	Profile     string           `json:"profile"`
	// Waivers is the waiver file given (--waivers), empty without one.
	Waivers string `json:"waivers,omitempty"`
}

// Summary is the verdict and the counts behind it.
type Summary struct {
	Verdict  string       `json:"verdict"`
	Controls StatusCounts `json:"controls"`
	// Findings counts the findings no waiver covers, by severity, plus
	// "total"; "waived" counts those a waiver covers.
	Findings map[string]int `json:"findings"`
}

// StatusCounts counts controls by status.
type StatusCounts struct {
	Total       int `json:"total"`
	Pass        int `json:"pass"`
	Fail        int `json:"fail"`
	Waived      int `json:"waived"`
	NotAssessed int `json:"notAssessed"`
}

// Scope states the personal-data scope the controls were applied to.
type Scope struct {
	PersonalData PersonalDataScope `json:"personalData"`
}

// PersonalDataScope is evaluate.Scope with the statement in words.
type PersonalDataScope struct {
	evaluate.Scope
	Statement string `json:"statement"`
}

// Control is one control's outcome.
type Control struct {
	ID          string          `json:"id"`
	Title       string          `json:"title"`
	Description string          `json:"description,omitempty"`
	Severity    string          `json:"severity"`
	Status      evaluate.Status `json:"status"`
	Articles    []string        `json:"articles"`
	References  []string        `json:"references,omitempty"`
	Remediation string          `json:"remediation,omitempty"`
	Source      string          `json:"source"`
	Findings    []Finding       `json:"findings"`
	NotAssessed []evaluate.Gap  `json:"notAssessed,omitempty"`
}

// Finding is a finding with the control's remediation filled in.
type Finding = evaluate.Finding

// Inventory holds the evidence tables. Their JSON field names are part of
// the tilsyn.io/v1 AuditReport schema:
//
//	mtls[]       mesh.Row: mode istiod enforces per workload and port
//	transfers[]  transfer.Destination: every external destination personal
//	             data can reach — ServiceEntry hosts and ports, and the
//	             telemetry sinks outside the cluster that something uses —
//	             with protocol, TLS origination, country and the basis its
//	             owner declares (the record of Art. 30(1)(e))
//	storage[]    geo.Volume: every PersistentVolume bound to a
//	             personal-data claim, with class, size, location evidence,
//	             countries and whether they are allowed
//	nodes[]      geo.Node: region, zone, country, providerID and the
//	             provider's jurisdiction of every node
//	backups[]    geo.Backup: Velero backup and snapshot locations, where
//	             they keep data, who holds it and how it is protected
type Inventory struct {
	MTLS      []mesh.Row             `json:"mtls"`
	Transfers []transfer.Destination `json:"transfers"`
	Storage   []geo.Volume           `json:"storage"`
	Nodes     []geo.Node             `json:"nodes"`
	Backups   []geo.Backup           `json:"backups"`
}

// Integrity carries the digests that tie a report to its inputs.
type Integrity struct {
	// SnapshotSHA256 is the SHA-256 of the canonical snapshot encoding
	// (collect.Snapshot.Encode).
	SnapshotSHA256 string `json:"snapshotSHA256"`
	// PolicySHA256 is the SHA-256 of the policy bundle (evaluate.Digest).
	PolicySHA256 string `json:"policySHA256"`
	// ProfileSHA256 is the SHA-256 of the effective profile's canonical JSON.
	ProfileSHA256 string `json:"profileSHA256"`
	// WaiversSHA256 is the SHA-256 of the waiver file, empty without one.
	WaiversSHA256 string `json:"waiversSHA256,omitempty"`
	// ReportSHA256 is the SHA-256 of this report's JSON as WriteJSON writes
	// it, with this field's value empty (see Marshal). It must stay the
	// last field of the last member of Report.
	ReportSHA256 string `json:"reportSHA256"`
}

// Options are the report facts that do not come from the results.
type Options struct {
	ToolVersion string
	// SnapshotDigest is the SHA-256 of the canonical snapshot; empty means
	// Build computes it.
	SnapshotDigest string
	// Results, when set, is called by Evaluate with the evaluation results
	// before the report is built (for figures such as timings that must
	// never enter the deterministic report).
	Results func(*evaluate.Results)
}

// SnapshotDigest computes the SHA-256 of a snapshot's canonical encoding.
func SnapshotDigest(s *collect.Snapshot) (string, error) {
	h := sha256.New()
	if err := s.Encode(h); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Build assembles the report of an audit.
func Build(s *collect.Snapshot, res *evaluate.Results, opts Options) (*Report, error) {
	digest := opts.SnapshotDigest
	if digest == "" {
		var err error
		if digest, err = SnapshotDigest(s); err != nil {
			return nil, err
		}
	}
	r := &Report{
		APIVersion: APIVersion,
		Kind:       Kind,
		Metadata: Metadata{
			ToolVersion: opts.ToolVersion,
			GeneratedAt: res.Now,
			CollectedAt: s.Metadata.CollectedAt,
			Source:      s.Metadata.Source,
			Cluster:     s.Metadata.Cluster,
			Profile:     res.Profile.Metadata.Name,
			Waivers:     res.WaiverSource,
		},
		Scope:        Scope{PersonalData: PersonalDataScope{Scope: res.Scope, Statement: res.Scope.Statement()}},
		Controls:     make([]Control, 0, len(res.Controls)),
		Inventory:    inventoryOf(res),
		Waivers:      res.Waivers,
		Coverage:     s.Coverage,
		UnknownKinds: s.UnknownKinds,
		Integrity: Integrity{
			SnapshotSHA256: digest,
			PolicySHA256:   res.PolicyDigest,
			ProfileSHA256:  res.ProfileDigest,
			WaiversSHA256:  res.WaiverDigest,
		},
	}
	if r.Waivers == nil {
		r.Waivers = []waiver.Entry{}
	}
	for _, cr := range res.Controls {
		c := Control{
			ID: cr.Control.ID, Title: cr.Control.Title, Description: cr.Control.Description,
			Severity: cr.Control.Severity, Status: cr.Status, Articles: cr.Control.Articles,
			References: cr.Control.References, Remediation: cr.Control.Remediation,
			Source: cr.Control.File, Findings: make([]Finding, 0, len(cr.Findings)), NotAssessed: cr.Gaps,
		}
		for _, f := range cr.Findings {
			if f.Remediation == "" {
				f.Remediation = cr.Control.Remediation
			}
			c.Findings = append(c.Findings, f)
		}
		r.Controls = append(r.Controls, c)
	}
	r.Summary = Summarise(r.Controls)
	return r, nil
}

// Summarise counts controls by status and failed findings by severity,
// and decides the verdict.
func Summarise(controls []Control) Summary {
	s := Summary{Findings: map[string]int{"total": 0, "waived": 0}}
	for _, sev := range evaluate.Severities {
		s.Findings[sev] = 0
	}
	for _, c := range controls {
		s.Controls.Total++
		switch c.Status {
		case evaluate.Pass:
			s.Controls.Pass++
		case evaluate.Fail:
			s.Controls.Fail++
		case evaluate.Waived:
			s.Controls.Waived++
		case evaluate.NotAssessed:
			s.Controls.NotAssessed++
		}
		for _, f := range c.Findings {
			switch {
			case f.Waiver != nil:
				s.Findings["waived"]++
			case c.Status == evaluate.Fail:
				s.Findings[f.Severity]++
				s.Findings["total"]++
			}
		}
	}
	switch {
	case s.Controls.Fail > 0:
		s.Verdict = NonCompliant
	case s.Controls.NotAssessed > 0:
		s.Verdict = Incomplete
	default:
		s.Verdict = Compliant
	}
	return s
}

// FailsAt reports whether a failed control has a finding at or above the
// given severity.
func (r *Report) FailsAt(severity string) bool {
	min := evaluate.SeverityRank(severity)
	for _, c := range r.Controls {
		if c.Status != evaluate.Fail {
			continue
		}
		for _, f := range c.Findings {
			if f.Waiver == nil && evaluate.SeverityRank(f.Severity) >= min {
				return true
			}
		}
	}
	return false
}

// Evaluate evaluates a snapshot at now and builds its report. The snapshot
// digest does not depend on the evaluation, so both are computed at once.
func Evaluate(ctx context.Context, e *evaluate.Engine, s *collect.Snapshot, now time.Time, opts Options) (*Report, error) {
	type digestResult struct {
		digest string
		err    error
	}
	digest := make(chan digestResult, 1)
	go func() {
		d, err := SnapshotDigest(s)
		digest <- digestResult{d, err}
	}()
	res, err := e.Evaluate(ctx, s, now)
	d := <-digest
	if err != nil {
		return nil, err
	}
	if d.err != nil {
		return nil, d.err
	}
	opts.SnapshotDigest = d.digest
	if opts.Results != nil {
		opts.Results(res)
	}
	return Build(s, res, opts)
}
