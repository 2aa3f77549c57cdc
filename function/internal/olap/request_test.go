package olap

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestParseUserRequest(t *testing.T) {
	tests := []struct {
		url, bucket, key, query string
		wantErr                 bool
	}{
		{url: "https://ol-111122223333.s3-object-lambda.us-east-1.amazonaws.com/demo/a%20b.txt", bucket: "ol-111122223333", key: "demo/a b.txt"},
		{url: "https://ol-111122223333.s3-object-lambda.us-east-1.amazonaws.com/demo/x?partNumber=1", key: "demo/x", query: "1"},
		{url: "https://ol-111122223333.s3-object-lambda.us-east-1.amazonaws.com/", key: ""},
		{url: "http://127.0.0.1:9000/s3archivefs/demo/dir/f%2Bg", bucket: "s3archivefs", key: "demo/dir/f+g"},
		{url: "http://127.0.0.1:9000/s3archivefs?list-type=2", key: ""},
		{url: "https://ol.s3-object-lambda.us-east-1.amazonaws.com/%zz", wantErr: true},
		{url: "::not a url", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseUserRequest(events.S3ObjectLambdaUserRequest{URL: tt.url, Headers: map[string]string{"range": "bytes=0-1"}})
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v, want error %v", tt.url, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if tt.bucket != "" && got.Bucket != tt.bucket {
			t.Errorf("%s: bucket %q, want %q", tt.url, got.Bucket, tt.bucket)
		}
		if got.Key != tt.key {
			t.Errorf("%s: key %q, want %q", tt.url, got.Key, tt.key)
		}
		if got.Query.Get("partNumber") != tt.query {
			t.Errorf("%s: partNumber %q, want %q", tt.url, got.Query.Get("partNumber"), tt.query)
		}
		if got.Header.Get("Range") != "bytes=0-1" {
			t.Errorf("%s: headers are not looked up case-insensitively: %v", tt.url, got.Header)
		}
	}
}
