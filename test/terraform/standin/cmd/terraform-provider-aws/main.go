// Command terraform-provider-aws is the offline stand-in for hashicorp/aws
// (see package provider). Terraform starts it from a filesystem mirror; it
// reads schema.json from its own directory, where test/terraform/standin/standin.sh
// puts it.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-go/tfprotov5/tf5server"

	"github.com/s3archivefs/s3archivefs/test/terraform/standin/internal/awsschema"
	"github.com/s3archivefs/s3archivefs/test/terraform/standin/internal/provider"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "terraform-provider-aws (stand-in):", err)
		os.Exit(1)
	}
}

func run() error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("locate executable: %w", err)
	}
	s, err := awsschema.Load(filepath.Join(filepath.Dir(exe), "schema.json"))
	if err != nil {
		return err
	}
	p, err := provider.New(s)
	if err != nil {
		return err
	}
	return tf5server.Serve(provider.Address, func() tfprotov5.ProviderServer { return p })
}
