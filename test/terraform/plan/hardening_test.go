package plan

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/s3archivefs/s3archivefs/test/terraform/internal/tfenv"
)

// The findings of issue 16 that a plan can show, one helper each; TestDev,
// TestDevExtFile and TestProd call them on their plans.

const account = "123456789012"

// policy returns the statements of a policy document data source: rendered
// when it was read at plan, else built from its statement blocks (actions,
// resources, effect, sid, principals and conditions).
func policy(t *testing.T, p *planned, addr string) (sts []iamStatement, rendered bool) {
	t.Helper()
	attrs, read := p.dataSource(addr)
	if js, ok := attrs["json"].(string); read && ok {
		var doc struct{ Statement []iamStatement }
		if err := json.Unmarshal([]byte(js), &doc); err != nil {
			t.Fatalf("%s is not JSON: %v\n%s", addr, err, js)
		}
		return doc.Statement, true
	}
	blocks, _ := attrs["statement"].([]any)
	for _, b := range blocks {
		m, _ := b.(map[string]any)
		st := iamStatement{Effect: "Allow", Action: strs(m["actions"]), Resource: strs(m["resources"]), Condition: map[string]map[string]stringOrList{}}
		if e, _ := m["effect"].(string); e != "" {
			st.Effect = e
		}
		st.Sid, _ = m["sid"].(string)
		for _, c := range asList(m["condition"]) {
			test, _ := c["test"].(string)
			variable, _ := c["variable"].(string)
			if st.Condition[test] == nil {
				st.Condition[test] = map[string]stringOrList{}
			}
			st.Condition[test][variable] = strs(c["values"])
		}
		var principals []string
		for _, pr := range asList(m["principals"]) {
			principals = append(principals, strs(pr["identifiers"])...)
		}
		st.Principal = principals
		sts = append(sts, st)
	}
	return sts, false
}

func asList(v any) []map[string]any {
	l, _ := v.([]any)
	var out []map[string]any
	for _, e := range l {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func statement(t *testing.T, sts []iamStatement, sid string) iamStatement {
	t.Helper()
	for _, st := range sts {
		if st.Sid == sid {
			return st
		}
	}
	t.Fatalf("no statement %q in %+v", sid, sts)
	return iamStatement{}
}

// principalARNs flattens a rendered Principal ({"AWS": "x"} or {"AWS":
// ["x","y"]} or "*") or a list from the statement blocks.
func principalARNs(p any) []string {
	switch v := p.(type) {
	case []string:
		return v
	case string:
		return []string{v}
	case map[string]any:
		var out []string
		for _, x := range v {
			switch y := x.(type) {
			case string:
				out = append(out, y)
			case []any:
				for _, z := range y {
					s, _ := z.(string)
					out = append(out, s)
				}
			}
		}
		return out
	}
	return nil
}

// checkVMAPThroughGo feeds the planned environment (and the ext file's
// planned content, if any) to the function's own parser, vmap.FromEnv
// (through function/internal/vmap/cmd/vmapresolve: the package is internal
// to function/), and compares what it resolves with the map in tfvars: the
// Terraform side and the Go side cannot drift apart.
func checkVMAPThroughGo(t *testing.T, p *planned, want map[string]string) {
	t.Helper()
	checkVMAPThroughGoOf(t, p, function, want)
}

// checkVMAPThroughGoOf is checkVMAPThroughGo for the function at addr.
func checkVMAPThroughGoOf(t *testing.T, p *planned, addr string, want map[string]string) {
	t.Helper()
	repo, err := tfenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", "./function/internal/vmap/cmd/vmapresolve")
	cmd.Dir = repo
	// The function sees only what Terraform sets: none of the test run's own
	// S3ARCHIVEFS_* variables (make test sets S3ARCHIVEFS_REQUIRE_TF).
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "S3ARCHIVEFS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	env := envVarsOf(t, p, addr)
	// Values known only after apply (the ARN of a secret created in the
	// same run) get a stand-in of the same shape.
	rc := p.plan.ResourceChangesMap[addr]
	au, _ := rc.Change.AfterUnknown.(map[string]any)
	if e, _ := au["environment"].([]any); len(e) > 0 {
		vars, _ := e[0].(map[string]any)
		unknownVars, _ := vars["variables"].(map[string]any)
		for k, u := range unknownVars {
			if u == true {
				env[k] = "arn:aws:secretsmanager:" + region + ":" + account + ":secret:stand-in-AbCdEf"
			}
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	extURL := ""
	if _, ok := env[extFileEnv]; ok {
		obj := p.values(strings.TrimSuffix(addr, "aws_lambda_function.this") + "aws_s3_object.vmap_ext[0]")
		extURL = "s3://" + obj["bucket"].(string) + "/" + obj["key"].(string)
		local := filepath.Join(t.TempDir(), "vmap.txt")
		if err := os.WriteFile(local, []byte(obj["content"].(string)), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd.Args = append(cmd.Args, "-ext-file", local)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("vmap.FromEnv refuses the planned environment: %v\n%s", err, stderr.String())
	}
	var got struct {
		ExtFileRead string            `json:"ext_file_read"`
		Entries     map[string]string `json:"entries"`
		ConfigError string            `json:"config_error"`
		Unknown     []string          `json:"unknown"`
		Front       string            `json:"front"`
	}
	if err := json.Unmarshal(stdout, &got); err != nil {
		t.Fatalf("vmapresolve: %v\n%s", err, stdout)
	}
	// The function's own config.Load takes the whole planned environment:
	// every variable Terraform sets is one the function knows.
	if got.ConfigError != "" {
		t.Errorf("config.Load refuses the planned environment: %s", got.ConfigError)
	}
	if len(got.Unknown) > 0 {
		t.Errorf("the planned environment sets variables the function does not know: %q", got.Unknown)
	}
	if got.ConfigError == "" && got.Front != env["S3ARCHIVEFS_FRONT"] {
		t.Errorf("config.Load runs front %q, Terraform set %q", got.Front, env["S3ARCHIVEFS_FRONT"])
	}
	if got.ExtFileRead != extURL {
		t.Errorf("the function reads the ext file %q, Terraform writes %q", got.ExtFileRead, extURL)
	}
	norm := map[string]string{}
	for k, v := range want {
		norm[strings.Trim(k, "/")] = v
	}
	if !maps.Equal(got.Entries, norm) {
		t.Errorf("vmap.FromEnv resolves\n %v\nwant (from tfvars)\n %v", got.Entries, norm)
	}
}

const extFileEnv = "S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE"

// checkLogging: Lambda's level filter stays open (TRACE) whatever
// log_level is, the function gets log_level, and the metric filters count
// the per-request line the function writes at every level.
func checkLogging(t *testing.T, p *planned, logLevel string) {
	t.Helper()
	lc := first(p.values(function)["logging_config"])
	if lc["log_format"] != "JSON" || lc["application_log_level"] != "TRACE" {
		t.Errorf("logging_config = %v, want JSON with application_log_level TRACE (the function filters itself)", lc)
	}
	if got := envVars(t, p)["S3ARCHIVEFS_LOG_LEVEL"]; got != logLevel {
		t.Errorf("S3ARCHIVEFS_LOG_LEVEL = %q, want %q", got, logLevel)
	}
	n := 0
	for addr, r := range p.plan.ResourcePlannedValuesMap {
		if r.Type == "aws_cloudwatch_log_metric_filter" {
			n++
			if got := r.AttributeValues["pattern"]; got != `{ $.msg = "request" }` {
				t.Errorf("%s pattern %v, want the request line", addr, got)
			}
		}
	}
	if n == 0 {
		t.Error("no metric filters planned")
	}
}

// checkClientPolicy: readers may invoke the function by its ARN and its
// $LATEST version, through Object Lambda only.
func checkClientPolicy(t *testing.T, p *planned, name string) []iamStatement {
	t.Helper()
	sts, rendered := policy(t, p, stack+"module.access_points[0].data.aws_iam_policy_document.client")
	if !rendered {
		t.Error("client_policy_json is only known after apply")
	}
	fn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, name)
	st := statement(t, sts, "InvokeTheFunctionViaObjectLambda")
	if got := slices.Sorted(slices.Values(st.Resource)); !slices.Equal(got, []string{fn, fn + ":$LATEST"}) {
		t.Errorf("lambda:InvokeFunction on %q, want %q and its $LATEST", got, fn)
	}
	return sts
}

// checkSupportingPolicy: the role created in the same apply is a
// condition, not a principal S3 must resolve.
func checkSupportingPolicy(t *testing.T, p *planned, name string) {
	t.Helper()
	sts, rendered := policy(t, p, stack+"module.access_points[0].data.aws_iam_policy_document.supporting")
	if !rendered {
		t.Error("the supporting access point's policy is only known after apply")
	}
	st := statement(t, sts, "FunctionListsRealObjects")
	if got := principalARNs(st.Principal); !slices.Equal(got, []string{"arn:aws:iam::" + account + ":root"}) {
		t.Errorf("principal %q, want this account only (the role goes in a condition)", got)
	}
	if got := st.Condition["ArnEquals"]["aws:PrincipalArn"]; !slices.Equal(got, []string{fmt.Sprintf("arn:aws:iam::%s:role/%s-function", account, name)}) {
		t.Errorf("ArnEquals aws:PrincipalArn = %q, want the function's role", got)
	}
}

// TestStackHasNoSymlinksAndNoHardCodedPartition reads terraform/ itself.
func TestStackHasNoSymlinksAndNoHardCodedPartition(t *testing.T) {
	repo, err := tfenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	endpoint := regexp.MustCompile(`com\.amazonaws\.\$\{|\.amazonaws\.com"|\$\{[^}]*\}\.amazonaws\.com|"arn:aws:`)
	highLevel := regexp.MustCompile(`aws s3 (cp|mv|sync|ls|rm) `)
	err = filepath.WalkDir(filepath.Join(repo, "terraform"), func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == ".terraform" {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(repo, path)
		if d.Type()&os.ModeSymlink != 0 {
			t.Errorf("%s is a symlink: checkouts without core.symlinks break (issue 16)", rel)
		}
		if d.IsDir() || !strings.HasSuffix(path, ".tf") {
			return nil
		}
		buf, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(buf), "\n") {
			code, _, _ := strings.Cut(line, "#")
			// Service principals are *.amazonaws.com in every partition.
			if endpoint.MatchString(code) && !strings.Contains(code, "identifiers") && !strings.Contains(code, "called_via") {
				t.Errorf("%s:%d hard-codes the partition: %s", rel, i+1, strings.TrimSpace(line))
			}
			if highLevel.MatchString(code) {
				t.Errorf("%s:%d suggests `aws s3 cp/mv/sync/ls`, which do not work against an Object Lambda access point: %s", rel, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBackendExampleMatchesRequiredVersion: the locking an environment's
// backend.hcl.example enables works on every Terraform its versions.tf
// admits (use_lockfile needs 1.10).
func TestBackendExampleMatchesRequiredVersion(t *testing.T) {
	repo, err := tfenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	active := regexp.MustCompile(`(?m)^\s*use_lockfile\s*=\s*true`)
	required := regexp.MustCompile(`required_version\s*=\s*">=\s*1\.(\d+)`)
	for _, env := range []string{"dev", "prod"} {
		dir := filepath.Join(repo, "terraform", "environments", env)
		hcl, err := os.ReadFile(filepath.Join(dir, "backend.hcl.example"))
		if err != nil {
			t.Fatal(err)
		}
		versions, err := os.ReadFile(filepath.Join(dir, "versions.tf"))
		if err != nil {
			t.Fatal(err)
		}
		m := required.FindSubmatch(versions)
		if m == nil {
			t.Fatalf("%s/versions.tf: no required_version \">= 1.x\"", env)
		}
		var minor int
		fmt.Sscan(string(m[1]), &minor)
		if active.Match(hcl) && minor < 10 {
			t.Errorf("%s: backend.hcl.example enables use_lockfile (Terraform >= 1.10) but versions.tf admits 1.%d", env, minor)
		}
		if !active.Match(hcl) && !regexp.MustCompile(`(?m)^\s*dynamodb_table\s*=`).Match(hcl) {
			t.Errorf("%s: backend.hcl.example enables no state locking", env)
		}
	}
}

// TestAlarmsMustNotifySomeone: with require_alarm_actions, alarms that
// notify no one fail the plan.
func TestAlarmsMustNotifySomeone(t *testing.T) {
	env := tfenv.Setup(t)
	dir := filepath.Join(filepath.Dir(env.Stack(t)), "root")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	root := `provider "aws" {
  region = "eu-west-1"
}

module "monitoring" {
  source = "../terraform/modules/monitoring"

  name                            = "s3archivefs-t"
  function_name                   = "s3archivefs-t"
  function_arn                    = "arn:aws:lambda:eu-west-1:123456789012:function:s3archivefs-t"
  log_group_name                  = "/aws/lambda/s3archivefs-t"
  object_lambda_access_point_name = "s3archivefs-t"
  require_alarm_actions           = true
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(root), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := &terraform.Options{TerraformBinary: env.Terraform, TerraformDir: dir, EnvVars: env.Vars(), NoColor: true, Logger: logger.Discard}
	out, err := terraform.InitAndPlanE(t, opts)
	if err == nil {
		t.Fatal("plan accepted alarms that notify no one")
	}
	if !strings.Contains(strings.Join(strings.Fields(out+" "+err.Error()), " "), "the alarms notify no one") {
		t.Errorf("plan failed without the expected message:\n%s", out)
	}
}

// TestProdNeedsConcurrencyQuota: reserved_concurrency = 200 needs an
// account limit of 300; with 250 the plan fails and says why.
func TestProdNeedsConcurrencyQuota(t *testing.T) {
	env := tfenv.Setup(t)
	dir := filepath.Join(env.Stack(t), "environments", "prod")
	tfenv.LocalBackend(t, dir)
	vars := env.Vars()
	vars["S3ARCHIVEFS_STANDIN_LAMBDA_CONCURRENCY"] = "250"
	opts := &terraform.Options{TerraformBinary: env.Terraform, TerraformDir: dir, EnvVars: vars, NoColor: true, Logger: logger.Discard}
	out, err := terraform.InitAndPlanE(t, opts)
	if err == nil {
		t.Fatal("plan accepted reserved_concurrency 200 with an account limit of 250")
	}
	if msg := strings.Join(strings.Fields(out+" "+err.Error()), " "); !strings.Contains(msg, "needs an account concurrency limit of at least 300") || !strings.Contains(msg, "limit is 250") {
		t.Errorf("plan failed without the expected message:\n%s", out)
	}
}

// checkProviderPinned: the root pins hashicorp/aws to the stand-in's
// schema version exactly.
func checkProviderPinned(t *testing.T, p *planned) {
	t.Helper()
	pc := p.plan.RawPlan.Config.ProviderConfigs["aws"]
	// Terraform reports "= 6.25.0" as "6.25.0"; any range keeps its operator.
	if pc == nil || strings.TrimPrefix(pc.VersionConstraint, "= ") != tfenv.ProviderVersion {
		t.Errorf("provider aws constraint %+v, want \"= %s\"", pc, tfenv.ProviderVersion)
	}
}

// checkReaders: reader_principal_arns is the complete list, enforced by a
// Deny on everyone else (roles and users by ARN, whole accounts by id).
func checkReaders(t *testing.T, p *planned, readers []string) {
	t.Helper()
	sts, rendered := policy(t, p, stack+"module.access_points[0].data.aws_iam_policy_document.object_lambda")
	if !rendered {
		t.Error("the Object Lambda access point policy is only known after apply")
	}
	deny := statement(t, sts, "OnlyTheListedReaders")
	if deny.Effect != "Deny" || !slices.Equal(principalARNs(deny.Principal), []string{"*"}) {
		t.Errorf("%+v, want a Deny for every principal", deny)
	}
	if got := deny.Condition["ArnNotLike"]["aws:PrincipalArn"]; !slices.Equal(got, readers[:1]) {
		t.Errorf("ArnNotLike aws:PrincipalArn = %q, want %q", got, readers[:1])
	}
	if got := deny.Condition["StringNotEquals"]["aws:PrincipalAccount"]; !slices.Equal(got, []string{"210987654321"}) {
		t.Errorf("StringNotEquals aws:PrincipalAccount = %q, want the account of the root ARN", got)
	}
}

func checkAZs(t *testing.T, p *planned, want []string) {
	t.Helper()
	var got []string
	for i := range want {
		got = append(got, fmt.Sprint(p.values(fmt.Sprintf("%smodule.network[0].aws_subnet.private[%d]", stack, i))["availability_zone"]))
	}
	if !slices.Equal(got, want) {
		t.Errorf("private subnets in %q, want %q (the region's first zones from aws_availability_zones)", got, want)
	}
}

// checkFlowLogsRole: the five actions of the VPC guide, and a trust policy
// confined to this account's flow logs.
func checkFlowLogsRole(t *testing.T, p *planned) {
	t.Helper()
	sts, _ := policy(t, p, stack+"module.network[0].data.aws_iam_policy_document.flow_logs[0]")
	var actions []string
	for _, st := range sts {
		actions = append(actions, st.Action...)
	}
	want := []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:PutLogEvents"}
	if got := slices.Sorted(slices.Values(actions)); !slices.Equal(got, want) {
		t.Errorf("flow logs role may %q, want %q", got, want)
	}
	trust, rendered := policy(t, p, stack+"module.network[0].data.aws_iam_policy_document.flow_logs_assume")
	if !rendered || len(trust) != 1 {
		t.Fatalf("trust policy %+v (rendered %v)", trust, rendered)
	}
	c := trust[0].Condition
	if !slices.Equal(c["StringEquals"]["aws:SourceAccount"], []string{account}) ||
		!slices.Equal(c["ArnLike"]["aws:SourceArn"], []string{fmt.Sprintf("arn:aws:ec2:%s:%s:vpc-flow-log/*", region, account)}) {
		t.Errorf("trust conditions %v, want aws:SourceAccount and aws:SourceArn", c)
	}
}

// checkEFSPolicy: only the function's role, through its access point and a
// mount target; nothing without TLS.
func checkEFSPolicy(t *testing.T, p *planned) {
	t.Helper()
	if p.types()["aws_efs_file_system_policy"] != 1 {
		t.Fatal("no aws_efs_file_system_policy planned")
	}
	sts, _ := policy(t, p, stack+"module.efs[0].data.aws_iam_policy_document.file_system")
	allow := statement(t, sts, "FunctionMountsThroughItsAccessPoint")
	if got := slices.Sorted(slices.Values(allow.Action)); !slices.Equal(got, []string{"elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"}) {
		t.Errorf("allowed %q, want ClientMount and ClientWrite only", got)
	}
	if !slices.Equal(allow.Condition["ArnEquals"]["aws:PrincipalArn"], []string{"arn:aws:iam::" + account + ":role/s3archivefs-prod-function"}) ||
		len(allow.Condition["StringEquals"]["elasticfilesystem:AccessPointArn"]) != 1 ||
		!slices.Equal(allow.Condition["Bool"]["elasticfilesystem:AccessedViaMountTarget"], []string{"true"}) {
		t.Errorf("allow conditions %v, want the role, the access point and a mount target", allow.Condition)
	}
	deny := statement(t, sts, "DenyWithoutTLS")
	if deny.Effect != "Deny" || !slices.Equal(deny.Condition["Bool"]["aws:SecureTransport"], []string{"false"}) {
		t.Errorf("%+v, want a Deny when aws:SecureTransport is false", deny)
	}
}

// checkAlarmsNotify: prod creates the topic and every alarm notifies it.
func checkAlarmsNotify(t *testing.T, p *planned) {
	t.Helper()
	if p.types()["aws_sns_topic"] != 1 {
		t.Error("no SNS topic for the alarms")
	}
	n := 0
	for addr, r := range p.plan.ResourcePlannedValuesMap {
		if r.Type != "aws_cloudwatch_metric_alarm" {
			continue
		}
		n++
		if !p.unknown(addr, "alarm_actions") && len(strs(r.AttributeValues["alarm_actions"])) == 0 {
			t.Errorf("%s notifies no one", addr)
		}
	}
	if n == 0 {
		t.Error("no alarms planned")
	}
}

// planFails plans an environment that is expected to fail; it returns the
// output (with the error's text) and the error.
func planFails(t *testing.T, env *tfenv.Env, name string, vars map[string]any) (string, error) {
	t.Helper()
	dir := filepath.Join(env.Stack(t), "environments", name)
	tfenv.LocalBackend(t, dir)
	opts := &terraform.Options{TerraformBinary: env.Terraform, TerraformDir: dir, EnvVars: env.Vars(), Vars: vars, NoColor: true, Logger: logger.Discard}
	out, err := terraform.InitAndPlanE(t, opts)
	if err != nil {
		out += " " + err.Error()
	}
	return out, err
}

// contains reports whether out holds want, line breaks and indentation
// aside (Terraform wraps its messages).
func contains(out, want string) bool {
	return strings.Contains(strings.Join(strings.Fields(out), " "), want)
}
