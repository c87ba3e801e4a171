package collect

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// reference is how snapshots were encoded in one piece; Encode must give
// the same bytes, or every digest of an existing report would change.
func reference(t *testing.T, s *Snapshot) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestEncodeIsCanonicalJSON(t *testing.T) {
	at := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	nordic, err := FromManifests(ManifestOptions{Paths: []string{"../testdata/examples/nordic-fintech"}, Now: at})
	if err != nil {
		t.Fatal(err)
	}
	odd := New(Source{Type: "live", Namespaces: []string{"a"}}, at)
	odd.Metadata.Cluster = &Cluster{UID: "u", Server: "https://x"}
	odd.Resources[ConfigMaps] = []Object{{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "istio", "namespace": "a"},
		"data":     map[string]any{"mesh": "a <b> & \"c\"\n\u2028", "empty": map[string]any{}, "list": []any{}, "n": json.Number("1.50")}}}
	odd.Resources[Pods] = nil
	odd.SetCoverage(Coverage{Resource: Pods, Kind: "Pod", Status: Forbidden, Reason: "<forbidden>"})
	empty := &Snapshot{APIVersion: APIVersion}

	for name, s := range map[string]*Snapshot{"nordic-fintech": nordic, "odd values": odd, "empty": empty, "no resources": {Resources: map[string][]Object{}}} {
		t.Run(name, func(t *testing.T) {
			var got bytes.Buffer
			if err := s.Encode(&got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(reference(t, s)), got.String()); diff != "" {
				t.Errorf("Encode differs from encoding/json (-want +got):\n%s", diff)
			}
			// Objects kept as their encodings are written identically.
			raw := map[string][]rawObject{}
			for k, objs := range s.Resources {
				if objs == nil {
					continue
				}
				raw[k] = []rawObject{}
				for _, o := range objs {
					r, err := toRaw(o)
					if err != nil {
						t.Fatal(err)
					}
					raw[k] = append(raw[k], r)
				}
			}
			var fromRaw bytes.Buffer
			if err := s.encode(&fromRaw, raw); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got.String(), fromRaw.String()); diff != "" {
				t.Errorf("encoding from raw objects differs (-decoded +raw):\n%s", diff)
			}
		})
	}
}
