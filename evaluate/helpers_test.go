package evaluate

import (
	"testing"

	"github.com/tilsyn/tilsyn/profile"
)

func testProfile(t *testing.T) *profile.Profile {
	t.Helper()
	p, _, err := profile.Load(profile.Default)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func testProfileJSON(t *testing.T) []byte {
	t.Helper()
	_, js, err := profile.Load(profile.Default)
	if err != nil {
		t.Fatal(err)
	}
	return js
}
