package cli

import (
	"context"
	"errors"
	"os"

	"github.com/tilsyn/tilsyn/nodeagent"
)

// runNodeAgent is `tilsyn node-agent`: the node agent of package
// nodeagent. The DaemonSet runs the same agent as the smaller
// tilsyn-node-agent binary (cmd/tilsyn-node-agent), which does not carry
// the rest of tilsyn.
func runNodeAgent(ctx context.Context, s Streams, args []string) error {
	c, err := nodeagent.ParseFlags(args, s.Out, os.Getenv)
	var ue *nodeagent.UsageError
	if errors.As(err, &ue) {
		return &usageError{ue.Err}
	}
	if err != nil {
		return err
	}
	return nodeagent.Start(ctx, c, s.Err)
}
