package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// digestKey is how the report digest's key appears in the JSON. Integrity
// is the last member of Report and ReportSHA256 the last field of
// Integrity, so the key's last occurrence in the file is the real one.
const digestKey = `"reportSHA256": "`

// Marshal encodes the report as indented JSON and seals it: the value of
// integrity.reportSHA256 becomes the SHA-256 (lower-case hex) of these
// same bytes with that value empty, and r.Integrity.ReportSHA256 is set to
// it. Anyone can recompute the digest by deleting the 64 hex digits
// after the last `"reportSHA256": "` and hashing the rest (BodyDigest).
func Marshal(r *Report) ([]byte, error) {
	sealed := *r
	sealed.Integrity.ReportSHA256 = ""
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&sealed); err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	data := buf.Bytes()
	at := bytes.LastIndex(data, []byte(digestKey+`"`))
	if at < 0 {
		return nil, fmt.Errorf("encode report: %s missing", digestKey)
	}
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	// Insert the digest in place: a large report is not copied again.
	at += len(digestKey)
	n := len(data)
	data = append(data, digest...)
	copy(data[at+len(digest):], data[at:n])
	copy(data[at:], digest)
	r.Integrity.ReportSHA256 = digest
	return data, nil
}

// WriteJSON writes the sealed report (see Marshal).
func WriteJSON(w io.Writer, r *Report) error {
	data, err := Marshal(r)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// BodyDigest returns the report digest recorded in a report file and the
// one computed from its bytes (see Marshal). They differ when any byte of
// the file changed after it was written.
func BodyDigest(data []byte) (recorded, computed string, err error) {
	at := bytes.LastIndex(data, []byte(digestKey))
	if at < 0 {
		return "", "", fmt.Errorf("no integrity.reportSHA256: not a report written by this version of tilsyn")
	}
	at += len(digestKey)
	end := bytes.IndexByte(data[at:], '"')
	if end < 0 {
		return "", "", fmt.Errorf("integrity.reportSHA256 is not a JSON string")
	}
	recorded = string(data[at : at+end])
	h := sha256.New()
	h.Write(data[:at])
	h.Write(data[at+end:])
	return recorded, hex.EncodeToString(h.Sum(nil)), nil
}

// DecodeJSON parses a report; name is used in errors. Numbers in finding
// values stay json.Number, so a decoded report marshals to the same bytes.
func DecodeJSON(name string, data []byte) (*Report, error) {
	var r Report
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("report %s: not a tilsyn report: %w", name, err)
	}
	if r.APIVersion != APIVersion || r.Kind != Kind {
		return nil, fmt.Errorf("report %s: not a tilsyn report: apiVersion %q kind %q, want %s %s", name, r.APIVersion, r.Kind, APIVersion, Kind)
	}
	return &r, nil
}

// Identify checks, without decoding the whole document, that data starts
// as a report written by WriteJSON does: apiVersion, then kind.
func Identify(name string, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var head [5]any
	for i := range head {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("report %s: not a tilsyn report: %w", name, err)
		}
		head[i] = tok
	}
	if head[0] != json.Delim('{') || head[1] != "apiVersion" || head[2] != APIVersion || head[3] != "kind" || head[4] != Kind {
		return fmt.Errorf("report %s: not a tilsyn report: it does not start with apiVersion %s, kind %s", name, APIVersion, Kind)
	}
	return nil
}

// ReadJSON loads a report written by WriteJSON.
func ReadJSON(path string) (*Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return DecodeJSON(path, data)
}
