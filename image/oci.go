package image

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/s3archivefs/s3archivefs/layer"
)

// OCI annotation keys, used both as image labels and manifest annotations.
const (
	LabelVersion  = "org.opencontainers.image.version"
	LabelRevision = "org.opencontainers.image.revision"
	LabelTitle    = "org.opencontainers.image.title"
	LabelCreated  = "org.opencontainers.image.created"
	refName       = "org.opencontainers.image.ref.name"
)

// Meta is what the image says about itself.
type Meta struct {
	Version  string
	Revision string
	Created  time.Time // the source's time (SOURCE_DATE_EPOCH), never "now"
}

// Platform is the OCI architecture of a Lambda architecture.
func Platform(a layer.Arch) string {
	if a == layer.ARM64 {
		return "arm64"
	}
	return "amd64"
}

// Build makes the single-layer image. Lambda takes one platform per
// manifest (no index), OCI or Docker v2 media types; we use OCI.
func Build(arch layer.Arch, files []File, meta Meta) (v1.Image, error) {
	if meta.Version == "" || meta.Revision == "" {
		return nil, fmt.Errorf("image: version and revision are required")
	}
	created := meta.Created.UTC()
	tarData, err := Tar(files, created)
	if err != nil {
		return nil, err
	}
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(tarData)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching) // compress once, not per read
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:     l,
		MediaType: types.OCILayer,
		History: v1.History{
			Created:   v1.Time{Time: created},
			CreatedBy: "s3archivefs image/cmd/imagetool build",
			Comment:   "glibc and CA certificates from Debian, /opt/lib from the layer zip, bootstrap, CLI",
		},
	})
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	labels := map[string]string{
		LabelVersion:  meta.Version,
		LabelRevision: meta.Revision,
		LabelTitle:    "s3archivefs",
		LabelCreated:  created.Format(time.RFC3339),
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Architecture = Platform(arch)
	cf.OS = "linux"
	cf.Created = v1.Time{Time: created}
	cf.Config = v1.Config{
		// Lambda's contract for custom runtimes: the entry point implements
		// the Runtime API. `docker run IMAGE` works the same way; the CLI is
		// --entrypoint /usr/local/bin/s3archivefs.
		Entrypoint: []string{BootstrapPath},
		WorkingDir: TaskRoot,
		Env:        []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LAMBDA_TASK_ROOT=" + TaskRoot},
		Labels:     labels,
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	return mutate.Annotations(img, labels).(v1.Image), nil
}

// WriteLayout replaces dir with an OCI image layout holding img alone,
// tagged ref (the ref.name annotation). It writes next to dir and renames,
// so a failed build leaves the previous layout whole.
func WriteLayout(dir, ref string, img v1.Image) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, ".image-*")
	if err != nil {
		return fmt.Errorf("image: %w", err)
	}
	defer os.RemoveAll(tmp)
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return fmt.Errorf("image: %w", err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{refName: ref})); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	return nil
}

// ReadLayout returns the one image of a layout WriteLayout wrote.
func ReadLayout(dir string) (v1.Image, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	if len(m.Manifests) != 1 {
		return nil, fmt.Errorf("image: %s holds %d manifests, want 1", dir, len(m.Manifests))
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	return img, nil
}

// CompressedSize is what a registry stores for img: manifest, config and
// the compressed layers.
func CompressedSize(img v1.Image) (int64, error) {
	m, err := img.RawManifest()
	if err != nil {
		return 0, fmt.Errorf("image: %w", err)
	}
	c, err := img.RawConfigFile()
	if err != nil {
		return 0, fmt.Errorf("image: %w", err)
	}
	n := int64(len(m) + len(c))
	ls, err := img.Layers()
	if err != nil {
		return 0, fmt.Errorf("image: %w", err)
	}
	for _, l := range ls {
		s, err := l.Size()
		if err != nil {
			return 0, fmt.Errorf("image: %w", err)
		}
		n += s
	}
	return n, nil
}
