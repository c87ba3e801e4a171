package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/internal/testcluster"
	"github.com/tilsyn/tilsyn/profile"
	"github.com/tilsyn/tilsyn/report"
)

const nordic = "testdata/examples/nordic-fintech"

func decodeReport(t *testing.T, out string) *report.Report {
	t.Helper()
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	return &r
}

func decodeSnapshot(t *testing.T, out string) *collect.Snapshot {
	t.Helper()
	s, err := collect.DecodeSnapshot("stdout", []byte(out))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// requires returns each built-in control's required resource types.
func requires(t *testing.T) map[string][]string {
	t.Helper()
	prof, profJSON, err := profile.Load(profile.Default)
	if err != nil {
		t.Fatal(err)
	}
	e, err := evaluate.New(context.Background(), evaluate.Options{Profile: prof, ProfileJSON: profJSON})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, c := range e.Controls() {
		out[c.ID] = c.Requires
	}
	return out
}

func kubeconfig(t *testing.T, c *testcluster.Cluster, token, context string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := c.WriteKubeconfig(path, token, context); err != nil {
		t.Fatal(err)
	}
	return path
}

// setAsideInfrastructure removes, from both reports, the infrastructure
// types the offline audit reports absent (no objects in the manifests) and
// the live audit collected, and the controls that need them, after checking
// that those controls are not assessed offline and assessed live. The
// summaries are recomputed from the controls left. It returns the ids of
// the controls set aside.
func setAsideInfrastructure(t *testing.T, offline, live *report.Report) []string {
	t.Helper()
	gaps := map[string]bool{}
	for _, cov := range offline.Coverage {
		typ, _ := collect.TypeByKey(cov.Resource)
		if typ.Infrastructure && cov.Status == collect.Absent {
			gaps[cov.Resource] = true
		}
	}
	keepCoverage := func(r *report.Report, live bool) {
		var kept []collect.Coverage
		for _, cov := range r.Coverage {
			if !gaps[cov.Resource] {
				kept = append(kept, cov)
			} else if live && cov.Status != collect.Collected {
				t.Errorf("live coverage of %s: %s %q", cov.Resource, cov.Status, cov.Reason)
			}
		}
		r.Coverage = kept
	}
	keepCoverage(offline, false)
	keepCoverage(live, true)
	req := requires(t)
	var ids []string
	for _, ctl := range offline.Controls {
		if slices.ContainsFunc(req[ctl.ID], func(k string) bool { return gaps[k] }) {
			ids = append(ids, ctl.ID)
			if ctl.Status != evaluate.NotAssessed {
				t.Errorf("%s is %s offline, want not-assessed", ctl.ID, ctl.Status)
			}
		}
	}
	for _, r := range []*report.Report{offline, live} {
		var kept []report.Control
		for _, ctl := range r.Controls {
			if !slices.Contains(ids, ctl.ID) {
				kept = append(kept, ctl)
			} else if r == live && ctl.Status == evaluate.NotAssessed {
				t.Errorf("%s is not assessed live: %+v", ctl.ID, ctl.NotAssessed)
			}
		}
		r.Controls = kept
		if len(ids) > 0 {
			r.Summary = report.Summarise(kept)
		}
	}
	return ids
}

// isCreationTimestampValue matches the value of a finding on
// metadata.creationTimestamp.
func isCreationTimestampValue(p cmp.Path) bool {
	if sf, ok := p.Last().(cmp.StructField); !ok || sf.Name() != "Value" || len(p) < 2 {
		return false
	}
	vx, vy := p.Index(-2).Values()
	if !vx.IsValid() || !vy.IsValid() {
		return false
	}
	fx, okx := vx.Interface().(evaluate.Finding)
	fy, oky := vy.Interface().(evaluate.Finding)
	return okx && oky && fx.Field == "metadata.creationTimestamp" && fy.Field == fx.Field
}

func identity(o collect.Object) string {
	m := collect.Meta(o)
	return m.Namespace + "/" + m.Name
}

// The nordic-fintech sample, created in a real API server and audited
// live, gives the report its manifests give; a restricted token gives
// not-assessed for exactly the controls that need what it cannot read.
func TestLiveAudit(t *testing.T) {
	ctx := context.Background()
	c := testcluster.Start(t, testcluster.Options{})
	if err := c.InstallCRDs(ctx, append(testcluster.IstioCRDs(), testcluster.VeleroCRDs()...)); err != nil {
		t.Fatal(err)
	}
	offlineSnap, err := c.CreateFromDir(ctx, nordic, testcluster.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	adminKC := kubeconfig(t, c, c.AdminToken, "admin")
	// Live audits are evaluated at a time after the collection (ACC-01
	// flags a snapshot that claims to be younger than its audit); the
	// offline audit it is compared with uses the same time.
	now := auditTimeAfterNow()
	liveOut, errOut, liveCode := run(t, "", "audit", "--kubeconfig", adminKC, "--now", now, "--format", "json")
	if liveCode == ExitError {
		t.Fatalf("live audit: exit 2: %s", errOut)
	}
	if errOut != "" {
		t.Errorf("progress or messages on a stderr that is not a terminal: %q", errOut)
	}
	live := decodeReport(t, liveOut)
	liveAdmin := decodeReport(t, liveOut) // kept whole: "matches offline" trims live

	t.Run("matches offline", func(t *testing.T) {
		offOut, _, offCode := run(t, "", "audit", "-f", nordic, "--now", now, "--format", "json")
		offline := decodeReport(t, offOut)
		// A manifest audit reports infrastructure types (nodes, volumes,
		// storage and backup locations) the manifests have no objects of as
		// absent: manifests cannot tell what the cluster has. The live
		// cluster is asked and answers, so the controls that need them are
		// assessed live and not offline; they are checked for exactly that
		// and set aside, with those types' coverage.
		setAside := setAsideInfrastructure(t, offline, live)
		if len(setAside) == 0 && liveCode != offCode {
			t.Errorf("exit %d live, %d offline", liveCode, offCode)
		}
		// Ignored, and why:
		//  - metadata.collectedAt, source, cluster: where and when the
		//    state was read (a live cluster at the time of reading,
		//    manifests at --now; only a live audit has a cluster);
		//  - integrity.snapshotSHA256: the live snapshot holds what the
		//    API server adds to every object (uid, resourceVersion,
		//    creationTimestamp, defaulted fields, status);
		//  - integrity.reportSHA256: the digest of the report itself,
		//    which holds the fields above;
		//  - unknownKinds: only manifests keep objects of kinds tilsyn does
		//    not interpret; a live collection lists registered types only;
		//  - coverage counts: the API server holds objects of its own
		//    (system namespaces, the kubernetes Service); they are
		//    checked in "counts" instead;
		//  - the value of a finding on metadata.creationTimestamp: the API
		//    server sets it when it creates an object, whatever the
		//    manifest says (the order of creation follows the manifests,
		//    see testcluster.Create, so the decisions that depend on age
		//    are the same and compared).
		opts := cmp.Options{
			cmpopts.IgnoreFields(report.Metadata{}, "CollectedAt", "Source", "Cluster"),
			cmpopts.IgnoreFields(report.Integrity{}, "SnapshotSHA256", "ReportSHA256"),
			cmpopts.IgnoreFields(report.Report{}, "UnknownKinds"),
			cmpopts.IgnoreFields(collect.Coverage{}, "Count"),
			cmp.FilterPath(isCreationTimestampValue, cmp.Ignore()),
		}
		if diff := cmp.Diff(offline, live, opts); diff != "" {
			t.Errorf("live audit differs from the offline audit of the same manifests (-offline +live):\n%s", diff)
		}
		cl := live.Metadata.Cluster
		if cl == nil || cl.UID == "" || cl.Server != c.URL || cl.Context != "admin" || !strings.HasPrefix(cl.ServerVersion, "v1.") {
			t.Errorf("metadata.cluster = %+v", cl)
		}
		if live.Metadata.Source.Type != "live" || len(live.Metadata.Source.Namespaces) != 0 {
			t.Errorf("metadata.source = %+v", live.Metadata.Source)
		}
	})

	t.Run("counts", func(t *testing.T) {
		out, errOut, code := run(t, "", "collect", "--kubeconfig", adminKC)
		if code != 0 {
			t.Fatalf("collect: exit %d: %s", code, errOut)
		}
		liveSnap := decodeSnapshot(t, out)
		sampleNS := map[string]bool{}
		for _, o := range offlineSnap.Resources[collect.Namespaces] {
			sampleNS[collect.Meta(o).Name] = true
		}
		for _, typ := range collect.Registry {
			got := map[string]bool{}
			for _, o := range liveSnap.Resources[typ.Key] {
				got[identity(o)] = true
			}
			want := map[string]bool{}
			for _, o := range offlineSnap.Resources[typ.Key] {
				want[identity(o)] = true
				if !got[identity(o)] {
					t.Errorf("%s %s is in the sample but was not collected", typ.Kind, identity(o))
				}
			}
			// Anything else is the API server's own, outside the sample.
			for id := range got {
				ns, name, _ := strings.Cut(id, "/")
				if !want[id] && (sampleNS[ns] || typ.Key == collect.Namespaces && sampleNS[name]) {
					t.Errorf("%s %s was collected but is not in the sample", typ.Kind, id)
				}
			}
			if cov, _ := liveSnap.CoverageOf(typ.Key); cov.Status != collect.Collected || cov.Count != len(got) {
				t.Errorf("%s coverage %+v, want collected with %d", typ.Key, cov, len(got))
			}
		}
	})

	t.Run("restricted token", func(t *testing.T) {
		forbidden := map[string]bool{collect.PersistentVolumes: true}
		var rules []rbacv1.PolicyRule
		for _, typ := range collect.Registry {
			if strings.HasSuffix(typ.Group, "istio.io") {
				forbidden[typ.Key] = true
			}
			if !forbidden[typ.Key] {
				rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{typ.Group}, Resources: []string{typ.Key}, Verbs: []string{"get", "list"}})
			}
		}
		tok, err := c.RestrictedToken(ctx, "default", "no-pvs-no-istio", rules)
		if err != nil {
			t.Fatal(err)
		}
		out, errOut, code := run(t, "", "audit", "--kubeconfig", kubeconfig(t, c, tok, "restricted"), "--now", now, "--format", "json")
		if code == ExitError {
			t.Fatalf("exit 2: %s", errOut)
		}
		r := decodeReport(t, out)
		for _, cov := range r.Coverage {
			if forbidden[cov.Resource] != (cov.Status == collect.Forbidden) || cov.Status == collect.Failed {
				t.Errorf("coverage %s: %s %q", cov.Resource, cov.Status, cov.Reason)
			}
		}
		req := requires(t)
		byID := map[string]report.Control{}
		for _, ctl := range liveAdmin.Controls {
			byID[ctl.ID] = ctl
		}
		notAssessed, fails := 0, false
		for _, ctl := range r.Controls {
			needsForbidden := slices.ContainsFunc(req[ctl.ID], func(k string) bool { return forbidden[k] })
			switch {
			case ctl.ID == "ACC-01":
				// ACC-01 is the audit's account of its own coverage: it
				// names every type that was not collected.
				notAssessed++
				var reasons []string
				for _, g := range ctl.NotAssessed {
					reasons = append(reasons, g.Reason)
				}
				for key := range forbidden {
					if !slices.ContainsFunc(reasons, func(r string) bool { return strings.HasPrefix(r, key+" forbidden") }) {
						t.Errorf("ACC-01 does not name forbidden %s: %v", key, reasons)
					}
				}
			case byID[ctl.ID].Status == evaluate.NotAssessed:
				// Not assessed with full access already (RES-01 without
				// node agent records): judged as with full access.
				notAssessed++
				if diff := cmp.Diff(byID[ctl.ID], ctl); diff != "" {
					t.Errorf("%s differs from the admin audit:\n%s", ctl.ID, diff)
				}
			case needsForbidden:
				notAssessed++
				if ctl.Status != evaluate.NotAssessed {
					t.Errorf("%s needs %v, some forbidden, but is %s", ctl.ID, req[ctl.ID], ctl.Status)
				}
				for _, g := range ctl.NotAssessed {
					if !strings.Contains(g.Reason, "forbidden") {
						t.Errorf("%s: reason %q does not say forbidden", ctl.ID, g.Reason)
					}
				}
			default:
				// Everything else is judged as with full access.
				if diff := cmp.Diff(byID[ctl.ID], ctl); diff != "" {
					t.Errorf("%s differs from the admin audit:\n%s", ctl.ID, diff)
				}
			}
			fails = fails || ctl.Status == evaluate.Fail
		}
		if notAssessed == 0 {
			t.Error("no control depends on PersistentVolumes or Istio resources")
		}
		wantCode, wantVerdict := ExitNotAssessed, report.Incomplete
		if fails {
			wantCode, wantVerdict = ExitFail, report.NonCompliant
		}
		if code != wantCode || r.Summary.Verdict != wantVerdict || r.Summary.Controls.NotAssessed != notAssessed {
			t.Errorf("exit %d, verdict %s, %d not assessed; want %d, %s, %d", code, r.Summary.Verdict, r.Summary.Controls.NotAssessed,
				wantCode, wantVerdict, notAssessed)
		}
	})

	t.Run("namespace scope", func(t *testing.T) {
		out, errOut, code := run(t, "", "audit", "--kubeconfig", adminKC, "-n", "payments", "--now", now, "--format", "json")
		if code == ExitError {
			t.Fatalf("exit 2: %s", errOut)
		}
		r := decodeReport(t, out)
		if diff := cmp.Diff([]string{"istio-system", "payments"}, r.Metadata.Source.Namespaces); diff != "" {
			t.Errorf("source.namespaces (-want +got):\n%s", diff)
		}
		for _, row := range r.Inventory.MTLS {
			if row.Namespace != "payments" && row.Namespace != "istio-system" {
				t.Errorf("inventory row outside the scope: %+v", row)
			}
		}
		text, _, _ := run(t, "", "audit", "--kubeconfig", adminKC, "-n", "payments", "--now", now, "--format", "text")
		if !strings.Contains(text, "namespaces istio-system, payments only") {
			t.Errorf("the summary does not state the narrowed scope:\n%s", text)
		}
	})
}

// A cluster without Istio is audited, not crashed: Istio's resources are
// absent, the controls that need them are not assessed, and the verdict is
// incomplete unless something assessed fails.
func TestLiveAuditWithoutIstio(t *testing.T) {
	ctx := context.Background()
	c := testcluster.Start(t, testcluster.Options{})
	snap, err := collect.FromManifests(collect.ManifestOptions{Paths: []string{"testdata/examples/compliant"}})
	if err != nil {
		t.Fatal(err)
	}
	var objs []collect.Object
	for _, typ := range collect.Registry {
		if c.Serves(schema.GroupVersionKind{Group: typ.Group, Version: typ.Version, Kind: typ.Kind}) {
			objs = append(objs, snap.Resources[typ.Key]...)
		}
	}
	if err := c.Create(ctx, objs, testcluster.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kc := kubeconfig(t, c, c.AdminToken, "no-istio")
	now := auditTimeAfterNow()
	out, errOut, code := run(t, "", "audit", "--kubeconfig", kc, "--now", now, "--format", "json")
	if code == ExitError {
		t.Fatalf("exit 2: %s", errOut)
	}
	r := decodeReport(t, out)
	absent := map[string]bool{}
	for _, cov := range r.Coverage {
		switch {
		case cov.Group != "" && strings.HasSuffix(cov.Group, "istio.io") || cov.Group == "velero.io":
			absent[cov.Resource] = true
			if cov.Status != collect.Absent || !strings.Contains(cov.Reason, "API group "+cov.Group+" is not served") {
				t.Errorf("coverage %s: %s %q, want absent", cov.Resource, cov.Status, cov.Reason)
			}
		case cov.Status != collect.Collected:
			t.Errorf("coverage %s: %s %q", cov.Resource, cov.Status, cov.Reason)
		}
	}
	req := requires(t)
	fails, notAssessed := false, 0
	for _, ctl := range r.Controls {
		if slices.ContainsFunc(req[ctl.ID], func(k string) bool { return absent[k] }) {
			notAssessed++
			if ctl.Status != evaluate.NotAssessed || len(ctl.NotAssessed) == 0 || !strings.Contains(ctl.NotAssessed[0].Reason, "absent") {
				t.Errorf("%s: %s %+v, want not-assessed (absent)", ctl.ID, ctl.Status, ctl.NotAssessed)
			}
		} else if ctl.Status == evaluate.NotAssessed {
			// Only two controls may be not assessed for other reasons:
			// ACC-01, which reports the absent types themselves, and
			// RES-01, whose node records come from the node agent.
			for _, g := range ctl.NotAssessed {
				ok := ctl.ID == "ACC-01" && strings.Contains(g.Reason, " absent") ||
					ctl.ID == "RES-01" && strings.Contains(g.Reason, "node agent")
				if !ok {
					t.Errorf("%s not assessed: %+v", ctl.ID, g)
				}
			}
		}
		fails = fails || ctl.Status == evaluate.Fail
	}
	if notAssessed == 0 {
		t.Error("no control depends on Istio resources")
	}
	if !fails && (code != ExitNotAssessed || r.Summary.Verdict != report.Incomplete) {
		t.Errorf("exit %d, verdict %s; want %d, incomplete", code, r.Summary.Verdict, ExitNotAssessed)
	}
	text, _, _ := run(t, "", "audit", "--kubeconfig", kc, "--now", now, "--format", "text")
	if !fails && !strings.Contains(text, "Verdict: INCOMPLETE") {
		t.Errorf("text summary:\n%s", text)
	}
}

// Progress names each resource type with its count or why it is missing.
func TestProgress(t *testing.T) {
	var b strings.Builder
	p := &progress{w: &b, start: time.Now()}
	p.begin(&collect.Connection{Config: &rest.Config{Host: "https://k8s.example:6443"}, Context: "prod"}, []string{"payments"})
	p.update(collect.Progress{Resource: "pods", Count: 500})
	p.update(collect.Progress{Resource: "pods", Done: true, Coverage: collect.Coverage{Resource: "pods", Status: collect.Collected, Count: 1234}})
	p.update(collect.Progress{Resource: "peerauthentications", Done: true,
		Coverage: collect.Coverage{Resource: "peerauthentications", Status: collect.Absent, Reason: "API group security.istio.io is not served"}})
	p.end([]collect.Coverage{{Resource: "pods", Status: collect.Collected, Count: 1234}, {Resource: "peerauthentications", Status: collect.Absent}})
	got := b.String()
	for _, want := range []string{
		"Collecting from https://k8s.example:6443 (context prod), namespaces istio-system, payments\n",
		"  pods                         1234\n",
		"  peerauthentications        absent  API group security.istio.io is not served\n",
		"Collected 1234 objects from 1 of 2 resource types in ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("progress lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "pods") != 1 {
		t.Errorf("a page event was printed:\n%s", got)
	}
}

// auditTimeAfterNow is an audit time (--now) safely after any collection
// the test makes, to the second.
func auditTimeAfterNow() string {
	return time.Now().Add(time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
}
