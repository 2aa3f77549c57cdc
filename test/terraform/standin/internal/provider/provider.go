// Package provider is an offline stand-in for the hashicorp/aws provider: it
// serves the real provider's schema (package awsschema) over the plugin
// protocol 5, so that Terraform itself validates configurations, and plans
// without calling AWS.
//
// What it does, by RPC:
//   - GetProviderSchema: the generated schema. Terraform core then rejects
//     unknown arguments, missing required ones, wrong types and blocks
//     written as arguments (and the reverse) exactly as with the real provider.
//   - PlanResourceChange: the configuration as planned state; computed-only
//     attributes (at any depth), an unset id and an unset name where
//     name_prefix exists (the provider generates it) are unknown; region is the
//     provider's region; tags_all is default_tags merged with tags; any other
//     unset optional argument stays null (the real provider may plan a
//     default or "known after apply" there: the stand-in cannot know which).
//   - ReadDataSource: plausible fixed answers for aws_caller_identity
//     (account 123456789012), aws_region, aws_partition,
//     aws_availability_zones, and aws_iam_policy_document rendered for real;
//     for any other data source, placeholder values (Terraform requires a
//     data source's result to be wholly known, so they cannot be unknown).
//   - Apply, Read, Import, Move: an error, "stand-in cannot apply".
//
// What it cannot check: the provider's own value validations (ARN formats,
// enumerations, ranges, conflicting arguments), its plan-time defaults and
// diffs, and anything the AWS API would reject.
package provider

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/s3archivefs/s3archivefs/test/terraform/standin/internal/awsschema"
)

// Address is the provider source address the stand-in answers for.
const Address = "registry.terraform.io/hashicorp/aws"

// DefaultRegion is used when the provider block sets no region.
const DefaultRegion = "us-east-1"

// Provider implements tfprotov5.ProviderServer.
type Provider struct {
	schema    *awsschema.Schema
	proto     *tfprotov5.GetProviderSchemaResponse
	resources map[string]tftypes.Type
	data      map[string]tftypes.Type
	provider  tftypes.Type

	mu          sync.Mutex // guards what ConfigureProvider sets
	region      string
	defaultTags map[string]tftypes.Value
}

// New builds the provider from a schema, converting it once.
func New(s *awsschema.Schema) (*Provider, error) {
	p := &Provider{
		schema:    s,
		resources: map[string]tftypes.Type{},
		data:      map[string]tftypes.Type{},
		region:    DefaultRegion,
		proto: &tfprotov5.GetProviderSchemaResponse{
			ServerCapabilities:       &tfprotov5.ServerCapabilities{},
			ResourceSchemas:          map[string]*tfprotov5.Schema{},
			DataSourceSchemas:        map[string]*tfprotov5.Schema{},
			Functions:                map[string]*tfprotov5.Function{},
			EphemeralResourceSchemas: map[string]*tfprotov5.Schema{},
			ListResourceSchemas:      map[string]*tfprotov5.Schema{},
			ActionSchemas:            map[string]*tfprotov5.ActionSchema{},
		},
	}
	pb, err := protoBlock(s.Provider)
	if err != nil {
		return nil, fmt.Errorf("provider schema: %w", err)
	}
	p.proto.Provider = &tfprotov5.Schema{Block: pb}
	if p.provider, err = blockType(s.Provider); err != nil {
		return nil, fmt.Errorf("provider schema: %w", err)
	}
	for _, kind := range []struct {
		blocks map[string]*awsschema.Block
		protos map[string]*tfprotov5.Schema
		types  map[string]tftypes.Type
	}{
		{s.Resources, p.proto.ResourceSchemas, p.resources},
		{s.DataSources, p.proto.DataSourceSchemas, p.data},
	} {
		for name, b := range kind.blocks {
			pb, err := protoBlock(b)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			kind.protos[name] = &tfprotov5.Schema{Block: pb}
			if kind.types[name], err = blockType(b); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	return p, nil
}

// protoBlock converts a schema block to the protocol's form, sorted by name
// so the schema is the same on every call.
func protoBlock(b *awsschema.Block) (*tfprotov5.SchemaBlock, error) {
	out := &tfprotov5.SchemaBlock{}
	for _, name := range sortedKeys(b.Attributes) {
		a := b.Attributes[name]
		t, err := parseType(a.Type)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", name, err)
		}
		out.Attributes = append(out.Attributes, &tfprotov5.SchemaAttribute{
			Name: name, Type: t, Required: a.Required, Optional: a.Optional, Computed: a.Computed,
		})
	}
	for _, name := range sortedKeys(b.Blocks) {
		nb := b.Blocks[name]
		inner, err := protoBlock(nb.Block)
		if err != nil {
			return nil, fmt.Errorf("block %s: %w", name, err)
		}
		mode := tfprotov5.SchemaNestedBlockNestingModeList
		switch nb.Nesting {
		case awsschema.NestingSingle:
			mode = tfprotov5.SchemaNestedBlockNestingModeSingle
		case awsschema.NestingSet:
			mode = tfprotov5.SchemaNestedBlockNestingModeSet
		}
		out.BlockTypes = append(out.BlockTypes, &tfprotov5.SchemaNestedBlock{
			TypeName: name, Block: inner, Nesting: mode,
			MinItems: int64(nb.MinItems), MaxItems: int64(nb.MaxItems),
		})
	}
	return out, nil
}

// blockType is the object type of a block's value.
func blockType(b *awsschema.Block) (tftypes.Type, error) {
	attrs := map[string]tftypes.Type{}
	for name, a := range b.Attributes {
		t, err := parseType(a.Type)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", name, err)
		}
		attrs[name] = t
	}
	for name, nb := range b.Blocks {
		t, err := blockType(nb.Block)
		if err != nil {
			return nil, err
		}
		switch nb.Nesting {
		case awsschema.NestingSingle:
			attrs[name] = t
		case awsschema.NestingSet:
			attrs[name] = tftypes.Set{ElementType: t}
		default:
			attrs[name] = tftypes.List{ElementType: t}
		}
	}
	return tftypes.Object{AttributeTypes: attrs}, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func errorDiag(summary, detail string) []*tfprotov5.Diagnostic {
	return []*tfprotov5.Diagnostic{{Severity: tfprotov5.DiagnosticSeverityError, Summary: summary, Detail: detail}}
}

const cannotApply = "the offline stand-in for hashicorp/aws only validates and plans; it never calls AWS"

// GetMetadata lists the types; Terraform falls back to GetProviderSchema.
func (p *Provider) GetMetadata(context.Context, *tfprotov5.GetMetadataRequest) (*tfprotov5.GetMetadataResponse, error) {
	resp := &tfprotov5.GetMetadataResponse{ServerCapabilities: p.proto.ServerCapabilities}
	for _, n := range sortedKeys(p.schema.Resources) {
		resp.Resources = append(resp.Resources, tfprotov5.ResourceMetadata{TypeName: n})
	}
	for _, n := range sortedKeys(p.schema.DataSources) {
		resp.DataSources = append(resp.DataSources, tfprotov5.DataSourceMetadata{TypeName: n})
	}
	return resp, nil
}

// GetProviderSchema returns the generated schema.
func (p *Provider) GetProviderSchema(context.Context, *tfprotov5.GetProviderSchemaRequest) (*tfprotov5.GetProviderSchemaResponse, error) {
	return p.proto, nil
}

// GetResourceIdentitySchemas: the stand-in declares no resource identities.
func (p *Provider) GetResourceIdentitySchemas(context.Context, *tfprotov5.GetResourceIdentitySchemasRequest) (*tfprotov5.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov5.GetResourceIdentitySchemasResponse{IdentitySchemas: map[string]*tfprotov5.ResourceIdentitySchema{}}, nil
}

// PrepareProviderConfig accepts the configuration unchanged.
func (p *Provider) PrepareProviderConfig(_ context.Context, req *tfprotov5.PrepareProviderConfigRequest) (*tfprotov5.PrepareProviderConfigResponse, error) {
	return &tfprotov5.PrepareProviderConfigResponse{PreparedConfig: req.Config}, nil
}

// ConfigureProvider keeps what plans and data sources need: region and
// default_tags.
func (p *Provider) ConfigureProvider(_ context.Context, req *tfprotov5.ConfigureProviderRequest) (*tfprotov5.ConfigureProviderResponse, error) {
	v, err := req.Config.Unmarshal(p.provider)
	if err != nil {
		return &tfprotov5.ConfigureProviderResponse{Diagnostics: errorDiag("Invalid provider configuration", err.Error())}, nil
	}
	attrs := objectAttrs(v)
	region := DefaultRegion
	if r, ok := knownString(attrs["region"]); ok && r != "" {
		region = r
	}
	tags := map[string]tftypes.Value{}
	for _, dt := range elements(attrs["default_tags"]) {
		for k, t := range mapElems(objectAttrs(dt)["tags"]) {
			tags[k] = t
		}
	}
	p.mu.Lock()
	p.region, p.defaultTags = region, tags
	p.mu.Unlock()
	return &tfprotov5.ConfigureProviderResponse{}, nil
}

func (p *Provider) configured() (string, map[string]tftypes.Value) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.region, p.defaultTags
}

// StopProvider has nothing to stop.
func (p *Provider) StopProvider(context.Context, *tfprotov5.StopProviderRequest) (*tfprotov5.StopProviderResponse, error) {
	return &tfprotov5.StopProviderResponse{}, nil
}

// GetFunctions: the stand-in offers no provider functions.
func (p *Provider) GetFunctions(context.Context, *tfprotov5.GetFunctionsRequest) (*tfprotov5.GetFunctionsResponse, error) {
	return &tfprotov5.GetFunctionsResponse{Functions: map[string]*tfprotov5.Function{}}, nil
}

// CallFunction: no functions.
func (p *Provider) CallFunction(_ context.Context, req *tfprotov5.CallFunctionRequest) (*tfprotov5.CallFunctionResponse, error) {
	return &tfprotov5.CallFunctionResponse{Error: &tfprotov5.FunctionError{Text: "the stand-in has no function " + req.Name}}, nil
}

// ValidateEphemeralResourceConfig: no ephemeral resources.
func (p *Provider) ValidateEphemeralResourceConfig(_ context.Context, req *tfprotov5.ValidateEphemeralResourceConfigRequest) (*tfprotov5.ValidateEphemeralResourceConfigResponse, error) {
	return &tfprotov5.ValidateEphemeralResourceConfigResponse{Diagnostics: errorDiag("Unsupported ephemeral resource", req.TypeName+": "+cannotApply)}, nil
}

// OpenEphemeralResource: no ephemeral resources.
func (p *Provider) OpenEphemeralResource(_ context.Context, req *tfprotov5.OpenEphemeralResourceRequest) (*tfprotov5.OpenEphemeralResourceResponse, error) {
	return &tfprotov5.OpenEphemeralResourceResponse{Diagnostics: errorDiag("Unsupported ephemeral resource", req.TypeName+": "+cannotApply)}, nil
}

// RenewEphemeralResource: no ephemeral resources.
func (p *Provider) RenewEphemeralResource(_ context.Context, req *tfprotov5.RenewEphemeralResourceRequest) (*tfprotov5.RenewEphemeralResourceResponse, error) {
	return &tfprotov5.RenewEphemeralResourceResponse{Diagnostics: errorDiag("Unsupported ephemeral resource", req.TypeName+": "+cannotApply)}, nil
}

// CloseEphemeralResource: no ephemeral resources.
func (p *Provider) CloseEphemeralResource(context.Context, *tfprotov5.CloseEphemeralResourceRequest) (*tfprotov5.CloseEphemeralResourceResponse, error) {
	return &tfprotov5.CloseEphemeralResourceResponse{}, nil
}
