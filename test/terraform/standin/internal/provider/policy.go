package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"sort"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// policyDoc is an aws_iam_policy_document rendered as IAM JSON.
type policyDoc struct {
	indented, minified string
}

type iamDocument struct {
	Version   string            `json:"Version,omitempty"`
	ID        string            `json:"Id,omitempty"`
	Statement []json.RawMessage `json:"Statement"`
}

// iamStatement follows the real provider's rendering: a single action,
// resource or principal identifier is a string, several are a list.
type iamStatement struct {
	Sid          string                    `json:"Sid,omitempty"`
	Effect       string                    `json:"Effect"`
	Action       any                       `json:"Action,omitempty"`
	NotAction    any                       `json:"NotAction,omitempty"`
	Resource     any                       `json:"Resource,omitempty"`
	NotResource  any                       `json:"NotResource,omitempty"`
	Principal    any                       `json:"Principal,omitempty"`
	NotPrincipal any                       `json:"NotPrincipal,omitempty"`
	Condition    map[string]map[string]any `json:"Condition,omitempty"`
}

// renderPolicy renders the configuration of an aws_iam_policy_document:
// statements from source_policy_documents first, then this document's own
// statements (replacing a source statement with the same sid), then those
// of override_policy_documents (replacing by sid, else appended).
func renderPolicy(cfg map[string]tftypes.Value) (policyDoc, error) {
	doc := iamDocument{Version: "2012-10-17"}
	if v, ok := knownString(cfg["version"]); ok && v != "" {
		doc.Version = v
	}
	if v, ok := knownString(cfg["policy_id"]); ok {
		doc.ID = v
	}
	var sids []string // sid of each statement in doc.Statement, "" if none
	merge := func(sid string, st json.RawMessage) {
		if sid != "" {
			for i, s := range sids {
				if s == sid {
					doc.Statement[i] = st
					return
				}
			}
		}
		doc.Statement = append(doc.Statement, st)
		sids = append(sids, sid)
	}
	mergeJSON := func(attr, single string) error {
		docs := stringList(cfg[attr])
		if single, ok := knownString(cfg[single]); ok && single != "" {
			docs = append([]string{single}, docs...)
		}
		for _, src := range docs {
			sts, err := parseStatements(src)
			if err != nil {
				return fmt.Errorf("%s: %w", attr, err)
			}
			for _, st := range sts {
				var head struct{ Sid string }
				if err := json.Unmarshal(st, &head); err != nil {
					return fmt.Errorf("%s: statement: %w", attr, err)
				}
				merge(head.Sid, st)
			}
		}
		return nil
	}
	if err := mergeJSON("source_policy_documents", "source_json"); err != nil {
		return policyDoc{}, err
	}
	for _, sv := range elements(cfg["statement"]) {
		st, sid, err := renderStatement(objectAttrs(sv))
		if err != nil {
			return policyDoc{}, err
		}
		merge(sid, st)
	}
	if err := mergeJSON("override_policy_documents", "override_json"); err != nil {
		return policyDoc{}, err
	}
	if doc.Statement == nil {
		doc.Statement = []json.RawMessage{}
	}
	minified, err := json.Marshal(doc)
	if err != nil {
		return policyDoc{}, fmt.Errorf("render policy: %w", err)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, minified, "", "  "); err != nil {
		return policyDoc{}, fmt.Errorf("render policy: %w", err)
	}
	return policyDoc{indented: indented.String(), minified: string(minified)}, nil
}

func parseStatements(src string) ([]json.RawMessage, error) {
	var d struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(src), &d); err != nil {
		return nil, fmt.Errorf("not a policy document: %w", err)
	}
	var list []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(d.Statement), []byte("{")) {
		return []json.RawMessage{d.Statement}, nil
	}
	if len(d.Statement) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(d.Statement, &list); err != nil {
		return nil, fmt.Errorf("policy Statement: %w", err)
	}
	return list, nil
}

func renderStatement(a map[string]tftypes.Value) (json.RawMessage, string, error) {
	st := iamStatement{Effect: "Allow"}
	st.Sid, _ = knownString(a["sid"])
	if e, ok := knownString(a["effect"]); ok && e != "" {
		if e != "Allow" && e != "Deny" {
			return nil, "", fmt.Errorf("statement effect %q: expected Allow or Deny", e)
		}
		st.Effect = e
	}
	st.Action = oneOrMany(stringList(a["actions"]))
	st.NotAction = oneOrMany(stringList(a["not_actions"]))
	st.Resource = oneOrMany(stringList(a["resources"]))
	st.NotResource = oneOrMany(stringList(a["not_resources"]))
	st.Principal = principals(a["principals"])
	st.NotPrincipal = principals(a["not_principals"])
	for _, c := range elements(a["condition"]) {
		ca := objectAttrs(c)
		test, _ := knownString(ca["test"])
		variable, _ := knownString(ca["variable"])
		if st.Condition == nil {
			st.Condition = map[string]map[string]any{}
		}
		if st.Condition[test] == nil {
			st.Condition[test] = map[string]any{}
		}
		st.Condition[test][variable] = oneOrMany(stringList(ca["values"]))
	}
	buf, err := json.Marshal(st)
	if err != nil {
		return nil, "", fmt.Errorf("render statement: %w", err)
	}
	return buf, st.Sid, nil
}

// principals renders principal blocks: {"AWS": ..., "Service": ...}, or "*"
// for the anonymous principal (type "*", identifiers ["*"]).
func principals(v tftypes.Value) any {
	blocks := elements(v)
	if len(blocks) == 0 {
		return nil
	}
	byType := map[string][]string{}
	for _, b := range blocks {
		ba := objectAttrs(b)
		t, _ := knownString(ba["type"])
		byType[t] = append(byType[t], stringList(ba["identifiers"])...)
	}
	if ids, ok := byType["*"]; ok && len(byType) == 1 && len(ids) == 1 && ids[0] == "*" {
		return "*"
	}
	out := map[string]any{}
	for t, ids := range byType {
		out[t] = oneOrMany(ids)
	}
	return out
}

// oneOrMany is nil for none, the string for one, a sorted list for several.
func oneOrMany(ss []string) any {
	switch len(ss) {
	case 0:
		return nil
	case 1:
		return ss[0]
	}
	out := append([]string(nil), ss...)
	sort.Strings(out)
	return out
}

func hashString(s string) uint32 {
	return crc32.ChecksumIEEE([]byte(s))
}
