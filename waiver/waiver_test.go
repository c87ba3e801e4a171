package waiver

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const file = `apiVersion: tilsyn.io/v1
kind: WaiverList
waivers:
- id: W-1
  control: EGR-02
  resources:
  - {kind: ServiceEntry, namespace: payments, name: card-api}
  justification: SCCs signed, TIA-7
  approvedBy: DPO
  expires: 2027-03-31
- control: MESH-05
  resources:
  - {kind: StatefulSet, selector: app=ledger-db}
  justification: replication bypass, accepted until migration
  approvedBy: CISO
  expires: "2027-01-01T00:00:00Z"
- control: EGR-03
  resources: [{name: anything}]
  justification: old
  approvedBy: DPO
  expires: 2026-11-20
- control: EGR-03
  resources: [{kind: ServiceEntry}]
  expires: someday
- control: ACC-02
  resources: [{name: x}]
  justification: j
  approvedBy: a
  expires: 2030-01-01
- control: LOC-01
  resources: [{kind: Node, name: never-there}]
  justification: j
  approvedBy: a
  expires: 2030-01-01
`

var now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func TestApply(t *testing.T) {
	s, err := Parse("w.yaml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	a := s.At(now)
	if !a.NeedsLabels() {
		t.Error("a selector waiver needs labels")
	}
	noLabels := func() map[string]string { return nil }
	if e, ok := a.Match("EGR-02", "ServiceEntry", "payments", "card-api", noLabels); !ok || e.Ref != "W-1" {
		t.Errorf("W-1 did not match: %+v", e)
	}
	if _, ok := a.Match("EGR-02", "ServiceEntry", "payments", "other", noLabels); ok {
		t.Error("matched another name")
	}
	if _, ok := a.Match("EGR-03", "ServiceEntry", "payments", "card-api", noLabels); ok {
		t.Error("a waiver for another control matched")
	}
	ledger := func() map[string]string { return map[string]string{"app": "ledger-db"} }
	if e, ok := a.Match("MESH-05", "StatefulSet", "ledger", "ledger-db", ledger); !ok || e.Ref != "waivers[1]" {
		t.Errorf("selector waiver did not match: %+v", e)
	}
	if _, ok := a.Match("MESH-05", "Deployment", "ledger", "ledger-db", ledger); ok {
		t.Error("selector waiver matched another kind")
	}
	if _, ok := a.Match("EGR-03", "X", "ns", "anything", noLabels); ok {
		t.Error("an expired waiver waived a finding")
	}
	if _, ok := a.Match("ACC-02", "Waiver", "", "x", noLabels); ok {
		t.Error("ACC-02 was waived")
	}
	type st struct {
		Ref, Status string
		Matched     int
		Problems    int
	}
	var got []st
	for _, e := range a.Entries() {
		got = append(got, st{e.Ref, e.Status, e.Matched, len(e.Problems)})
	}
	want := []st{
		{"W-1", Active, 1, 0}, {"waivers[1]", Active, 1, 0}, {"waivers[2]", Expired, 0, 0},
		{"waivers[3]", Incomplete, 0, 4}, {"waivers[4]", Incomplete, 0, 0 + 1}, {"waivers[5]", Unmatched, 0, 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	var inc []string
	for _, p := range a.Entries()[3].Problems {
		inc = append(inc, fmt.Sprintf("%s=%v: %s", p.Field, p.Value, p.Message))
	}
	for _, want := range []string{"waivers[3].justification=<nil>: missing", "waivers[3].approvedBy=<nil>: missing",
		`waivers[3].expires=someday: neither a date`, "waivers[3].resources[0]={ServiceEntry   }: give a name or a label selector"} {
		if !strings.Contains(strings.Join(inc, "\n"), want) {
			t.Errorf("problems %q lack %q", inc, want)
		}
	}
}

// A date is valid through that day; an RFC 3339 time until that instant.
func TestExpiry(t *testing.T) {
	w := Waiver{Control: "X-1", Resources: []Resource{{Name: "a"}}, Justification: "j", ApprovedBy: "a"}
	for _, c := range []struct {
		expires string
		at      time.Time
		want    string
	}{
		{"2026-11-21", now, Unmatched},
		{"2026-11-21", time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), Expired},
		{"2026-11-21T12:00:00Z", now, Expired},
		{"2026-11-21T12:00:01Z", now, Unmatched},
	} {
		w.Expires = c.expires
		s := &Set{Waivers: []Waiver{w}}
		if got := s.At(c.at).Entries()[0].Status; got != c.want {
			t.Errorf("expires %s at %s: %s, want %s", c.expires, c.at, got, c.want)
		}
	}
	var none *Set
	if len(none.At(now).Entries()) != 0 {
		t.Error("no waivers")
	}
}

func TestBadFiles(t *testing.T) {
	cases := map[string]struct{ text, want string }{
		"yaml":          {"waivers: [unclosed\n", "invalid YAML"},
		"kind":          {"apiVersion: tilsyn.io/v1\nkind: Waivers\nwaivers: []\n", `kind "Waivers"`},
		"unknown field": {"apiVersion: tilsyn.io/v1\nkind: WaiverList\nwaivers:\n- control: X\n  justifcation: typo\n", `unknown field "justifcation"`},
		"not a list":    {"apiVersion: tilsyn.io/v1\nkind: WaiverList\nwaivers: {control: X}\n", "cannot unmarshal"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "waivers.yaml")
			if err := os.WriteFile(p, []byte(c.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(p)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("err = %v, want it to name the file and contain %q", err, c.want)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}
