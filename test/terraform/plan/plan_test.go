// Package plan is the plan-level Terratest suite: both environments of
// terraform/ are planned offline against the stand-in provider, and the
// plan is checked for the wiring issue 6 §3 lists.
package plan

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/terraform"
	tfjson "github.com/hashicorp/terraform-json"

	"github.com/s3archivefs/s3archivefs/test/terraform/internal/tfenv"
)

const (
	stack    = "module.s3archivefs."
	function = stack + "module.function[0].aws_lambda_function.this"
	olap     = stack + "module.access_points[0].aws_s3control_object_lambda_access_point.this"
	fnPolicy = stack + "module.function[0].data.aws_iam_policy_document.function"
	region   = "eu-west-1" // both environments' terraform.tfvars
)

// planned is one environment's plan, with helpers to read it.
type planned struct {
	t    *testing.T
	plan *terraform.PlanStruct
}

// plans caches the plans by environment and variables: the value checks
// read the same plans the wiring tests do, and each costs seconds.
var plans = struct {
	sync.Mutex
	m map[string]*terraform.PlanStruct
}{m: map[string]*terraform.PlanStruct{}}

// planEnvironment plans terraform/environments/<name> in a scratch copy,
// with vars overriding terraform.tfvars (once per name and vars).
func planEnvironment(t *testing.T, env *tfenv.Env, name string, vars map[string]any) *planned {
	t.Helper()
	key, _ := json.Marshal([]any{name, vars})
	plans.Lock()
	defer plans.Unlock()
	if p, ok := plans.m[string(key)]; ok {
		return &planned{t: t, plan: p}
	}
	dir := filepath.Join(env.Stack(t), "environments", name)
	tfenv.LocalBackend(t, dir)
	opts := &terraform.Options{
		TerraformBinary: env.Terraform,
		TerraformDir:    dir,
		EnvVars:         env.Vars(),
		Vars:            vars,
		NoColor:         true,
		PlanFilePath:    filepath.Join(t.TempDir(), "plan.bin"),
		Logger:          logger.Discard,
	}
	p, err := terraform.InitAndPlanAndShowWithStructE(t, opts)
	if err != nil {
		t.Fatalf("plan %s: %v", name, err)
	}
	plans.m[string(key)] = p
	return &planned{t: t, plan: p}
}

// values returns the planned attributes of a managed resource.
func (p *planned) values(addr string) map[string]any {
	p.t.Helper()
	r, ok := p.plan.ResourcePlannedValuesMap[addr]
	if !ok {
		p.t.Fatalf("%s is not planned", addr)
	}
	return r.AttributeValues
}

// unknown reports whether the plan leaves attr of addr unknown until apply.
func (p *planned) unknown(addr string, path ...any) bool {
	p.t.Helper()
	rc, ok := p.plan.ResourceChangesMap[addr]
	if !ok {
		p.t.Fatalf("%s has no planned change", addr)
	}
	var v any = rc.Change.AfterUnknown
	for _, step := range path {
		switch s := step.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[s]
		case int:
			l, _ := v.([]any)
			if s >= len(l) {
				return false
			}
			v = l[s]
		}
	}
	b, _ := v.(bool)
	return b
}

// unknownAny reports whether attr of addr, or any element of it, is
// unknown until apply.
func (p *planned) unknownAny(addr, attr string) bool {
	p.t.Helper()
	rc, ok := p.plan.ResourceChangesMap[addr]
	if !ok {
		return false
	}
	m, _ := rc.Change.AfterUnknown.(map[string]any)
	var has func(v any) bool
	has = func(v any) bool {
		switch x := v.(type) {
		case bool:
			return x
		case []any:
			return slices.ContainsFunc(x, has)
		case map[string]any:
			for _, e := range x {
				if has(e) {
					return true
				}
			}
		}
		return false
	}
	return has(m[attr])
}

// types lists the managed resource types planned, with their counts.
func (p *planned) types() map[string]int {
	out := map[string]int{}
	for _, r := range p.plan.ResourcePlannedValuesMap {
		if r.Mode == tfjson.ManagedResourceMode {
			out[r.Type]++
		}
	}
	return out
}

// dataSource returns the attributes of a data source: read during plan
// (prior state) or, when deferred to apply, its planned configuration.
func (p *planned) dataSource(addr string) (attrs map[string]any, readAtPlan bool) {
	p.t.Helper()
	if ps := p.plan.RawPlan.PriorState; ps != nil && ps.Values != nil {
		if r := findResource(ps.Values.RootModule, addr); r != nil {
			return r.AttributeValues, true
		}
	}
	if rc, ok := p.plan.ResourceChangesMap[addr]; ok {
		after, _ := rc.Change.After.(map[string]any)
		return after, false
	}
	p.t.Fatalf("data source %s is neither read nor planned", addr)
	return nil, false
}

func findResource(m *tfjson.StateModule, addr string) *tfjson.StateResource {
	if m == nil {
		return nil
	}
	for _, r := range m.Resources {
		if r.Address == addr {
			return r
		}
	}
	for _, c := range m.ChildModules {
		if r := findResource(c, addr); r != nil {
			return r
		}
	}
	return nil
}

// moduleConfig returns the configuration of a module inside the stack.
func (p *planned) moduleConfig(name string) *tfjson.ConfigModule {
	p.t.Helper()
	st := p.plan.RawPlan.Config.RootModule.ModuleCalls["s3archivefs"]
	if st == nil {
		p.t.Fatal("no module call s3archivefs in the environment")
	}
	if name == "" {
		return st.Module
	}
	mc := st.Module.ModuleCalls[name]
	if mc == nil {
		p.t.Fatalf("the stack calls no module %q", name)
	}
	return mc.Module
}

// references returns what an expression of a module call or resource refers to.
func references(e *tfjson.Expression) []string {
	if e == nil || e.ExpressionData == nil {
		return nil
	}
	return e.References
}

func resourceConfig(m *tfjson.ConfigModule, addr string) *tfjson.ConfigResource {
	for _, r := range m.Resources {
		if r.Address == addr {
			return r
		}
	}
	return nil
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

func first(v any) map[string]any {
	l, _ := v.([]any)
	if len(l) == 0 {
		return nil
	}
	m, _ := l[0].(map[string]any)
	return m
}

func envVars(t *testing.T, p *planned) map[string]string {
	t.Helper()
	return envVarsOf(t, p, function)
}

// envVarsOf returns the known environment variables of the function at addr.
func envVarsOf(t *testing.T, p *planned, addr string) map[string]string {
	t.Helper()
	vars, _ := first(p.values(addr)["environment"])["variables"].(map[string]any)
	out := map[string]string{}
	for k, v := range vars {
		out[k], _ = v.(string)
	}
	return out
}

// wantVMAP is the contract: prefixes trimmed of '/', sorted by bytes,
// rendered "prefix|url" into S3ARCHIVEFS_PREFIX_VMAP1..n.
func wantVMAP(vmap map[string]string) map[string]string {
	norm := map[string]string{}
	for k, v := range vmap {
		norm[strings.Trim(k, "/")] = v
	}
	keys := make([]string, 0, len(norm))
	for k := range norm {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := map[string]string{}
	for i, k := range keys {
		out[fmt.Sprintf("S3ARCHIVEFS_PREFIX_VMAP%d", i+1)] = k + "|" + norm[k]
	}
	return out
}

func vmapVars(env map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		if strings.HasPrefix(k, "S3ARCHIVEFS_PREFIX_VMAP") {
			out[k] = v
		}
	}
	return out
}

// iamStatement is one statement of a rendered policy.
type iamStatement struct {
	Sid       string
	Effect    string
	Action    stringOrList
	NotAction stringOrList
	Resource  stringOrList
	Principal any
	Condition map[string]map[string]stringOrList
}

type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// functionStatements returns the function's policy statements: the
// rendered JSON when the data source was read at plan, else the statement
// blocks of its configuration.
func functionStatements(t *testing.T, p *planned) (sts []iamStatement, rendered bool) {
	t.Helper()
	attrs, read := p.dataSource(fnPolicy)
	if js, ok := attrs["json"].(string); read && ok {
		var doc struct{ Statement []iamStatement }
		if err := json.Unmarshal([]byte(js), &doc); err != nil {
			t.Fatalf("function policy is not JSON: %v\n%s", err, js)
		}
		return doc.Statement, true
	}
	blocks, _ := attrs["statement"].([]any)
	for _, b := range blocks {
		m, _ := b.(map[string]any)
		effect, _ := m["effect"].(string)
		if effect == "" {
			effect = "Allow"
		}
		sid, _ := m["sid"].(string)
		sts = append(sts, iamStatement{Sid: sid, Effect: effect, Action: strs(m["actions"]), Resource: strs(m["resources"])})
	}
	return sts, false
}

// checkIAM asserts the function may read exactly the archive objects (plus
// the ext file, if any), answer through WriteGetObjectResponse, list through
// its supporting access point and write its own log group, and nothing else.
func checkIAM(t *testing.T, p *planned, archives []string, name string, extFile ...string) {
	t.Helper()
	sts, rendered := functionStatements(t, p)
	if !rendered {
		t.Errorf("the function's policy document is only rendered at apply (a reference to an unknown value or a managed resource defers it): reviewers cannot read it in the plan")
	}
	logStreams := fmt.Sprintf("arn:aws:logs:%s:123456789012:log-group:/aws/lambda/%s:log-stream:*", region, name)
	allowed := map[string][]string{ // action → the only resources it may name
		"s3:GetObject": append(slices.Clone(archives), extFile...),
		// Only the stack's own Object Lambda access point (issue 16).
		"s3-object-lambda:WriteGetObjectResponse": {fmt.Sprintf("arn:aws:s3-object-lambda:%s:123456789012:accesspoint/%s", region, name)},
		// Through the supporting access point only, not around it on the
		// bucket ARN (issue 16).
		"s3:ListBucket":        {fmt.Sprintf("arn:aws:s3:%s:123456789012:accesspoint/%s-src", region, name)},
		"logs:CreateLogStream": {logStreams},
		"logs:PutLogEvents":    {logStreams},
	}
	sts = checkOwnerListing(t, sts, archives)
	granted := map[string][]string{}
	for _, st := range sts {
		if st.Effect != "Allow" {
			continue
		}
		if len(st.NotAction) > 0 {
			t.Errorf("statement %q uses NotAction: broader than least privilege", st.Sid)
		}
		for _, a := range st.Action {
			if strings.Contains(a, "*") {
				t.Errorf("statement %q grants wildcard action %q", st.Sid, a)
			}
			granted[a] = append(granted[a], st.Resource...)
		}
	}
	for action, want := range allowed {
		got := slices.Sorted(slices.Values(granted[action]))
		want = slices.Sorted(slices.Values(want))
		if !slices.Equal(got, want) {
			t.Errorf("%s granted on %q, want exactly %q", action, got, want)
		}
	}
	for action, res := range granted {
		if _, ok := allowed[action]; !ok {
			t.Errorf("unexpected action %s on %q", action, res)
		}
	}
}

// checkOwnerListing checks the statements that let the function learn an
// archive object's owner for listings (ListObjectsV2 with prefix = the
// archive's key): s3:ListBucket on each archive bucket, and on nothing else
// than exactly its archive keys. It returns the other statements.
func checkOwnerListing(t *testing.T, sts []iamStatement, archives []string) []iamStatement {
	t.Helper()
	want := map[string][]string{} // bucket ARN -> archive keys
	for _, a := range archives {
		bucket, key, _ := strings.Cut(strings.TrimPrefix(a, "arn:aws:s3:::"), "/")
		want["arn:aws:s3:::"+bucket] = append(want["arn:aws:s3:::"+bucket], key)
	}
	var rest []iamStatement
	got := map[string][]string{}
	for _, st := range sts {
		if !strings.HasPrefix(st.Sid, "ListArchiveKeyForOwner") {
			rest = append(rest, st)
			continue
		}
		if !slices.Equal(st.Action, []string{"s3:ListBucket"}) || len(st.Resource) != 1 || len(st.Condition) != 1 {
			t.Errorf("statement %q: %q on %q with %v, want s3:ListBucket on one bucket with one condition", st.Sid, st.Action, st.Resource, st.Condition)
			continue
		}
		got[st.Resource[0]] = append(got[st.Resource[0]], st.Condition["StringEquals"]["s3:prefix"]...)
	}
	for b, keys := range want {
		if g := slices.Sorted(slices.Values(got[b])); !slices.Equal(g, slices.Sorted(slices.Values(keys))) {
			t.Errorf("owner listing on %s limited to s3:prefix %q, want exactly the archive keys %q", b, g, keys)
		}
	}
	for b := range got {
		if want[b] == nil {
			t.Errorf("owner listing granted on %s, which holds no archive", b)
		}
	}
	return rest
}

func checkObjectLambda(t *testing.T, p *planned) {
	t.Helper()
	cfg := first(p.values(olap)["configuration"])
	if cfg == nil {
		t.Fatal("Object Lambda access point has no configuration")
	}
	if got, want := slices.Sorted(slices.Values(strs(cfg["allowed_features"]))), []string{"GetObject-PartNumber", "GetObject-Range", "HeadObject-PartNumber", "HeadObject-Range"}; !slices.Equal(got, want) {
		t.Errorf("allowed_features = %q, want %q", got, want)
	}
	if cfg["cloud_watch_metrics_enabled"] != true {
		t.Errorf("cloud_watch_metrics_enabled = %v, want true", cfg["cloud_watch_metrics_enabled"])
	}
	tc := first(cfg["transformation_configuration"])
	if got, want := slices.Sorted(slices.Values(strs(tc["actions"]))), []string{"GetObject", "HeadObject", "ListObjects", "ListObjectsV2"}; !slices.Equal(got, want) {
		t.Errorf("transformation actions = %q, want %q", got, want)
	}
	if !p.unknown(olap, "configuration", 0, "transformation_configuration", 0, "content_transformation", 0, "aws_lambda", 0, "function_arn") {
		t.Error("the transformation's function_arn is not the (unknown until apply) function ARN")
	}
}

var devVMAP = map[string]string{
	"/zeta/":  "s3://my-archives/archives/zeta.sqfs",
	"alpha/b": "s3://my-archives/archives/alpha-b.sqfs",
	"Alpha":   "s3://other-archives/A.sqfs",
	"alpha":   "s3://my-archives/archives/alpha.sqfs",
}

func archiveARNs(vmap map[string]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, u := range vmap {
		arn := "arn:aws:s3:::" + strings.TrimPrefix(u, "s3://")
		if !seen[arn] {
			seen[arn] = true
			out = append(out, arn)
		}
	}
	return out
}

// TestDev plans the dev environment (no VPC, NAT or EFS) with a VMAP whose
// keys need trimming and sorting.
func TestDev(t *testing.T) {
	env := tfenv.Setup(t)
	p := planEnvironment(t, env, "dev", map[string]any{"prefix_vmap": devVMAP})

	t.Run("vmap in sorted environment variables", func(t *testing.T) {
		got := vmapVars(envVars(t, p))
		want := wantVMAP(devVMAP)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("VMAP variables:\n got %v\nwant %v", got, want)
		}
	})
	t.Run("iam least privilege", func(t *testing.T) { checkIAM(t, p, archiveARNs(devVMAP), "s3archivefs-dev") })
	t.Run("object lambda access point", func(t *testing.T) { checkObjectLambda(t, p) })
	t.Run("vmap through the function's parser", func(t *testing.T) { checkVMAPThroughGo(t, p, devVMAP) })
	t.Run("log filter open, request line counted", func(t *testing.T) { checkLogging(t, p, "debug") })
	t.Run("client policy invokes $LATEST", func(t *testing.T) { checkClientPolicy(t, p, "s3archivefs-dev") })
	t.Run("supporting policy names the role in a condition", func(t *testing.T) { checkSupportingPolicy(t, p, "s3archivefs-dev") })
	t.Run("provider pinned", func(t *testing.T) { checkProviderPinned(t, p) })
	t.Run("no vpc nat or efs", func(t *testing.T) {
		types := p.types()
		for _, typ := range []string{"aws_vpc", "aws_subnet", "aws_nat_gateway", "aws_eip", "aws_internet_gateway", "aws_route", "aws_route_table", "aws_vpc_endpoint", "aws_efs_file_system", "aws_efs_mount_target", "aws_efs_access_point", "aws_security_group", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"} {
			if types[typ] != 0 {
				t.Errorf("%d %s planned with enable_vpc = false", types[typ], typ)
			}
		}
		fn := p.values(function)
		if l, _ := fn["vpc_config"].([]any); len(l) != 0 {
			t.Errorf("vpc_config = %v, want none", l)
		}
		if l, _ := fn["file_system_config"].([]any); len(l) != 0 {
			t.Errorf("file_system_config = %v, want none", l)
		}
		if dir := envVars(t, p)["S3ARCHIVEFS_CACHE_DIR"]; !strings.HasPrefix(dir, "/tmp") {
			t.Errorf("S3ARCHIVEFS_CACHE_DIR = %q, want a path under /tmp", dir)
		}
		if v := envVars(t, p)["S3ARCHIVEFS_CACHE_SETTLE_TIMEOUT"]; v != "0" {
			t.Errorf("S3ARCHIVEFS_CACHE_SETTLE_TIMEOUT = %q, want 0: nobody else reads an instance's /tmp", v)
		}
	})
	t.Run("layer attached", func(t *testing.T) {
		if l := p.values(function)["layers"].([]any); len(l) != 1 || !p.unknown(function, "layers", 0) {
			t.Errorf("layers = %v, want the one layer version created here (unknown until apply)", l)
		}
		if p.types()["aws_lambda_layer_version"] != 1 {
			t.Error("no aws_lambda_layer_version planned")
		}
	})
}

var (
	extFileReaders = []string{"arn:aws:iam::123456789012:role/readers", "arn:aws:iam::210987654321:root"}
	extFileKMS     = []string{"arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"}
)

// extFileVars: dev with 21 VMAP entries (so the ext file), the options
// that add resources or statements, and log_level error.
func extFileVars() map[string]any {
	vmap := map[string]string{}
	for i := range 21 {
		vmap[fmt.Sprintf("datasets/d%02d", i)] = fmt.Sprintf("s3://my-archives/archives/d%02d.sqfs", i)
	}
	return map[string]any{"prefix_vmap": vmap, "vmap_ext_bucket": "ext-file-bucket", "log_level": "error",
		"reader_principal_arns": extFileReaders, "bucket_kms_key_arns": extFileKMS, "manage_bucket_policy": true}
}

// TestDevExtFile: more than 20 entries go to the ext file, and the function
// may read it.
func TestDevExtFile(t *testing.T) {
	env := tfenv.Setup(t)
	vmap := extFileVars()["prefix_vmap"].(map[string]string)
	readers, kms := extFileReaders, extFileKMS
	p := planEnvironment(t, env, "dev", extFileVars())
	t.Run("vmap through the function's parser", func(t *testing.T) { checkVMAPThroughGo(t, p, vmap) })
	t.Run("request line survives log_level error", func(t *testing.T) { checkLogging(t, p, "error") })
	t.Run("only the listed readers", func(t *testing.T) { checkReaders(t, p, readers) })
	t.Run("readers decrypt pass-through objects", func(t *testing.T) {
		st := statement(t, checkClientPolicy(t, p, "s3archivefs-dev"), "DecryptPassThroughObjects")
		if !slices.Equal(st.Action, []string{"kms:Decrypt"}) || !slices.Equal(st.Resource, kms) || !slices.Equal(st.Condition["StringEquals"]["kms:ViaService"], []string{"s3." + region + ".amazonaws.com"}) {
			t.Errorf("kms statement %+v, want kms:Decrypt on %q via S3", st, kms)
		}
	})
	vars := envVars(t, p)
	const ext = "S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE"
	url := vars[ext]
	if !strings.HasPrefix(url, "s3://ext-file-bucket/") {
		t.Fatalf("%s = %q, want an s3:// URL in the configured vmap_ext_bucket", ext, url)
	}
	for k := range vmapVars(vars) {
		if k != ext && k != "S3ARCHIVEFS_PREFIX_VMAP_EXT_SHA256" {
			t.Errorf("%s set although the map goes through the ext file", k)
		}
	}
	obj := p.values(stack + "module.function[0].aws_s3_object.vmap_ext[0]")
	if got := "s3://" + obj["bucket"].(string) + "/" + obj["key"].(string); got != url {
		t.Errorf("ext file object is %s, the function reads %s", got, url)
	}
	var lines []string
	want := wantVMAP(vmap)
	for i := 1; i <= len(want); i++ {
		lines = append(lines, want[fmt.Sprintf("S3ARCHIVEFS_PREFIX_VMAP%d", i)])
	}
	if got := obj["content"]; got != strings.Join(lines, "\n")+"\n" {
		t.Errorf("ext file content:\n%v\nwant the sorted lines:\n%s", got, strings.Join(lines, "\n"))
	}
	checkIAM(t, p, archiveARNs(vmap), "s3archivefs-dev", "arn:aws:s3:::"+strings.TrimPrefix(url, "s3://"))
}

// TestProd plans the prod environment: VPC, NAT per AZ, EFS, layer.
func TestProd(t *testing.T) {
	env := tfenv.Setup(t)
	p := planEnvironment(t, env, "prod", nil)
	prodVMAP := map[string]string{
		"datasets/linux-6.1": "s3://my-archives/archives/linux-6.1.sqfs",
		"datasets/gcc-14":    "s3://my-archives/archives/gcc-14.sqfs",
	}
	azs := 3
	network := p.moduleConfig("network")

	t.Run("vmap from terraform.tfvars", func(t *testing.T) {
		if got, want := vmapVars(envVars(t, p)), wantVMAP(prodVMAP); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("VMAP variables:\n got %v\nwant %v", got, want)
		}
	})
	t.Run("iam least privilege", func(t *testing.T) { checkIAM(t, p, archiveARNs(prodVMAP), "s3archivefs-prod") })
	t.Run("object lambda access point", func(t *testing.T) { checkObjectLambda(t, p) })
	t.Run("vmap through the function's parser", func(t *testing.T) { checkVMAPThroughGo(t, p, prodVMAP) })
	t.Run("log filter open, request line counted", func(t *testing.T) { checkLogging(t, p, "info") })
	t.Run("provider pinned", func(t *testing.T) { checkProviderPinned(t, p) })
	t.Run("azs from the region", func(t *testing.T) { checkAZs(t, p, []string{region + "a", region + "b", region + "c"}) })
	t.Run("flow logs role as the vpc guide says", func(t *testing.T) { checkFlowLogsRole(t, p) })
	t.Run("efs file system policy", func(t *testing.T) { checkEFSPolicy(t, p) })
	t.Run("alarms notify a topic", func(t *testing.T) { checkAlarmsNotify(t, p) })
	t.Run("function in the private subnets", func(t *testing.T) {
		vc := first(p.values(function)["vpc_config"])
		if vc == nil {
			t.Fatal("the function has no vpc_config")
		}
		if n := len(vc["subnet_ids"].([]any)); n != azs {
			t.Errorf("function in %d subnets, want %d", n, azs)
		}
		call := p.moduleConfig("").ModuleCalls["function"]
		if refs := references(call.Expressions["subnet_ids"]); !slices.Contains(refs, "module.network[0].private_subnet_ids") {
			t.Errorf("function subnet_ids refer to %q, want module.network[0].private_subnet_ids", refs)
		}
		if refs := references(network.Outputs["private_subnet_ids"].Expression); !slices.Equal(refs, []string{"aws_subnet.private"}) {
			t.Errorf("network output private_subnet_ids refers to %q, want aws_subnet.private", refs)
		}
	})
	t.Run("efs access point mounted", func(t *testing.T) {
		fs := first(p.values(function)["file_system_config"])
		if fs == nil {
			t.Fatal("the function mounts no file system")
		}
		mount, _ := fs["local_mount_path"].(string)
		if !strings.HasPrefix(mount, "/mnt/") || envVars(t, p)["S3ARCHIVEFS_CACHE_DIR"] != mount {
			t.Errorf("mounted at %q, S3ARCHIVEFS_CACHE_DIR = %q: want the same path under /mnt/", mount, envVars(t, p)["S3ARCHIVEFS_CACHE_DIR"])
		}
		if v := envVars(t, p)["S3ARCHIVEFS_CACHE_SETTLE_TIMEOUT"]; v != "2s" {
			t.Errorf("S3ARCHIVEFS_CACHE_SETTLE_TIMEOUT = %q, want 2s: the other instances read this cache", v)
		}
		call := p.moduleConfig("").ModuleCalls["function"]
		if refs := references(call.Expressions["efs_access_point_arn"]); !slices.Contains(refs, "module.efs[0].access_point_arn") {
			t.Errorf("efs_access_point_arn refers to %q", refs)
		}
		if refs := references(p.moduleConfig("efs").Outputs["access_point_arn"].Expression); !slices.Contains(refs, "aws_efs_access_point.this") {
			t.Errorf("efs output access_point_arn refers to %q", refs)
		}
		if n := p.types()["aws_efs_mount_target"]; n != azs {
			t.Errorf("%d mount targets, want one per private subnet (%d)", n, azs)
		}
	})
	t.Run("layer attached", func(t *testing.T) {
		if l := p.values(function)["layers"].([]any); len(l) != 1 || !p.unknown(function, "layers", 0) {
			t.Errorf("layers = %v, want the one layer version created here", l)
		}
	})
	t.Run("private subnets routed through the nat", func(t *testing.T) {
		for i := range azs {
			addr := fmt.Sprintf("%smodule.network[0].aws_route.private_nat[%d]", stack, i)
			r := p.values(addr)
			if r["destination_cidr_block"] != "0.0.0.0/0" || !p.unknown(addr, "nat_gateway_id") {
				t.Errorf("%s: %v, want 0.0.0.0/0 through a NAT gateway", addr, r)
			}
		}
		route := resourceConfig(network, "aws_route.private_nat")
		if refs := references(route.Expressions["nat_gateway_id"]); !slices.Contains(refs, "aws_nat_gateway.this") {
			t.Errorf("private default route targets %q, want aws_nat_gateway.this", refs)
		}
		if refs := references(route.Expressions["route_table_id"]); !slices.Contains(refs, "aws_route_table.private") {
			t.Errorf("private default route is in %q, want aws_route_table.private", refs)
		}
		assoc := resourceConfig(network, "aws_route_table_association.private")
		refs := references(assoc.Expressions["subnet_id"])
		if !slices.Contains(refs, "aws_subnet.private") || !slices.Contains(references(assoc.Expressions["route_table_id"]), "aws_route_table.private") {
			t.Errorf("private route tables are not associated with the private subnets: %q", refs)
		}
		if n := p.types()["aws_nat_gateway"]; n != azs {
			t.Errorf("%d NAT gateways, want one per AZ (nat_gateway_mode = per_az)", n)
		}
	})
	t.Run("s3 gateway endpoint", func(t *testing.T) {
		addr := stack + "module.network[0].aws_vpc_endpoint.s3"
		ep := p.values(addr)
		if ep["service_name"] != "com.amazonaws."+region+".s3" || ep["vpc_endpoint_type"] != "Gateway" {
			t.Errorf("S3 endpoint: service %v type %v, want com.amazonaws.%s.s3 Gateway", ep["service_name"], ep["vpc_endpoint_type"], region)
		}
		if refs := references(resourceConfig(network, "aws_vpc_endpoint.s3").Expressions["route_table_ids"]); !slices.Contains(refs, "aws_route_table.private") {
			t.Errorf("S3 endpoint attached to %q, want the private route tables", refs)
		}
	})
	t.Run("efs security group open only to the function", func(t *testing.T) {
		efs := p.moduleConfig("efs")
		var rules []*tfjson.ConfigResource
		for _, r := range efs.Resources {
			if r.Type == "aws_vpc_security_group_ingress_rule" || r.Type == "aws_security_group_rule" {
				rules = append(rules, r)
			}
		}
		if len(rules) != 1 {
			t.Fatalf("EFS module has %d ingress rules, want exactly one", len(rules))
		}
		addr := stack + "module.efs[0]." + rules[0].Address
		r := p.values(addr)
		if r["from_port"] != 2049.0 || r["to_port"] != 2049.0 || r["ip_protocol"] != "tcp" {
			t.Errorf("EFS ingress %v, want tcp 2049 only", r)
		}
		for _, open := range []string{"cidr_ipv4", "cidr_ipv6", "prefix_list_id"} {
			if r[open] != nil {
				t.Errorf("EFS ingress %s = %v: open beyond the function's security group", open, r[open])
			}
		}
		if refs := references(rules[0].Expressions["referenced_security_group_id"]); !slices.Contains(refs, "var.client_security_group_id") {
			t.Errorf("EFS ingress source %q, want var.client_security_group_id", refs)
		}
		if refs := references(p.moduleConfig("").ModuleCalls["efs"].Expressions["client_security_group_id"]); !slices.Contains(refs, "module.function[0].security_group_id") {
			t.Errorf("EFS client security group is %q, want module.function.security_group_id", refs)
		}
		sg := p.values(stack + "module.efs[0].aws_security_group.this")
		if l, _ := sg["ingress"].([]any); len(l) != 0 {
			t.Errorf("EFS security group has inline ingress rules: %v", l)
		}
	})
}

// TestInvalidVMAP: the VMAP's validations fail plan with messages an
// operator understands.
func TestInvalidVMAP(t *testing.T) {
	env := tfenv.Setup(t)
	dir := filepath.Join(env.Stack(t), "environments", "dev")
	tfenv.LocalBackend(t, dir)
	opts := &terraform.Options{TerraformBinary: env.Terraform, TerraformDir: dir, EnvVars: env.Vars(), NoColor: true, Logger: logger.Discard}
	if _, err := terraform.InitE(t, opts); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		vmap map[string]string
		want string
	}{
		{"pipe in prefix", map[string]string{"a|b": "s3://my-archives/a.sqfs"}, "must not contain '|'"},
		{"not an s3 url", map[string]string{"a": "https://my-archives/a.sqfs"}, "is not of the form s3://bucket/key"},
		{"duplicate after trimming", map[string]string{"/a": "s3://my-archives/a.sqfs", "a/": "s3://my-archives/b.sqfs"}, "duplicate virtual prefixes"},
		{"empty map", map[string]string{}, "prefix_vmap is empty"},
		{"bad bucket", map[string]string{"a": "s3://My_Bucket/a.sqfs"}, "invalid bucket name"},
		{"key is a folder", map[string]string{"a": "s3://my-archives/archives/"}, "invalid archive key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := *opts
			o.Vars = map[string]any{"prefix_vmap": tc.vmap}
			out, err := terraform.PlanE(t, &o)
			if err == nil {
				t.Fatalf("plan accepted %v", tc.vmap)
			}
			if !strings.Contains(strings.Join(strings.Fields(out+" "+err.Error()), " "), tc.want) {
				t.Errorf("plan failed without %q:\n%s", tc.want, out)
			}
		})
	}
}
