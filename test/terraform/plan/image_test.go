package plan

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/s3archivefs/s3archivefs/test/terraform/internal/tfenv"
)

// imageURI is a digest-pinned image in the stand-in's account and region.
const imageURI = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/s3archivefs-dev@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func imageVars() map[string]any {
	return map[string]any{"prefix_vmap": devVMAP, "package_type": "Image", "image_uri": imageURI, "create_ecr_repository": true}
}

// TestDevImage plans dev as a container image (issue 13): the function
// takes the image and no layer, handler or runtime; the ECR repository has
// immutable tags, scan on push and a lifecycle policy.
func TestDevImage(t *testing.T) {
	env := tfenv.Setup(t)
	p := planEnvironment(t, env, "dev", imageVars())

	t.Run("function from the image", func(t *testing.T) {
		fn := p.values(function)
		if fn["package_type"] != "Image" || fn["image_uri"] != imageURI {
			t.Errorf("package_type %v image_uri %v, want Image %s", fn["package_type"], fn["image_uri"], imageURI)
		}
		for _, a := range []string{"runtime", "handler", "filename", "source_code_hash"} {
			if fn[a] != nil {
				t.Errorf("%s = %v, want none for an image", a, fn[a])
			}
		}
		if l, _ := fn["layers"].([]any); len(l) != 0 {
			t.Errorf("layers = %v, want none (an image cannot take layers)", l)
		}
		if n := p.types()["aws_lambda_layer_version"]; n != 0 {
			t.Errorf("%d layer versions planned for an image", n)
		}
		if got := envVars(t, p)["S3ARCHIVEFS_ENGINE"]; got != "native" {
			t.Errorf("S3ARCHIVEFS_ENGINE = %q, want native (the image's /opt/lib holds libsquashfs)", got)
		}
	})
	t.Run("ecr repository", func(t *testing.T) {
		repo := p.values(stack + "module.ecr[0].aws_ecr_repository.this")
		if repo["image_tag_mutability"] != "IMMUTABLE" || first(repo["image_scanning_configuration"])["scan_on_push"] != true {
			t.Errorf("repository %v, want immutable tags and scan on push", repo)
		}
		lc := p.values(stack + "module.ecr[0].aws_ecr_lifecycle_policy.this")
		var lifecycle struct {
			Rules []struct {
				Selection struct{ TagStatus, CountType string }
				Action    struct{ Type string }
			}
		}
		if err := json.Unmarshal([]byte(lc["policy"].(string)), &lifecycle); err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, r := range lifecycle.Rules {
			if r.Action.Type == "expire" {
				kinds = append(kinds, r.Selection.TagStatus+"/"+r.Selection.CountType)
			}
		}
		if !slices.Equal(kinds, []string{"untagged/sinceImagePushed", "any/imageCountMoreThan"}) {
			t.Errorf("lifecycle rules %q, want untagged expiry and a count limit", kinds)
		}
		sts, _ := policy(t, p, stack+"module.ecr[0].data.aws_iam_policy_document.lambda_pull")
		st := statement(t, sts, "LambdaPullsForOwnFunctions")
		if !slices.Equal(slices.Sorted(slices.Values(st.Action)), []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}) {
			t.Errorf("Lambda may %q", st.Action)
		}
	})
	t.Run("iam least privilege", func(t *testing.T) { checkIAM(t, p, archiveARNs(devVMAP), "s3archivefs-dev") })
	t.Run("vmap through the function's parser", func(t *testing.T) { checkVMAPThroughGo(t, p, devVMAP) })
}

// TestImageNeedsURI: package_type Image without image_uri fails the plan.
func TestImageNeedsURI(t *testing.T) {
	env := tfenv.Setup(t)
	vars := imageVars()
	delete(vars, "image_uri")
	out, err := planFails(t, env, "dev", vars)
	if err == nil {
		t.Fatal("plan accepted package_type Image without image_uri")
	}
	if !contains(out, "an image needs image_uri") {
		t.Errorf("plan failed without the expected message:\n%s", out)
	}
}
