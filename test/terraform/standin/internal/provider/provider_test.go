package provider

import (
	"context"
	"encoding/json"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/s3archivefs/s3archivefs/test/terraform/standin/internal/awsschema"
)

// unknown stands for an unknown value in expectations.
const unknown = "<unknown>"

func newProvider(t *testing.T) *Provider {
	t.Helper()
	s, err := awsschema.Load("testdata/schema.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// toValue builds a value of type t from Go data: nil is null, missing
// object attributes are null.
func toValue(t tftypes.Type, v any) tftypes.Value {
	if v == nil {
		return tftypes.NewValue(t, nil)
	}
	switch {
	case t.Is(tftypes.Object{}):
		o := t.(tftypes.Object)
		m, _ := v.(map[string]any)
		attrs := map[string]tftypes.Value{}
		for n, at := range o.AttributeTypes {
			attrs[n] = toValue(at, m[n])
		}
		return tftypes.NewValue(t, attrs)
	case t.Is(tftypes.List{}), t.Is(tftypes.Set{}):
		var et tftypes.Type
		if l, ok := t.(tftypes.List); ok {
			et = l.ElementType
		} else {
			et = t.(tftypes.Set).ElementType
		}
		var elems []tftypes.Value
		for _, e := range v.([]any) {
			elems = append(elems, toValue(et, e))
		}
		return tftypes.NewValue(t, elems)
	case t.Is(tftypes.Map{}):
		m := map[string]tftypes.Value{}
		for k, e := range v.(map[string]any) {
			m[k] = toValue(t.(tftypes.Map).ElementType, e)
		}
		return tftypes.NewValue(t, m)
	case t.Is(tftypes.Number):
		return tftypes.NewValue(t, big.NewFloat(float64(v.(int))))
	}
	return tftypes.NewValue(t, v)
}

// fromValue turns a value back into Go data, unknown as the string unknown.
func fromValue(v tftypes.Value) any {
	if !v.IsKnown() {
		return unknown
	}
	if v.IsNull() {
		return nil
	}
	t := v.Type()
	switch {
	case t.Is(tftypes.Object{}), t.Is(tftypes.Map{}):
		var m map[string]tftypes.Value
		_ = v.As(&m)
		out := map[string]any{}
		for k, e := range m {
			out[k] = fromValue(e)
		}
		return out
	case t.Is(tftypes.List{}), t.Is(tftypes.Set{}):
		var l []tftypes.Value
		_ = v.As(&l)
		out := []any{}
		for _, e := range l {
			out = append(out, fromValue(e))
		}
		return out
	case t.Is(tftypes.Number):
		var f big.Float
		_ = v.As(&f)
		i, _ := f.Int64()
		return int(i)
	case t.Is(tftypes.Bool):
		var b bool
		_ = v.As(&b)
		return b
	}
	var s string
	_ = v.As(&s)
	return s
}

func dynamic(t *testing.T, typ tftypes.Type, v any) *tfprotov5.DynamicValue {
	t.Helper()
	dv, err := tfprotov5.NewDynamicValue(typ, toValue(typ, v))
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

func decode(t *testing.T, typ tftypes.Type, dv *tfprotov5.DynamicValue) map[string]any {
	t.Helper()
	v, err := dv.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := fromValue(v).(map[string]any)
	return m
}

func configure(t *testing.T, p *Provider, cfg map[string]any) {
	t.Helper()
	resp, err := p.ConfigureProvider(context.Background(), &tfprotov5.ConfigureProviderRequest{Config: dynamic(t, p.provider, cfg)})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("configure: %v %+v", err, resp.Diagnostics)
	}
}

func TestPlanResourceChange(t *testing.T) {
	p := newProvider(t)
	typ := p.resources["aws_lambda_function"]
	for _, tc := range []struct {
		name     string
		provider map[string]any
		proposed map[string]any
		want     map[string]any // attributes checked; others must equal proposed
	}{
		{
			name:     "computed unknown, region and tags_all from the provider",
			provider: map[string]any{"region": "eu-west-1", "default_tags": []any{map[string]any{"tags": map[string]any{"Project": "p", "Env": "dev"}}}},
			proposed: map[string]any{"function_name": "f", "role": "r", "tags": map[string]any{"Env": "prod", "Name": "n"},
				"vpc_config": []any{map[string]any{"subnet_ids": []any{"s-1"}}}},
			want: map[string]any{
				"arn": unknown, "id": unknown, "region": "eu-west-1", "memory_size": nil,
				"tags_all":   map[string]any{"Project": "p", "Env": "prod", "Name": "n"},
				"vpc_config": []any{map[string]any{"subnet_ids": []any{"s-1"}, "vpc_id": unknown}},
				"timeouts":   nil,
			},
		},
		{
			name:     "defaults: us-east-1, no tags",
			provider: map[string]any{},
			proposed: map[string]any{"function_name": "f", "role": "r", "memory_size": 512, "id": "given", "region": "ap-south-1"},
			want:     map[string]any{"arn": unknown, "id": "given", "region": "ap-south-1", "memory_size": 512, "tags_all": map[string]any{}, "vpc_config": nil},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			configure(t, p, tc.provider)
			resp, err := p.PlanResourceChange(context.Background(), &tfprotov5.PlanResourceChangeRequest{
				TypeName:         "aws_lambda_function",
				PriorState:       dynamic(t, typ, nil),
				ProposedNewState: dynamic(t, typ, tc.proposed),
				Config:           dynamic(t, typ, tc.proposed),
			})
			if err != nil || len(resp.Diagnostics) > 0 {
				t.Fatalf("plan: %v %+v", err, resp.Diagnostics)
			}
			got := decode(t, typ, resp.PlannedState)
			for k, want := range tc.want {
				if !reflect.DeepEqual(got[k], want) {
					t.Errorf("%s = %#v, want %#v", k, got[k], want)
				}
			}
			for k, v := range tc.proposed {
				if _, checked := tc.want[k]; !checked && !reflect.DeepEqual(got[k], v) {
					t.Errorf("%s = %#v, want the proposed %#v", k, got[k], v)
				}
			}
		})
	}
}

func TestPlanDestroyAndRefusals(t *testing.T) {
	p := newProvider(t)
	typ := p.resources["aws_lambda_function"]
	ctx := context.Background()
	prior := dynamic(t, typ, map[string]any{"function_name": "f", "role": "r", "arn": "a"})
	resp, err := p.PlanResourceChange(ctx, &tfprotov5.PlanResourceChangeRequest{
		TypeName: "aws_lambda_function", PriorState: prior, ProposedNewState: dynamic(t, typ, nil), Config: dynamic(t, typ, nil),
	})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("plan destroy: %v %+v", err, resp.Diagnostics)
	}
	if v, _ := resp.PlannedState.Unmarshal(typ); !v.IsNull() {
		t.Errorf("destroy planned %v, want null", v)
	}
	apply, _ := p.ApplyResourceChange(ctx, &tfprotov5.ApplyResourceChangeRequest{TypeName: "aws_lambda_function"})
	read, _ := p.ReadResource(ctx, &tfprotov5.ReadResourceRequest{TypeName: "aws_lambda_function"})
	imp, _ := p.ImportResourceState(ctx, &tfprotov5.ImportResourceStateRequest{TypeName: "aws_lambda_function"})
	for name, diags := range map[string][]*tfprotov5.Diagnostic{"apply": apply.Diagnostics, "read": read.Diagnostics, "import": imp.Diagnostics} {
		if len(diags) != 1 || diags[0].Severity != tfprotov5.DiagnosticSeverityError || !strings.Contains(diags[0].Detail, "never calls AWS") {
			t.Errorf("%s: %+v, want one error saying the stand-in never calls AWS", name, diags)
		}
	}
	unknownType, _ := p.PlanResourceChange(ctx, &tfprotov5.PlanResourceChangeRequest{TypeName: "aws_nope"})
	if len(unknownType.Diagnostics) != 1 {
		t.Errorf("plan of an unknown type: %+v, want an error", unknownType.Diagnostics)
	}
}

func TestReadDataSource(t *testing.T) {
	p := newProvider(t)
	configure(t, p, map[string]any{"region": "eu-west-1"})
	for _, tc := range []struct {
		typeName string
		config   map[string]any
		want     map[string]any
	}{
		{"aws_caller_identity", nil, map[string]any{"account_id": "123456789012", "id": "123456789012", "arn": "arn:aws:iam::123456789012:user/stand-in"}},
		{"aws_region", nil, map[string]any{"region": "eu-west-1", "id": "eu-west-1", "endpoint": "ec2.eu-west-1.amazonaws.com"}},
		{"aws_region", map[string]any{"region": "us-west-2"}, map[string]any{"region": "us-west-2"}},
		{"aws_availability_zones", map[string]any{"exclude_names": []any{"eu-west-1b"}}, map[string]any{
			"names": []any{"eu-west-1a", "eu-west-1c"}, "zone_ids": []any{"eu-west-1-az1", "eu-west-1-az3"}, "group_names": []any{"eu-west-1"},
		}},
		{"aws_vpc", map[string]any{"id": "vpc-1"}, map[string]any{
			"id": "vpc-1", "cidr_block": "stand-in-cidr_block", "enable_dns_support": false, "cidr_block_associations": []any{}, "tags": nil,
		}},
	} {
		t.Run(tc.typeName, func(t *testing.T) {
			typ := p.data[tc.typeName]
			resp, err := p.ReadDataSource(context.Background(), &tfprotov5.ReadDataSourceRequest{TypeName: tc.typeName, Config: dynamic(t, typ, tc.config)})
			if err != nil || len(resp.Diagnostics) > 0 {
				t.Fatalf("read: %v %+v", err, resp.Diagnostics)
			}
			v, err := resp.State.Unmarshal(typ)
			if err != nil {
				t.Fatal(err)
			}
			if !v.IsFullyKnown() {
				t.Errorf("state %v is not wholly known: Terraform would reject it", v)
			}
			got, _ := fromValue(v).(map[string]any)
			for k, want := range tc.want {
				if !reflect.DeepEqual(got[k], want) {
					t.Errorf("%s = %#v, want %#v", k, got[k], want)
				}
			}
		})
	}
}

func TestPolicyDocument(t *testing.T) {
	p := newProvider(t)
	configure(t, p, nil)
	typ := p.data["aws_iam_policy_document"]
	source := `{"Version":"2012-10-17","Statement":[{"Sid":"Keep","Effect":"Allow","Action":"s3:ListBucket","Resource":"*"},{"Sid":"Replaced","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	override := `{"Statement":{"Sid":"Deny","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}}`
	for _, tc := range []struct {
		name    string
		config  map[string]any
		want    string // minified JSON
		wantErr string
	}{
		{
			name: "single values are strings, several a sorted list",
			config: map[string]any{"statement": []any{map[string]any{
				"sid": "Read", "actions": []any{"s3:GetObject"}, "resources": []any{"arn:aws:s3:::b/z", "arn:aws:s3:::b/a"},
			}}},
			want: `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::b/a","arn:aws:s3:::b/z"]}]}`,
		},
		{
			name: "principals and conditions",
			config: map[string]any{"policy_id": "P", "statement": []any{map[string]any{
				"effect": "Deny", "not_actions": []any{"s3:GetObject"}, "not_resources": []any{"*"},
				"principals": []any{map[string]any{"type": "AWS", "identifiers": []any{"arn:aws:iam::1:root"}}, map[string]any{"type": "Service", "identifiers": []any{"lambda.amazonaws.com"}}},
				"condition":  []any{map[string]any{"test": "StringEquals", "variable": "aws:SourceAccount", "values": []any{"1"}}},
			}}},
			want: `{"Version":"2012-10-17","Id":"P","Statement":[{"Effect":"Deny","NotAction":"s3:GetObject","NotResource":"*","Principal":{"AWS":"arn:aws:iam::1:root","Service":"lambda.amazonaws.com"},"Condition":{"StringEquals":{"aws:SourceAccount":"1"}}}]}`,
		},
		{
			name: "anonymous principal",
			config: map[string]any{"statement": []any{map[string]any{
				"actions": []any{"s3:GetObject"}, "principals": []any{map[string]any{"type": "*", "identifiers": []any{"*"}}},
			}}},
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Principal":"*"}]}`,
		},
		{
			name: "source, own statements by sid, overrides",
			config: map[string]any{
				"source_policy_documents":   []any{source},
				"override_policy_documents": []any{override},
				"statement":                 []any{map[string]any{"sid": "Replaced", "actions": []any{"s3:GetObject"}, "resources": []any{"*"}}},
			},
			want: `{"Version":"2012-10-17","Statement":[{"Sid":"Keep","Effect":"Allow","Action":"s3:ListBucket","Resource":"*"},{"Sid":"Replaced","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"Deny","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`,
		},
		{name: "empty", config: nil, want: `{"Version":"2012-10-17","Statement":[]}`},
		{name: "bad source", config: map[string]any{"source_policy_documents": []any{"{not json"}}, wantErr: "source_policy_documents"},
		{name: "bad effect", config: map[string]any{"statement": []any{map[string]any{"effect": "Maybe"}}}, wantErr: "expected Allow or Deny"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := p.ReadDataSource(context.Background(), &tfprotov5.ReadDataSourceRequest{TypeName: "aws_iam_policy_document", Config: dynamic(t, typ, tc.config)})
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantErr != "" {
				if len(resp.Diagnostics) != 1 || !strings.Contains(resp.Diagnostics[0].Detail, tc.wantErr) {
					t.Fatalf("diagnostics %+v, want one mentioning %q", resp.Diagnostics, tc.wantErr)
				}
				return
			}
			if len(resp.Diagnostics) > 0 {
				t.Fatalf("read: %+v", resp.Diagnostics)
			}
			got := decode(t, typ, resp.State)
			if got["minified_json"] != tc.want {
				t.Errorf("minified_json:\n got %s\nwant %s", got["minified_json"], tc.want)
			}
			var a, b any
			if err := json.Unmarshal([]byte(got["json"].(string)), &a); err != nil {
				t.Fatalf("json is not JSON: %v", err)
			}
			_ = json.Unmarshal([]byte(tc.want), &b)
			if !reflect.DeepEqual(a, b) {
				t.Errorf("json and minified_json differ: %s", got["json"])
			}
		})
	}
}

// FuzzPolicySources: any source or override document yields an error or a
// valid policy, never a panic.
func FuzzPolicySources(f *testing.F) {
	f.Add(`{"Statement":[{"Sid":"a","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)
	f.Add(`{"Statement":{"Sid":"b"}}`)
	f.Add(`{"Statement":null}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, src string) {
		cfg := map[string]tftypes.Value{
			"source_policy_documents":   stringListValue(tftypes.List{}, []string{src}),
			"override_policy_documents": stringListValue(tftypes.List{}, []string{src}),
		}
		doc, err := renderPolicy(cfg)
		if err != nil {
			return
		}
		if !json.Valid([]byte(doc.minified)) || !json.Valid([]byte(doc.indented)) {
			t.Fatalf("invalid JSON rendered from %q: %s", src, doc.minified)
		}
	})
}

func TestRetype(t *testing.T) {
	list := stringListValue(tftypes.List{}, []string{"a", "b"})
	for _, tc := range []struct {
		name   string
		to     tftypes.Type
		wantOK bool
	}{
		{"same type", tftypes.List{ElementType: tftypes.String}, true},
		{"list to set", tftypes.Set{ElementType: tftypes.String}, true},
		{"list to string", tftypes.String, false},
		{"list to list of numbers", tftypes.List{ElementType: tftypes.Number}, false},
		{"attribute not in schema", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := retype(list, tc.to)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if ok && (!got.Type().Equal(tc.to) || len(stringList(got)) != 2) {
				t.Errorf("retyped to %v with %v", got.Type(), stringList(got))
			}
		})
	}
}

func TestPlanGeneratedName(t *testing.T) {
	p := newProvider(t)
	configure(t, p, nil)
	typ := p.resources["aws_security_group"]
	for _, tc := range []struct {
		name     string
		proposed map[string]any
		want     any
	}{
		{"generated", map[string]any{}, unknown},
		{"from prefix", map[string]any{"name_prefix": "fn-"}, unknown},
		{"given", map[string]any{"name": "fn"}, "fn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := p.PlanResourceChange(context.Background(), &tfprotov5.PlanResourceChangeRequest{
				TypeName: "aws_security_group", PriorState: dynamic(t, typ, nil),
				ProposedNewState: dynamic(t, typ, tc.proposed), Config: dynamic(t, typ, tc.proposed),
			})
			if err != nil || len(resp.Diagnostics) > 0 {
				t.Fatalf("plan: %v %+v", err, resp.Diagnostics)
			}
			got := decode(t, typ, resp.PlannedState)
			if got["name"] != tc.want || got["description"] != nil {
				t.Errorf("name = %#v, description = %#v; want name %#v, description null", got["name"], got["description"], tc.want)
			}
		})
	}
}

func TestParseType(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want tftypes.Type
	}{
		{`"string"`, tftypes.String},
		{`"dynamic"`, tftypes.DynamicPseudoType},
		{`["set","number"]`, tftypes.Set{ElementType: tftypes.Number}},
		{`["map",["list","bool"]]`, tftypes.Map{ElementType: tftypes.List{ElementType: tftypes.Bool}}},
		{`["object",{"a":"string","b":["tuple",["number","bool"]]}]`, tftypes.Object{AttributeTypes: map[string]tftypes.Type{
			"a": tftypes.String, "b": tftypes.Tuple{ElementTypes: []tftypes.Type{tftypes.Number, tftypes.Bool}},
		}}},
	} {
		got, err := parseType(json.RawMessage(tc.in))
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseType(%s) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{`"strin"`, `["list"]`, `["vector","string"]`, `[1,"string"]`, `["object",[]]`, `{}`, `["list","nope"]`} {
		if got, err := parseType(json.RawMessage(bad)); err == nil {
			t.Errorf("parseType(%s) = %v, want an error", bad, got)
		}
	}
}
