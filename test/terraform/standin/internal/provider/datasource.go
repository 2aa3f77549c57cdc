package provider

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strconv"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/s3archivefs/s3archivefs/test/terraform/standin/internal/awsschema"
)

// AccountID is the account every stand-in answer lives in.
const AccountID = "123456789012"

// LambdaConcurrencyEnv, when set to a number, is the account's Lambda
// concurrency limit the stand-in answers (default: AWS's 1,000).
const LambdaConcurrencyEnv = "S3ARCHIVEFS_STANDIN_LAMBDA_CONCURRENCY"

const lambdaConcurrencyQuota = "L-B99A9384"

// defaultQuotas are AWS's default values of the service quotas the stack reads.
var defaultQuotas = map[string]float64{
	lambdaConcurrencyQuota: 1000, // Lambda: concurrent executions
}

// ValidateDataSourceConfig adds nothing to Terraform's own schema checks.
func (p *Provider) ValidateDataSourceConfig(_ context.Context, req *tfprotov5.ValidateDataSourceConfigRequest) (*tfprotov5.ValidateDataSourceConfigResponse, error) {
	if _, ok := p.data[req.TypeName]; !ok {
		return &tfprotov5.ValidateDataSourceConfigResponse{Diagnostics: errorDiag("Unknown data source", req.TypeName)}, nil
	}
	return &tfprotov5.ValidateDataSourceConfigResponse{}, nil
}

// ReadDataSource answers with fixed, plausible values (see package comment).
func (p *Provider) ReadDataSource(_ context.Context, req *tfprotov5.ReadDataSourceRequest) (*tfprotov5.ReadDataSourceResponse, error) {
	typ, ok := p.data[req.TypeName]
	if !ok {
		return &tfprotov5.ReadDataSourceResponse{Diagnostics: errorDiag("Unknown data source", req.TypeName)}, nil
	}
	cfg, err := req.Config.Unmarshal(typ)
	if err != nil {
		return &tfprotov5.ReadDataSourceResponse{Diagnostics: errorDiag("Cannot decode configuration", err.Error())}, nil
	}
	region, _ := p.configured()
	attrs := objectAttrs(cfg)
	if r, ok := knownString(attrs["region"]); ok && r != "" {
		region = r
	}
	set, err := p.answer(req.TypeName, attrs, region)
	if err != nil {
		return &tfprotov5.ReadDataSourceResponse{Diagnostics: errorDiag("Invalid "+req.TypeName, err.Error())}, nil
	}
	b := p.schema.DataSources[req.TypeName]
	t := objectType(cfg)
	for name, v := range set {
		// Schemas drop attributes and turn lists into sets across versions:
		// only what fits the schema is set.
		if v, ok := retype(v, t.AttributeTypes[name]); ok {
			attrs[name] = v
		}
	}
	if b.Attributes["region"] != nil && attrs["region"].IsNull() {
		attrs["region"] = stringValue(region)
	}
	if b.Attributes["id"] != nil && attrs["id"].IsNull() {
		attrs["id"] = stringValue(req.TypeName)
	}
	state := fillBlock(b, tftypes.NewValue(typ, attrs))
	dv, err := tfprotov5.NewDynamicValue(typ, state)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", req.TypeName, err)
	}
	return &tfprotov5.ReadDataSourceResponse{State: &dv}, nil
}

// answer returns the attributes the stand-in knows for a data source.
func (p *Provider) answer(typeName string, cfg map[string]tftypes.Value, region string) (map[string]tftypes.Value, error) {
	switch typeName {
	case "aws_caller_identity":
		return map[string]tftypes.Value{
			"id":         stringValue(AccountID),
			"account_id": stringValue(AccountID),
			"arn":        stringValue("arn:aws:iam::" + AccountID + ":user/stand-in"),
			"user_id":    stringValue("AIDASTANDIN0000000000"),
		}, nil
	case "aws_region":
		if n, ok := knownString(cfg["name"]); ok && n != "" {
			region = n
		}
		return map[string]tftypes.Value{
			"id":          stringValue(region),
			"name":        stringValue(region),
			"region":      stringValue(region),
			"endpoint":    stringValue("ec2." + region + ".amazonaws.com"),
			"description": stringValue("stand-in " + region),
		}, nil
	case "aws_partition":
		return map[string]tftypes.Value{
			"id":                 stringValue("aws"),
			"partition":          stringValue("aws"),
			"dns_suffix":         stringValue("amazonaws.com"),
			"reverse_dns_prefix": stringValue("com.amazonaws"),
		}, nil
	case "aws_availability_zones":
		excluded := stringList(cfg["exclude_names"])
		var names, ids []string
		for i, suffix := range []string{"a", "b", "c"} {
			if n := region + suffix; !slices.Contains(excluded, n) {
				names = append(names, n)
				ids = append(ids, fmt.Sprintf("%s-az%d", region, i+1))
			}
		}
		return map[string]tftypes.Value{
			"id":          stringValue(region),
			"names":       stringListValue(tftypes.List{}, names),
			"zone_ids":    stringListValue(tftypes.List{}, ids),
			"group_names": stringListValue(tftypes.Set{}, []string{region}),
		}, nil
	case "aws_servicequotas_service_quota":
		// AWS's default quotas for the ones the stack reads; a test sets
		// another Lambda concurrency limit through LambdaConcurrencyEnv.
		code, _ := knownString(cfg["quota_code"])
		value, ok := defaultQuotas[code]
		if !ok {
			return nil, nil
		}
		if v, err := strconv.ParseFloat(os.Getenv(LambdaConcurrencyEnv), 64); err == nil && code == lambdaConcurrencyQuota {
			value = v
		}
		return map[string]tftypes.Value{
			"value":        tftypes.NewValue(tftypes.Number, big.NewFloat(value)),
			"quota_name":   stringValue("stand-in " + code),
			"adjustable":   tftypes.NewValue(tftypes.Bool, true),
			"global_quota": tftypes.NewValue(tftypes.Bool, false),
		}, nil
	case "aws_iam_policy_document":
		doc, err := renderPolicy(cfg)
		if err != nil {
			return nil, err
		}
		return map[string]tftypes.Value{
			"id":            stringValue(fmt.Sprint(hashString(doc.minified))),
			"json":          stringValue(doc.indented),
			"minified_json": stringValue(doc.minified),
		}, nil
	}
	return nil, nil
}

// fillBlock gives every computed-only attribute left null a placeholder
// value, at any depth: a data source's result must be wholly known.
func fillBlock(b *awsschema.Block, v tftypes.Value) tftypes.Value {
	attrs := objectAttrs(v)
	if attrs == nil {
		return v
	}
	t := objectType(v)
	for name, a := range b.Attributes {
		if a.Computed && !a.Optional && attrs[name].IsNull() {
			attrs[name] = placeholder(t.AttributeTypes[name], name)
		}
	}
	for name, nb := range b.Blocks {
		cur := attrs[name]
		if cur.IsNull() {
			continue
		}
		if nb.Nesting == awsschema.NestingSingle {
			attrs[name] = fillBlock(nb.Block, cur)
			continue
		}
		elems := elements(cur)
		for i, e := range elems {
			elems[i] = fillBlock(nb.Block, e)
		}
		attrs[name] = tftypes.NewValue(cur.Type(), elems)
	}
	return tftypes.NewValue(t, attrs)
}

// placeholder is a known value of type t: "stand-in-<name>", 0, false,
// empty collections, objects of placeholders.
func placeholder(t tftypes.Type, name string) tftypes.Value {
	switch {
	case t.Is(tftypes.String):
		return stringValue("stand-in-" + name)
	case t.Is(tftypes.Number):
		return tftypes.NewValue(t, big.NewFloat(0))
	case t.Is(tftypes.Bool):
		return tftypes.NewValue(t, false)
	case t.Is(tftypes.List{}), t.Is(tftypes.Set{}):
		return tftypes.NewValue(t, []tftypes.Value{})
	case t.Is(tftypes.Map{}):
		return tftypes.NewValue(t, map[string]tftypes.Value{})
	case t.Is(tftypes.Object{}):
		o := t.(tftypes.Object)
		attrs := map[string]tftypes.Value{}
		for n, at := range o.AttributeTypes {
			attrs[n] = placeholder(at, n)
		}
		return tftypes.NewValue(t, attrs)
	}
	return tftypes.NewValue(tftypes.String, "stand-in-"+name) // dynamic
}

// retype returns v as type t: as is, or a list of strings rebuilt as the
// list or set of strings t is; false if it cannot be.
func retype(v tftypes.Value, t tftypes.Type) (tftypes.Value, bool) {
	switch {
	case t == nil:
		return v, false
	case v.Type().Equal(t):
		return v, true
	case t.Equal(tftypes.List{ElementType: tftypes.String}), t.Equal(tftypes.Set{ElementType: tftypes.String}):
		if v.Type().Is(tftypes.List{}) || v.Type().Is(tftypes.Set{}) {
			return stringListValue(t, stringList(v)), true
		}
	}
	return v, false
}
