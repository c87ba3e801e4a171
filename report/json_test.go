package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMarshalSealsReport(t *testing.T) {
	r := norwegianReport()
	data, err := Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	recorded, computed, err := BodyDigest(data)
	if err != nil {
		t.Fatal(err)
	}
	if recorded != computed || recorded != r.Integrity.ReportSHA256 || len(recorded) != 64 {
		t.Fatalf("recorded %q, computed %q, set %q", recorded, computed, r.Integrity.ReportSHA256)
	}
	// The definition, spelled out: the bytes with the value emptied.
	emptied := strings.Replace(string(data), `"reportSHA256": "`+recorded+`"`, `"reportSHA256": ""`, 1)
	if sum := sha256.Sum256([]byte(emptied)); hex.EncodeToString(sum[:]) != recorded {
		t.Error("the digest is not the SHA-256 of the report with reportSHA256 empty")
	}
	// Marshal is stable, and sealing twice gives the same bytes.
	again, err := Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, again) {
		t.Error("marshalling a sealed report again changes it")
	}
}

// Any modified byte shows: the digest no longer matches, or the report no
// longer has one.
func TestBodyDigestDetectsEveryByte(t *testing.T) {
	data, err := Marshal(norwegianReport())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(data); i += 1 + i%5 {
		mod := bytes.Clone(data)
		mod[i] ^= 0x01
		recorded, computed, err := BodyDigest(mod)
		if err == nil && recorded == computed {
			t.Fatalf("flipping byte %d (%q) is not detected", i, data[i])
		}
	}
}

// A report read back marshals to the same bytes: verify depends on it.
func TestDecodeMarshalRoundTrip(t *testing.T) {
	for _, name := range []string{"nordic-fintech", "compliant"} {
		path := "../testdata/golden/" + name + ".json"
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		r, err := DecodeJSON(path, data)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(data), string(out)); diff != "" {
			t.Errorf("%s: decode and marshal changes the report (-file +again):\n%s", name, diff)
		}
	}
}

func TestDecodeJSONRejectsOtherDocuments(t *testing.T) {
	for _, doc := range []string{`{not json`, `{"apiVersion":"tilsyn.io/v1","kind":"Snapshot"}`} {
		if _, err := DecodeJSON("x.json", []byte(doc)); err == nil {
			t.Errorf("DecodeJSON(%s) accepted it", doc)
		}
	}
	if _, _, err := BodyDigest([]byte(`{"kind":"AuditReport"}`)); err == nil {
		t.Error("BodyDigest of a report without a digest did not fail")
	}
}

func TestIdentify(t *testing.T) {
	data, err := Marshal(norwegianReport())
	if err != nil {
		t.Fatal(err)
	}
	if err := Identify("r.json", data); err != nil {
		t.Errorf("a report: %v", err)
	}
	for _, doc := range []string{``, `[]`, `{"kind": "AuditReport", "apiVersion": "tilsyn.io/v1"}`, `{"apiVersion": "tilsyn.io/v1", "kind": "Snapshot"}`} {
		if err := Identify("x.json", []byte(doc)); err == nil || !strings.Contains(err.Error(), "not a tilsyn report") {
			t.Errorf("Identify(%q) = %v", doc, err)
		}
	}
}
