package evaluate

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDecodeFindings: findings read directly are what encoding/json makes
// of them, and shapes it would reject still fail.
func TestDecodeFindings(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      any
		wantErr bool
	}{
		{name: "empty", in: []any{}},
		{name: "usual", in: []any{
			map[string]any{"resource": map[string]any{"kind": "Pod", "namespace": "a", "name": "b"}, "field": "spec", "message": "m",
				"value": map[string]any{"n": json.Number("8080"), "l": []any{json.Number("1.5"), "x", true, nil}}, "severity": "high"},
			map[string]any{"resource": map[string]any{"kind": "Node", "name": "n"}, "field": "f", "message": "m", "value": nil},
		}},
		{name: "odd key case", in: []any{map[string]any{"Message": "m", "resource": map[string]any{"Kind": "Pod"}}}},
		{name: "extra key", in: []any{map[string]any{"message": "m", "note": "x"}}},
		{name: "wrong type", in: []any{map[string]any{"message": json.Number("1")}}, wantErr: true},
		{name: "number out of range", in: []any{map[string]any{"value": json.Number("1e999")}}, wantErr: true},
		{name: "not a list", in: map[string]any{"message": "m"}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want, got []Finding
			wantErr := decodeInto(tc.in, &want)
			gotErr := decodeFindings(tc.in, &got)
			if (gotErr != nil) != tc.wantErr || (wantErr != nil) != tc.wantErr {
				t.Fatalf("errors: direct %v, encoding/json %v; want error %v", gotErr, wantErr, tc.wantErr)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("direct reading differs from encoding/json (-json +direct):\n%s", diff)
			}
		})
	}
}
