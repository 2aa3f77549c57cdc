package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/s3archivefs/s3archivefs/test/terraform/standin/internal/awsschema"
)

// ValidateResourceTypeConfig adds nothing to Terraform's own schema checks.
func (p *Provider) ValidateResourceTypeConfig(_ context.Context, req *tfprotov5.ValidateResourceTypeConfigRequest) (*tfprotov5.ValidateResourceTypeConfigResponse, error) {
	if _, ok := p.resources[req.TypeName]; !ok {
		return &tfprotov5.ValidateResourceTypeConfigResponse{Diagnostics: errorDiag("Unknown resource type", req.TypeName)}, nil
	}
	return &tfprotov5.ValidateResourceTypeConfigResponse{}, nil
}

// UpgradeResourceState decodes a stored state as is: the stand-in has one
// schema version.
func (p *Provider) UpgradeResourceState(_ context.Context, req *tfprotov5.UpgradeResourceStateRequest) (*tfprotov5.UpgradeResourceStateResponse, error) {
	typ, ok := p.resources[req.TypeName]
	if !ok {
		return &tfprotov5.UpgradeResourceStateResponse{Diagnostics: errorDiag("Unknown resource type", req.TypeName)}, nil
	}
	v, err := req.RawState.Unmarshal(typ)
	if err != nil {
		return &tfprotov5.UpgradeResourceStateResponse{Diagnostics: errorDiag("Cannot decode state", err.Error())}, nil
	}
	dv, err := tfprotov5.NewDynamicValue(typ, v)
	if err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	return &tfprotov5.UpgradeResourceStateResponse{UpgradedState: &dv}, nil
}

// ReadResource cannot look at real infrastructure.
func (p *Provider) ReadResource(_ context.Context, req *tfprotov5.ReadResourceRequest) (*tfprotov5.ReadResourceResponse, error) {
	return &tfprotov5.ReadResourceResponse{Diagnostics: errorDiag("Stand-in cannot read "+req.TypeName, cannotApply)}, nil
}

// PlanResourceChange plans a create: see the package comment.
func (p *Provider) PlanResourceChange(_ context.Context, req *tfprotov5.PlanResourceChangeRequest) (*tfprotov5.PlanResourceChangeResponse, error) {
	typ, ok := p.resources[req.TypeName]
	if !ok {
		return &tfprotov5.PlanResourceChangeResponse{Diagnostics: errorDiag("Unknown resource type", req.TypeName)}, nil
	}
	proposed, err := req.ProposedNewState.Unmarshal(typ)
	if err != nil {
		return &tfprotov5.PlanResourceChangeResponse{Diagnostics: errorDiag("Cannot decode proposed state", err.Error())}, nil
	}
	prior, err := req.PriorState.Unmarshal(typ)
	if err != nil {
		return &tfprotov5.PlanResourceChangeResponse{Diagnostics: errorDiag("Cannot decode prior state", err.Error())}, nil
	}
	// Destroy, or an update of a state the stand-in never made: the proposal
	// (config plus prior computed values) is already a valid plan.
	if proposed.IsNull() || !prior.IsNull() {
		return &tfprotov5.PlanResourceChangeResponse{PlannedState: req.ProposedNewState}, nil
	}
	region, tags := p.configured()
	planned := planBlock(p.schema.Resources[req.TypeName], proposed, &topLevel{region: region, defaultTags: tags})
	dv, err := tfprotov5.NewDynamicValue(typ, planned)
	if err != nil {
		return nil, fmt.Errorf("encode plan of %s: %w", req.TypeName, err)
	}
	return &tfprotov5.PlanResourceChangeResponse{PlannedState: &dv}, nil
}

// topLevel carries what planning the resource's own attributes needs; nil
// for nested blocks.
type topLevel struct {
	region      string
	defaultTags map[string]tftypes.Value
}

func planBlock(b *awsschema.Block, v tftypes.Value, top *topLevel) tftypes.Value {
	attrs := objectAttrs(v)
	if attrs == nil {
		return v
	}
	t := objectType(v)
	for name, a := range b.Attributes {
		cur, at := attrs[name], t.AttributeTypes[name]
		switch {
		case a.Computed && !a.Optional:
			attrs[name] = tftypes.NewValue(at, tftypes.UnknownValue)
		case top == nil || !cur.IsNull() || !a.Computed:
		case name == "id", name == "name" && b.Attributes["name_prefix"] != nil:
			// An unset id, or a name the provider generates (from
			// name_prefix or from nothing): known after apply.
			attrs[name] = tftypes.NewValue(at, tftypes.UnknownValue)
		case name == "region" && at.Is(tftypes.String):
			attrs[name] = stringValue(top.region)
		case name == "tags_all" && b.Attributes["tags"] != nil:
			attrs[name] = tagsAll(at, attrs["tags"], top.defaultTags)
		}
	}
	for name, nb := range b.Blocks {
		cur := attrs[name]
		if cur.IsNull() || !cur.IsKnown() {
			continue
		}
		if nb.Nesting == awsschema.NestingSingle {
			attrs[name] = planBlock(nb.Block, cur, nil)
			continue
		}
		elems := elements(cur)
		for i, e := range elems {
			elems[i] = planBlock(nb.Block, e, nil)
		}
		attrs[name] = tftypes.NewValue(cur.Type(), elems)
	}
	return tftypes.NewValue(t, attrs)
}

// tagsAll is what the real provider plans: default_tags overlaid by tags.
func tagsAll(t tftypes.Type, tags tftypes.Value, defaults map[string]tftypes.Value) tftypes.Value {
	if !tags.IsFullyKnown() {
		return tftypes.NewValue(t, tftypes.UnknownValue)
	}
	all := map[string]tftypes.Value{}
	for k, v := range defaults {
		all[k] = v
	}
	for k, v := range mapElems(tags) {
		if !v.IsNull() {
			all[k] = v
		}
	}
	return tftypes.NewValue(t, all)
}

// ApplyResourceChange refuses: the stand-in never creates anything.
func (p *Provider) ApplyResourceChange(_ context.Context, req *tfprotov5.ApplyResourceChangeRequest) (*tfprotov5.ApplyResourceChangeResponse, error) {
	return &tfprotov5.ApplyResourceChangeResponse{Diagnostics: errorDiag("Stand-in cannot apply "+req.TypeName, cannotApply)}, nil
}

// ImportResourceState refuses.
func (p *Provider) ImportResourceState(_ context.Context, req *tfprotov5.ImportResourceStateRequest) (*tfprotov5.ImportResourceStateResponse, error) {
	return &tfprotov5.ImportResourceStateResponse{Diagnostics: errorDiag("Stand-in cannot import "+req.TypeName, cannotApply)}, nil
}

// MoveResourceState refuses.
func (p *Provider) MoveResourceState(_ context.Context, req *tfprotov5.MoveResourceStateRequest) (*tfprotov5.MoveResourceStateResponse, error) {
	return &tfprotov5.MoveResourceStateResponse{Diagnostics: errorDiag("Stand-in cannot move "+req.TargetTypeName, cannotApply)}, nil
}

// UpgradeResourceIdentity refuses: no identities are declared.
func (p *Provider) UpgradeResourceIdentity(_ context.Context, req *tfprotov5.UpgradeResourceIdentityRequest) (*tfprotov5.UpgradeResourceIdentityResponse, error) {
	return &tfprotov5.UpgradeResourceIdentityResponse{Diagnostics: errorDiag("Stand-in has no identity for "+req.TypeName, cannotApply)}, nil
}

// GenerateResourceConfig refuses: it serves import.
func (p *Provider) GenerateResourceConfig(_ context.Context, req *tfprotov5.GenerateResourceConfigRequest) (*tfprotov5.GenerateResourceConfigResponse, error) {
	return &tfprotov5.GenerateResourceConfigResponse{Diagnostics: errorDiag("Stand-in cannot generate configuration for "+req.TypeName, cannotApply)}, nil
}
