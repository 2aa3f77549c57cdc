package accesskeys

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// File is a keys document in a local file (S3ARCHIVEFS_KEYS_FILE).
type File string

// Read implements Source.
func (f File) Read(context.Context) ([]byte, error) {
	fh, err := os.Open(string(f))
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return io.ReadAll(io.LimitReader(fh, maxDocument+1))
}

func (f File) String() string { return string(f) }

// SecretGetter is the one Secrets Manager call the store makes.
type SecretGetter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Secret is a keys document in a Secrets Manager secret's SecretString
// (S3ARCHIVEFS_KEYS_SECRET_ARN), its current version.
type Secret struct {
	Client SecretGetter
	ARN    string
}

// Read implements Source.
func (s Secret) Read(ctx context.Context) ([]byte, error) {
	out, err := s.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.ARN)})
	if err != nil {
		return nil, fmt.Errorf("GetSecretValue: %w", err)
	}
	if out.SecretString == nil {
		return nil, errors.New("the secret has no SecretString (a binary secret?); store the keys document as its string value")
	}
	return []byte(*out.SecretString), nil
}

func (s Secret) String() string { return s.ARN }
