package s3api

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// A continuation token is opaque to clients. Inside: a version byte, the
// last key or common prefix the previous page returned, and a CRC-32C of
// both, in unpadded base64url. The listing resumes strictly after that
// string, so it costs nothing to find the place again.
const tokenVersion = 1

// maxTokenLen bounds what DecodeToken looks at: a 1024-byte key encodes to
// under 1400 characters.
const maxTokenLen = 2048

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var errBadToken = errors.New("malformed continuation token")

// EncodeToken makes the continuation token that resumes after after.
func EncodeToken(after string) string {
	b := make([]byte, 0, 1+len(after)+4)
	b = append(b, tokenVersion)
	b = append(b, after...)
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeToken returns the position a token resumes after.
func DecodeToken(token string) (after string, err error) {
	if len(token) > maxTokenLen {
		return "", errBadToken
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 5 || b[0] != tokenVersion {
		return "", errBadToken
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return "", errBadToken
	}
	return string(body[1:]), nil
}

func invalidToken(token string) *Error {
	e := InvalidArgument("The continuation token provided is incorrect", "continuation-token", token)
	e.Cause = errBadToken
	return e
}
