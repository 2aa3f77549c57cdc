package httpfront

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"time"
)

const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// The bucket-level calls clients make before their first GET (checked
// with the clients themselves): ListBuckets (aws s3 ls, rclone lsd,
// s3cmd ls), HeadBucket (aws s3api head-bucket, SDKs checking a bucket)
// and GetBucketLocation (s3cmd, SDKs looking for the region). Any access
// key may make them: they reveal only the bucket's name and region.

func (h *Handler) listBuckets(w http.ResponseWriter, r *request) {
	type bucket struct {
		Name         string `xml:"Name"`
		CreationDate string `xml:"CreationDate"`
		BucketRegion string `xml:"BucketRegion"`
	}
	doc := struct {
		XMLName xml.Name `xml:"ListAllMyBucketsResult"`
		XMLNS   string   `xml:"xmlns,attr"`
		Owner   struct {
			ID          string `xml:"ID"`
			DisplayName string `xml:"DisplayName"`
		} `xml:"Owner"`
		Buckets []bucket `xml:"Buckets>Bucket"`
	}{XMLNS: s3Namespace}
	doc.Owner.ID, doc.Owner.DisplayName = "s3archivefs", "s3archivefs"
	created := h.cfg.Created
	if created.IsZero() {
		created = time.Unix(0, 0)
	}
	doc.Buckets = []bucket{{Name: h.cfg.Bucket, CreationDate: created.UTC().Format("2006-01-02T15:04:05.000Z"), BucketRegion: h.cfg.Region}}
	writeXML(w, doc)
}

func (h *Handler) headBucket(w http.ResponseWriter, r *request) {
	w.Header().Set("x-amz-bucket-region", h.cfg.Region)
	w.Header().Set("x-amz-access-point-alias", "false")
	w.WriteHeader(http.StatusOK)
}

// getBucketLocation answers the region; S3 leaves it empty for us-east-1.
func (h *Handler) getBucketLocation(w http.ResponseWriter, r *request) {
	region := h.cfg.Region
	if region == "us-east-1" {
		region = ""
	}
	writeXML(w, struct {
		XMLName xml.Name `xml:"LocationConstraint"`
		XMLNS   string   `xml:"xmlns,attr"`
		Region  string   `xml:",chardata"`
	}{XMLNS: s3Namespace, Region: region})
}

func writeXML(w http.ResponseWriter, doc any) {
	out, err := xml.Marshal(doc)
	if err != nil { // fixed document shapes: a programming error
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	body := append([]byte(xml.Header), out...)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
