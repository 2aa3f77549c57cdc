package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3archivefs/s3archivefs/test/terraform/standin/internal/awsschema"
)

func TestLowerCamel(t *testing.T) {
	for in, want := range map[string]string{
		"cidr_block":   "cidrBlock",
		"code_sha256":  "codeSha256",
		"s3_bucket":    "s3Bucket",
		"id":           "id",
		"ipv6_cidr_ab": "ipv6CidrAb",
	} {
		if got := lowerCamel(in); got != want {
			t.Errorf("lowerCamel(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMini generates the schema of a small hand-written package that has
// one of each shape, and compares it with what Terraform must see.
func TestMini(t *testing.T) {
	s, stats, err := generate("testdata/mini")
	if err != nil {
		t.Fatal(err)
	}
	if stats.unnamed != 0 {
		t.Errorf("%d computed getters without a name", stats.unnamed)
	}
	if s.Version != "9.8.7" {
		t.Errorf("version %q, want 9.8.7", s.Version)
	}
	want := map[string]string{
		"provider": `{"attributes":{"region":{"type":"string","optional":true,"computed":true}}}`,
		"mini_thing": `{"attributes":{` +
			`"arn":{"type":"string","computed":true},` +
			`"enabled":{"type":"bool","optional":true,"computed":true},` +
			`"endpoints":{"type":["set",["object",{"address":"string","port":"number"}]],"computed":true},` +
			`"labels":{"type":["map","string"],"computed":true},` +
			`"name":{"type":"string","required":true},` +
			`"ready":{"type":"bool","computed":true},` +
			`"rule":{"type":["set",["object",{"cidrs":["list","string"],"port":"number"}]],"optional":true,"computed":true},` +
			`"size":{"type":"number","optional":true,"computed":true},` +
			`"tags":{"type":["map","string"],"optional":true,"computed":true},` +
			`"zone_ids":{"type":["set","string"],"optional":true,"computed":true}},` +
			`"blocks":{` +
			`"network":{"nesting":"list","min_items":1,"max_items":1,"block":{"attributes":{` +
			`"subnet_ids":{"type":["set","string"],"required":true},"vpc_id":{"type":"string","computed":true}},` +
			`"blocks":{"option":{"nesting":"list","block":{"attributes":{"value":{"type":"dynamic","optional":true,"computed":true}}}}}}},` +
			`"timeouts":{"nesting":"single","block":{"attributes":{"create":{"type":"string","optional":true,"computed":true}}}}}}`,
	}
	got := map[string]*awsschema.Block{"provider": s.Provider, "mini_thing": s.Resources["mini_thing"]}
	for name, w := range want {
		var wb awsschema.Block
		if err := json.Unmarshal([]byte(w), &wb); err != nil {
			t.Fatalf("%s: bad expectation: %v", name, err)
		}
		g, _ := json.Marshal(got[name])
		e, _ := json.Marshal(&wb)
		if string(g) != string(e) {
			t.Errorf("%s:\n got %s\nwant %s", name, g, e)
		}
	}
}

// TestAWS generates the real schema, when the npm package is installed
// (test/terraform/standin/standin.sh), and checks facts of the provider and the
// rules Terraform enforces on every schema.
func TestAWS(t *testing.T) {
	tools := os.Getenv("S3ARCHIVEFS_TOOLS")
	if tools == "" {
		gopath, err := exec.Command("go", "env", "GOPATH").Output()
		if err != nil {
			t.Fatalf("go env GOPATH: %v", err)
		}
		tools = filepath.Join(strings.TrimSpace(string(gopath)), "s3archivefs-tools")
	}
	pkg := filepath.Join(tools, "cdktf-provider-aws-21.22.1", "node_modules", "@cdktf", "provider-aws")
	if _, err := os.Stat(filepath.Join(pkg, ".jsii")); err != nil {
		if os.Getenv("S3ARCHIVEFS_REQUIRE_TF") != "" {
			t.Fatalf("%s not installed (run test/terraform/standin/standin.sh)", pkg)
		}
		t.Skipf("skipping: %s not installed; run test/terraform/standin/standin.sh, or set S3ARCHIVEFS_REQUIRE_TF=1 to make this a failure", pkg)
	}
	s, _, err := generate(pkg)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != "6.25.0" || len(s.Resources) < 1500 || len(s.DataSources) < 600 {
		t.Fatalf("version %s, %d resources, %d data sources", s.Version, len(s.Resources), len(s.DataSources))
	}
	lambda := s.Resources["aws_lambda_function"]
	for _, tc := range []struct {
		what string
		got  any
		want any
	}{
		{"function_name required", lambda.Attributes["function_name"].Required, true},
		{"arn computed only", lambda.Attributes["arn"].Computed && !lambda.Attributes["arn"].Optional, true},
		{"layers list", string(lambda.Attributes["layers"].Type), `["list","string"]`},
		{"vpc_config nesting", lambda.Blocks["vpc_config"].Nesting, "list"},
		{"vpc_config max", lambda.Blocks["vpc_config"].MaxItems, 1},
		{"vpc_config subnet_ids", string(lambda.Blocks["vpc_config"].Block.Attributes["subnet_ids"].Type), `["set","string"]`},
		{"timeouts single", lambda.Blocks["timeouts"].Nesting, "single"},
		{"security group ingress is an attribute", s.Resources["aws_security_group"].Attributes["ingress"] != nil, true},
		{"olap configuration required", s.Resources["aws_s3control_object_lambda_access_point"].Blocks["configuration"].MinItems, 1},
		{"policy statement list", s.DataSources["aws_iam_policy_document"].Blocks["statement"].Nesting, "list"},
		{"provider default_tags", s.Provider.Blocks["default_tags"] != nil, true},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.what, tc.got, tc.want)
		}
	}
	var check func(path string, b *awsschema.Block)
	check = func(path string, b *awsschema.Block) {
		for name, a := range b.Attributes {
			if !a.Required && !a.Optional && !a.Computed || a.Required && (a.Optional || a.Computed) {
				t.Errorf("%s.%s: invalid flags %+v", path, name, a)
			}
			if b.Blocks[name] != nil {
				t.Errorf("%s.%s: both attribute and block", path, name)
			}
		}
		for name, nb := range b.Blocks {
			p := path + "." + name
			if nb.Nesting == awsschema.NestingSingle && nb.MinItems != nb.MaxItems {
				t.Errorf("%s: single nesting with min %d max %d", p, nb.MinItems, nb.MaxItems)
			}
			if nb.Nesting == awsschema.NestingSet && strings.Contains(mustString(blockObject(nb.Block)), `"dynamic"`) {
				t.Errorf("%s: set block holds a dynamic type", p)
			}
			check(p, nb.Block)
		}
	}
	for name, b := range s.Resources {
		check(name, b)
	}
	for name, b := range s.DataSources {
		check("data."+name, b)
	}
}

func mustString(v any) string {
	return string(mustJSON(v))
}
