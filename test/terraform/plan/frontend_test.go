package plan

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/s3archivefs/s3archivefs/test/terraform/internal/tfenv"
)

// The function URL front (issue 17 item 7).

const (
	urlModule = stack + "module.function_url[0]."
	urlFn     = urlModule + "module.function.aws_lambda_function.this"
)

var urlPrefixes = []string{"public/", "shared/docs/"}

func urlVars(frontend string) map[string]any {
	return map[string]any{"prefix_vmap": devVMAP, "frontend": frontend, "real_allowed_prefixes": urlPrefixes}
}

// TestDevFunctionURL plans dev with only the function URL front.
func TestDevFunctionURL(t *testing.T) {
	env := tfenv.Setup(t)
	p := planEnvironment(t, env, "dev", urlVars("function_url"))

	t.Run("no object lambda parts", func(t *testing.T) {
		types := p.types()
		for _, typ := range []string{"aws_s3control_object_lambda_access_point", "aws_s3control_object_lambda_access_point_policy", "aws_s3_access_point", "aws_cloudwatch_dashboard"} {
			if types[typ] != 0 {
				t.Errorf("%d %s planned with frontend = function_url", types[typ], typ)
			}
		}
		if types["aws_lambda_function"] != 1 {
			t.Errorf("%d functions, want 1", types["aws_lambda_function"])
		}
	})
	checkURLFront(t, p, "s3archivefs-dev")
}

// TestProdBoth plans prod with both fronts: the Object Lambda function in
// the VPC, the function URL one outside it.
func TestProdBoth(t *testing.T) {
	env := tfenv.Setup(t)
	p := planEnvironment(t, env, "prod", map[string]any{"frontend": "both", "real_allowed_prefixes": urlPrefixes})

	t.Run("object lambda front unchanged", func(t *testing.T) {
		checkObjectLambda(t, p)
		if first(p.values(function)["vpc_config"]) == nil {
			t.Error("the Object Lambda function left the VPC")
		}
		if got := envVars(t, p)["S3ARCHIVEFS_FRONT"]; got != "object_lambda" {
			t.Errorf("Object Lambda function: S3ARCHIVEFS_FRONT = %q", got)
		}
		checkIAM(t, p, archiveARNs(prodVMAPForBoth), "s3archivefs-prod")
	})
	checkURLFront(t, p, "s3archivefs-prod-url")
	t.Run("url alarms notify the topic", func(t *testing.T) {
		for _, a := range []string{"errors", "duration", "throttles"} {
			addr := fmt.Sprintf("%saws_cloudwatch_metric_alarm.this[%q]", urlModule, a)
			if !p.unknownAny(addr, "alarm_actions") && len(strs(p.values(addr)["alarm_actions"])) == 0 {
				t.Errorf("%s notifies no one", addr)
			}
		}
	})
}

var prodVMAPForBoth = map[string]string{
	"datasets/linux-6.1": "s3://my-archives/archives/linux-6.1.sqfs",
	"datasets/gcc-14":    "s3://my-archives/archives/gcc-14.sqfs",
}

// checkURLFront: the URL, the function outside any VPC with the contract's
// environment, least privilege, the public-but-capped resource policy, the
// secret without a value, the alarms.
func checkURLFront(t *testing.T, p *planned, name string) {
	t.Helper()
	t.Run("url", func(t *testing.T) {
		u := p.values(urlModule + "aws_lambda_function_url.this")
		if u["authorization_type"] != "NONE" || u["invoke_mode"] != "RESPONSE_STREAM" {
			t.Errorf("function URL %v, want auth NONE (the function checks SigV4) and RESPONSE_STREAM", u)
		}
	})
	t.Run("function outside the vpc, capped", func(t *testing.T) {
		fn := p.values(urlFn)
		if fn["function_name"] != name {
			t.Errorf("function_name = %v, want %s", fn["function_name"], name)
		}
		if l, _ := fn["vpc_config"].([]any); len(l) != 0 {
			t.Errorf("vpc_config = %v: function URLs do not stream for VPC-attached functions", l)
		}
		if l, _ := fn["file_system_config"].([]any); len(l) != 0 {
			t.Errorf("file_system_config = %v, want none", l)
		}
		if rc, _ := fn["reserved_concurrent_executions"].(float64); rc < 1 {
			t.Errorf("reserved_concurrent_executions = %v: the public URL needs a cap", fn["reserved_concurrent_executions"])
		}
		if to, _ := fn["timeout"].(float64); to <= 60 || to > 900 {
			t.Errorf("timeout = %v, want above Object Lambda's 60 s and at most 900", to)
		}
	})
	t.Run("environment as the contract says", func(t *testing.T) {
		env := envVarsOf(t, p, urlFn)
		want := map[string]string{
			"S3ARCHIVEFS_FRONT":                 "function_url",
			"S3ARCHIVEFS_BUCKET":                "my-archives",
			"S3ARCHIVEFS_REAL_BUCKET":           "my-archives",
			"S3ARCHIVEFS_KEYS_REFRESH_INTERVAL": "5m",
		}
		for k, v := range want {
			if env[k] != v {
				t.Errorf("%s = %q, want %q", k, env[k], v)
			}
		}
		if !strings.HasPrefix(env["S3ARCHIVEFS_CACHE_DIR"], "/tmp") {
			t.Errorf("S3ARCHIVEFS_CACHE_DIR = %q, want /tmp", env["S3ARCHIVEFS_CACHE_DIR"])
		}
		if !p.unknown(urlFn, "environment", 0, "variables", "S3ARCHIVEFS_KEYS_SECRET_ARN") {
			t.Errorf("S3ARCHIVEFS_KEYS_SECRET_ARN = %q, want the ARN of the secret created here (known after apply)", env["S3ARCHIVEFS_KEYS_SECRET_ARN"])
		}
		for k := range env {
			if strings.Contains(k, "SECRET_ACCESS_KEY") || k == "S3ARCHIVEFS_KEYS_FILE" {
				t.Errorf("%s in the function's environment: keys come from the secret only", k)
			}
		}
		checkVMAPThroughGoOf(t, p, urlFn, devOrProdVMAP(name))
	})
	t.Run("iam least privilege", func(t *testing.T) {
		sts, rendered := policy(t, p, urlModule+"module.function.data.aws_iam_policy_document.function")
		if !rendered {
			t.Error("the function URL front's S3 policy is only known after apply")
		}
		logs := fmt.Sprintf("arn:aws:logs:%s:123456789012:log-group:/aws/lambda/%s:log-stream:*", region, name)
		var objects []string
		for _, pfx := range urlPrefixes {
			objects = append(objects, "arn:aws:s3:::my-archives/"+pfx+"*")
		}
		want := map[string][]string{
			"s3:GetObject":         append(archiveARNs(devOrProdVMAP(name)), objects...),
			"s3:ListBucket":        {"arn:aws:s3:::my-archives"},
			"logs:CreateLogStream": {logs},
			"logs:PutLogEvents":    {logs},
		}
		sts = checkOwnerListing(t, sts, archiveARNs(devOrProdVMAP(name)))
		got := map[string][]string{}
		for _, st := range sts {
			for _, a := range st.Action {
				got[a] = append(got[a], st.Resource...)
			}
			if slices.Contains(st.Action, "s3:ListBucket") {
				if c := st.Condition["StringLike"]["s3:prefix"]; !slices.Equal(slices.Sorted(slices.Values(c)), []string{"public/*", "shared/docs/*"}) {
					t.Errorf("ListBucket condition s3:prefix = %q, want the allowed prefixes", c)
				}
			}
		}
		for a, res := range got {
			if !slices.Equal(slices.Sorted(slices.Values(res)), slices.Sorted(slices.Values(want[a]))) {
				t.Errorf("%s on %q, want exactly %q", a, res, want[a])
			}
		}
		for a := range want {
			if got[a] == nil {
				t.Errorf("%s not granted", a)
			}
		}
		keys, _ := policy(t, p, urlModule+"module.function.data.aws_iam_policy_document.keys[0]")
		if len(keys) != 1 || !slices.Equal(keys[0].Action, []string{"secretsmanager:GetSecretValue"}) {
			t.Errorf("keys policy %+v, want GetSecretValue only", keys)
		}
	})
	t.Run("public url, capped, keys without a value", func(t *testing.T) {
		u := p.values(urlModule + "aws_lambda_permission.invoke_url")
		if u["action"] != "lambda:InvokeFunctionUrl" || u["principal"] != "*" || u["function_url_auth_type"] != "NONE" {
			t.Errorf("URL permission %v", u)
		}
		if i := p.values(urlModule + "aws_lambda_permission.invoke"); i["action"] != "lambda:InvokeFunction" {
			t.Errorf("invoke permission %v (new function URLs need both since October 2025)", i)
		}
		if n := p.types()["aws_secretsmanager_secret_version"]; n != 0 {
			t.Errorf("%d secret versions: the keys' value must never be a Terraform value", n)
		}
		if s := p.values(urlModule + "aws_secretsmanager_secret.keys[0]"); s["name"] != name+"/access-keys" {
			t.Errorf("secret %v", s)
		}
	})
	t.Run("alarms on errors and duration", func(t *testing.T) {
		for _, a := range []string{"errors", "duration"} {
			al := p.values(fmt.Sprintf("%saws_cloudwatch_metric_alarm.this[%q]", urlModule, a))
			dims, _ := al["dimensions"].(map[string]any)
			if al["namespace"] != "AWS/Lambda" || dims["FunctionName"] == nil && !p.unknownAny(fmt.Sprintf("%saws_cloudwatch_metric_alarm.this[%q]", urlModule, a), "dimensions") {
				t.Errorf("%s alarm %v", a, al)
			}
		}
	})
}

func devOrProdVMAP(name string) map[string]string {
	if strings.HasPrefix(name, "s3archivefs-prod") {
		return prodVMAPForBoth
	}
	return devVMAP
}
