package cli

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/tilsyn/tilsyn/signature"
)

const keygenUsage = `Usage: tilsyn keygen [flags]

Make an Ed25519 key pair for signing evidence: PREFIX.key, the private key
(PEM PKCS #8, readable only by you), for 'tilsyn audit --sign', and
PREFIX.pub, the public key (PEM PKIX), for 'tilsyn verify --key'.`

const keygenExamples = `  tilsyn keygen --out keys/audit
  tilsyn audit -f k8s/ --out evidence/ --sign keys/audit.key
  tilsyn verify evidence/tilsyn-report.json --key keys/audit.pub`

type keygenConfig struct {
	Prefix string
	Force  bool
}

func parseKeygenFlags(args []string, s Streams) (keygenConfig, error) {
	var c keygenConfig
	fs := newFlagSet("keygen", keygenUsage, keygenExamples, s.Out)
	fs.StringVarP(&c.Prefix, "out", "o", "tilsyn", "path prefix of the key files (PREFIX.key and PREFIX.pub)")
	fs.BoolVar(&c.Force, "force", false, "replace existing key files")
	if err := parseFlags(fs, args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, usagef("keygen takes no arguments; give the path prefix with --out")
	}
	if c.Prefix == "" {
		return c, usagef("--out: give a path prefix such as keys/audit")
	}
	return c, nil
}

func runKeygen(ctx context.Context, s Streams, args []string) error {
	c, err := parseKeygenFlags(args, s)
	if err != nil {
		return err
	}
	pub, priv, err := signature.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	privPath, pubPath := c.Prefix+".key", c.Prefix+".pub"
	if err := signature.WriteKeyPair(privPath, pubPath, pub, priv, c.Force); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "Key %s: private key %s (keep it secret), public key %s\n", signature.KeyID(pub), privPath, pubPath)
	return nil
}
