package cli

import (
	"context"
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/tilsyn/tilsyn/profile"
)

const profilesUsage = `Usage: tilsyn profiles list
       tilsyn profiles show NAME|FILE

list names the built-in profiles; show prints the effective profile (a
user profile merged onto the built-in one it extends) as YAML.`

const profilesExamples = `  tilsyn profiles show eea
  tilsyn profiles show ./our-profile.yaml`

func runProfiles(ctx context.Context, s Streams, args []string) error {
	fs := newFlagSet("profiles", profilesUsage, profilesExamples, s.Out)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	rest := fs.Args()
	switch {
	case len(rest) == 1 && rest[0] == "list":
		for _, n := range profile.Names() {
			p, _, err := profile.Load(n)
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Out, "%-10s %s\n", n, p.Metadata.Description)
		}
		return nil
	case len(rest) == 2 && rest[0] == "show":
		_, js, err := profile.Load(rest[1])
		if err != nil {
			return err
		}
		out, err := yaml.JSONToYAML(js)
		if err != nil {
			return err
		}
		_, err = s.Out.Write(out)
		return err
	default:
		return usagef("profiles: want 'list' or 'show NAME|FILE'")
	}
}
