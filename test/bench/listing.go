package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/test/olaplocal"
)

// pageSize is ListObjectsV2's default (and largest) page.
const pageSize = 1000

// Listing holds the ListObjectsV2 measurements on the many-files archive.
type Listing struct {
	Files                             int
	FirstCold, FirstWarm              Samples // seconds for the first page
	DeepCold, DeepWarm                Samples // a page starting in the middle
	FirstColdTraffic, DeepColdTraffic []Traffic
	Walk                              Samples // every page, warm
	WalkPages                         int
	Unsquashfs                        Samples // unsquashfs -lc on the archive file: the local baseline
	RefMetadata                       int64   // what the reference downloads before listing anything
}

// measureListing lists the many-files archive through the endpoint, with
// S3 latency injected.
func measureListing(ctx context.Context, e *Env, reps int) (*Listing, error) {
	l := &Listing{Files: e.W.Sizes.SmallFiles}
	mid := middleSmallFile(e.W.Sizes)
	prefix := filesPrefix + "/"
	first := page{prefix: prefix, wantFirst: prefix + SmallFilePath(0), wantN: min(pageSize, l.Files)}
	deep := page{prefix: prefix, startAfter: prefix + SmallFilePath(mid), wantFirst: prefix + SmallFilePath(mid+1), wantN: min(pageSize, l.Files-mid-1)}
	var err error
	if l.RefMetadata, err = referenceMetadata(e.W.FilesSqf); err != nil {
		return nil, err
	}
	for range reps {
		d, err := timeCmd(ctx, "unsquashfs", "-lc", "-d", "", e.W.FilesSqf)
		if err != nil {
			return nil, err
		}
		l.Unsquashfs = append(l.Unsquashfs, d)
	}
	for range reps {
		for _, p := range []struct {
			pg         page
			cold, warm *Samples
			traffic    *[]Traffic
		}{{first, &l.FirstCold, &l.FirstWarm, &l.FirstColdTraffic}, {deep, &l.DeepCold, &l.DeepWarm, &l.DeepColdTraffic}} {
			f, err := e.startFunction(FuncOpts{S3: e.Slow, Engine: "go"})
			if err != nil {
				return nil, err
			}
			e.Slow.ResetStats()
			d, err := p.pg.list(ctx, f.client)
			if err == nil {
				err = e.quiesce(ctx) // the metadata prefetch the open started
			}
			if err == nil {
				err = f.idle(ctx)
			}
			st := e.Slow.Stats()
			var dw float64
			if err == nil {
				dw, err = p.pg.list(ctx, f.client)
			}
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("%w (function output: %s)", err, f.output())
			}
			*p.cold, *p.warm = append(*p.cold, d), append(*p.warm, dw)
			*p.traffic = append(*p.traffic, Traffic{st.Total(), st.BodyBytes, int64(st.Rounds())})
			if p.pg.startAfter == "" {
				start := time.Now()
				pages, keys, err := listAll(ctx, f.client, prefix)
				if err == nil && keys != l.Files {
					err = fmt.Errorf("full listing: %d keys, want %d", keys, l.Files)
				}
				if err != nil {
					f.Close()
					return nil, err
				}
				l.Walk, l.WalkPages = append(l.Walk, time.Since(start).Seconds()), pages
			}
			f.Close()
			os.RemoveAll(f.cache)
		}
	}
	return l, nil
}

type page struct {
	prefix, startAfter, wantFirst string
	wantN                         int
}

// list gets one page and checks it starts where it should and is full.
func (p page) list(ctx context.Context, c *s3.Client) (float64, error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(olaplocal.DefaultBucket), Prefix: aws.String(p.prefix), MaxKeys: aws.Int32(pageSize)}
	if p.startAfter != "" {
		in.StartAfter = aws.String(p.startAfter)
	}
	start := time.Now()
	out, err := c.ListObjectsV2(ctx, in)
	d := time.Since(start).Seconds()
	if err != nil {
		return 0, fmt.Errorf("ListObjectsV2 %+v: %w", p, err)
	}
	if len(out.Contents) != p.wantN || aws.ToString(out.Contents[0].Key) != p.wantFirst {
		first := ""
		if len(out.Contents) > 0 {
			first = aws.ToString(out.Contents[0].Key)
		}
		return 0, fmt.Errorf("ListObjectsV2 %+v: %d keys from %q, want %d from %q", p, len(out.Contents), first, p.wantN, p.wantFirst)
	}
	return d, nil
}

// listAll is a full ListObjectsV2 walk under prefix; it returns the pages
// and keys seen.
func listAll(ctx context.Context, c *s3.Client, prefix string) (pages, keys int, err error) {
	var token *string
	for {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(olaplocal.DefaultBucket),
			Prefix: aws.String(prefix), ContinuationToken: token})
		if err != nil {
			return pages, keys, err
		}
		pages++
		keys += len(out.Contents)
		if !aws.ToBool(out.IsTruncated) {
			return pages, keys, nil
		}
		if out.NextContinuationToken == nil {
			return pages, keys, fmt.Errorf("page %d truncated without a continuation token", pages)
		}
		token = out.NextContinuationToken
	}
}

// referenceMetadata is the reference design's cold download before its
// first listing: [inode table start aligned down to a block, end).
func referenceMetadata(archive string) (int64, error) {
	f, err := os.Open(archive)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	info, err := superblockOf(f)
	if err != nil {
		return 0, err
	}
	return fi.Size() - alignDown(info.InodeTableStart, info.BlockSize), nil
}
